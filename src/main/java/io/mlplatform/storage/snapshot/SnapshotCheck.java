package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Verifies one snapshot against the bucket, reading S3 only (no share, no database): every file entry
 * of the manifest must resolve, checked against a listing of the project's objects without reading
 * them (its blob exists with the file's size, its range lies inside its pack); and a sample of the
 * content, a fraction of the packs and blobs by bytes, is read and every file in it checked against
 * its sha256. A sampled pack is read once, front to back, whatever number of files it holds.
 * Which content is read is {@link ContentSample}'s choice: successive runs read different content.
 */
public final class SnapshotCheck {

	/** Problems listed in a result; the rest are only counted, so a wrecked bucket cannot make a huge row. */
	public static final int MAX_PROBLEMS = 100;

	/** Files whose entries one group of sampled objects holds in memory at most (about 40 MB of entries). */
	static final int BATCH_FILES = 100_000;

	private final ObjectStore store;

	private final ContentListing listing;

	private final SnapshotLayout layout;

	private final String project;

	private final Executor reads;

	private final int parallelism;

	private final List<CheckResult.Problem> problems = new ArrayList<>();

	private long problemCount;

	private final AtomicBoolean stopped = new AtomicBoolean();

	private final int batchFiles;

	public SnapshotCheck(ObjectStore store, ContentListing listing, SnapshotLayout layout, String project,
			Executor reads, int parallelism) {
		this(store, listing, layout, project, reads, parallelism, BATCH_FILES);
	}

	/** @param batchFiles files held in memory at most: see {@link #batches} */
	SnapshotCheck(ObjectStore store, ContentListing listing, SnapshotLayout layout, String project, Executor reads,
			int parallelism, int batchFiles) {
		this.batchFiles = batchFiles;
		this.store = store;
		this.listing = listing;
		this.layout = layout;
		this.project = project;
		this.reads = reads;
		this.parallelism = parallelism;
	}

	/**
	 * @param dataFraction of the referenced bytes to read, in (0, 1]
	 * @param cursor where on the ring this run starts reading
	 */
	public CheckResult check(ObjectRef manifest, double dataFraction, long cursor, CheckProgress progress) {
		if (!(dataFraction > 0 && dataFraction <= 1)) {
			throw new IllegalArgumentException("dataFraction must be in (0, 1]: " + dataFraction);
		}
		Path file = null;
		try {
			file = Files.createTempFile("pss-verify-", ".json.gz");
			try (InputStream in = this.store.get(manifest)) {
				Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (ObjectNotFoundException ex) {
				problem("", "manifest " + this.layout.key(this.project, manifest) + " missing");
				return result(progress, cursor);
			}
			Map<String, Long> packs = this.listing.sizes(ObjectRef.Kind.PACK);
			Map<String, Long> blobs = this.listing.sizes(ObjectRef.Kind.BLOB);
			Map<ContentSample.Item, Long> referenced = new HashMap<>();
			Map<ContentSample.Item, long[]> files = new HashMap<>();
			if (!read(file, entry -> resolve(entry, packs, blobs, referenced, files))) {
				return result(progress, cursor);
			}
			ContentSample sample = ContentSample.of(referenced, dataFraction, cursor);
			long filesTotal = 0;
			long bytesTotal = 0;
			for (ContentSample.Item object : sample.objects()) {
				filesTotal += files.get(object)[0];
				bytesTotal += files.get(object)[1];
			}
			progress.filesTotal.set(filesTotal);
			progress.bytesTotal.set(bytesTotal);
			for (Set<ContentSample.Item> batch : batches(sample.objects(), files, this.batchFiles)) {
				Map<String, List<SnapshotEntry>> packMembers = new HashMap<>();
				Map<String, List<SnapshotEntry>> blobFiles = new HashMap<>();
				read(file, entry -> {
					ContentSample.Item object = object(entry);
					if (object != null && batch.contains(object) && resolvable(entry, packs, blobs)) {
						(entry.packed() ? packMembers : blobFiles).computeIfAbsent(object.id(), id -> new ArrayList<>())
							.add(entry);
					}
				});
				readSample(packMembers, blobFiles, progress);
			}
			return result(progress, sample.cursorEnd());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not verify " + manifest, ex);
		}
		finally {
			if (file != null) {
				try {
					Files.deleteIfExists(file);
				}
				catch (IOException ex) {
					// a temporary file left behind is harmless
				}
			}
		}
	}

	/**
	 * The sampled objects in groups of at most {@code limit} files (an object with more is a group of its
	 * own): the files of one group are held in memory while its objects are read, so a verification of millions
	 * of files reads the manifest (a local file) once per group rather than holding all of its entries.
	 */
	private static List<Set<ContentSample.Item>> batches(Set<ContentSample.Item> sampled,
			Map<ContentSample.Item, long[]> files, int limit) {
		List<Set<ContentSample.Item>> batches = new ArrayList<>();
		Set<ContentSample.Item> batch = new HashSet<>();
		long held = 0;
		for (ContentSample.Item object : sampled) {
			long count = files.get(object)[0];
			if (!batch.isEmpty() && held + count > limit) {
				batches.add(batch);
				batch = new HashSet<>();
				held = 0;
			}
			batch.add(object);
			held += count;
		}
		if (!batch.isEmpty()) {
			batches.add(batch);
		}
		return batches;
	}

	/** Reads every entry of a manifest; false (and a problem) when the manifest itself is damaged. */
	private boolean read(Path file, Consumer<SnapshotEntry> each) throws IOException {
		try (Manifest.Reader entries = new Manifest.Reader(Files.newInputStream(file))) {
			while (entries.hasNext()) {
				stopIfInterrupted();
				SnapshotEntry entry = entries.next();
				if (entry.isFile()) {
					each.accept(entry);
				}
			}
			return true;
		}
		catch (RuntimeException ex) {
			// a damaged manifest fails its gzip CRC or its JSON; nothing of it can be trusted
			if (Thread.currentThread().isInterrupted()) {
				throw ex;
			}
			problem("", "manifest unreadable: " + ex.getMessage());
			return false;
		}
	}

	/** The object a file's content lives in; null for an entry that names none. */
	private static ContentSample.Item object(SnapshotEntry entry) {
		if (entry.packed()) {
			return new ContentSample.Item(ObjectRef.Kind.PACK, entry.pack());
		}
		return entry.sha256() == null ? null : new ContentSample.Item(ObjectRef.Kind.BLOB, entry.sha256());
	}

	/** The structural check of one file entry: its content's object exists, big enough for it. */
	private void resolve(SnapshotEntry entry, Map<String, Long> packs, Map<String, Long> blobs,
			Map<ContentSample.Item, Long> referenced, Map<ContentSample.Item, long[]> files) {
		String path = entry.path();
		if (entry.sha256() == null || entry.size() == null || (entry.blob() == null) == (entry.pack() == null)) {
			problem(path, "entry names no content (sha256, size and one of blob or pack are required)");
			return;
		}
		if (entry.packed()) {
			Long size = packs.get(entry.pack());
			long offset = entry.offset() == null ? -1 : entry.offset();
			if (size == null) {
				problem(path, "pack " + entry.pack() + " missing");
			}
			else if (offset < 0 || offset + entry.size() > size) {
				problem(path, "pack " + entry.pack() + " is " + size + " bytes, entry needs " + offset + ".."
						+ (offset + entry.size()));
			}
			else {
				count(new ContentSample.Item(ObjectRef.Kind.PACK, entry.pack()), size, entry, referenced, files);
			}
			return;
		}
		if (!entry.blob().equals(this.layout.blob(this.project, entry.sha256()))) {
			problem(path, "blob key " + entry.blob() + " is not the key of content " + entry.sha256());
			return;
		}
		Long size = blobs.get(entry.sha256());
		if (size == null) {
			problem(path, "blob " + entry.sha256() + " missing");
		}
		else if (size.longValue() != entry.size()) {
			problem(path, "blob " + entry.sha256() + " is " + size + " bytes, entry needs " + entry.size());
		}
		else {
			count(new ContentSample.Item(ObjectRef.Kind.BLOB, entry.sha256()), size, entry, referenced, files);
		}
	}

	/** An object a file resolved to: its size for the sample, and the files (and bytes) it holds. */
	private static void count(ContentSample.Item object, long size, SnapshotEntry entry,
			Map<ContentSample.Item, Long> referenced, Map<ContentSample.Item, long[]> files) {
		referenced.put(object, size);
		long[] held = files.computeIfAbsent(object, o -> new long[2]);
		held[0]++;
		held[1] += entry.size();
	}

	/** Whether {@link #resolve} found nothing wrong with an entry: only such entries are read. */
	private static boolean resolvable(SnapshotEntry entry, Map<String, Long> packs, Map<String, Long> blobs) {
		if (entry.packed()) {
			Long size = packs.get(entry.pack());
			return size != null && entry.offset() != null && entry.offset() >= 0 && entry.offset() + entry.size() <= size;
		}
		Long size = blobs.get(entry.sha256());
		return size != null && size.longValue() == entry.size();
	}

	/** Reads the sampled packs and blobs, a few at a time, each checked as it streams in. */
	private void readSample(Map<String, List<SnapshotEntry>> packMembers, Map<String, List<SnapshotEntry>> blobFiles,
			CheckProgress progress) {
		Semaphore inFlight = new Semaphore(this.parallelism);
		List<CompletableFuture<Void>> tasks = new ArrayList<>();
		try {
			packMembers.forEach((pack, members) -> tasks.add(submit(inFlight, () -> checkPack(pack, members, progress))));
			blobFiles.forEach((sha256, files) -> tasks.add(submit(inFlight, () -> checkBlob(sha256, files, progress))));
			// interruptibly, unlike join(): a cancel or a lost lease interrupts the job's thread here
			CompletableFuture.allOf(tasks.toArray(CompletableFuture[]::new)).get();
		}
		catch (InterruptedException ex) {
			this.stopped.set(true);
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Verification interrupted", ex);
		}
		catch (java.util.concurrent.ExecutionException ex) {
			this.stopped.set(true);
			if (ex.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException("Verification failed", ex.getCause());
		}
		catch (RuntimeException ex) {
			this.stopped.set(true);
			throw ex;
		}
	}

	private CompletableFuture<Void> submit(Semaphore inFlight, Runnable read) {
		try {
			inFlight.acquire();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Verification interrupted", ex);
		}
		stopIfInterrupted();
		try {
			return CompletableFuture.runAsync(() -> {
				try {
					if (!this.stopped.get()) {
						read.run();
					}
				}
				finally {
					inFlight.release();
				}
			}, this.reads);
		}
		catch (RuntimeException ex) {
			inFlight.release();
			throw ex;
		}
	}

	/** Streams a pack once, front to back, hashing each member's range on the way. */
	private void checkPack(String pack, List<SnapshotEntry> members, CheckProgress progress) {
		members.sort(Comparator.comparingLong(SnapshotEntry::offset).thenComparingLong(SnapshotEntry::size));
		ObjectRef ref = ObjectRef.pack(pack);
		MessageDigest digest = Sha256.digest();
		byte[] buffer = new byte[64 * 1024];
		try (InputStream in = this.store.get(ref)) {
			long position = 0;
			long lastOffset = -1;
			long lastSize = -1;
			String lastSha = null;
			for (SnapshotEntry member : members) {
				if (this.stopped.get()) {
					return;
				}
				String actual;
				if (member.offset() == lastOffset && member.size() == lastSize) {
					actual = lastSha;
				}
				else if (member.offset() < position) {
					// overlapping ranges come only from a damaged manifest: read this one on its own
					actual = hash(this.store.get(ref, member.offset(), member.size()), member.size(), digest, buffer);
				}
				else {
					in.skipNBytes(member.offset() - position);
					actual = hash(in, member.size(), digest, buffer);
					position = member.offset() + member.size();
				}
				lastOffset = member.offset();
				lastSize = member.size();
				lastSha = actual;
				if (actual == null) {
					problem(member.path(), "pack " + pack + " ended before " + (member.offset() + member.size()) + " bytes");
				}
				else if (!actual.equals(member.sha256())) {
					problem(member.path(), "content sha256 mismatch in pack " + pack + " at offset " + member.offset());
				}
				progress.files.incrementAndGet();
				progress.bytes.addAndGet(member.size());
			}
		}
		catch (ObjectNotFoundException ex) {
			members.forEach(member -> problem(member.path(), "pack " + pack + " missing"));
		}
		catch (java.io.EOFException ex) {
			members.forEach(member -> problem(member.path(), "pack " + pack + " ended early"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + ref, ex);
		}
	}

	/** The sha256 of the next {@code length} bytes; null when the stream ends before them. */
	private static String hash(InputStream in, long length, MessageDigest digest, byte[] buffer) throws IOException {
		digest.reset();
		long left = length;
		while (left > 0) {
			int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
			if (n < 0) {
				return null;
			}
			digest.update(buffer, 0, n);
			left -= n;
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	private void checkBlob(String sha256, List<SnapshotEntry> files, CheckProgress progress) {
		ObjectRef ref = ObjectRef.blob(sha256);
		long size = files.get(0).size();
		String actual;
		try (InputStream in = this.store.get(ref)) {
			actual = hash(in, size, Sha256.digest(), new byte[1 << 20]);
			if (actual != null && in.read() >= 0) {
				actual = "longer than " + size + " bytes";
			}
		}
		catch (ObjectNotFoundException ex) {
			files.forEach(file -> problem(file.path(), "blob " + sha256 + " missing"));
			return;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + ref, ex);
		}
		for (SnapshotEntry file : files) {
			if (!sha256.equals(actual)) {
				problem(file.path(), "content sha256 mismatch in blob " + sha256);
			}
			progress.files.incrementAndGet();
			progress.bytes.addAndGet(file.size());
		}
	}

	private synchronized void problem(String path, String what) {
		this.problemCount++;
		if (this.problems.size() < MAX_PROBLEMS) {
			this.problems.add(new CheckResult.Problem(path, what));
		}
	}

	private synchronized CheckResult result(CheckProgress progress, long cursorEnd) {
		List<CheckResult.Problem> sorted = new ArrayList<>(this.problems);
		sorted.sort(Comparator.comparing(CheckResult.Problem::path, PathOrder.INSTANCE)
			.thenComparing(CheckResult.Problem::what));
		return new CheckResult(progress.files(), progress.bytes(), List.copyOf(sorted), this.problemCount, cursorEnd);
	}

	private static void stopIfInterrupted() {
		if (Thread.currentThread().isInterrupted()) {
			throw new IllegalStateException("Verification interrupted");
		}
	}

}
