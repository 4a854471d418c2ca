package io.mlplatform.storage.snapshot;

/**
 * What one restore runs on: the project's part of the bucket, read under a lease that keeps a collection
 * from deleting what the snapshot references until the restore ends.
 */
public interface RestoreSession extends AutoCloseable {

	/** The project restored from. */
	String project();

	/** The bucket's keys: a manifest names each blob by its key. */
	SnapshotLayout layout();

	ObjectStore objects();

	@Override
	void close();

}
