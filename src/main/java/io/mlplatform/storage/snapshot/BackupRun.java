package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backup of a folder, as a pipeline: a walker lists the folder depth-first in {@link PathOrder},
 * merging the previous manifest alongside to skip unchanged files; readers hash changed files in
 * parallel; small contents go to the {@link Packer}, large ones are uploaded as blobs; this thread
 * writes the manifest in walk order as entries complete. The queue between walker and manifest is
 * bounded, so memory does not grow with the number of files.
 */
final class BackupRun {

	private static final Logger log = LoggerFactory.getLogger(BackupRun.class);

	private static final CompletableFuture<SnapshotEntry> END = CompletableFuture.completedFuture(null);

	/**
	 * Entries the walker hands to the manifest writer at a time. One at a time, each hand-over woke the
	 * waiting writer: in an incremental backup, where nearly every entry is ready at once, that wake-up
	 * was a tenth of the walker's time and as much again of the writer's.
	 */
	private static final int HAND_OVER = 64;

	/** How long the manifest waits for an entry whose batch is not full before the batch is resolved anyway. */
	private static final java.time.Duration PARTIAL_BATCH_AFTER = java.time.Duration.ofSeconds(1);

	private static final List<CompletableFuture<SnapshotEntry>> LAST = List.of(END);

	/**
	 * What the walk reads of every entry: the type comes from the mode's file-type bits. Each name asked
	 * for costs a lookup in the JDK's attribute map, and the walk of an incremental backup is mostly this call.
	 */
	private static final String WALK_ATTRIBUTES = "unix:mode,ino,size,lastModifiedTime";

	/** What tells a large file changed while it is hashed and sent. */
	private static final String STAT_ATTRIBUTES = "unix:ino,size,lastModifiedTime,ctime,mode";

	private static final int TYPE_BITS = 0170000;

	private static final int DIRECTORY = 0040000;

	private static final int REGULAR = 0100000;

	private static final int SYMLINK = 0120000;

	/** How long a stopped run waits for its threads; a read or request under way ends well within it. */
	private static final java.time.Duration STOP_WAIT = java.time.Duration.ofSeconds(10);

	/** Hash-and-store passes of a large file that keeps changing before it is left out. */
	private static final int CHANGED_FILE_ATTEMPTS = 3;

	private final BackupSession session;

	private final Path root;

	private final Manifest.Entries previous;

	private final Packer packer;

	private final ExecutorService readers;

	private final ExecutorService uploads;

	private final long largeFileThreshold;

	private final BlockingQueue<List<CompletableFuture<SnapshotEntry>>> queue;

	/** The walker's entries not handed over yet; the walker's own. */
	private List<CompletableFuture<SnapshotEntry>> batch = new ArrayList<>(HAND_OVER);

	private final BackupStats stats;

	/** The shared pools' threads while they work for this run; stopped with it. */
	private final RunThreads threads;

	private volatile boolean stopped;

	/** Set once the walk has listed everything: no later file can join a batch then. */
	private volatile boolean walked;

	/** Small files being read, not yet added to the packer's batch. */
	private final java.util.concurrent.atomic.AtomicInteger reading = new java.util.concurrent.atomic.AtomicInteger();

	/** Runs before a changed file is read: where tests delete or rewrite it. */
	private final java.util.function.Consumer<Path> beforeRead;

	/** Files walked so far: the order small contents are packed in. */
	private long sequence;

	BackupRun(BackupSession session, Path root, Manifest.Entries previous, Packer packer, RunThreads threads,
			ExecutorService readers, ExecutorService uploads, long largeFileThreshold, int queueLength,
			BackupStats stats, java.util.function.Consumer<Path> beforeRead) {
		this.threads = threads;
		this.session = session;
		this.root = root;
		this.previous = previous;
		this.packer = packer;
		this.readers = readers;
		this.uploads = uploads;
		this.largeFileThreshold = largeFileThreshold;
		this.queue = new ArrayBlockingQueue<>(Math.max(1, queueLength / HAND_OVER));
		this.stats = stats;
		this.beforeRead = beforeRead;
	}

	/** Walks, stores and writes the manifest to {@code out}; returns the number of entries. */
	long run(OutputStream out) {
		Thread walker = new Thread(this::walk, this.threads.name("backup-walker"));
		walker.setDaemon(true);
		walker.start();
		try (Manifest.Writer manifest = new Manifest.Writer(out, this.previous.members())) {
			for (List<CompletableFuture<SnapshotEntry>> batch = this.queue.take(); batch != LAST; batch = this.queue.take()) {
				for (CompletableFuture<SnapshotEntry> next : batch) {
					SnapshotEntry entry = await(next);
					if (entry != null) {
						manifest.write(entry);
					}
				}
			}
			this.packer.finish();
			// every entry is resolved: its packs and blobs are stored, and recorded before the manifest names them
			this.session.index().flush();
			manifest.close();
			this.stats.manifest(manifest.members(), manifest.copied());
			return manifest.entries();
		}
		catch (InterruptedException ex) {
			// cancelled, or the job's lease was lost: nothing of this run may go on in the background
			stop(walker);
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Backup interrupted", ex);
		}
		catch (RuntimeException | Error ex) {
			stop(walker);
			throw ex;
		}
	}

