package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The backup engine: snapshots of folders in the project's part of the backup bucket (SPEC §5). Back
 * up a folder as snapshot X of storage S in project P; restore a snapshot, or some of its paths; list
 * and read its entries; apply retention; collect garbage.
 */
public class Snapshots implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

	/** Project, storage and backup ids become parts of S3 keys: plain names only. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

	/** User metadata of a manifest: when its backup started, what retention counts by (S3's dates have seconds). */
	private static final String SNAPSHOT_TIME = "snapshot-time";

	private final S3Store store;

	private final ContentIndex index;

	private final GarbageCollector collector;

	private final SnapshotLayout layout;

	private final BackupProperties properties;

	private final Clock clock;

	private final ExecutorService readers;

	private final ExecutorService transfers;

	/** Ranges of one blob being restored, fetched while a transfer thread waits for them. */
	private final ExecutorService parts;

	private final ScheduledExecutorService leaseTimer;

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	/** Runs before a backup reads a changed file: where tests make it vanish. */
	volatile Consumer<Path> beforeRead = path -> {
	};

	/** Runs once a backup's content is stored, before its manifest is: where tests hold a backup still. */
	volatile Runnable beforeManifest = () -> {
	};

	public Snapshots(S3Store store, DataSource dataSource, BackupProperties properties, Clock clock) {
		this.store = store;
		this.layout = new SnapshotLayout(properties.s3().prefix());
		this.db = JdbcClient.create(dataSource);
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		this.index = new ContentIndex(this.db, this.transactions, this.layout);
		this.collector = new GarbageCollector(store, this.layout, dataSource, new PackRewriter(store, this.layout,
				Math.toIntExact(properties.packSize().toBytes()), properties.packRewriteBelow()));
		this.properties = properties;
		this.clock = clock;
		this.readers = Executors.newFixedThreadPool(properties.readers(), daemon("backup-reader"));
		this.transfers = Executors.newFixedThreadPool(properties.uploads(), daemon("backup-transfer"));
		this.parts = Executors.newFixedThreadPool(properties.uploads(), daemon("backup-part"));
		this.leaseTimer = Executors.newSingleThreadScheduledExecutor(daemon("backup-lease"));
	}

	private static ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return runnable -> {
			Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	static String name(String kind, String value) {
		if (value == null || !NAME.matcher(value).matches()) {
			throw new IllegalArgumentException("Invalid " + kind + " name: " + value);
		}
		return value;
	}

	/**
	 * Backs up a folder as a new snapshot. The manifest is uploaded last: until then the snapshot does
	 * not exist, and a crash leaves only content that the next run finds in the index and reuses.
	 */
	public BackupResult backup(String project, String storage, String backup, Path folder) {
		return backup(project, storage, backup, folder, new BackupProgress());
	}

	/** As {@link #backup(String, String, String, Path)}, counting into {@code progress} as it goes. */
	public BackupResult backup(String project, String storage, String backup, Path folder, BackupProgress progress) {
		name("project", project);
		name("storage", storage);
		name("backup", backup);
		String manifestKey = this.layout.manifest(project, storage, name("backup", backup));
		Instant started = this.clock.instant();
		long start = System.nanoTime();
		// beside the backup, not before it: uploads left by an interrupted run are old, and none of this run's are
		CompletableFuture<Void> abortion = CompletableFuture.runAsync(() -> abortAbandonedUploads(project), this.transfers)
			.exceptionally(ex -> {
				// cleanup of an earlier run's leftovers: the next backup tries again
				log.warn("Could not abort abandoned multipart uploads of project {}", project, ex);
				return null;
			});
		Path previousFile = null;
		Path manifestFile = null;
		// taken before the previous manifest is read: from then on, all of that manifest's content stays
		try (BackupLease lease = BackupLease.acquire(this.db, this.transactions, this.leaseTimer, project, storage,
				BackupLease.Kind.BACKUP, this.properties.leaseTtl())) {
			previousFile = Files.createTempFile("pss-manifest-", ".json.gz");
			manifestFile = Files.createTempFile("pss-manifest-", ".json.gz");
			BackupStats stats = progress.stats;
			long entries;
			long compared;
			long walked;
			try (ManifestDownload download = previousManifest(project, storage, previousFile);
					Manifest.Entries previous = (download != null)
							? new Manifest.ReadAhead(download.reader(), "backup-previous-manifest [backup " + backup + "]",
									this.properties.queueLength())
							: Manifest.Reader.empty();
					OutputStream out = Files.newOutputStream(manifestFile)) {
				compared = System.nanoTime();
				int packSize = Math.toIntExact(this.properties.packSize().toBytes());
				RunThreads threads = new RunThreads("backup " + backup);
				ExecutorService transfers = threads.on(this.transfers);
				Packer packer = new Packer(project, this.index, this.layout, this.store, transfers, lease, stats,
						packSize, Math.max(1, Math.min(4, this.properties.uploads() / 2)));
				entries = new BackupRun(project, folder, previous, this.index, this.layout, this.store, packer, lease,
						threads, threads.on(this.readers), transfers, this.properties.largeFileThreshold().toBytes(),
						this.properties.queueLength(), stats, this.beforeRead)
					.run(out);
				walked = System.nanoTime();
			}
			if (Thread.currentThread().isInterrupted()) {
				// cancelled while the last packs were stored: no snapshot
				throw new IllegalStateException("Backup " + backup + " interrupted before its manifest");
			}
			abortion.join();
			this.beforeManifest.run();
			lease.check();
			long size = Files.size(manifestFile);
			this.store.putFile(manifestKey, manifestFile, size, this.transfers,
					Map.of(SNAPSHOT_TIME, started.toString()));
			if (!lease.finish()) {
				// a collection may have run meanwhile: this manifest could reference content it removed
				this.store.delete(List.of(manifestKey));
				lease.check();
				throw new IllegalStateException("Backup lease " + lease.id() + " expired before the backup finished");
			}
			recordNewest(project, storage, backup, started);
			stats.uploaded(size);
			BackupResult result = stats.result(manifestKey, entries);
			// where the time went: finding the previous snapshot, the walk and its uploads, the manifest's PUT
			log.info("Backup {} of storage {} in project {}: {} entries, {} files read, {} bytes uploaded in {} ms "
					+ "(previous snapshot {} ms, walk and content {} ms, manifest {} ms; {} of its {} parts copied)",
					backup, storage, project, entries, result.filesRead(), result.bytesUploaded(),
					millis(start, System.nanoTime()), millis(start, compared), millis(compared, walked),
					millis(walked, System.nanoTime()), stats.manifestMembersCopied, stats.manifestMembers);
			return result;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (CompletionException ex) {
			throw (ex.getCause() instanceof RuntimeException cause) ? cause : ex;
		}
		finally {
			abortion.cancel(false);
			deleteQuietly(previousFile);
			deleteQuietly(manifestFile);
		}
	}

	/** Deletes one snapshot's manifest; its content is left to garbage collection. */
	void delete(String project, String storage, String backup) {
		this.store.delete(List.of(manifestKey(project, storage, backup)));
		forgetNewest(project, storage, List.of(backup));
	}

	/** If one of these was the storage's newest snapshot, its next backup looks for the newest in S3. */
	private void forgetNewest(String project, String storage, List<String> backups) {
		this.db.sql("DELETE FROM newest_snapshots WHERE project = ? AND storage = ? AND backup = ANY (?)")
			.params(project, storage, backups.toArray(String[]::new))
			.update();
	}

	/** Makes this snapshot the one the storage's next backup compares against, unless a newer one is. */
	private void recordNewest(String project, String storage, String backup, Instant time) {
		try {
			this.db.sql("""
					INSERT INTO newest_snapshots (project, storage, backup, snapshot_time) VALUES (?, ?, ?, ?)
					ON CONFLICT (project, storage) DO UPDATE SET backup = EXCLUDED.backup, snapshot_time = EXCLUDED.snapshot_time
					WHERE newest_snapshots.snapshot_time <= EXCLUDED.snapshot_time""")
				.params(project, storage, backup, time.atOffset(java.time.ZoneOffset.UTC))
				.update();
		}
		catch (RuntimeException ex) {
			// only a hint: the snapshot is stored, and the next backup finds it by listing
			log.warn("Could not record snapshot {} as the newest of storage {} in project {}", backup, storage, project,
					ex);
		}
	}

	private static long millis(long from, long to) {
		return (to - from) / 1_000_000;
	}

	private void abortAbandonedUploads(String project) {
		int aborted = this.store.abortUploads(this.layout.project(project),
				this.clock.instant().minus(this.properties.abandonedUploadAge()));
		if (aborted > 0) {
			log.info("Aborted {} multipart uploads left by an interrupted backup of project {}", aborted, project);
		}
	}

	/**
	 * The newest manifest of a storage, being fetched into {@code file}; null if the storage has none.
	 * Retention may delete it between listing and reading.
	 */
	private ManifestDownload previousManifest(String project, String storage, Path file) {
		Optional<String> recorded = this.db
			.sql("SELECT backup FROM newest_snapshots WHERE project = ? AND storage = ?")
			.param(project)
			.param(storage)
			.query(String.class)
			.optional();
		if (recorded.isPresent()) {
			try {
				return ManifestDownload.start(this.store, this.layout.manifest(project, storage, recorded.get()), file,
						this.transfers);
			}
			catch (NoSuchKeyException ex) {
				log.info("Snapshot {} of storage {} in project {} is gone; looking for the newest one left",
						recorded.get(), storage, project);
			}
		}
		for (int attempt = 1;; attempt++) {
			Optional<String> key = latest(project, storage);
			if (key.isEmpty()) {
				return null;
			}
			try {
				return ManifestDownload.start(this.store, key.get(), file, this.transfers);
			}
			catch (NoSuchKeyException ex) {
				if (attempt == 3) {
					throw SnapshotException.notFound(key.get());
				}
			}
		}
	}

	/** Restores a snapshot, or only the given paths (files or folders) of it, into a folder. */
	public RestoreResult restore(String project, String storage, String backup, Path target, List<String> paths,
			RestoreMode mode) {
		return restore(project, storage, backup, target, paths, mode, new RestoreProgress());
	}

	/** As {@link #restore(String, String, String, Path, List, RestoreMode)}, counting into {@code progress}. */
	public RestoreResult restore(String project, String storage, String backup, Path target, List<String> paths,
			RestoreMode mode, RestoreProgress progress) {
		List<String> scopes = SafePaths.scopes(paths);
		String key = manifestKey(project, storage, backup);
		Path manifest = null;
		// taken before the manifest is read: a collection deletes nothing it references until the restore ends
		try (BackupLease lease = BackupLease.acquire(this.db, this.transactions, this.leaseTimer, project, storage,
				BackupLease.Kind.RESTORE, this.properties.leaseTtl())) {
			manifest = download(key);
			RunThreads threads = new RunThreads("restore of backup " + backup + " into " + target.getFileName());
			return new RestoreRun(this.store, this.layout, project, manifest, target, scopes, mode, threads,
					threads.on(this.transfers), threads.on(this.parts), this.properties.uploads() * 2, progress)
				.run();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(manifest);
		}
	}

	String manifestKey(String project, String storage, String backup) {
		return this.layout.manifest(name("project", project), name("storage", storage), name("backup", backup));
	}

	/**
	 * The newest snapshot of a storage: the one the next backup compares against. S3's dates have
	 * whole seconds, so only manifests of the newest second are asked for their exact time.
	 */
	private Optional<String> latest(String project, String storage) {
		List<S3Object> manifests = snapshotObjects(project, storage).toList();
		Optional<Instant> newest = manifests.stream().map(S3Object::lastModified).max(Comparator.naturalOrder());
		if (newest.isEmpty()) {
			return Optional.empty();
		}
		List<S3Object> candidates = manifests.stream()
			.filter(o -> !o.lastModified().isBefore(newest.get().minusSeconds(1)))
			.toList();
		// one candidate is the newest whatever its exact time: no request for it
		return (candidates.size() == 1) ? Optional.of(candidates.get(0).key())
				: candidates.stream().max(Comparator.comparing(this::snapshotTime)).map(S3Object::key);
	}

	private Instant snapshotTime(S3Object manifest) {
		String time = this.store.metadata(manifest.key()).get(SNAPSHOT_TIME);
		return (time != null) ? Instant.parse(time) : manifest.lastModified();
	}

	Stream<S3Object> snapshotObjects(String project, String storage) {
		return this.store.list(this.layout.snapshots(project, storage))
			.filter(object -> SnapshotLayout.backupOf(object.key()) != null);
	}

	private Path download(String key) {
		Path file;
		try {
			file = Files.createTempFile("pss-manifest-", ".json.gz");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		// a response cut off mid-body (a reset connection) is fetched again
		for (int attempt = 1;; attempt++) {
			try (InputStream in = this.store.get(key)) {
				Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
				return file;
			}
			catch (NoSuchKeyException ex) {
				deleteQuietly(file);
				throw SnapshotException.notFound(key);
			}
			catch (IOException ex) {
				if (attempt == S3Store.BODY_ATTEMPTS) {
					deleteQuietly(file);
					throw new UncheckedIOException("Could not fetch " + key, ex);
				}
			}
		}
	}

	static void deleteQuietly(Path file) {
		if (file != null) {
			try {
				Files.deleteIfExists(file);
			}
			catch (IOException ex) {
				// a temporary file; the OS cleans its temp folder
			}
		}
	}

	/**
	 * One page of the entries directly inside a folder of a snapshot ({@code ""} for its root), in
	 * manifest order, starting after the entry named {@code after} (null for the first page).
	 */
	public SnapshotPage list(String project, String storage, String backup, String folder, String after, int limit) {
		String parent = (folder == null || folder.isEmpty() || folder.equals("/")) ? "" : SafePaths.check(strip(folder));
		List<SnapshotEntry> entries = new ArrayList<>();
		try (Manifest.Reader reader = open(manifestKey(project, storage, backup))) {
			while (reader.hasNext()) {
				SnapshotEntry entry = reader.next();
				if (!parentOf(entry.path()).equals(parent)
						|| (after != null && PathOrder.INSTANCE.compare(entry.path(), after) <= 0)) {
					continue;
				}
				if (entries.size() == limit) {
					return new SnapshotPage(entries, entries.get(limit - 1).path());
				}
				entries.add(entry);
			}
		}
		return new SnapshotPage(entries, null);
	}

	/** One entry of a snapshot by its path. */
	public Optional<SnapshotEntry> entry(String project, String storage, String backup, String path) {
		String wanted = SafePaths.check(strip(path));
		try (Manifest.Reader reader = open(manifestKey(project, storage, backup))) {
			while (reader.hasNext()) {
				SnapshotEntry entry = reader.next();
				if (entry.path().equals(wanted)) {
					return Optional.of(entry);
				}
			}
		}
		return Optional.empty();
	}

	/** A file's content: its blob, or its range of a pack. */
	public InputStream open(String project, SnapshotEntry file) {
		ContentRead read = read(project, file);
		return (read.range() == null) ? this.store.get(read.key())
				: (file.size() == 0) ? InputStream.nullInputStream() : this.store.get(read.key(), file.offset(), file.size());
	}

	/**
	 * A URL that reads a file without credentials until it expires: a blob as a whole, a packed file
	 * as a range of its pack, which the caller sends as the {@code Range} header the URL was signed with.
	 */
	public PresignedRead presign(String project, SnapshotEntry file, Duration lifetime) {
		ContentRead read = read(project, file);
		return new PresignedRead(this.store.presignGet(read.key(), read.range(), lifetime), read.range());
	}

	private ContentRead read(String project, SnapshotEntry file) {
		name("project", project);
		if (!file.isFile()) {
			throw new IllegalArgumentException(file.path() + " is not a file");
		}
		if (file.packed()) {
			return new ContentRead(this.layout.pack(project, name("pack", file.pack())),
					"bytes=" + file.offset() + "-" + (file.offset() + file.size() - 1));
		}
		return new ContentRead(this.layout.blob(project, file.sha256()), null);
	}

	private record ContentRead(String key, String range) {
	}

	private Manifest.Reader open(String manifestKey) {
		try {
			return new Manifest.Reader(this.store.get(manifestKey));
		}
		catch (NoSuchKeyException ex) {
			throw SnapshotException.notFound(manifestKey);
		}
	}

	private static String strip(String path) {
		String stripped = path.startsWith("/") ? path.substring(1) : path;
		return stripped.endsWith("/") ? stripped.substring(0, stripped.length() - 1) : stripped;
	}

	private static String parentOf(String path) {
		int slash = path.lastIndexOf('/');
		return (slash < 0) ? "" : path.substring(0, slash);
	}

	/** Deletes the manifests of a storage that the policy does not keep; returns the backup ids deleted. */
	public List<String> forget(String project, String storage, RetentionPolicy policy, ZoneId zone) {
		List<RetentionPolicy.Snapshot> all = snapshotObjects(project, storage)
			.map(o -> new RetentionPolicy.Snapshot(SnapshotLayout.backupOf(o.key()), snapshotTime(o)))
			.toList();
		Set<String> kept = new HashSet<>();
		policy.keep(all, zone).forEach(s -> kept.add(s.id()));
		List<String> expired = all.stream().map(RetentionPolicy.Snapshot::id).filter(id -> !kept.contains(id)).toList();
		this.store.delete(expired.stream().map(id -> this.layout.manifest(project, storage, id)).toList());
		if (!expired.isEmpty()) {
			forgetNewest(project, storage, expired);
			log.info("Retention deleted {} snapshots of storage {} in project {}", expired.size(), storage, project);
		}
		return expired;
	}

	/**
	 * Removes the project's content that no manifest references and that was not recorded within the
	 * grace period, in two phases: condemned first, deleted once the backups and restores that started
	 * before are done (see {@link GarbageCollector}).
	 */
	public GarbageCollector.Result collectGarbage(String project) {
		return this.collector.collect(name("project", project), this.properties.gcGrace());
	}

	@Override
	public void close() {
		this.readers.shutdownNow();
		this.transfers.shutdownNow();
		this.parts.shutdownNow();
		this.leaseTimer.shutdownNow();
	}

}
