package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One backup of a folder, as a pipeline: a walker lists the folder depth-first in {@link PathOrder},
 * merging the previous manifest alongside to skip unchanged files; readers hash changed files in
 * parallel; small contents go to the {@link Packer}, large ones are uploaded as blobs; this thread
 * writes the manifest in walk order as entries complete. The queue between walker and manifest is
 * bounded, so memory does not grow with the number of files.
 */
final class BackupRun {

	private static final CompletableFuture<SnapshotEntry> END = CompletableFuture.completedFuture(null);

	private final String project;

	private final Path root;

	private final Manifest.Reader previous;

	private final ContentIndex index;

	private final SnapshotLayout layout;

	private final S3Store store;

	private final Packer packer;

	private final ExecutorService readers;

	private final ExecutorService uploads;

	private final long largeFileThreshold;

	private final BlockingQueue<CompletableFuture<SnapshotEntry>> queue;

	private final BackupStats stats;

	private volatile boolean stopped;

	/** Files walked so far: the order small contents are packed in. */
	private long sequence;

	BackupRun(String project, Path root, Manifest.Reader previous, ContentIndex index, SnapshotLayout layout,
			S3Store store, Packer packer, ExecutorService readers, ExecutorService uploads, long largeFileThreshold,
			int queueLength, BackupStats stats) {
		this.project = project;
		this.root = root;
		this.previous = previous;
		this.index = index;
		this.layout = layout;
		this.store = store;
		this.packer = packer;
		this.readers = readers;
		this.uploads = uploads;
		this.largeFileThreshold = largeFileThreshold;
		this.queue = new ArrayBlockingQueue<>(queueLength);
		this.stats = stats;
	}

	/** Walks, stores and writes the manifest to {@code out}; returns the number of entries. */
	long run(OutputStream out) {
		Thread walker = new Thread(this::walk, "backup-walker");
		walker.setDaemon(true);
		walker.start();
		try (Manifest.Writer manifest = new Manifest.Writer(out)) {
			for (CompletableFuture<SnapshotEntry> next = this.queue.take(); next != END; next = this.queue.take()) {
				manifest.write(await(next));
			}
			this.packer.finish();
			return manifest.entries();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Backup interrupted", ex);
		}
		catch (RuntimeException ex) {
			stop(walker);
			throw ex;
		}
	}

	private SnapshotEntry await(CompletableFuture<SnapshotEntry> entry) throws InterruptedException {
		while (true) {
			try {
				return entry.get(20, TimeUnit.MILLISECONDS);
			}
			catch (TimeoutException ex) {
				// the entry may wait for a batch that no later file will fill
				this.packer.flush();
			}
			catch (ExecutionException ex) {
				Throwable cause = ex.getCause();
				throw (cause instanceof RuntimeException runtime) ? runtime : new IllegalStateException(cause);
			}
		}
	}