	private SnapshotEntry await(CompletableFuture<SnapshotEntry> entry) throws InterruptedException {
		long since = System.nanoTime();
		while (true) {
			// a look-up is a round trip to the service for a mover: a batch is resolved before it is full only when
			// nothing would fill it (every small file walked has joined it, and the walk is over or waits for this
			// writer), or when an entry has waited long (a slow share: its files reach S3 all the same)
			if (!entry.isDone() && ((this.reading.get() == 0 && (this.walked || this.queue.remainingCapacity() == 0))
					|| System.nanoTime() - since > PARTIAL_BATCH_AFTER.toNanos())) {
				this.packer.flush();
			}
			try {
				return entry.get(20, TimeUnit.MILLISECONDS);
			}
			catch (TimeoutException ex) {
				// checked again above
			}
			catch (ExecutionException ex) {
				Throwable cause = ex.getCause();
				throw (cause instanceof RuntimeException runtime) ? runtime : new IllegalStateException(cause);
			}
		}
	}

	/**
	 * Ends the run's walker and its reads and uploads in the shared pools before the run's failure
	 * goes up: a walker left blocked on a full queue, or readers still hashing and uploading, would
	 * work on for a backup that has ended. Waits with the caller's interrupt put aside.
	 */
	private void stop(Thread walker) {
		boolean interrupted = Thread.interrupted();
		this.stopped = true;
		this.threads.stop();
		try {
			long deadline = System.nanoTime() + STOP_WAIT.toNanos();
			while (walker.isAlive() && System.nanoTime() < deadline) {
				this.queue.clear();
				walker.join(10);
			}
			this.queue.clear();
			if (walker.isAlive() || !this.threads.awaitIdle(STOP_WAIT)) {
				log.warn("Backup of {} stopped, but some of its threads are still busy", this.root);
			}
		}
		catch (InterruptedException ex) {
			interrupted = true;
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void walk() {
		try {
			walk(this.root, "");
			this.walked = true;
			put(END);
		}
		catch (RuntimeException | IOException ex) {
			// the failure and the end must reach the writer, whatever interrupted this thread
			Thread.interrupted();
			put(CompletableFuture.failedFuture((ex instanceof IOException io) ? new UncheckedIOException(io) : ex));
			put(END);
		}
	}

	private void walk(Path folder, String relative) throws IOException {
		List<Path> children = new ArrayList<>();
		try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder)) {
			stream.forEach(child -> children.add(child.getFileName()));
		}
		catch (NoSuchFileException ex) {
			skip(relative, "it was deleted while the backup read it");
			return;
		}
		children.sort(java.util.Comparator.comparing(Path::toString));
		// the readers are mostly idle when few files changed, and then reading attributes is all the walk does
		try (FolderStats ahead = new FolderStats(folder, children, WALK_ATTRIBUTES, this.readers)) {
			walk(folder, relative, children, ahead);
		}
	}

	private void walk(Path folder, String relative, List<Path> children, FolderStats ahead) throws IOException {
		for (int i = 0; i < children.size(); i++) {
			if (this.stopped) {
				return;
			}
			Path child = children.get(i);
			String name = child.toString();
			String relativePath = relative.isEmpty() ? name : relative + "/" + name;
			// the name as the manifest will hold it: a name that is not valid UTF-8 does not survive this
			Path path = folder.resolve(name);
			Map<String, Object> attributes;
			try {
				attributes = ahead.get(i);
			}
			catch (NoSuchFileException ex) {
				if (Files.exists(folder.resolve(child), LinkOption.NOFOLLOW_LINKS)) {
					skip(relativePath, "its name is not valid UTF-8");
				}
				else {
					skip(relativePath, "it was deleted while the backup read it");
				}
				continue;
			}
			int bits = (Integer) attributes.get("mode");
			String mode = Integer.toOctalString(bits & 07777);
			var mtime = ((FileTime) attributes.get("lastModifiedTime")).toInstant();
			int type = bits & TYPE_BITS;
			if (type == DIRECTORY) {
				put(CompletableFuture.completedFuture(new SnapshotEntry(relativePath, SnapshotEntry.DIR, mode, mtime,
						null, null, null, null, null, null, null)));
				walk(path, relativePath);
				// what was read ahead of the subfolder is as old as its walk
				ahead.reread(i + 1);
			}
			else if (type == SYMLINK) {
				String target;
				try {
					target = Files.readSymbolicLink(path).toString();
				}
				catch (NoSuchFileException ex) {
					skip(relativePath, "it was deleted while the backup read it");
					continue;
				}
				put(CompletableFuture.completedFuture(new SnapshotEntry(relativePath, SnapshotEntry.SYMLINK, mode,
						mtime, null, null, null, null, null, target, null)));
			}
			else if (type == REGULAR) {
				SnapshotEntry file = new SnapshotEntry(relativePath, SnapshotEntry.FILE, mode, mtime,
						(Long) attributes.get("size"), null, null, null, null, null, (Long) attributes.get("ino"));
				this.stats.files.incrementAndGet();
				this.stats.bytes.addAndGet(file.size());
				put(store(path, file, this.sequence++));
			}
			// sockets, pipes and devices are not content
		}
	}

