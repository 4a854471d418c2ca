package io.mlplatform.storage.backup;

import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.RestoreSession;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * A restore run by the engine in this JVM, under a {@link BackupLease} taken before the manifest is
 * read: a collection deletes nothing it references until the restore ends.
 */
final class LocalRestoreSession implements RestoreSession {

	private final Snapshots snapshots;

	private final String project;

	private final BackupLease lease;

	LocalRestoreSession(Snapshots snapshots, String project, String storage) {
		this.snapshots = snapshots;
		this.project = project;
		this.lease = snapshots.lease(project, storage, BackupLease.Kind.RESTORE);
	}

	@Override
	public String project() {
		return this.project;
	}

	@Override
	public SnapshotLayout layout() {
		return this.snapshots.layout();
	}

	@Override
	public ObjectStore objects() {
		return this.snapshots.objects(this.project);
	}

	@Override
	public void close() {
		this.lease.close();
	}

}
