package io.mlplatform.storage.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Restore", description = "A backup brought back into a storage")
@JsonInclude(JsonInclude.Include.NON_NULL)
record RestoreResponse(UUID id, @Schema(description = "The backup restored") UUID backup,
		@Schema(description = "The storage written into", example = "imagenet") String target,
		@Schema(allowableValues = { "merge", "replace" }) String mode,
		@Schema(description = "Only these files or folders; empty for everything") List<String> paths,
		@Schema(description = "Fills a storage created with restoreFrom") boolean intoNewStorage,
		@Schema(allowableValues = { "Queued", "Running", "Succeeded", "Failed", "Cancelled" }) String state,
		Instant createdAt, Instant startedAt, Instant finishedAt, BackupResponse.JobProgress progress, String error,
		boolean cancelRequested, int attempt,
		@Schema(description = "Each attempt run by a mover and why it ended; in a single restore's GET only") List<Attempts.Attempt> attempts) {

	static RestoreResponse from(Restore restore) {
		return from(restore, null);
	}

	static RestoreResponse from(Restore restore, List<Attempts.Attempt> attempts) {
		return new RestoreResponse(restore.id(), restore.backupId(), restore.storage(), restore.mode(), restore.paths(),
				restore.intoNew(), restore.state().name(), restore.createdAt(), restore.startedAt(),
				restore.finishedAt(),
				new BackupResponse.JobProgress(restore.files(), restore.filesTotal(), restore.bytes(),
						restore.bytesTotal(), restore.state() == JobState.Running ? restore.etaSeconds() : null),
				restore.error(), restore.cancelRequested(), restore.attempt(), attempts);
	}

}
