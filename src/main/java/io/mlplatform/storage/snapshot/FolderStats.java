package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
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
 * at its own pace instead of waiting in the pool's queue.
 * <p>
 * Attributes are meant to be as fresh as if the walker had read them itself: the walker calls
 * {@link #reread} after walking a subfolder, which may have taken hours, and what was read ahead
 * before it is read again; nothing is read ahead until the walker has met an entry that is not a
 * folder, so a folder of folders is read one entry at a time, as without read-ahead. At most
 * {@link #AHEAD} chunks beyond the walker's are planned at a time; what grows with a folder's size is
 * only its list of names, which the walk holds anyway to sort it.
 */
final class FolderStats implements AutoCloseable {

	/** Entries per chunk: enough to outweigh handing the chunk to another thread. */
	static final int CHUNK = 32;

	/** Chunks read ahead of the one the walker is at. */
	static final int AHEAD = 3;

	private final Path folder;

	private final List<Path> names;

	private final String attributes;

	private final Executor pool;

	/** The chunks planned, in order; the first holds the walker's next entry. */
	private final Deque<Chunk> chunks = new ArrayDeque<>();

	/** Where the next chunk to plan starts. */
	private int planned;

	/**
	 * Whether the walker's next entry is the first since the folder was opened or since it came back
	 * from a subfolder: that entry is read alone and nothing ahead of it, because in a folder of folders
	 * whatever is read ahead would be as old as the next subfolder's walk before it is used.
	 */
	private boolean fresh = true;

	/**
	 * @param names the children, in the order they will be asked for
	 * @param attributes as {@link Files#readAttributes(Path, String, LinkOption...)} takes them; links are not followed
	 */
	FolderStats(Path folder, List<Path> names, String attributes, Executor pool) {
		this.folder = folder;
		this.names = names;
		this.attributes = attributes;
		this.pool = pool;
	}

	/**
	 * The attributes of the {@code index}th child, asked for in order.
	 * @throws IOException as reading them threw it ({@link java.nio.file.NoSuchFileException} if the child is gone)
	 */
	@SuppressWarnings("unchecked")
	Map<String, Object> get(int index) throws IOException {
		while (!this.chunks.isEmpty() && this.chunks.peekFirst().to <= index) {
			this.chunks.pollFirst();
		}
		if (this.chunks.isEmpty()) {
			this.planned = index;
		}
		plan();
		Chunk chunk = this.chunks.peekFirst();
		// runs the chunk here unless a pool thread has taken it; then waits for that thread
		chunk.task.run();
		try {
			chunk.task.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while reading the entries of " + this.folder);
		}
		catch (ExecutionException ex) {
			Throwable cause = ex.getCause();
			if (cause instanceof Error error) {
				throw error;
			}
			throw (cause instanceof RuntimeException runtime) ? runtime : new IllegalStateException(cause);
		}
		Object attributes = chunk.read[index - chunk.from];
		if (attributes instanceof IOException failure) {
			throw failure;
		}
		return (Map<String, Object>) attributes;
	}

	/**
	 * Forgets what was read ahead: the walker was away (in a subfolder) since it was read, and the
	 * entries from {@code next} on are read again when they are asked for.
	 */
	void reread(int next) {
		close();
		this.planned = next;
		this.fresh = true;
	}

	/** Cancels the chunks not started yet: a stopped walk leaves nothing to read behind it. */
	@Override
	public void close() {
		this.chunks.forEach(chunk -> chunk.task.cancel(false));
		this.chunks.clear();
	}

	/** The walker's chunk and up to {@link #AHEAD} more, those handed to the pool. */
	private void plan() {
		if (this.fresh) {
			this.fresh = false;
			if (this.chunks.isEmpty() && this.planned < this.names.size()) {
				this.chunks.addLast(new Chunk(this.planned, this.planned + 1));
				this.planned++;
				return;
			}
		}
		while (this.chunks.size() <= AHEAD && this.planned < this.names.size()) {
			Chunk chunk = new Chunk(this.planned, Math.min(this.names.size(), this.planned + CHUNK));
			this.planned = chunk.to;
			boolean ahead = !this.chunks.isEmpty();
			this.chunks.addLast(chunk);
			if (ahead) {
				try {
					this.pool.execute(chunk.task);
				}
				catch (RejectedExecutionException ex) {
					// the engine is shutting down: the walker reads the chunk itself, or stops
				}
			}
		}
	}

	private final class Chunk {

		final int from;

		final int to;

		/** Each entry's attributes or the IOException reading them threw; written before the task completes. */
		final Object[] read;

		/** Holds no result itself: a finished task waiting in the pool's queue keeps nothing alive. */
		final FutureTask<Void> task;

		Chunk(int from, int to) {
			this.from = from;
			this.to = to;
			this.read = new Object[to - from];
			this.task = new FutureTask<>(this::read, null);
		}

		private void read() {
			for (int i = this.from; i < this.to; i++) {
				if (Thread.currentThread().isInterrupted()) {
					// the run was stopped (see RunThreads): no more of its work
					this.read[i - this.from] = new InterruptedIOException("Interrupted before reading " + FolderStats.this.names.get(i));
					continue;
				}
				try {
					this.read[i - this.from] = Files.readAttributes(
							FolderStats.this.folder.resolve(FolderStats.this.names.get(i).toString()),
							FolderStats.this.attributes, LinkOption.NOFOLLOW_LINKS);
				}
				catch (IOException ex) {
					this.read[i - this.from] = ex;
				}
			}
		}

	}

}
