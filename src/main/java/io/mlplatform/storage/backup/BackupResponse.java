package io.mlplatform.storage.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Backup", description = "A point-in-time snapshot of a storage in S3, and the job that takes it")
@JsonInclude(JsonInclude.Include.NON_NULL)
record BackupResponse(UUID id, @Schema(example = "imagenet") String storage,
		@Schema(allowableValues = { "scheduled", "manual", "beforeDelete" }) String trigger,
		@Schema(allowableValues = { "Queued", "Running", "Succeeded", "Failed", "Cancelled", "Expired" }) String state,
		Instant createdAt, Instant startedAt, Instant finishedAt, JobProgress progress,
		@Schema(description = "New content uploaded (what was stored before is not uploaded again)") Long bytesUploaded,
		@Schema(description = "Why it failed") String error,
		@Schema(description = "A cancel was asked for; a running job stops within seconds") boolean cancelRequested,
		@Schema(description = "Claims by a worker: more than 1 means a worker died and another resumed it") int attempt,
		@Schema(description = "Each attempt run by a mover and why it ended; in a single backup's GET only") List<Attempts.Attempt> attempts,
		VerificationSummary verification) {

	/** Counts of a job; totals are absent until known, {@code etaSeconds} only while it runs. */
	@Schema(name = "JobProgress")
	@JsonInclude(JsonInclude.Include.NON_NULL)
	record JobProgress(Long files, Long filesTotal, Long bytes, Long bytesTotal, Long etaSeconds) {
	}

	static BackupResponse from(Backup backup) {
		return from(backup, null);
	}

	static BackupResponse from(Backup backup, List<Attempts.Attempt> attempts) {
		return new BackupResponse(backup.id(), backup.storage(), backup.trigger(), backup.state().name(),
				backup.createdAt(), backup.startedAt(), backup.finishedAt(),
				new JobProgress(backup.files(), backup.filesTotal(), backup.bytes(), backup.bytesTotal(),
						backup.state() == JobState.Running ? backup.etaSeconds() : null),
				backup.bytesUploaded(), backup.error(), backup.cancelRequested(), backup.attempt(), attempts,
				backup.verification());
	}

}
