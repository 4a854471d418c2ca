package io.mlplatform.storage.backup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.mlplatform.storage.snapshot.BackupProgress;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;

/**
 * The {@code local} executor: this instance sees every storage's share under one mount root (the NFS
 * exports mounted into the pod; in development and tests the simulated operator's shares folder) and
 * runs the engine on it in this JVM. A Job executor (the engine in a Kubernetes Job in the storage's
 * cluster, mounting its PVC) would take this class's place behind the worker.
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

		final AtomicLong filesTotal = new AtomicLong(-1);

		final AtomicLong bytesTotal = new AtomicLong(-1);

		volatile boolean scanned;

	}

	BackupResult backup(Backup backup, Counters counters) {
		Path share = existingShare(backup.namespace(), backup.storage());
		// totals come from a walk of their own beside the engine's, as restic's scanner does: the
		// engine's counters say how far it got, the scan how far there is to go
		Thread scanner = new Thread(() -> scan(share, counters), "backup-scan [backup " + backup.id() + "]");
		scanner.setDaemon(true);
		scanner.start();
		try {
			return this.snapshots.backup(backup.project(), backup.snapshotStorage(), backup.id().toString(), share,
					counters.backup);
		}
		finally {
			scanner.interrupt();
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

	private static void scan(Path share, Counters counters) {
		long[] totals = new long[2];
		try {
			Files.walkFileTree(share, new SimpleFileVisitor<>() {
				@Override
				public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
					if (Thread.currentThread().isInterrupted()) {
						return FileVisitResult.TERMINATE;
					}
					if (attributes.isRegularFile()) {
						totals[0]++;
						totals[1] += attributes.size();
					}
					return FileVisitResult.CONTINUE;
				}

				@Override
				public FileVisitResult visitFileFailed(Path file, IOException ex) {
					return FileVisitResult.CONTINUE;
				}
			});
			if (!Thread.currentThread().isInterrupted()) {
				counters.filesTotal.set(totals[0]);
				counters.bytesTotal.set(totals[1]);
				counters.scanned = true;
			}
		}
		catch (IOException ex) {
			// totals stay unknown; the backup itself reports what went wrong
		}
	}

}
