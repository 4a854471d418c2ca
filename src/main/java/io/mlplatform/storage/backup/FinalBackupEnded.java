package io.mlplatform.storage.backup;

import java.util.UUID;

/**
 * A storage's final backup before deletion has ended: the deletion goes on (Succeeded) or is refused
 * (any other state). Published by the worker once the backup's row has its final state.
 */
public record FinalBackupEnded(UUID storageId, UUID backupId, JobState state, String error) {

	public boolean succeeded() {
		return this.state == JobState.Succeeded;
	}

}
