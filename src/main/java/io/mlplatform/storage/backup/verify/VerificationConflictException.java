package io.mlplatform.storage.backup.verify;

import io.mlplatform.storage.web.ConflictException;

/** A verification request that clashes with the state of its backup or of the verification (409). */
class VerificationConflictException extends ConflictException {

	private VerificationConflictException(String type, String title, String detail) {
		super(type, title, detail);
	}

	static VerificationConflictException notSucceeded(String backup, String state) {
		return new VerificationConflictException("backup-not-available", "Backup has no snapshot",
				"Backup '%s' is %s; only a Succeeded backup can be verified.".formatted(backup, state));
	}

	static VerificationConflictException finished(String verification, String state) {
		return new VerificationConflictException("job-finished", "Already finished",
				"Verification '%s' is already %s; there is nothing to cancel.".formatted(verification, state));
	}

}
