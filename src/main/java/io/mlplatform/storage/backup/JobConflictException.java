package io.mlplatform.storage.backup;

import io.mlplatform.storage.web.ConflictException;

/** A backup or restore request that clashes with what is running or with the state of a job (409). */
class JobConflictException extends ConflictException {

	private JobConflictException(String type, String title, String detail) {
		super(type, title, detail);
	}

	static JobConflictException storageDeleting(String storage) {
		return new JobConflictException("storage-deleting", "Storage is being deleted",
				"Storage '%s' is being deleted; it takes no more backups or restores.".formatted(storage));
	}

	static JobConflictException backupActive(String backup, JobState state) {
		return new JobConflictException("backup-active", "Backup is not finished",
				"Backup '%s' is %s; cancel it first (POST …/backups/%s:cancel), then delete it.".formatted(backup, state,
						backup));
	}

	static JobConflictException notSucceeded(String backup, JobState state, String action) {
		return new JobConflictException("backup-not-available", "Backup has no snapshot",
				"Backup '%s' is %s; only a Succeeded backup can be %s.".formatted(backup, state, action));
	}

	static JobConflictException finished(String kind, String id, JobState state) {
		return new JobConflictException("job-finished", "Already finished",
				"%s '%s' is already %s; there is nothing to cancel.".formatted(kind, id, state));
	}

	static JobConflictException restoreActive(String storage, String restore) {
		return new JobConflictException("restore-in-progress", "A restore is in progress",
				"Storage '%s' is being restored (restore '%s'); wait for it or cancel it, then try again."
					.formatted(storage, restore));
	}

}
