package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;

/**
 * The attributes of one folder's children, read a few chunks ahead of the walker by pool threads.
 * An incremental backup reads every entry's attributes and little else, so on its own the walker
 * thread is the backup's bottleneck. A chunk the pool has not started yet is run by the walker
 * itself when it gets there: when the pool is busy (readers hashing a full backup), the walk goes on
 * at its own pace instead of waiting in the pool's queue. The attributes of at most {@link #AHEAD}
 * chunks beyond the walker's are held per folder: what grows with a folder's size is its list of names,
 * which the walk holds anyway to sort it, and one small task per chunk.
 */
final class FolderStats {

	/** Entries per chunk: enough to outweigh handing the chunk to another thread. */
	static final int CHUNK = 32;

	/** Chunks read ahead of the one the walker is at. */
	static final int AHEAD = 3;

	private final Path folder;

	private final List<Path> names;

	private final String attributes;

	private final Executor pool;

	@SuppressWarnings("unchecked")
	private final FutureTask<Object[]>[] chunks;

	/** The next chunk not yet handed to the pool. */
	private int submitted = 1;

	/**
	 * @param names the children, in the order they will be asked for
	 * @param attributes as {@link Files#readAttributes(Path, String, LinkOption...)} takes them; links are not followed
	 */
	@SuppressWarnings("unchecked")
	FolderStats(Path folder, List<Path> names, String attributes, Executor pool) {
		this.folder = folder;
		this.names = names;
		this.attributes = attributes;
		this.pool = pool;
		this.chunks = new FutureTask[(names.size() + CHUNK - 1) / CHUNK];
		for (int chunk = 0; chunk < this.chunks.length; chunk++) {
			int from = chunk * CHUNK;
			int to = Math.min(names.size(), from + CHUNK);
			this.chunks[chunk] = new FutureTask<>(() -> read(from, to));
		}
		submitUpTo(AHEAD);
	}

	/**
	 * The attributes of the {@code index}th child, asked for in order.
	 * @throws IOException as reading them threw it ({@link java.nio.file.NoSuchFileException} if the child is gone)
	 */
	@SuppressWarnings("unchecked")
	Map<String, Object> get(int index) throws IOException {
		int chunk = index / CHUNK;
		FutureTask<Object[]> task = this.chunks[chunk];
		if (index % CHUNK == 0) {
			submitUpTo(chunk + AHEAD);
		}
		// runs the chunk here unless a pool thread has taken it; then waits for that thread
		task.run();
		Object attributes;
		try {
			attributes = task.get()[index - chunk * CHUNK];
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while reading the entries of " + this.folder);
		}
		catch (ExecutionException ex) {
			throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : new IllegalStateException(ex.getCause());
		}
		if (index % CHUNK == CHUNK - 1 || index == this.names.size() - 1) {
			// the walker is done with it
			this.chunks[chunk] = null;
		}
		if (attributes instanceof IOException failure) {
			throw failure;
		}
		return (Map<String, Object>) attributes;
	}

	private void submitUpTo(int last) {
		for (; this.submitted <= last && this.submitted < this.chunks.length; this.submitted++) {
			try {
				this.pool.execute(this.chunks[this.submitted]);
			}
			catch (RejectedExecutionException ex) {
				// the engine is shutting down: the walker reads the chunk itself, or stops
				return;
			}
		}
	}

	private Object[] read(int from, int to) {
		Object[] read = new Object[to - from];
		for (int i = from; i < to; i++) {
			try {
				read[i - from] = Files.readAttributes(this.folder.resolve(this.names.get(i).toString()), this.attributes,
						LinkOption.NOFOLLOW_LINKS);
			}
			catch (IOException ex) {
				read[i - from] = ex;
			}
		}
		return read;
	}

}
