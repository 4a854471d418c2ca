package io.mlplatform.storage.backup.verify;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.mlplatform.storage.backup.VerificationSummary.VerificationProblem;
import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Verification", description = "A check of a backup's snapshot against the bucket, and the job that runs it")
@JsonInclude(JsonInclude.Include.NON_NULL)
record VerificationResponse(UUID id, UUID backup, @Schema(example = "imagenet") String storage,
		@Schema(allowableValues = { "scheduled", "manual" }) String trigger,
		@Schema(description = "Of the content's bytes, the share read and checked against its sha256; every entry's "
				+ "place is checked whatever it is", example = "0.05") double dataFraction,
		@Schema(allowableValues = { "Queued", "Running", "Succeeded", "Failed", "Cancelled" }) String state,
		@Schema(description = "Once finished: ok (nothing wrong), damaged (see problems; the state is Failed), error "
				+ "(the bucket could not be read; see error), cancelled",
				allowableValues = { "ok", "damaged", "error", "cancelled" }) String outcome,
		Instant createdAt, Instant startedAt, Instant finishedAt,
		@Schema(description = "Files (and their bytes) read and checked so far; totals once the manifest is read")
		Progress progress,
		@Schema(description = "The first problems found, in path order") List<VerificationProblem> problems,
		@Schema(description = "All problems found; problems lists the first 100") long problemCount,
		@Schema(description = "Why it could not finish") String error,
		@Schema(description = "A cancel was asked for; a running verification stops within seconds") boolean cancelRequested,
		@Schema(description = "Claims by a worker: more than 1 means a worker died and another took over") int attempt) {

	@Schema(name = "VerificationProgress")
	@JsonInclude(JsonInclude.Include.NON_NULL)
	record Progress(Long files, Long filesTotal, Long bytes, Long bytesTotal) {
	}

	static VerificationResponse from(Verification verification) {
		return new VerificationResponse(verification.id(), verification.backupId(), verification.storage(),
				verification.trigger(), verification.dataFraction(), verification.state(), verification.outcome(),
				verification.createdAt(), verification.startedAt(), verification.finishedAt(),
				new Progress(verification.files(), verification.filesTotal(), verification.bytes(),
						verification.bytesTotal()),
				verification.problems(), verification.problemCount(), verification.error(),
				verification.cancelRequested(), verification.attempt());
	}

}
