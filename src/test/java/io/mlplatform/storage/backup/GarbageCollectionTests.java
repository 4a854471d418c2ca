package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.unit.DataSize;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.SnapshotEntry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GarbageCollectionTests extends BackupTestSupport {

	private Duration grace = Duration.ZERO;

	private final ScheduledExecutorService leaseTimer = Executors.newSingleThreadScheduledExecutor();

	/**
	 * Short, so that a backup paused past it shows its renewals at work; renewed every third of it, so a
	 * loaded 2-core machine that stalls the renewing thread a second does not lose it.
	 */
	private static final Duration LEASE_TTL = Duration.ofSeconds(2);

	@AfterEach
	void stopLeaseTimer() {
		this.leaseTimer.shutdownNow();
	}

	/** A lease as a backup of another storage takes it: that backup runs until the lease is closed. */
	private BackupLease runningBackup(String storage) {
		return BackupLease.acquire(this.db, new TransactionTemplate(new DataSourceTransactionManager(dataSource())),
				this.leaseTimer, this.project, storage, BackupLease.Kind.BACKUP, LEASE_TTL);
	}

	/** The objects a backup added to the bucket, its manifest left out. */
	private List<String> contentOf(Runnable backup) {
		Set<String> before = new HashSet<>(keys(""));
		backup.run();
		return keys("").stream().filter(key -> !before.contains(key) && !key.contains("/snapshots/")).toList();
	}

	/**
	 * Backs up {@code kept} as b1 of s1, and a tree of {@code files} others as g1 of s2 whose manifest
	 * is then deleted; returns g1's objects, now garbage.
	 */
	private List<String> garbageBeside(Path kept, int files) {
		this.snapshots.backup(this.project, "s1", "b1", kept);
		List<String> garbage = contentOf(() -> this.snapshots.backup(this.project, "s2", "g1", tree("garbage", files, 12)));
		this.store.delete(List.of(manifest("s2", "g1")));
		return garbage;
	}

	private String manifest(String storage, String backup) {
		return "pss/projects/" + this.project + "/snapshots/" + storage + "/" + backup + ".json.gz";
	}

	/** Every object a manifest references, and every object a live index row points at, exists. */
	private void assertNothingReferencedIsMissing() {
		Set<String> existing = new HashSet<>(keys(""));
		List<String> referenced = new ArrayList<>();
		for (String manifest : keys("snapshots/")) {
			try (Manifest.Reader entries = new Manifest.Reader(this.store.get(manifest))) {
				entries.forEachRemaining(entry -> {
					if (entry.pack() != null) {
						referenced.add("pss/projects/" + this.project + "/packs/" + entry.pack());
					}
					else if (entry.blob() != null) {
						referenced.add(entry.blob());
					}
				});
			}
		}
		referenced.addAll(this.db.sql("""
				SELECT CASE WHEN pack_id IS NULL THEN 'blobs/' || substr(sha256, 1, 2) || '/' || sha256
					ELSE 'packs/' || pack_id END
				FROM backup_contents WHERE project = ? AND condemned_at IS NULL""")
			.param(this.project)
			.query(String.class)
			.list()
			.stream()
			.map(key -> "pss/projects/" + this.project + "/" + key)
			.toList());
		assertThat(existing).containsAll(referenced);
	}

	private void assertRestores(String storage, String backup, Path source) {
		Path target = folder("restored-" + storage + "-" + backup);
		this.snapshots.restore(this.project, storage, backup, target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Override
	protected BackupProperties properties() {
		BackupProperties defaults = super.properties();
		return new BackupProperties(defaults.s3(), defaults.largeFileThreshold(), DataSize.ofKilobytes(32),
				defaults.readers(), defaults.uploads(), defaults.queueLength(), this.grace,
				defaults.abandonedUploadAge(), LEASE_TTL);
	}

	private Path tree(String name, int files, long seed) {
		Path folder = folder(name);
		for (int i = 0; i < files; i++) {
			write(folder.resolve("d" + (i % 5) + "/f" + i + ".bin"), random(2000 + i, seed * 100_000 + i));
		}
		write(folder.resolve("big.bin"), random(100 * 1024, seed));
		return folder;
	}

	/** Makes every content of the project look unused for a day: old enough for any grace period. */
	private void ageIndex() {
		this.db.sql("UPDATE backup_contents SET used_at = now() - interval '1 day' WHERE project = ?")
			.param(this.project)
			.update();
	}

	@Test
	void retentionThenCollectionRemovesOnlyContentNoSnapshotReferences() throws Exception {
		Path old = tree("old", 30, 1);
		this.snapshots.backup(this.project, "s1", "b1", old);
		List<String> oldObjects = keys("");
		Path current = tree("current", 30, 2);
		this.snapshots.backup(this.project, "s1", "b2", current);

		List<String> expired = this.snapshots.forget(this.project, "s1", new RetentionPolicy(1, null, null, null),
				ZoneOffset.UTC);
		GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);

		assertThat(expired).containsExactly("b1");
		assertThat(result.blobs()).isEqualTo(1);
		assertThat(result.packs()).isPositive();
		List<String> remaining = keys("");
		assertThat(remaining).noneMatch(key -> oldObjects.contains(key) && !key.contains("/snapshots/"));
		assertThat(remaining).doesNotContain("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz");
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(current));
		assertThat(this.db.sql("SELECT count(*) FROM backup_contents WHERE project = ?").param(this.project)
			.query(Long.class).single()).isEqualTo(31);
	}

	@Test
	void keepsContentUsedWithinTheGracePeriod() throws Exception {
		this.grace = Duration.ofHours(1);
		stopEngine();
		startEngine();
		this.snapshots.backup(this.project, "s1", "b1", tree("old", 10, 1));
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		List<String> content = keys("");

		GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);

		assertThat(result.packs() + result.blobs()).isZero();
		assertThat(keys("")).isEqualTo(content);
	}

	@Test
	void collectionDuringABackupNeverDeletesWhatThatBackupReferences() throws Exception {
		this.grace = Duration.ofHours(1);
		stopEngine();
		startEngine();
		// content of a forgotten snapshot, unused for a day: garbage, unless the next backup reuses it
		Path source = tree("source", 300, 3);
		this.snapshots.backup(this.project, "s1", "b1", source);
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		this.snapshots.backup(this.project, "s2", "garbage", tree("garbage", 50, 4));
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s2/garbage.json.gz"));
		ageIndex();
		for (int i = 0; i < 100; i++) {
			write(source.resolve("new/n" + i + ".bin"), random(1500, 9000 + i));
		}

		AtomicBoolean backingUp = new AtomicBoolean(true);
		AtomicInteger collections = new AtomicInteger();
		AtomicInteger removed = new AtomicInteger();
		CompletableFuture<Void> collector = CompletableFuture.runAsync(() -> {
			while (backingUp.get() || collections.get() == 0) {
				GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);
				removed.addAndGet(result.packs() + result.blobs());
				collections.incrementAndGet();
			}
		});
		try {
			this.snapshots.backup(this.project, "s1", "b2", source);
		}
		finally {
			backingUp.set(false);
		}
		collector.get(60, TimeUnit.SECONDS);
		GarbageCollector.Result after = this.snapshots.collectGarbage(this.project);

		assertThat(collections.get()).isPositive();
		assertThat(removed.get() + after.packs() + after.blobs()).isPositive();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}


	/** Holds the next backup still once its content is stored, before its manifest is written. */
	private final class Pause implements Runnable {

		final CountDownLatch reached = new CountDownLatch(1);

		final CountDownLatch released = new CountDownLatch(1);

		/**
		 * Backs up a folder as b1 of storage s1, changes one file, starts b2 and returns once b2 stands
		 * still before its manifest.
		 */
		CompletableFuture<BackupResult> incremental(Path source) throws InterruptedException {
			GarbageCollectionTests.this.snapshots.backup(GarbageCollectionTests.this.project, "s1", "b1", source);
			write(source.resolve("d0/changed.bin"), random(3000, 77));
			return backup("s1", "b2", source);
		}

		/** Starts a backup and returns once it stands still before its manifest. */
		CompletableFuture<BackupResult> backup(String storage, String backup, Path source) throws InterruptedException {
			GarbageCollectionTests.this.snapshots.engine().beforeManifest = this;
			CompletableFuture<BackupResult> running = CompletableFuture.supplyAsync(
					() -> GarbageCollectionTests.this.snapshots.backup(GarbageCollectionTests.this.project, storage, backup, source));
			assertThat(this.reached.await(60, TimeUnit.SECONDS)).isTrue();
			GarbageCollectionTests.this.snapshots.engine().beforeManifest = () -> {
			};
			return running;
		}

		@Override
		public void run() {
			this.reached.countDown();
			try {
				this.released.await(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	@Test
	void collectionDuringAPausedBackupKeepsWhatItReusesPastTheGracePeriodAndTheLeaseTtl() throws Exception {
		// grace zero: nothing but the running backup's lease protects the content it reuses
		Path source = tree("source", 60, 5);
		Pause pause = new Pause();
		CompletableFuture<BackupResult> running = pause.incremental(source);
		// retention deletes the base snapshot meanwhile, so no manifest references the reused content
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		ageIndex();
		List<String> content = keys("");

		GarbageCollector.Result during = this.snapshots.collectGarbage(this.project);
		Thread.sleep(LEASE_TTL.multipliedBy(2).plusMillis(500).toMillis()); // past the lease's TTL: its renewals keep it
		GarbageCollector.Result later = this.snapshots.collectGarbage(this.project);
		pause.released.countDown();
		BackupResult result = running.get(60, TimeUnit.SECONDS);

		// condemned, but not deleted: the backup started before the condemnation
		assertThat(during.condemned()).isPositive();
		assertThat(later.pending()).isPositive();
		assertThat(during.packs() + during.blobs() + later.packs() + later.blobs()).isZero();
		assertThat(keys("")).containsAll(content);
		assertThat(result.filesRead()).isEqualTo(1);
		// the backup's manifest references what it reused: no longer condemned, nothing waits
		GarbageCollector.Result after = this.snapshots.collectGarbage(this.project);
		assertThat(after.pending()).isZero();
		assertThat(after.packs() + after.blobs()).isZero();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void aBackupWhoseLeaseExpiredWritesNoSnapshot() throws Exception {
		Path source = tree("source", 20, 6);
		Pause pause = new Pause();
		CompletableFuture<BackupResult> running = pause.incremental(source);
		// as if the process had been paused past its lease: a collection then takes the project back
		this.db.sql("UPDATE backup_leases SET expires_at = now() - interval '1 second' WHERE project = ? AND finished_at IS NULL")
			.param(this.project)
			.update();
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		GarbageCollector.Result collected = this.snapshots.collectGarbage(this.project);
		pause.released.countDown();

		assertThat(collected.pending()).isZero();
		assertThat(collected.packs()).isPositive();
		assertThatThrownBy(() -> running.get(60, TimeUnit.SECONDS)).hasMessageContaining("lease");
		assertThat(keys("snapshots/")).isEmpty();
	}

	@Test
	void collectionForgetsContentWhoseObjectIsGoneAndRemovesObjectsTheIndexDoesNotKnow() throws Exception {
		Path source = tree("source", 20, 7);
		this.snapshots.backup(this.project, "s1", "b1", source);
		String pack = keys("packs/").get(0);
		String packId = pack.substring(pack.lastIndexOf('/') + 1);
		this.store.delete(List.of(pack));
		String stray = "pss/projects/" + this.project + "/packs/left-by-a-crash";
		this.store.put(stray, new byte[100], 100);

		this.snapshots.collectGarbage(this.project);

		assertThat(this.db.sql("SELECT count(*) FROM backup_contents WHERE project = ? AND pack_id = ?")
			.param(this.project).param(packId).query(Long.class).single()).isZero();
		assertThat(keys("packs/")).doesNotContain(stray);
		// the next backup stores the lost contents again, so its snapshot restores
		this.snapshots.backup(this.project, "s2", "b1", source);
		Path target = folder("target");
		this.snapshots.restore(this.project, "s2", "b1", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void garbageOfAProjectWhoseBackupsNeverAllStopIsRemovedOverTwoCollections() throws Exception {
		Path kept = tree("kept", 30, 11);
		List<String> garbage = garbageBeside(kept, 30);
		BackupLease first = runningBackup("s3");

		GarbageCollector.Result condemning = this.snapshots.collectGarbage(this.project);
		assertThat(condemning.condemned()).isEqualTo(garbage.size());
		assertThat(condemning.pending()).isEqualTo(garbage.size());
		assertThat(condemning.packs() + condemning.blobs()).isZero();
		assertThat(keys("")).containsAll(garbage);
		// backups keep coming: one runs and ends, another starts before the first one ends
		this.snapshots.backup(this.project, "s1", "b2", kept);
		BackupLease second = runningBackup("s4");
		first.close();

		GarbageCollector.Result removing = this.snapshots.collectGarbage(this.project);
		assertThat(removing.packs() + removing.blobs()).isEqualTo(garbage.size());
		assertThat(removing.pending()).isZero();
		assertThat(keys("")).doesNotContainAnyElementsOf(garbage);
		assertNothingReferencedIsMissing();
		second.close();
		assertRestores("s1", "b1", kept);
		assertRestores("s1", "b2", kept);
	}

	@Test
	void aBackupThatNeedsCondemnedContentAgainRevivesItAndItsSnapshotRestores() throws Exception {
		Path source = tree("source", 40, 21);
		List<String> content = contentOf(() -> this.snapshots.backup(this.project, "s1", "b1", source));
		this.store.delete(List.of(manifest("s1", "b1")));
		BackupLease other = runningBackup("s9");
		assertThat(this.snapshots.collectGarbage(this.project).condemned()).isEqualTo(content.size());
		// a backup of another storage with the same files: the same sha256s, a large blob and packed ones
		Pause pause = new Pause();
		CompletableFuture<BackupResult> running = pause.backup("s2", "b1", source);
		other.close();

		// every lease older than the condemnation is gone: phase 2 runs, and finds the contents revived
		GarbageCollector.Result during = this.snapshots.collectGarbage(this.project);
		pause.released.countDown();
		BackupResult result = running.get(60, TimeUnit.SECONDS);
		GarbageCollector.Result after = this.snapshots.collectGarbage(this.project);

		assertThat(during.packs() + during.blobs() + after.packs() + after.blobs()).isZero();
		assertThat(after.pending()).isZero();
		assertThat(result.bytesStored()).isZero();
		assertThat(keys("")).containsAll(content);
		assertNothingReferencedIsMissing();
		assertRestores("s2", "b1", source);
	}

	@Test
	void contentDeletedAndStoredAgainUnderItsKeyWhileCollectionsRunAlwaysRestores() throws Exception {
		Path source = tree("source", 40, 31);
		AtomicBoolean backingUp = new AtomicBoolean(true);
		AtomicInteger removed = new AtomicInteger();
		CompletableFuture<Void> collector = CompletableFuture.runAsync(() -> {
			while (backingUp.get()) {
				GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);
				removed.addAndGet(result.packs() + result.blobs());
			}
		});
		AtomicInteger stored = new AtomicInteger();
		try {
			// each snapshot's content becomes garbage once it is forgotten; the next backup needs all of it again
			for (int i = 0; i < 6; i++) {
				BackupResult result = this.snapshots.backup(this.project, "s1", "b" + i, source);
				stored.addAndGet(result.bytesStored() > 0 ? 1 : 0);
				assertRestores("s1", "b" + i, source);
				this.store.delete(List.of(manifest("s1", "b" + i)));
				if (i % 2 == 0) {
					// deleted for sure now and then, so that the next backup uploads the same keys again
					GarbageCollector.Result collected = this.snapshots.collectGarbage(this.project);
					removed.addAndGet(collected.packs() + collected.blobs());
				}
			}
			this.snapshots.backup(this.project, "s1", "last", source);
		}
		finally {
			backingUp.set(false);
		}
		collector.get(60, TimeUnit.SECONDS);
		this.snapshots.collectGarbage(this.project);

		// the collector deleted content that later backups stored again under the same keys
		assertThat(removed.get()).isPositive();
		assertThat(stored.get()).isGreaterThan(2);
		assertNothingReferencedIsMissing();
		assertRestores("s1", "last", source);
	}

	@Test
	void twoCollectorsAtOnceDeleteEachGarbageObjectOnceAndNothingElse() throws Exception {
		Path kept = tree("kept", 30, 41);
		List<String> garbage = garbageBeside(kept, 60);
		BackupLease running = runningBackup("s3");
		try (Snapshots other = new Snapshots(this.store, dataSource(), properties(), clock())) {
			List<GarbageCollector.Result> condemning = together(this.snapshots, other);
			running.close();
			List<GarbageCollector.Result> removing = together(this.snapshots, other);

			assertThat(condemning).extracting(GarbageCollector.Result::condemned).containsExactlyInAnyOrder(garbage.size(), 0);
			assertThat(condemning).allSatisfy(result -> assertThat(result.packs() + result.blobs()).isZero());
			assertThat(removing.stream().mapToInt(result -> result.packs() + result.blobs()).sum())
				.isEqualTo(garbage.size());
			assertThat(removing).allSatisfy(result -> assertThat(result.pending()).isZero());
		}
		assertThat(keys("")).doesNotContainAnyElementsOf(garbage);
		assertNothingReferencedIsMissing();
		assertRestores("s1", "b1", kept);
	}

	/** A collection of the project by each engine, started at the same moment on two threads. */
	private List<GarbageCollector.Result> together(Snapshots first, Snapshots second) throws Exception {
		CyclicBarrier start = new CyclicBarrier(2);
		List<CompletableFuture<GarbageCollector.Result>> collections = new ArrayList<>();
		for (Snapshots engine : List.of(first, second)) {
			collections.add(CompletableFuture.supplyAsync(() -> {
				try {
					start.await(10, TimeUnit.SECONDS);
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
				return engine.collectGarbage(this.project);
			}));
		}
		List<GarbageCollector.Result> results = new ArrayList<>();
		for (CompletableFuture<GarbageCollector.Result> collection : collections) {
			results.add(collection.get(60, TimeUnit.SECONDS));
		}
		return results;
	}

	/**
	 * Backs up 60 small files and a large one as b1 of s1, keeps every fourth small file (spread over
	 * the folders) for b2 and lets retention forget b1: b1's packs are then three quarters garbage. s2 holds copies of two kept
	 * files, so its snapshot references the same packs.
	 */
	private Path mostlyGarbagePacks() {
		Path source = tree("source", 60, 51);
		this.snapshots.backup(this.project, "s1", "b1", source);
		for (int i = 0; i < 60; i++) {
			if (i % 4 != 0) {
				deleteFile(source.resolve("d" + (i % 5) + "/f" + i + ".bin"));
			}
		}
		this.snapshots.backup(this.project, "s1", "b2", source);
		assertThat(this.snapshots.forget(this.project, "s1", new RetentionPolicy(1, null, null, null), ZoneOffset.UTC))
			.containsExactly("b1");
		return source;
	}

	private static void deleteFile(Path file) {
		try {
			java.nio.file.Files.delete(file);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private long bytes(String under) {
		return this.store.list("pss/projects/" + this.project + "/" + under).mapToLong(o -> o.size()).sum();
	}

	@Test
	void aPackThatIsMostlyGarbageIsRewrittenAndEverySnapshotStillRestores() throws Exception {
		Path source = mostlyGarbagePacks();
		Path copies = folder("copies");
		for (int i : new int[] { 0, 20 }) {
			write(copies.resolve("f" + i + ".bin"), java.nio.file.Files.readAllBytes(source.resolve("d0/f" + i + ".bin")));
		}
		this.snapshots.backup(this.project, "s2", "b1", copies);
		List<String> packsBefore = keys("packs/");
		long bytesBefore = bytes("packs/");
		String snapshotTime = this.store.metadata(manifest("s1", "b2")).get("snapshot-time");

		GarbageCollector.Result rewriting = this.snapshots.collectGarbage(this.project);
		GarbageCollector.Result deleting = this.snapshots.collectGarbage(this.project);

		assertThat(rewriting.packsRewritten()).isPositive();
		assertThat(rewriting.bytesReclaimed()).isPositive();
		assertThat(deleting.packs()).isEqualTo(rewriting.packsRewritten());
		assertThat(deleting.pending()).isZero();
		assertThat(keys("packs/")).hasSizeLessThan(packsBefore.size());
		assertThat(bytes("packs/")).isLessThanOrEqualTo(bytesBefore - rewriting.bytesReclaimed());
		assertNothingReferencedIsMissing();
		assertRestores("s1", "b2", source);
		assertRestores("s2", "b1", copies);
		// the manifest was written again whole, its snapshot time kept (retention and the next backup read it)
		assertThat(this.store.metadata(manifest("s1", "b2")).get("snapshot-time")).isEqualTo(snapshotTime);
		// browse: a packed file of a rewritten snapshot, read as a range of its new pack
		SnapshotEntry file = this.snapshots.entry(this.project, "s1", "b2", "d0/f20.bin").orElseThrow();
		assertThat(file.packed()).isTrue();
		assertThat(packsBefore).doesNotContain("pss/projects/" + this.project + "/packs/" + file.pack());
		try (java.io.InputStream in = this.snapshots.open(this.project, file)) {
			assertThat(in.readAllBytes()).isEqualTo(java.nio.file.Files.readAllBytes(source.resolve("d0/f20.bin")));
		}
		assertThat(this.snapshots.list(this.project, "s1", "b2", "d0", null, 100).entries()).hasSize(3);
		// the next backup of s1 reuses the new places from the rewritten manifest
		BackupResult next = this.snapshots.backup(this.project, "s1", "b3", source);
		assertThat(next.filesRead()).isZero();
		assertRestores("s1", "b3", source);
	}

	@Test
	void aBackupThatReadItsPreviousManifestBeforeARewriteKeepsTheOldPacksItReuses() throws Exception {
		Path source = mostlyGarbagePacks();
		List<String> packsBefore = keys("packs/");
		// b3 reads b2's manifest, old places and all, then stands still before writing its own
		write(source.resolve("d0/changed.bin"), random(3000, 77));
		Pause pause = new Pause();
		CompletableFuture<BackupResult> running = pause.backup("s1", "b3", source);

		GarbageCollector.Result rewriting = this.snapshots.collectGarbage(this.project);
		GarbageCollector.Result during = this.snapshots.collectGarbage(this.project);
		pause.released.countDown();
		BackupResult result = running.get(60, TimeUnit.SECONDS);
		GarbageCollector.Result after = this.snapshots.collectGarbage(this.project);

		assertThat(rewriting.packsRewritten()).isPositive();
		// b3 started before the old packs were condemned, and its manifest references them: they stay
		assertThat(during.packs() + after.packs()).isZero();
		assertThat(after.pending()).isZero();
		assertThat(result.filesRead()).isEqualTo(1);
		assertThat(keys("packs/")).containsAll(packsBefore);
		assertNothingReferencedIsMissing();
		assertRestores("s1", "b3", source);
	}

}
