package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.space.BackupObjects;
import io.mlplatform.storage.backup.space.StorageSpace;
import io.mlplatform.storage.snapshot.BackupProgress;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.CheckProgress;
import io.mlplatform.storage.snapshot.CheckResult;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.SnapshotCheck;
import io.mlplatform.storage.snapshot.PathOrder;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;
import io.mlplatform.storage.snapshot.SafePaths;
import io.mlplatform.storage.snapshot.SnapshotEngine;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.SnapshotException;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * The service's side of the backup engine (SPEC §5): runs the {@link SnapshotEngine} in this JVM on
 * PostgreSQL and S3 (executor {@code local}), and does what only the service does, where the content
 * index lives: find a storage's newest snapshot, list and read a snapshot's entries, apply retention,
 * collect garbage.
 */
public class Snapshots implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

	private final S3Store store;

	private final GarbageCollector collector;

	private final SnapshotLayout layout;

	private final BackupProperties properties;

	private final Clock clock;

	private final SnapshotEngine engine;

	private final ScheduledExecutorService leaseTimer;

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	public Snapshots(S3Store store, DataSource dataSource, BackupProperties properties, Clock clock) {
		this.store = store;
		this.layout = new SnapshotLayout(properties.s3().prefix());
		this.db = JdbcClient.create(dataSource);
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		this.collector = new GarbageCollector(store, this.layout, dataSource, new PackRewriter(store, this.layout,
				Math.toIntExact(properties.packSize().toBytes()), properties.packRewriteBelow()));
		this.properties = properties;
		this.clock = clock;
		this.engine = new SnapshotEngine(properties.engine(), clock);
		this.leaseTimer = Executors.newSingleThreadScheduledExecutor(SnapshotEngine.daemon("backup-lease"));
	}

	static String name(String kind, String value) {
		if (!ObjectRef.name(value)) {
			throw new IllegalArgumentException("Invalid " + kind + " name: " + value);
		}
		return value;
	}

	/** The engine this instance runs: where tests put their hooks. */
	SnapshotEngine engine() {
		return this.engine;
	}

	SnapshotLayout layout() {
		return this.layout;
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
		ObjectRef manifest = ObjectRef.manifest(name("storage", storage), name("backup", backup));
		try (LocalBackupSession session = new LocalBackupSession(this, project, storage)) {
			return this.engine.backup(session, manifest, folder, progress);
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
		name("project", project);
		ObjectRef manifest = ObjectRef.manifest(name("storage", storage), name("backup", backup));
		try (LocalRestoreSession session = new LocalRestoreSession(this, project, storage)) {
			return this.engine.restore(session, manifest, target, paths, mode, progress);
		}
	}

	/**
	 * Verifies a snapshot against the bucket (see {@link SnapshotCheck}). It reads S3 only, so it runs here,
	 * in the service's JVM, whatever executor the storage's cluster uses for backups: no share is read and no
	 * mover is needed. Under a restore's lease, so a collection deletes nothing the snapshot references
	 * while it is read.
	 * @param cursor where on the ring of content the sample starts
	 */
	public CheckResult verify(String project, String storage, String backup, double dataFraction, long cursor,
			CheckProgress progress) {
		name("project", project);
		ObjectRef manifest = ObjectRef.manifest(name("storage", storage), name("backup", backup));
		try (BackupLease lease = lease(project, storage, BackupLease.Kind.RESTORE)) {
			ProjectObjects objects = objects(project);
			return new SnapshotCheck(objects, objects, this.layout, project, this.engine.transfers(),
					this.properties.uploads()).check(manifest, dataFraction, cursor, progress);
		}
	}

	/**
	 * Takes a lease for a backup of a project's storage, or a restore from it, renewed by this instance
	 * until it is closed.
	 */
	BackupLease lease(String project, String storage, BackupLease.Kind kind) {
		return BackupLease.acquire(this.db, this.transactions, this.leaseTimer, project, storage, kind,
				this.properties.leaseTtl());
	}

	ProjectObjects objects(String project) {
		return new ProjectObjects(this.store, this.layout, project);
	}

	PostgresContentIndex index(String project, UUID lease) {
		return new PostgresContentIndex(this.db, this.transactions, this.layout, project, lease);
	}

	/**
	 * Aborts the multipart uploads an interrupted backup of the project left, beside the backup rather than
	 * before it: uploads left by an interrupted run are old, and none of this run's are.
	 */
	CompletableFuture<Void> abortAbandonedUploads(String project) {
		return CompletableFuture.runAsync(() -> {
			int aborted = this.store.abortUploads(this.layout.project(project),
					this.clock.instant().minus(this.properties.abandonedUploadAge()));
			if (aborted > 0) {
				log.info("Aborted {} multipart uploads left by an interrupted backup of project {}", aborted, project);
			}
		}, this.engine.transfers()).exceptionally(ex -> {
			// cleanup of an earlier run's leftovers: the next backup tries again
			log.warn("Could not abort abandoned multipart uploads of project {}", project, ex);
			return null;
		});
	}

	/** Deletes one snapshot's manifest; its content is left to garbage collection. */
	void delete(String project, String storage, String backup) {
		deleteManifests(project, storage, List.of(backup));
		forgetNewest(project, storage, List.of(backup));
	}

	/**
	 * Deletes manifests, keeping the backup space right: each snapshot is uncounted from its storage's
	 * share first (its manifest read before, outside any transaction), and its object stops counting once
	 * the DELETE succeeded. A crash in between leaves a manifest uncounted from its storage (never counted
	 * again, and deleted by the next retention) or counted in the project until the next collection.
	 */
	private void deleteManifests(String project, String storage, List<String> backups) {
		for (String backup : backups) {
			Map<String, Long> contents;
			try {
				contents = contents(manifestKey(project, storage, backup));
			}
			catch (SnapshotException ex) {
				// gone already: nothing of it counts
				continue;
			}
			this.transactions.executeWithoutResult(
					status -> StorageSpace.uncount(this.db, project, storage, backup, contents));
		}
		List<String> keys = backups.stream().map(id -> this.layout.manifest(project, storage, id)).toList();
		this.store.delete(keys);
		BackupObjects.forget(this.db, project, keys);
	}

	/**
	 * Counts a snapshot just committed in the project's backup space: its manifest's object, and its
	 * contents in its storage's share. Read from the bucket after the commit, outside any transaction; a
	 * failure is logged, and the next garbage collection counts what is missing.
	 */
	void committed(String project, String storage, String backup) {
		String key = manifestKey(project, storage, backup);
		try {
			// one GET gives all: the manifest's size, its snapshot time and what it references
			Map<String, Long> contents = new HashMap<>();
			long size;
			Instant time;
			try (ResponseInputStream<GetObjectResponse> in = this.store.get(key)) {
				size = in.response().contentLength();
				time = snapshotTime(in.response().metadata());
				Manifest.contents(in, contents);
			}
			BackupObjects.record(this.db, project, List.of(BackupObjects.Stored.manifest(key, storage, size)));
			if (time != null) {
				BackupObjects.rememberSnapshotTime(this.db, project, key, time);
			}
			this.transactions.executeWithoutResult(
					status -> StorageSpace.count(this.db, project, storage, backup, contents));
		}
		catch (NoSuchKeyException ex) {
			// deleted since its commit (retention of a later backup, or by hand): nothing of it counts
		}
		catch (IOException | RuntimeException ex) {
			log.warn("Could not count snapshot {} of storage {} in project {} in its backup space; the next garbage "
					+ "collection does: {}", backup, storage, project, ex.toString());
		}
	}

	/** The distinct contents a manifest references, by sha256, with their sizes. */
	Map<String, Long> contents(String manifestKey) {
		Map<String, Long> contents = new HashMap<>();
		try (InputStream in = this.store.get(manifestKey)) {
			Manifest.contents(in, contents);
		}
		catch (NoSuchKeyException ex) {
			throw SnapshotException.notFound(manifestKey);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return contents;
	}

	/** A storage's share of its project's backup space. */
	public StorageSpace.Space space(String project, String storage) {
		return StorageSpace.of(this.db, project, storage);
	}

	/** What a project keeps in the backup bucket, in bytes. */
	public long used(String project) {
		return BackupObjects.used(this.db, project);
	}

	/** If one of these was the storage's newest snapshot, its next backup looks for the newest in S3. */
	private void forgetNewest(String project, String storage, List<String> backups) {
		this.db.sql("DELETE FROM newest_snapshots WHERE project = ? AND storage = ? AND backup = ANY (?)")
			.params(project, storage, backups.toArray(String[]::new))
			.update();
	}

	/** Makes this snapshot the one the storage's next backup compares against, unless a newer one is. */
	void recordNewest(String project, String storage, String backup, Instant time) {
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

	String manifestKey(String project, String storage, String backup) {
		return this.layout.manifest(name("project", project), name("storage", storage), name("backup", backup));
	}

	/**
	 * The newest snapshot of a storage, the one its next backup compares against, unless it is
	 * {@code gone} (a backup found it missing): the one recorded, else the newest listed.
	 */
	Optional<ObjectRef> newest(String project, String storage, Optional<ObjectRef> gone) {
		if (gone.isEmpty()) {
			Optional<String> recorded = this.db
				.sql("SELECT backup FROM newest_snapshots WHERE project = ? AND storage = ?")
				.param(project)
				.param(storage)
				.query(String.class)
				.optional();
			if (recorded.isPresent()) {
				return recorded.map(backup -> ObjectRef.manifest(storage, backup));
			}
		}
		return latest(project, storage).map(key -> ObjectRef.manifest(storage, SnapshotLayout.backupOf(key)));
	}

	/**
	 * The newest snapshot of a storage, by listing. S3's dates have whole seconds, so only manifests of
	 * the newest second are asked for their exact time.
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
		if (candidates.size() == 1) {
			// the newest whatever its exact time
			return Optional.of(candidates.get(0).key());
		}
		Map<String, Instant> times = snapshotTimes(project, storage, candidates);
		return candidates.stream().max(Comparator.comparing(manifest -> times.get(manifest.key()))).map(S3Object::key);
	}

	/**
	 * The snapshot times of these manifests of a storage, by key: those PostgreSQL knows, and the others
	 * from their metadata (one HEAD each, kept for the next time) or, without any, from their dates.
	 */
	private Map<String, Instant> snapshotTimes(String project, String storage, List<S3Object> manifests) {
		Map<String, Instant> known = BackupObjects.snapshotTimes(this.db, project, storage);
		Map<String, Instant> times = new HashMap<>();
		for (S3Object manifest : manifests) {
			Instant time = known.get(manifest.key());
			if (time == null) {
				time = snapshotTime(this.store.metadata(manifest.key()));
				if (time != null) {
					BackupObjects.rememberSnapshotTime(this.db, project, manifest.key(), time);
				}
			}
			times.put(manifest.key(), (time != null) ? time : manifest.lastModified());
		}
		return times;
	}

	/** The snapshot time a manifest's metadata gives, or null without one. */
	private static Instant snapshotTime(Map<String, String> metadata) {
		String time = metadata.get(SnapshotEngine.SNAPSHOT_TIME);
		if (time == null) {
			return null;
		}
		try {
			return Instant.parse(time);
		}
		catch (java.time.format.DateTimeParseException ex) {
			return null;
		}
	}

	Stream<S3Object> snapshotObjects(String project, String storage) {
		return this.store.list(this.layout.snapshots(project, storage))
			.filter(object -> SnapshotLayout.backupOf(object.key()) != null);
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
		return forget(project, storage, policy, zone, Set.of());
	}

	/** As {@link #forget(String, String, RetentionPolicy, ZoneId)}, keeping {@code pinned} whatever the policy says. */
	public List<String> forget(String project, String storage, RetentionPolicy policy, ZoneId zone, Set<String> pinned) {
		List<String> expired = new java.util.ArrayList<>(unkept(project, storage, policy, zone));
		expired.removeAll(pinned);
		delete(project, storage, expired);
		return expired;
	}

	/** The storage's snapshots in the bucket that its retention policy does not keep; deletes nothing. */
	List<String> unkept(String project, String storage, RetentionPolicy policy, ZoneId zone) {
		List<S3Object> manifests = snapshotObjects(project, storage).toList();
		Map<String, Instant> times = snapshotTimes(project, storage, manifests);
		List<RetentionPolicy.Snapshot> all = manifests.stream()
			.map(o -> new RetentionPolicy.Snapshot(SnapshotLayout.backupOf(o.key()), times.get(o.key())))
			.toList();
		Set<String> kept = new HashSet<>();
		policy.keep(all, zone).forEach(s -> kept.add(s.id()));
		return all.stream().map(RetentionPolicy.Snapshot::id).filter(id -> !kept.contains(id)).toList();
	}

	/** Deletes these snapshots' manifests; their content stays until garbage collection finds it unreferenced. */
	void delete(String project, String storage, List<String> backups) {
		deleteManifests(project, storage, backups);
		if (!backups.isEmpty()) {
			forgetNewest(project, storage, backups);
			log.info("Retention deleted {} snapshots of storage {} in project {}", backups.size(), storage, project);
		}
	}

	TransactionTemplate transactions() {
		return this.transactions;
	}

	/**
	 * Removes the project's content that no manifest references and that was not recorded within the
	 * grace period, in two phases: condemned first, deleted once the backups and restores that started
	 * before are done (see {@link GarbageCollector}).
	 */
	public GarbageCollector.Result collectGarbage(String project) {
		return collectGarbage(project, this.properties.gcGrace());
	}

	/** As {@link #collectGarbage(String)}, with a grace period of its own: how tests collect content just stored. */
	GarbageCollector.Result collectGarbage(String project, Duration grace) {
		return this.collector.collect(name("project", project), grace);
	}

	@Override
	public void close() {
		this.engine.close();
		this.leaseTimer.shutdownNow();
	}

}
