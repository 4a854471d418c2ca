package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.mlplatform.storage.snapshot.BackupProgress;
import io.mlplatform.storage.snapshot.FolderScan;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;

/**
 * The {@code local} executor: this instance sees every storage's share under one mount root (the NFS
 * exports mounted into the pod; in development and tests the simulated operator's shares folder) and
 * runs the engine on it in this JVM.
 */
final class LocalExecutor {

	private final Snapshots snapshots;

	private final Path mountRoot;

	LocalExecutor(Snapshots snapshots, Path mountRoot) {
		this.snapshots = snapshots;
		this.mountRoot = mountRoot.toAbsolutePath().normalize();
	}

	/** Where a storage's share is mounted: {@code <mount-root>/<namespace>/<storage>}. */
	Path share(String namespace, String storage) {
		Path share = this.mountRoot.resolve(namespace).resolve(storage).normalize();
		if (!share.getParent().getParent().equals(this.mountRoot)) {
			throw new IllegalArgumentException("Not a share name: " + namespace + "/" + storage);
		}
		return share;
	}

	/** Counts of a job as it goes; totals stay null until known. */
	static final class Counters {

		final BackupProgress backup = new BackupProgress();

		final RestoreProgress restore = new RestoreProgress();

		/** The totals of the folder backed up, once its scan has them. */
		volatile FolderScan scan;

		boolean scanned() {
			FolderScan current = this.scan;
			return current != null && current.done();
		}

	}

	BackupResult backup(Backup backup, Counters counters) {
		Path share = existingShare(backup.namespace(), backup.storage());
		FolderScan scan = FolderScan.start(share, "backup-scan [backup " + backup.id() + "]");
		counters.scan = scan;
		try {
			return this.snapshots.backup(backup.project(), backup.snapshotStorage(), backup.id().toString(), share,
					counters.backup);
		}
		finally {
			scan.stop();
		}
	}

	RestoreResult restore(Restore restore, Counters counters) {
		Path share = existingShare(restore.namespace(), restore.storage());
		return this.snapshots.restore(restore.project(), restore.sourceStorageId().toString(),
				restore.backupId().toString(), share, restore.paths() == null ? List.of() : restore.paths(),
				restore.restoreMode(), counters.restore);
	}

	private Path existingShare(String namespace, String storage) {
		Path share = share(namespace, storage);
		if (!Files.isDirectory(share)) {
			throw new IllegalStateException("The storage's share is not mounted at " + share);
		}
		return share;
	}

}