	private void skip(String path, String why) {
		this.stats.skip(path, why);
		log.warn("Backup of {} leaves out {}: {}", this.root, escape(path), why);
	}

	/** A path as a log line can hold it: control characters and undecodable bytes made visible. */
	public static String escape(String path) {
		StringBuilder escaped = new StringBuilder();
		path.codePoints().forEach(c -> {
			if (Character.isISOControl(c) || c == 0xFFFD) {
				escaped.append(String.format("\\u%04x", c));
			}
			else {
				escaped.appendCodePoint(c);
			}
		});
		return escaped.toString();
	}

	private CompletableFuture<SnapshotEntry> store(Path path, SnapshotEntry file, long order) {
		SnapshotEntry before = previousEntry(file.path());
		if (before != null && before.unchanged(file)) {
			// the previous manifest existed when this backup's lease was taken: a collection that condemns its
			// content later waits for this backup, and one that condemned it before re-reads that manifest (or a
			// pack rewrite wrote it again before condemning the old pack) and keeps what it references
			return CompletableFuture.completedFuture(file.storedAt(before.location()));
		}
		if (file.size() > this.largeFileThreshold) {
			return CompletableFuture.supplyAsync(() -> storeLarge(path, file), this.readers);
		}
		this.reading.incrementAndGet();
		return CompletableFuture.supplyAsync(() -> readSmall(path, file), this.readers)
			.<CompletableFuture<SnapshotEntry>>handle((content, failure) -> {
				try {
					if (failure != null) {
						return CompletableFuture.failedFuture(failure);
					}
					return (content == null) ? CompletableFuture.completedFuture(null)
							: this.packer.add(order, Sha256.of(content), content)
								.thenApply(location -> new SnapshotEntry(file.path(), file.type(), file.mode(),
										file.mtime(), (long) content.length, null, null, null, null, null, file.inode())
									.storedAt(location));
				}
				finally {
					// after add: once none is reading and the walk is over, every small file is in a batch
					this.reading.decrementAndGet();
				}
			})
			.thenCompose(stored -> stored);
	}

	private SnapshotEntry previousEntry(String path) {
		while (this.previous.hasNext() && PathOrder.INSTANCE.compare(this.previous.peek().path(), path) < 0) {
			this.previous.next();
		}
		return (this.previous.hasNext() && this.previous.peek().path().equals(path)) ? this.previous.next() : null;
	}

	/** A small file's content, or null when it vanished or was replaced since the walk saw it. */
	private byte[] readSmall(Path path, SnapshotEntry file) {
		this.beforeRead.accept(path);
		try {
			byte[] content;
			// never through a link: a file swapped for one since the walk would store whatever it points at,
			// readable by anyone who may restore this storage
			try (SeekableByteChannel channel = Files.newByteChannel(path, READ_NOT_FOLLOWING)) {
				content = readAll(channel);
			}
			this.stats.filesRead.incrementAndGet();
			this.stats.bytesRead.addAndGet(content.length);
			return content;
		}
		catch (NoSuchFileException ex) {
			skip(file.path(), "it was deleted while the backup read it");
			return null;
		}
		catch (IOException ex) {
			if (!regularFile(path)) {
				// a link (the open refused to follow it) or a folder now
				skip(file.path(), "it was replaced while the backup read it");
				return null;
			}
			throw new UncheckedIOException("Could not read " + path, ex);
		}
	}

