package io.mlplatform.storage.backup;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.ProblemException;

/** What the mover API refuses, each with a stable problem type a mover branches on. */
class MoverProblem extends ProblemException {

	private MoverProblem(HttpStatus status, String type, String title, String detail) {
		super(status, type, title, detail);
	}

	/** The same answer for a missing, malformed or foreign token: nothing to learn from it. */
	static MoverProblem unauthorized() {
		return new MoverProblem(HttpStatus.UNAUTHORIZED, "invalid-run-token", "Invalid run token",
				"Send the run's token as a bearer token, to the run it was issued for");
	}

	static MoverProblem leaseLost() {
		return new MoverProblem(HttpStatus.CONFLICT, "lease-lost", "Lease lost",
				"This attempt no longer holds its run's lease: another attempt runs it, or it ended; stop");
	}

	static MoverProblem runEnded(String state) {
		return new MoverProblem(HttpStatus.CONFLICT, "run-ended", "Run ended",
				"This run has ended (" + state + "); its token is no longer valid");
	}

	static MoverProblem invalid(String detail) {
		return new MoverProblem(HttpStatus.BAD_REQUEST, "validation-failed", "Invalid request", detail);
	}

	static MoverProblem notAllowed(String detail) {
		return new MoverProblem(HttpStatus.FORBIDDEN, "object-not-allowed", "Not this run's to touch", detail);
	}

	static MoverProblem notStored(String detail) {
		return new MoverProblem(HttpStatus.CONFLICT, "content-not-stored", "Content not stored", detail);
	}

	/** S3 refused what the run asked of it (an upload id it does not know, a part too small). */
	static MoverProblem storageRefused(String code) {
		return new MoverProblem(HttpStatus.CONFLICT, "storage-refused", "Refused by the bucket",
				"S3 refused the request" + (code == null ? "" : ": " + code));
	}

	static MoverProblem storageUnavailable() {
		return new MoverProblem(HttpStatus.SERVICE_UNAVAILABLE, "storage-unavailable", "Bucket unavailable",
				"S3 did not answer; try again");
	}

}