	private void stop(Thread walker) {
		this.stopped = true;
		while (walker.isAlive()) {
			this.queue.clear();
			try {
				walker.join(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private void walk() {
		try {
			walk(this.root, "");
			put(END);
		}
		catch (RuntimeException | IOException ex) {
			put(CompletableFuture.failedFuture((ex instanceof IOException io) ? new UncheckedIOException(io) : ex));
			put(END);
		}
	}

	private void walk(Path folder, String relative) throws IOException {
		List<String> names = new ArrayList<>();
		try (DirectoryStream<Path> children = Files.newDirectoryStream(folder)) {
			children.forEach(child -> names.add(child.getFileName().toString()));
		}
		names.sort(null);
		for (String name : names) {
			if (this.stopped) {
				return;
			}
			Path path = folder.resolve(name);
			String relativePath = relative.isEmpty() ? name : relative + "/" + name;
			Map<String, Object> attributes;
			try {
				attributes = Files.readAttributes(path, "unix:mode,ino,size,lastModifiedTime,isDirectory,isRegularFile,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
			}
			catch (NoSuchFileException ex) {
				continue; // deleted while we walk: not part of this snapshot
			}
			String mode = Integer.toOctalString((Integer) attributes.get("mode") & 07777);
			var mtime = ((FileTime) attributes.get("lastModifiedTime")).toInstant();
			if ((Boolean) attributes.get("isDirectory")) {
				put(CompletableFuture.completedFuture(new SnapshotEntry(relativePath, SnapshotEntry.DIR, mode, mtime,
						null, null, null, null, null, null, null)));
				walk(path, relativePath);
			}
			else if ((Boolean) attributes.get("isSymbolicLink")) {
				put(CompletableFuture.completedFuture(new SnapshotEntry(relativePath, SnapshotEntry.SYMLINK, mode,
						mtime, null, null, null, null, null, Files.readSymbolicLink(path).toString(), null)));
			}
			else if ((Boolean) attributes.get("isRegularFile")) {
				SnapshotEntry file = new SnapshotEntry(relativePath, SnapshotEntry.FILE, mode, mtime,
						(Long) attributes.get("size"), null, null, null, null, null, (Long) attributes.get("ino"));
				this.stats.files.incrementAndGet();
				this.stats.bytes.addAndGet(file.size());
				put(store(path, file, this.sequence++));
			}
			// sockets, pipes and devices are not content
		}
	}

	private CompletableFuture<SnapshotEntry> store(Path path, SnapshotEntry file, long order) {
		SnapshotEntry before = previousEntry(file.path());
		if (before != null && before.unchanged(file)) {
			return this.packer.reuse(before.sha256())
				.thenComposeAsync(location -> (location != null)
						? CompletableFuture.completedFuture(file.storedAt(location)) : read(path, file, order), this.readers);
		}
		return read(path, file, order);
	}

	private SnapshotEntry previousEntry(String path) {
		while (this.previous.hasNext() && PathOrder.INSTANCE.compare(this.previous.peek().path(), path) < 0) {
			this.previous.next();
		}
		return (this.previous.hasNext() && this.previous.peek().path().equals(path)) ? this.previous.next() : null;
	}

	private CompletableFuture<SnapshotEntry> read(Path path, SnapshotEntry file, long order) {
		if (file.size() > this.largeFileThreshold) {
			return CompletableFuture.supplyAsync(() -> storeLarge(path, file), this.readers);
		}
		return CompletableFuture.supplyAsync(() -> readSmall(path), this.readers)
			.thenCompose(content -> this.packer.add(order, sha256(content), content)
				.thenApply(location -> new SnapshotEntry(file.path(), file.type(), file.mode(), file.mtime(),
						(long) content.length, null, null, null, null, null, file.inode())
					.storedAt(location)));
	}

	private byte[] readSmall(Path path) {
		try {
			byte[] content = Files.readAllBytes(path);
			this.stats.filesRead.incrementAndGet();
			this.stats.bytesRead.addAndGet(content.length);
			return content;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + path, ex);
		}
	}

	private SnapshotEntry storeLarge(Path path, SnapshotEntry file) {
		String sha256 = sha256(path);
		this.stats.filesRead.incrementAndGet();
		this.stats.bytesRead.addAndGet(file.size());
		ContentLocation location = this.index.use(this.project, List.of(sha256)).get(sha256);
		if (location == null) {
			String key = this.layout.blob(this.project, sha256);
			this.store.putFile(key, path, file.size(), this.uploads);
			location = ContentLocation.blob(sha256, file.size(), key);
			this.index.record(this.project, List.of(location));
			this.stats.stored(file.size());
			this.stats.uploaded(file.size());
		}
		return file.storedAt(location);
	}

	private void put(CompletableFuture<SnapshotEntry> entry) {
		try {
			if (!this.stopped || entry == END) {
				this.queue.put(entry);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	static String sha256(byte[] content) {
		return HexFormat.of().formatHex(digest().digest(content));
	}

	static String sha256(Path file) {
		MessageDigest digest = digest();
		byte[] buffer = new byte[1 << 20];
		try (InputStream in = Files.newInputStream(file)) {
			for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
				digest.update(buffer, 0, n);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + file, ex);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	static MessageDigest digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
