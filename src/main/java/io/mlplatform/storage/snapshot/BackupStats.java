package io.mlplatform.storage.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of one backup, updated by its threads. */
public final class BackupStats {

	final AtomicLong files = new AtomicLong();

	final AtomicLong bytes = new AtomicLong();

	final AtomicLong filesRead = new AtomicLong();

	final AtomicLong bytesRead = new AtomicLong();

	final AtomicLong bytesStored = new AtomicLong();

	final AtomicLong bytesUploaded = new AtomicLong();

	final AtomicLong skipped = new AtomicLong();

	/** The first of the paths left out, and why: enough to tell someone what to look at. */
	private final List<String> skippedPaths = new ArrayList<>();

	private static final int SKIPPED_PATHS = 100;

	public void skip(String path, String why) {
		this.skipped.incrementAndGet();
		synchronized (this.skippedPaths) {
			if (this.skippedPaths.size() < SKIPPED_PATHS) {
				this.skippedPaths.add(BackupRun.escape(path) + ": " + why);
			}
		}
	}

	/** The manifest's gzip members, and those copied from the previous manifest as they were. */
	volatile long manifestMembers;

	volatile long manifestMembersCopied;

	public void manifest(long members, long copied) {
		this.manifestMembers = members;
		this.manifestMembersCopied = copied;
	}

	public void stored(long size) {
		this.bytesStored.addAndGet(size);
	}

	public void uploaded(long size) {
		this.bytesUploaded.addAndGet(size);
	}

	public BackupResult result(String manifestKey, long entries) {
		return new BackupResult(manifestKey, entries, this.files.get(), this.bytes.get(), this.filesRead.get(),
				this.bytesRead.get(), this.bytesStored.get(), this.bytesUploaded.get(), this.skipped.get(),
				List.copyOf(this.skippedPaths));
	}

}
