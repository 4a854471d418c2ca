package io.mlplatform.storage.backup;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of one backup, updated by its threads. */
final class BackupStats {

	final AtomicLong files = new AtomicLong();

	final AtomicLong bytes = new AtomicLong();

	final AtomicLong filesRead = new AtomicLong();

	final AtomicLong bytesRead = new AtomicLong();

	final AtomicLong bytesStored = new AtomicLong();

	final AtomicLong bytesUploaded = new AtomicLong();

	void stored(long size) {
		this.bytesStored.addAndGet(size);
	}

	void uploaded(long size) {
		this.bytesUploaded.addAndGet(size);
	}

	BackupResult result(String manifestKey, long entries) {
		return new BackupResult(manifestKey, entries, this.files.get(), this.bytes.get(), this.filesRead.get(),
				this.bytesRead.get(), this.bytesStored.get(), this.bytesUploaded.get());
	}

}
