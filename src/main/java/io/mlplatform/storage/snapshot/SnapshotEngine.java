package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup engine: backs a folder up as a snapshot, and restores a snapshot (or some of its paths)
 * into a folder, on the ports a session gives it. It knows no database, SDK or web framework, so the
 * service runs it in its JVM and a mover runs the same code next to the data.
 */
public final class SnapshotEngine implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(SnapshotEngine.class);

	/** User metadata of a manifest: when its backup started, what retention counts by (S3's dates have seconds). */
	public static final String SNAPSHOT_TIME = "snapshot-time";

	private final EngineSettings settings;

	private final Clock clock;

	private final ExecutorService readers;

	private final ExecutorService transfers;

	/** Ranges of one blob being restored, fetched while a transfer thread waits for them. */
	private final ExecutorService parts;

	/** Runs before a backup reads a changed file: where tests make it vanish. */
	public volatile Consumer<Path> beforeRead = path -> {
	};

	/** Runs once a backup's content is stored, before its manifest is: where tests hold a backup still. */
	public volatile Runnable beforeManifest = () -> {
	};

	public SnapshotEngine(EngineSettings settings, Clock clock) {
		this.settings = settings;
		this.clock = clock;
		this.readers = Executors.newFixedThreadPool(settings.readers(), daemon("backup-reader"));
		this.transfers = Executors.newFixedThreadPool(settings.uploads(), daemon("backup-transfer"));
		this.parts = Executors.newFixedThreadPool(settings.uploads(), daemon("backup-part"));
	}

	public static ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return runnable -> {
			Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	/** The pool a session may run its own transfers on (a cleanup beside the backup). */
	public ExecutorService transfers() {
		return this.transfers;
	}

	/**
	 * Backs up a folder as snapshot {@code backup} of the session's storage. The manifest is uploaded
	 * last and committed after: until then the snapshot does not exist, and a crash leaves only content
	 * that the next run finds in the index and reuses.
	 */
	public BackupResult backup(BackupSession session, ObjectRef manifest, Path folder, BackupProgress progress) {
		Instant started = this.clock.instant();
		long start = System.nanoTime();
		Path previousFile = null;
		Path manifestFile = null;
		try {
			previousFile = Files.createTempFile("pss-manifest-", ".json.gz");
			manifestFile = Files.createTempFile("pss-manifest-", ".json.gz");
			BackupStats stats = progress.stats;
			long entries;
			long compared;
			long walked;
			try (ManifestDownload download = previousManifest(session, previousFile);
					Manifest.Entries previous = (download != null)
							? new Manifest.ReadAhead(download.reader(), "backup-previous-manifest [backup " + manifest.id() + "]",
									this.settings.queueLength())
							: Manifest.Reader.empty();
					OutputStream out = Files.newOutputStream(manifestFile)) {
				compared = System.nanoTime();
				RunThreads threads = new RunThreads("backup " + manifest.id());
				ExecutorService transfers = threads.on(this.transfers);
				Packer packer = new Packer(session.objects(), session.index(), transfers, stats,
						this.settings.packSize(), packsInFlight());
				entries = new BackupRun(session, folder, previous, packer, threads, threads.on(this.readers), transfers,
						this.settings.largeFileThreshold(), this.settings.queueLength(), stats, this.beforeRead)
					.run(out);
				walked = System.nanoTime();
			}
			if (Thread.currentThread().isInterrupted()) {
				// cancelled while the last packs were stored: no snapshot
				throw new IllegalStateException("Backup " + manifest.id() + " interrupted before its manifest");
			}
			this.beforeManifest.run();
			session.lease().check();
			long size = Files.size(manifestFile);
			session.objects().putFile(manifest, manifestFile, size, this.transfers,
					Map.of(SNAPSHOT_TIME, started.toString()));
			stats.uploaded(size);
			BackupResult result = stats.result(session.layout().key(session.project(), manifest), entries);
			if (!session.commit(manifest, result, started)) {
				throw new LeaseLostException("Backup " + manifest.id() + " lost its lease before it was committed");
			}
			// where the time went: finding the previous snapshot, the walk and its uploads, the manifest's PUT
			log.info("Backup {} of storage {} in project {}: {} entries, {} files read, {} bytes uploaded in {} ms "
					+ "(previous snapshot {} ms, walk and content {} ms, manifest {} ms; {} of its {} parts copied)",
					manifest.id(), manifest.storage(), session.project(), entries, result.filesRead(),
					result.bytesUploaded(), millis(start, System.nanoTime()), millis(start, compared),
					millis(compared, walked), millis(walked, System.nanoTime()), stats.manifestMembersCopied,
					stats.manifestMembers);
			return result;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(previousFile);
			deleteQuietly(manifestFile);
		}
	}

	/**
	 * Sealed packs waiting for their PUT, each a buffer of a pack's size: one in a heap of
	 * {@link EngineSettings#moverHeap()} (a mover's), one more for each pack's worth of heap beyond it, at most 4
	 * and half the uploads.
	 */
	private int packsInFlight() {
		long fit = 1 + (Runtime.getRuntime().maxMemory() - this.settings.moverHeap()) / this.settings.packSize();
		return (int) Math.max(1, Math.min(Math.min(4, this.settings.uploads() / 2), fit));
	}

	private static long millis(long from, long to) {
		return (to - from) / 1_000_000;
	}

	/**
	 * The newest manifest of the storage, being fetched into {@code file}; null if the storage has none.
	 * Retention may delete it between finding and reading: then the next newest is asked for.
	 */
	private ManifestDownload previousManifest(BackupSession session, Path file) {
		Optional<ObjectRef> gone = Optional.empty();
		for (int attempt = 1;; attempt++) {
			Optional<ObjectRef> previous = session.previous(gone);
			if (previous.isEmpty()) {
				return null;
			}
			try {
				return ManifestDownload.start(session.objects(), previous.get(), file, this.transfers);
			}
			catch (ObjectNotFoundException ex) {
				log.info("Snapshot {} of project {} is gone; looking for the newest one left", previous.get(),
						session.project());
				if (attempt == 3) {
					throw SnapshotException.notFound(previous.get().toString());
				}
				gone = previous;
			}
		}
	}

	/** Restores a snapshot, or only the given paths (files or folders) of it, into a folder. */
	public RestoreResult restore(RestoreSession session, ObjectRef manifest, Path target, List<String> paths,
			RestoreMode mode, RestoreProgress progress) {
		List<String> scopes = SafePaths.scopes(paths);
		Path file = null;
		try {
			file = download(session.objects(), manifest);
			RunThreads threads = new RunThreads("restore of backup " + manifest.id() + " into " + target.getFileName());
			return new RestoreRun(session, file, target, scopes, mode, threads, threads.on(this.transfers),
					threads.on(this.parts), this.settings.uploads() * 2, progress)
				.run();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(file);
		}
	}

	/** An object fetched whole into a temporary file; a response cut off mid-body is fetched again. */
	private static Path download(ObjectStore objects, ObjectRef object) {
		Path file;
		try {
			file = Files.createTempFile("pss-manifest-", ".json.gz");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		for (int attempt = 1;; attempt++) {
			try (InputStream in = objects.get(object)) {
				Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
				return file;
			}
			catch (ObjectNotFoundException ex) {
				deleteQuietly(file);
				throw SnapshotException.notFound(object.toString());
			}
			catch (IOException ex) {
				if (attempt == ObjectStore.BODY_ATTEMPTS) {
					deleteQuietly(file);
					throw new UncheckedIOException("Could not fetch " + object, ex);
				}
			}
		}
	}

	/** Deletes a temporary file, if there is one; the OS cleans its temp folder of any it leaves. */
	public static void deleteQuietly(Path file) {
		if (file != null) {
			try {
				Files.deleteIfExists(file);
			}
			catch (IOException ex) {
				// a temporary file; the OS cleans its temp folder
			}
		}
	}

	@Override
	public void close() {
		this.readers.shutdownNow();
		this.transfers.shutdownNow();
		this.parts.shutdownNow();
	}

}
