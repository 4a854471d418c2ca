package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;


/**
 * A manifest fetched into a local file on a thread of its own while it is read: an incremental backup
 * compares its first files with the previous snapshot as soon as the first bytes are in, instead of
 * after the whole object. The file, not the connection, absorbs the difference in pace, so a slow walk
 * never holds a response open. A body cut off part-way is fetched on from where it stopped, and only
 * from the same object ({@code If-Match} its ETag): a rewritten manifest has other bytes.
 */
public final class ManifestDownload implements AutoCloseable {

	private static final int BUFFER = 64 * 1024;

	private final ObjectStore store;

	private final ObjectRef key;

	private final String etag;

	/** The object's length, from the first response; null if it did not say. */
	private final Long length;

	private final FileChannel out;

	private final FileChannel in;

	private final Future<?> task;

	/** The response being read, aborted on close so that a blocked read ends. */
	private volatile ObjectStream body;

	private volatile boolean closed;

	// guarded by this
	private long written;

	private boolean complete;

	private Exception failure;

	/**
	 * Starts fetching {@code key} into {@code file}. The first request is made here, so a missing object
	 * fails this call ({@link ObjectNotFoundException}).
	 */
	public static ManifestDownload start(ObjectStore store, ObjectRef key, Path file, ExecutorService executor) {
		return new ManifestDownload(store, key, store.get(key), file, executor);
	}

	private ManifestDownload(ObjectStore store, ObjectRef key, ObjectStream first, Path file,
			ExecutorService executor) {
		this.store = store;
		this.key = key;
		this.etag = first.eTag();
		this.length = first.length();
		this.body = first;
		FileChannel out = null;
		FileChannel in = null;
		try {
			out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
			in = FileChannel.open(file, StandardOpenOption.READ);
			this.out = out;
			this.in = in;
			this.task = executor.submit(this::fetch);
		}
		catch (IOException | RuntimeException ex) {
			first.abort();
			closeQuietly(out);
			closeQuietly(in);
			throw (ex instanceof IOException io) ? new UncheckedIOException(io) : (RuntimeException) ex;
		}
	}

	private void fetch() {
		try {
			fetchAll();
		}
		catch (Throwable ex) {
			// whatever stopped the fetch, the reader must not wait for bytes that will never come
			end((ex instanceof Exception failure) ? failure : new IllegalStateException(ex));
			if (ex instanceof Error error) {
				throw error;
			}
		}
	}

	private void fetchAll() {
		byte[] buffer = new byte[BUFFER];
		long before = 0;
		for (int attempt = 1;; attempt++) {
			ObjectStream response = this.body;
			try {
				for (int n = response.read(buffer); n >= 0; n = response.read(buffer)) {
					// at its own offset: a write cut short by a failure never shifts what follows
					ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
					long at = written();
					while (bytes.hasRemaining()) {
						at += this.out.write(bytes, at);
					}
					arrived(n);
				}
				response.close();
				end(null);
				return;
			}
			catch (IOException | RuntimeException ex) {
				// dropped, not closed: closing reads the rest of a body to reuse its connection, and a cut one may never end
				response.abort();
				if (this.closed) {
					return;
				}
				if (this.length != null && written() == this.length) {
					// cut after the last byte: nothing is left to ask for
					end(null);
					return;
				}
				if (written() > before) {
					// attempts count cuts in a row: a long manifest over a flaky link gets there piece by piece
					attempt = 0;
					before = written();
				}
				else if (attempt == ObjectStore.BODY_ATTEMPTS) {
					end(ex);
					return;
				}
			}
			long from = written();
			try {
				this.body = this.store.getFrom(this.key, from, this.etag);
			}
			catch (RuntimeException ex) {
				// a 412 means the manifest was written again meanwhile: its bytes cannot be joined to these
				end(ex);
				return;
			}
			String range = this.body.contentRange();
			if (range == null || !range.startsWith("bytes " + from + "-")) {
				// a server that ignored the Range would send the whole object again after what is here
				this.body.abort();
				end(new IOException("Fetching " + this.key + " from byte " + from + " got " + range));
				return;
			}
		}
	}

	private static void closeQuietly(FileChannel channel) {
		if (channel != null) {
			try {
				channel.close();
			}
			catch (IOException ex) {
				// it was never used
			}
		}
	}

	private synchronized void arrived(int n) {
		this.written += n;
		notifyAll();
	}

	private synchronized long written() {
		return this.written;
	}

	private synchronized void end(Exception failure) {
		if (!this.complete) {
			this.complete = true;
			this.failure = failure;
			notifyAll();
		}
	}

	/** The manifest's bytes as they arrive; fails as the download fails once its retries are spent. */
	public InputStream reader() {
		return new InputStream() {

			private long position;

			@Override
			public int read() throws IOException {
				byte[] one = new byte[1];
				return (read(one, 0, 1) < 0) ? -1 : one[0] & 0xff;
			}

			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				if (len == 0) {
					return 0;
				}
				long available = await(this.position);
				if (available == 0) {
					return -1;
				}
				int n = ManifestDownload.this.in.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available)),
						this.position);
				this.position += n;
				return n;
			}

		};
	}

	/** How many bytes past {@code position} can be read now, waiting until some are; 0 at the end. */
	private synchronized long await(long position) throws IOException {
		while (this.written <= position && !this.complete) {
			try {
				wait();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException("Interrupted while fetching " + this.key);
			}
		}
		if (this.written > position) {
			return this.written - position;
		}
		if (this.failure != null) {
			throw new IOException("Could not fetch " + this.key, this.failure);
		}
		return 0;
	}

	/** Stops the fetch if it is still going; the caller deletes the file. */
	@Override
	public void close() {
		this.closed = true;
		ObjectStream response = this.body;
		if (response != null && !this.task.isDone()) {
			response.abort();
		}
		this.task.cancel(true);
		try {
			this.out.close();
			this.in.close();
		}
		catch (IOException ex) {
			// nothing was promised about a download that is no longer wanted
		}
	}

}
