package io.mlplatform.storage.snapshot;

import java.time.Instant;
import java.util.Optional;

/**
 * What one backup runs on: its project's part of the bucket, content index and lease, the snapshot it
 * compares against, and the commit that makes its manifest a snapshot. Two implementations: the
 * service's own (PostgreSQL and S3 in its JVM) and the mover's (the service's mover API and presigned
 * URLs).
 */
public interface BackupSession extends AutoCloseable {

	/** The project backed up. */
	String project();

	/** The bucket's keys: a blob's key goes into the manifest. */
	SnapshotLayout layout();

	ObjectStore objects();

	ContentIndex index();

	RunLease lease();

	/** The storage's newest snapshot, unless {@code gone} (found missing when read); empty if it has none. */
	Optional<ObjectRef> previous(Optional<ObjectRef> gone);

	/**
	 * Makes the uploaded manifest a snapshot, if the run still holds its lease.
	 * @param started when the backup started: its snapshot's time
	 * @return false when the lease was lost: the manifest is removed, as a collection may have removed
	 * content it references
	 */
	boolean commit(ObjectRef manifest, BackupResult result, Instant started);

	/** Ends the session; one not committed has failed. */
	@Override
	void close();

}