	private static final java.util.Set<java.nio.file.OpenOption> READ_NOT_FOLLOWING = java.util.Set
		.of(java.nio.file.StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

	private static boolean regularFile(Path path) {
		try {
			return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
				.isRegularFile();
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** All of the channel's content, as {@link Files#readAllBytes} reads a file: its size first, then what is left. */
	private static byte[] readAll(SeekableByteChannel channel) throws IOException {
		long size = channel.size();
		if (size > Integer.MAX_VALUE - 8) {
			throw new IOException("Too large to read into memory: " + size + " bytes");
		}
		java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) size);
		while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
			// until full or at its end
		}
		if (buffer.hasRemaining()) {
			return java.util.Arrays.copyOf(buffer.array(), buffer.position());
		}
		// it grew since its size was read: the rest as it comes
		byte[] rest = java.nio.channels.Channels.newInputStream(channel).readAllBytes();
		if (rest.length == 0) {
			return buffer.array();
		}
		byte[] all = java.util.Arrays.copyOf(buffer.array(), buffer.capacity() + rest.length);
		System.arraycopy(rest, 0, all, buffer.capacity(), rest.length);
		return all;
	}

	/**
	 * Hashes a large file and stores it unless the project has its content already. The hash pass's
	 * SHA-256 (one PUT) or each part's CRC32C (a multipart upload, whose file is also checked unchanged
	 * by its stat before it completes) is declared on the upload, and S3 refuses bytes that do not match,
	 * so what is stored under a sha256 is always that content; a file that changes meanwhile is hashed
	 * and stored again, and left out if it never holds still.
	 */
	private SnapshotEntry storeLarge(Path path, SnapshotEntry walked) {
		for (int attempt = 1;; attempt++) {
			SnapshotEntry file;
			Stat stat;
			try {
				// read again here, with the ctime the walk does not ask for: what is hashed is described as it is now
				Map<String, Object> attributes = Files.readAttributes(path, STAT_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
				if (((Integer) attributes.get("mode") & TYPE_BITS) != REGULAR) {
					// replaced by a link or folder since the walk: reading it would follow the link
					skip(walked.path(), "it was replaced while the backup read it");
					return null;
				}
				stat = Stat.of(attributes);
				file = new SnapshotEntry(walked.path(), walked.type(),
						Integer.toOctalString((Integer) attributes.get("mode") & 07777), stat.mtime(), stat.size(),
						null, null, null, null, null, stat.inode());
				return storeLargeOnce(path, file, stat);
			}
			catch (NoSuchFileException ex) {
				skip(walked.path(), "it was deleted while the backup read it");
				return null;
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not read " + path, ex);
			}
			catch (ChangedContentException ex) {
				if (attempt == CHANGED_FILE_ATTEMPTS) {
					skip(walked.path(), "it kept changing while the backup read it");
					return null;
				}
			}
		}
	}

	private SnapshotEntry storeLargeOnce(Path path, SnapshotEntry file, Stat stat) throws IOException {
		this.beforeRead.accept(path);
		ObjectStore store = this.session.objects();
		FileDigest digest = FileDigest.of(path, store.partSize(stat.size()));
		this.stats.filesRead.incrementAndGet();
		this.stats.bytesRead.addAndGet(digest.size());
		if (digest.size() != stat.size() || !stat.equals(Stat.of(path))) {
			throw new ChangedContentException(path, null);
		}
		ContentLocation location = this.session.index().findBlob(digest.sha256());
		if (location == null) {
			ObjectRef blob = ObjectRef.blob(digest.sha256());
			try {
				store.putContent(blob, path, digest, this.uploads, () -> unchanged(path, stat));
			}
			catch (RuntimeException ex) {
				// a file cut short while it is sent fails the request, not the checksum
				if (!(ex instanceof ChangedContentException) && !unchanged(path, stat)) {
					throw new ChangedContentException(path, ex);
				}
				throw ex;
			}
			location = ContentLocation.blob(digest.sha256(), digest.size(),
					this.session.layout().key(this.session.project(), blob));
			this.session.index().record(List.of(location));
			this.stats.stored(digest.size());
			this.stats.uploaded(digest.size());
		}
		return file.storedAt(location);
	}

	private static boolean unchanged(Path path, Stat stat) {
		try {
			return stat.equals(Stat.of(path));
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** What tells a file changed: its size, mtime, ctime (a write that restored the mtime) and inode. */
	record Stat(long size, java.time.Instant mtime, java.time.Instant ctime, long inode) {

		static Stat of(Map<String, Object> attributes) {
			return new Stat((Long) attributes.get("size"), ((FileTime) attributes.get("lastModifiedTime")).toInstant(),
					((FileTime) attributes.get("ctime")).toInstant(), (Long) attributes.get("ino"));
		}

		static Stat of(Path path) throws IOException {
			return of(Files.readAttributes(path, STAT_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS));
		}

	}

	private void put(CompletableFuture<SnapshotEntry> entry) {
		try {
			if (entry == END) {
				if (!this.batch.isEmpty() && !this.stopped) {
					this.queue.put(this.batch);
				}
				this.queue.put(LAST);
			}
			else if (!this.stopped) {
				this.batch.add(entry);
				if (this.batch.size() == HAND_OVER) {
					this.queue.put(this.batch);
					this.batch = new ArrayList<>(HAND_OVER);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
