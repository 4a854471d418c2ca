package io.mlplatform.storage.backup;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.BackupSession;
import io.mlplatform.storage.snapshot.ContentIndex;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.RunLease;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * A backup run by the engine in this JVM (executor {@code local}): PostgreSQL and S3 reached directly,
 * under a {@link BackupLease} this instance renews.
 */
final class LocalBackupSession implements BackupSession {

	private final Snapshots snapshots;

	private final String project;

	private final String storage;

	private final BackupLease lease;

	private final ProjectObjects objects;

	private final PostgresContentIndex index;

	/** An interrupted run's multipart uploads, aborted beside the backup. */
	private final CompletableFuture<Void> cleanup;

	/**
	 * Takes the lease before the previous manifest is read: from then on, all of that manifest's content
	 * stays.
	 */
	LocalBackupSession(Snapshots snapshots, String project, String storage) {
		this.snapshots = snapshots;
		this.project = project;
		this.storage = storage;
		this.lease = snapshots.lease(project, storage, BackupLease.Kind.BACKUP);
		this.objects = snapshots.objects(project);
		this.index = snapshots.index(project, this.lease.id());
		this.cleanup = snapshots.abortAbandonedUploads(project);
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
		return this.objects;
	}

	@Override
	public ContentIndex index() {
		return this.index;
	}

	@Override
	public RunLease lease() {
		return this.lease;
	}

	@Override
	public Optional<ObjectRef> previous(Optional<ObjectRef> gone) {
		return this.snapshots.newest(this.project, this.storage, gone);
	}

	@Override
	public boolean commit(ObjectRef manifest, BackupResult result, Instant started) {
		this.cleanup.join();
		if (!this.lease.finish()) {
			// a collection may have run meanwhile: this manifest could reference content it removed
			this.objects.store().delete(List.of(result.manifest()));
			return false;
		}
		this.snapshots.recordNewest(this.project, this.storage, manifest.id(), started);
		this.snapshots.committed(this.project, this.storage, manifest.id());
		return true;
	}

	@Override
	public void close() {
		this.cleanup.cancel(false);
		this.lease.close();
	}

}
