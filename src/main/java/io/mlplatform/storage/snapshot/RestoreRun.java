package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.slf4j.LoggerFactory;

/**
 * One restore of a snapshot (or some of its paths) into a folder. The manifest is read in passes:
 * checked as a whole before anything is written; folders and files (packed files fetched as
 * coalesced ranges, one GET per run of neighbouring contents, in parallel, each content verified
 * against its sha256 before it is written); symlinks, only after every file so that nothing is
 * written through one; in {@link RestoreMode#REPLACE} the removal of what the snapshot lacks; and
 * last the folders' modes and times, which writing into them would have changed.
 */
final class RestoreRun {

	/** Neighbouring contents of a pack this far apart are still fetched in one GET. */
	private static final long GAP = 256 * 1024;

	/** The most one GET fetches: enough to amortise the request, small enough to spread over threads. */
	private static final long SPAN = 8 * 1024 * 1024;

	private final ObjectStore store;

	private final SnapshotLayout layout;

	private final String project;

	private final Path manifest;

	private final Path target;

	private final List<String> scopes;

	private final RestoreMode mode;

	private final ExecutorService transfers;

	/** The shared pools' threads while they work for this run; stopped with it. */
	private final RunThreads threads;

	private final Semaphore inFlight;

	/** Runs the ranges of a blob; not {@link #transfers}, whose threads wait for them. */
	private final ExecutorService parts;

	private final Set<String> folders = new HashSet<>();

	private final AtomicReference<Throwable> failure = new AtomicReference<>();

	private final List<CompletableFuture<Void>> tasks = new ArrayList<>();

	private final AtomicLong files;

	private final AtomicLong bytes;

	private final String temporaryPrefix = ".pss-restore-" + UUID.randomUUID() + "-";

	private final AtomicLong temporaries = new AtomicLong();

	private long removed;

	/** Packed files waiting to be grouped into runs; bounds memory to this many entries. */
	private static final int WINDOW = 8192;

	private final List<SnapshotEntry> window = new ArrayList<>();

	RestoreRun(RestoreSession session, Path manifest, Path target, List<String> scopes, RestoreMode mode,
			RunThreads threads, ExecutorService transfers, ExecutorService parts, int parallelism,
			RestoreProgress progress) {
		this.threads = threads;
		this.files = progress.files;
		this.bytes = progress.bytes;
		this.store = session.objects();
		this.layout = session.layout();
		this.project = session.project();
		this.manifest = manifest;
		this.target = target;
		this.scopes = scopes;
		this.mode = mode;
		this.transfers = transfers;
		this.parts = parts;
		this.inFlight = new Semaphore(parallelism);
	}

	RestoreResult run() throws IOException {
		try {
			return restore();
		}
		catch (IOException | RuntimeException | Error ex) {
			stop();
			throw ex;
		}
	}

