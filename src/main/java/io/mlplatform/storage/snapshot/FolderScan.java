package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The totals of a folder a backup reads, from a walk of their own beside the engine's, as restic's
 * scanner does: the engine's counters say how far it got, the scan how far there is to go.
 */
public final class FolderScan {

	private volatile long files = -1;

	private volatile long bytes = -1;

	private volatile boolean done;

	private final Thread thread;

	private FolderScan(Path folder, String name) {
		this.thread = new Thread(() -> scan(folder), name);
		this.thread.setDaemon(true);
	}

	/** Starts scanning a folder on a thread of its own. */
	public static FolderScan start(Path folder, String name) {
		FolderScan scan = new FolderScan(folder, name);
		scan.thread.start();
		return scan;
	}

	/** Whether the totals are known. */
	public boolean done() {
		return this.done;
	}

	/** Regular files under the folder; -1 until known. */
	public long files() {
		return this.files;
	}

	/** Their bytes; -1 until known. */
	public long bytes() {
		return this.bytes;
	}

	/** Stops a scan that is still going: the backup ended first. */
	public void stop() {
		this.thread.interrupt();
	}

	private void scan(Path folder) {
		long[] totals = new long[2];
		try {
			Files.walkFileTree(folder, new SimpleFileVisitor<>() {
				@Override
				public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
					if (Thread.currentThread().isInterrupted()) {
						return FileVisitResult.TERMINATE;
					}
					if (attributes.isRegularFile()) {
						totals[0]++;
						totals[1] += attributes.size();
					}
					return FileVisitResult.CONTINUE;
				}

				@Override
				public FileVisitResult visitFileFailed(Path file, IOException ex) {
					return FileVisitResult.CONTINUE;
				}
			});
			if (!Thread.currentThread().isInterrupted()) {
				this.files = totals[0];
				this.bytes = totals[1];
				this.done = true;
			}
		}
		catch (IOException ex) {
			// totals stay unknown; the backup itself reports what went wrong
		}
	}

}
