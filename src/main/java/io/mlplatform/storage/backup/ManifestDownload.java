package io.mlplatform.storage.backup;

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

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A manifest fetched into a local file on a thread of its own while it is read: an incremental backup
 * compares its first files with the previous snapshot as soon as the first bytes are in, instead of
 * after the whole object. The file, not the connection, absorbs the difference in pace, so a slow walk
 * never holds a response open. A body cut off part-way is fetched on from where it stopped, and only
 * from the same object ({@code If-Match} its ETag): a rewritten manifest has other bytes.
 */
final class ManifestDownload implements AutoCloseable {

	private static final int BUFFER = 64 * 1024;

	private final S3Store store;

	private final String key;

	private final String etag;

	private final FileChannel out;

	private final FileChannel in;

	private final Future<?> task;

	/** The response being read, aborted on close so that a blocked read ends. */
	private volatile ResponseInputStream<GetObjectResponse> body;

	private volatile boolean closed;

	// guarded by this
	private long written;

	private boolean complete;

	private Exception failure;

	/**
	 * Starts fetching {@code key} into {@code file}. The first request is made here, so a missing object
	 * fails this call ({@link software.amazon.awssdk.services.s3.model.NoSuchKeyException}).
	 */
	static ManifestDownload start(S3Store store, String key, Path file, ExecutorService executor) {
		return new ManifestDownload(store, key, store.get(key), file, executor);
	}

	private ManifestDownload(S3Store store, String key, ResponseInputStream<GetObjectResponse> first, Path file,
			ExecutorService executor) {
		this.store = store;
		this.key = key;
		this.etag = first.response().eTag();
		this.body = first;
		try {
			this.out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
			this.in = FileChannel.open(file, StandardOpenOption.READ);
		}
		catch (IOException ex) {
			first.abort();
			throw new UncheckedIOException(ex);
		}
		this.task = executor.submit(this::fetch);
	}

	private void fetch() {
		byte[] buffer = new byte[BUFFER];
		long before = 0;
		for (int attempt = 1;; attempt++) {
			try (InputStream response = this.body) {
				for (int n = response.read(buffer); n >= 0; n = response.read(buffer)) {
					ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
					while (bytes.hasRemaining()) {
						this.out.write(bytes);
					}
					arrived(n);
				}
				end(null);
				return;
			}
			catch (IOException | SdkException ex) {
				if (this.closed) {
					return;
				}
				if (written() > before) {
					// attempts count cuts in a row: a long manifest over a flaky link gets there piece by piece
					attempt = 0;
					before = written();
				}
				else if (attempt == S3Store.BODY_ATTEMPTS) {
					end(ex);
					return;
				}
			}
			try {
				this.body = this.store.get(this.key, written(), this.etag);
			}
			catch (SdkException ex) {
				// a 412 means the manifest was written again meanwhile: its bytes cannot be joined to these
				end(ex);
				return;
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
		this.complete = true;
		this.failure = failure;
		notifyAll();
	}

	/** The manifest's bytes as they arrive; fails as the download fails once its retries are spent. */
	InputStream reader() {
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
		ResponseInputStream<GetObjectResponse> response = this.body;
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