	/**
	 * Ends the run's transfers in the shared pools before its failure goes up (a cancel or a lost
	 * lease interrupts the job's thread): fetches still under way would go on writing into the
	 * storage for a restore that has ended. Waits with the caller's interrupt put aside.
	 */
	private void stop() {
		boolean interrupted = Thread.interrupted();
		this.threads.stop();
		try {
			if (!this.threads.awaitIdle(java.time.Duration.ofSeconds(10))) {
				LoggerFactory.getLogger(RestoreRun.class).warn("Restore into {} stopped, but some of its threads are still busy", this.target);
			}
		}
		finally {
			if (interrupted || Thread.interrupted()) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private RestoreResult restore() throws IOException {
		check();
		Files.createDirectories(this.target);
		this.folders.add("");
		each(entry -> {
			if (entry.isDir()) {
				folder(entry.path());
			}
			else if (entry.isFile()) {
				folder(parent(entry.path()));
				schedule(entry);
			}
		});
		flushWindow();
		awaitTasks();
		each(entry -> {
			if (entry.isSymlink()) {
				symlink(entry);
			}
		});
		if (this.mode == RestoreMode.REPLACE) {
			prune();
		}
		each(entry -> {
			if (entry.isDir()) {
				setMetadata(this.target.resolve(entry.path()), entry);
			}
		});
		return new RestoreResult(this.files.get(), this.bytes.get(), this.removed);
	}

	/** Refuses the whole manifest before writing anything if any entry could escape the target. */
	private void check() throws IOException {
		try (Manifest.Reader entries = new Manifest.Reader(Files.newInputStream(this.manifest))) {
			String last = null;
			String symlink = null;
			boolean matched = this.scopes.isEmpty();
			while (entries.hasNext()) {
				SnapshotEntry entry = entries.next();
				String path = SafePaths.check(entry.path());
				if (last != null && PathOrder.INSTANCE.compare(last, path) >= 0) {
					throw SnapshotException.outOfOrder(path);
				}
				if (symlink != null && PathOrder.within(path, symlink)) {
					throw SnapshotException.unsafePath(path);
				}
				if (entry.isSymlink()) {
					symlink = path;
				}
				else if (!entry.isDir() && !entry.isFile()) {
					throw SnapshotException.unsafePath(path);
				}
				if (entry.isFile() && (entry.sha256() == null || entry.size() == null
						|| (entry.blob() == null) == (entry.pack() == null))) {
					throw SnapshotException.unsafePath(path);
				}
				if (entry.isFile() && entry.blob() != null
						&& !entry.blob().equals(this.layout.blob(this.project, entry.sha256()))) {
					throw SnapshotException.unsafePath(path);
				}
				if (entry.isFile() && entry.pack() != null
						&& (!entry.pack().matches("[A-Za-z0-9-]{1,64}") || entry.offset() == null || entry.offset() < 0)) {
					throw SnapshotException.unsafePath(path);
				}
				matched |= SafePaths.selected(path, this.scopes);
				last = path;
			}
			if (!matched) {
				throw SnapshotException.notFound(String.join(", ", this.scopes));
			}
		}
	}

	private void each(Consumer<SnapshotEntry> action) throws IOException {
		try (Manifest.Reader entries = new Manifest.Reader(Files.newInputStream(this.manifest))) {
			while (entries.hasNext()) {
				SnapshotEntry entry = entries.next();
				if (SafePaths.selected(entry.path(), this.scopes)) {
					action.accept(entry);
				}
			}
		}
	}

	private static String parent(String path) {
		int slash = path.lastIndexOf('/');
		return (slash < 0) ? "" : path.substring(0, slash);
	}

	/** Makes a real folder (never a symlink) at a path and at each of its ancestors. */
	private void folder(String path) {
		if (this.folders.contains(path)) {
			return;
		}
		folder(parent(path));
		Path folder = this.target.resolve(path);
		try {
			BasicFileAttributes attributes = attributes(folder);
			if (attributes != null && !attributes.isDirectory()) {
				delete(folder);
				attributes = null;
			}
			if (attributes == null) {
				Files.createDirectory(folder);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.folders.add(path);
	}

	private static BasicFileAttributes attributes(Path path) throws IOException {
		try {
			return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
		}
		catch (NoSuchFileException ex) {
			return null;
		}
	}

	private void schedule(SnapshotEntry file) {
		if (!file.packed()) {
			submit(() -> restoreBlob(file));
			return;
		}
		this.window.add(file);
		if (this.window.size() >= WINDOW) {
			flushWindow();
		}
	}

	/**
	 * Fetches the packed files seen so far: sorted by pack and offset (parallel readers pack files
	 * in roughly, not exactly, path order, and dedup points back at older packs), then cut into runs
	 * of neighbouring contents, one GET each.
	 */
	private void flushWindow() {
		this.window.sort(java.util.Comparator.comparing(SnapshotEntry::pack).thenComparing(SnapshotEntry::offset));
		PackRun run = null;
		for (SnapshotEntry file : this.window) {
			if (run != null && !run.accepts(file)) {
				PackRun full = run;
				submit(() -> restorePacked(full));
				run = null;
			}
			if (run == null) {
				run = new PackRun(file.pack(), file.offset());
			}
			run.add(file);
		}
		if (run != null) {
			PackRun last = run;
			submit(() -> restorePacked(last));
		}
		this.window.clear();
	}

	private void submit(Runnable task) {
		Throwable failed = this.failure.get();
		if (failed != null) {
			throw (failed instanceof RuntimeException runtime) ? runtime : new IllegalStateException(failed);
		}
		try {
			this.inFlight.acquire();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Restore interrupted", ex);
		}
		this.tasks.add(CompletableFuture.runAsync(() -> {
			try {
				task.run();
			}
			catch (RuntimeException | Error ex) {
				this.failure.compareAndSet(null, ex);
				throw ex;
			}
			finally {
				this.inFlight.release();
			}
		}, this.transfers));
		if (this.tasks.size() > 1024) {
			this.tasks.removeIf(CompletableFuture::isDone);
		}
	}

	private void awaitTasks() {
		for (CompletableFuture<Void> task : this.tasks) {
			try {
				task.exceptionally(ex -> null).get();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Restore interrupted", ex);
			}
			catch (java.util.concurrent.ExecutionException ex) {
				// exceptionally() leaves none; a failure is in this.failure
			}
		}
		Throwable failed = this.failure.get();
		if (failed != null) {
			throw (failed instanceof RuntimeException runtime) ? runtime : new IllegalStateException(failed);
		}
	}

	private void restorePacked(PackRun run) {
		if (run.end == run.start) {
			run.files.forEach(file -> write(file, new byte[0]));
			return;
		}
		// a response cut short or reset mid-body is fetched again: every content is checked before it is written
		for (int attempt = 1;; attempt++) {
			try {
				fetch(run);
				return;
			}
			catch (IOException ex) {
				if (attempt == ObjectStore.BODY_ATTEMPTS) {
					throw new UncheckedIOException("Could not fetch " + ObjectRef.pack(run.pack), ex);
				}
			}
		}
	}

	private void fetch(PackRun run) throws IOException {
		ObjectRef key = ObjectRef.pack(run.pack);
		try (InputStream in = this.store.get(key, run.start, run.end - run.start)) {
			long position = run.start;
			long lastOffset = -1;
			byte[] last = null;
			for (SnapshotEntry file : run.files) {
				byte[] content;
				if (file.offset() == lastOffset && last != null && last.length == file.size()) {
					content = last;
				}
				else {
					in.skipNBytes(file.offset() - position);
					content = in.readNBytes(Math.toIntExact(file.size()));
					if (content.length != file.size()) {
						throw new ShortReadException(key);
					}
					position = file.offset() + content.length;
				}
				write(file, content);
				last = content;
				lastOffset = file.offset();
			}
		}
		catch (java.io.EOFException ex) {
			throw new ShortReadException(key);
		}
	}

	private static final class ShortReadException extends IOException {

		ShortReadException(ObjectRef key) {
			super("Response for " + key + " ended early");
		}

	}

	/**
	 * Verifies a packed file's content, then writes it. A path where nothing is yet gets the file
	 * directly (created exclusively, so never through a symlink planted there); over an existing file
	 * it goes into a temporary file beside it that is then moved in place: never through what is there
	 * (a hard link's other names keep their content), and a reader sees the old or the new file whole.
	 */
	private void write(SnapshotEntry file, byte[] content) {
		String actual = Sha256.of(content);
		if (!actual.equals(file.sha256())) {
			throw SnapshotException.contentMismatch(file.path(), file.sha256(), actual);
		}
		Path path = this.target.resolve(file.path());
		Path written = path;
		boolean done = false;
		try {
			FileChannel opened;
			try {
				opened = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
			}
			catch (FileAlreadyExistsException ex) {
				written = temporary(path);
				opened = FileChannel.open(written, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
			}
			try (FileChannel out = opened) {
				ByteBuffer buffer = ByteBuffer.wrap(content);
				while (buffer.hasRemaining()) {
					out.write(buffer);
				}
			}
			setMetadata(written, file);
			if (written != path) {
				moveInPlace(written, path);
			}
			done = true;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not write " + file.path(), ex);
		}
		finally {
			if (!done) {
				SnapshotEngine.deleteQuietly(written);
			}
		}
		this.files.incrementAndGet();
		this.bytes.addAndGet(content.length);
	}

	/** A name no other file has: one random prefix per restore, then a counter (no random draw per file). */
	private Path temporary(Path path) {
		return path.resolveSibling(this.temporaryPrefix + this.temporaries.incrementAndGet());
	}

	/** Replaces whatever is at a path (a file, a symlink, a folder) with a finished temporary file. */
	private static void moveInPlace(Path temporary, Path path) throws IOException {
		try {
			Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (IOException ex) {
			// a folder is in the way: the snapshot has a file here
			delete(path);
			Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
	}

	/**
	 * Fetches a blob into a temporary file beside its path, in ranges fetched in parallel, verifies it,
	 * and only then moves it in place: a file that fails its sha256 never appears.
	 */
	private void restoreBlob(SnapshotEntry file) {
		Path path = this.target.resolve(file.path());
		Path temporary = temporary(path);
		boolean moved = false;
		try {
			try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
				long part = this.store.partSize();
				List<CompletableFuture<Void>> parts = new ArrayList<>();
				for (long offset = 0; offset < file.size(); offset += part) {
					long start = offset;
					long length = Math.min(part, file.size() - offset);
					parts.add(CompletableFuture.runAsync(() -> fetchRange(ObjectRef.blob(file.sha256()), start, length, out), this.parts));
				}
				CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).join();
			}
			String actual = Sha256.of(temporary);
			if (!actual.equals(file.sha256())) {
				throw SnapshotException.contentMismatch(file.path(), file.sha256(), actual);
			}
			setMetadata(temporary, file);
			moveInPlace(temporary, path);
			moved = true;
			this.files.incrementAndGet();
			this.bytes.addAndGet(file.size());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not restore " + file.path(), ex);
		}
		catch (java.util.concurrent.CompletionException ex) {
			throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : ex;
		}
		finally {
			if (!moved) {
				SnapshotEngine.deleteQuietly(temporary);
			}
		}
	}

	/** Fetches a range of a blob into the same range of a file; a response cut off mid-body resumes. */
	private void fetchRange(ObjectRef key, long start, long length, FileChannel out) {
		byte[] buffer = new byte[256 * 1024];
		long position = start;
		for (int attempt = 1; position < start + length; attempt++) {
			try (InputStream in = this.store.get(key, position, start + length - position)) {
				for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
					if (Thread.currentThread().isInterrupted()) {
						// the restore was stopped: a socket read does not notice an interrupt
						throw new IllegalStateException("Restore interrupted while fetching " + key);
					}
					ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
					while (chunk.hasRemaining()) {
						position += out.write(chunk, position);
					}
				}
				if (position != start + length) {
					throw new java.io.EOFException("Response for " + key + " ended early");
				}
			}
			catch (IOException ex) {
				if (attempt == ObjectStore.BODY_ATTEMPTS) {
					throw new UncheckedIOException("Could not fetch " + key, ex);
				}
			}
		}
	}

	private void symlink(SnapshotEntry link) {
		folder(parent(link.path()));
		Path path = this.target.resolve(link.path());
		try {
			delete(path);
			Files.createSymbolicLink(path, Path.of(link.target()));
			Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
				.setTimes(FileTime.from(link.mtime()), null, null);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not restore symlink " + link.path(), ex);
		}
	}

	private static void setMetadata(Path path, SnapshotEntry entry) {
		try {
			Files.setPosixFilePermissions(path, permissions(entry.permissions()));
			// an access time given (the file was just written: now) spares the stat that keeps the old one
			Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
				.setTimes(FileTime.from(entry.mtime()), FileTime.from(java.time.Instant.now()), null);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not set mode and time of " + entry.path(), ex);
		}
	}

	private static Set<PosixFilePermission> permissions(int mode) {
		Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
		PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
		for (int i = 0; i < 9; i++) {
			if ((mode & (1 << (8 - i))) != 0) {
				permissions.add(bits[i]);
			}
		}
		return permissions;
	}

	/** Removes, below each restored scope, what the snapshot does not have: target and manifest merged in order. */
	private void prune() throws IOException {
		try (Manifest.Reader entries = new Manifest.Reader(Files.newInputStream(this.manifest))) {
			if (this.scopes.isEmpty()) {
				prune("", entries);
				return;
			}
			for (String scope : this.scopes) {
				SnapshotEntry entry = find(entries, scope);
				if (entry != null && entry.isDir()) {
					entries.next();
					prune(scope, entries);
				}
			}
		}
	}

	private static SnapshotEntry find(Manifest.Reader entries, String path) {
		while (entries.hasNext() && PathOrder.INSTANCE.compare(entries.peek().path(), path) < 0) {
			entries.next();
		}
		return (entries.hasNext() && entries.peek().path().equals(path)) ? entries.peek() : null;
	}

	private void prune(String folder, Manifest.Reader entries) throws IOException {
		Path directory = folder.isEmpty() ? this.target : this.target.resolve(folder);
		List<String> names = new ArrayList<>();
		try (DirectoryStream<Path> children = Files.newDirectoryStream(directory)) {
			children.forEach(child -> names.add(child.getFileName().toString()));
		}
		names.sort(null);
		for (String name : names) {
			String path = folder.isEmpty() ? name : folder + "/" + name;
			SnapshotEntry entry = find(entries, path);
			if (entry == null) {
				delete(this.target.resolve(path));
				this.removed++;
			}
			else {
				entries.next();
				BasicFileAttributes attributes = attributes(this.target.resolve(path));
				if (entry.isDir() && attributes != null && attributes.isDirectory()) {
					prune(path, entries);
				}
			}
		}
	}

	/** Deletes a file, a symlink (never what it points to) or a whole folder. */
	private static void delete(Path path) throws IOException {
		BasicFileAttributes attributes = attributes(path);
		if (attributes == null) {
			return;
		}
		if (!attributes.isDirectory()) {
			Files.delete(path);
			return;
		}
		Files.walkFileTree(path, new SimpleFileVisitor<>() {

			@Override
			public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
				Files.delete(file);
				return FileVisitResult.CONTINUE;
			}

			@Override
			public FileVisitResult postVisitDirectory(Path dir, IOException ex) throws IOException {
				if (ex != null) {
					throw ex;
				}
				Files.delete(dir);
				return FileVisitResult.CONTINUE;
			}

		});
	}

	/** Neighbouring contents of one pack, fetched with one ranged GET. */
	private static final class PackRun {

		final String pack;

		final long start;

		long end;

		long lastOffset;

		final List<SnapshotEntry> files = new ArrayList<>();

		PackRun(String pack, long start) {
			this.pack = pack;
			this.start = start;
			this.end = start;
			this.lastOffset = start;
		}

		boolean accepts(SnapshotEntry file) {
			return file.pack().equals(this.pack) && file.offset() >= this.lastOffset && file.offset() <= this.end + GAP
					&& Math.max(this.end, file.offset() + file.size()) - this.start <= SPAN;
		}

		void add(SnapshotEntry file) {
			this.files.add(file);
			this.lastOffset = file.offset();
			this.end = Math.max(this.end, file.offset() + file.size());
		}

	}

}
