package io.mlplatform.storage.mover;

import java.time.Instant;
import java.util.Optional;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.BackupSession;
import io.mlplatform.storage.snapshot.ContentIndex;
import io.mlplatform.storage.snapshot.LeaseLostException;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.RestoreSession;
import io.mlplatform.storage.snapshot.RunLease;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/** A mover's run as the engine sees it: every port reached through the service's mover API. */
final class RemoteSession implements BackupSession, RestoreSession {

	private final MoverClient service;

	private final MoverProtocol.Claim claim;

	private final SnapshotLayout layout;

	private final RemoteObjects objects;

	private final RemoteIndex index;

	private final Heartbeats lease;

	RemoteSession(MoverClient service, MoverProtocol.Claim claim, RemoteObjects objects, Heartbeats lease) {
		this.service = service;
		this.claim = claim;
		this.layout = new SnapshotLayout(claim.prefix());
		this.objects = objects;
		this.index = new RemoteIndex(service);
		this.lease = lease;
	}

	@Override
	public String project() {
		return this.claim.project();
	}

	@Override
	public SnapshotLayout layout() {
		return this.layout;
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
		String backup = this.service
			.post(":previous", new MoverProtocol.Previous(gone.map(ObjectRef::id).orElse(null)),
					MoverProtocol.Previous.class)
			.backup();
		return Optional.ofNullable(backup).map(id -> ObjectRef.manifest(this.claim.storage(), id));
	}

	@Override
	public boolean commit(ObjectRef manifest, BackupResult result, Instant started) {
		if (!this.lease.finish()) {
			return false;
		}
		try {
			this.service.post(":commit", new MoverProtocol.Commit(result.entries(), result.files(), result.bytes(),
					result.filesRead(), result.bytesRead(), result.bytesStored(), result.bytesUploaded(), result.skipped(),
					result.skippedPaths(), started, null), null);
			return true;
		}
		catch (LeaseLostException ex) {
			return false;
		}
	}

	@Override
	public void close() {
		// the run ends with its commit, or with the failure the mover reports
	}

}
