package io.mlplatform.storage.snapshot;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of a running verification, read by whoever reports its progress. */
public final class CheckProgress {

	final AtomicLong files = new AtomicLong();

	final AtomicLong bytes = new AtomicLong();

	final AtomicLong filesTotal = new AtomicLong(-1);

	final AtomicLong bytesTotal = new AtomicLong(-1);

	/** Files whose content was read and checked so far. */
	public long files() {
		return this.files.get();
	}

	public long bytes() {
		return this.bytes.get();
	}

	/** Files the run will check; -1 until the manifest has been read. */
	public long filesTotal() {
		return this.filesTotal.get();
	}

	public long bytesTotal() {
		return this.bytesTotal.get();
	}

}
