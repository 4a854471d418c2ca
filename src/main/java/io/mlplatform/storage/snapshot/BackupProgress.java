package io.mlplatform.storage.snapshot;

/**
 * A seam for callers of {@link Snapshots#backup(String, String, String, java.nio.file.Path, BackupProgress)}:
 * the counters of a running backup, read by another thread (the worker reports them while it runs).
 */
public final class BackupProgress {

	final BackupStats stats = new BackupStats();

	/** Files walked so far. */
	public long files() {
		return this.stats.files.get();
	}

	/** Bytes of the files walked so far. */
	public long bytes() {
		return this.stats.bytes.get();
	}

	/** Everything PUT so far. */
	public long bytesUploaded() {
		return this.stats.bytesUploaded.get();
	}

}
