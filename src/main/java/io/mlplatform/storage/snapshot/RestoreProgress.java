package io.mlplatform.storage.snapshot;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A seam for callers of {@link Snapshots#restore(String, String, String, java.nio.file.Path, java.util.List,
 * RestoreMode, RestoreProgress)}: the counters of a running restore, read by another thread (the worker
 * reports them while it runs).
 */
public final class RestoreProgress {

	final AtomicLong files = new AtomicLong();

	final AtomicLong bytes = new AtomicLong();

	/** Files written so far. */
	public long files() {
		return this.files.get();
	}

	/** Bytes of the files written so far. */
	public long bytes() {
		return this.bytes.get();
	}

}
