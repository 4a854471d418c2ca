package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.ApiClient.Response;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The backup space in the quota and per storage, through the API, compared at every step with what the
 * bucket really holds: the project's prefix listed and summed, its manifests read, to the byte.
 */
class BackupSpaceIntegrationTests extends WorkerTestSupport {

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private S3Store store;

	@Autowired
	private PlatformTransactionManager transactionManager;

	/** A project of each test's own: its prefix of the bucket starts empty (the bucket outlives the database). */
	private String project;

	private final long salt = System.nanoTime();

	@BeforeEach
	void project() {
		this.project = "space-" + Long.toString(this.salt % 1_000_000_000L, 36);
		createProject(this.project);
	}

	private String storage(String name) {
		return storages(this.project) + "/" + name;
	}

	private String quota() {
		return "/api/v1/projects/" + this.project + "/quota";
	}

	@Test
	void figuresEqualWhatTheBucketHoldsThroughBackupsRetentionDeletionAndCollection() throws Exception {
		Path a = readyStorage(this.project, "a", "\"backupPolicy\": {\"retention\": {\"keepLast\": 2}}");
		Path b = readyStorage(this.project, "b",
				"\"backupPolicy\": {\"backupBeforeDelete\": false, \"retention\": {\"keepLast\": 100}}");
		for (int i = 0; i < 40; i++) {
			BackupTestSupport.write(a.resolve("small/f" + i + ".bin"), BackupTestSupport.random(2000 + i, this.salt + i));
		}
		BackupTestSupport.write(a.resolve("shared/s1.bin"), BackupTestSupport.random(5000, this.salt - 1));
		BackupTestSupport.write(a.resolve("large.bin"), BackupTestSupport.random(9 * 1024 * 1024, this.salt - 2));
		BackupTestSupport.write(a.resolve("empty"), new byte[0]);
		assertThat(usedBackupBytes()).isZero();

		String first = backUp(this.project, "a");
		assertMatchesBucket();

		// most small files go; one new one, and the large one changes
		for (int i = 0; i < 36; i++) {
			Files.delete(a.resolve("small/f" + i + ".bin"));
		}
		BackupTestSupport.write(a.resolve("small/new.bin"), BackupTestSupport.random(777, this.salt - 3));
		BackupTestSupport.write(a.resolve("large.bin"), BackupTestSupport.random(9 * 1024 * 1024 + 1, this.salt - 4));
		backUp(this.project, "a");
		assertMatchesBucket();

		// b shares a small file and the large file with a: stored once, counted in both storages as shared
		BackupTestSupport.write(b.resolve("copy-of-s1.bin"), BackupTestSupport.random(5000, this.salt - 1));
		BackupTestSupport.write(b.resolve("large-copy.bin"), BackupTestSupport.random(9 * 1024 * 1024 + 1, this.salt - 4));
		BackupTestSupport.write(b.resolve("own.bin"), BackupTestSupport.random(4321, this.salt - 5));
		backUp(this.project, "b");
		assertMatchesBucket();
		assertThat(space("b").path("sharedBytes").asLong()).isEqualTo(5000 + 9 * 1024 * 1024 + 1);

		// a third backup of a: retention (keepLast 2) forgets the first snapshot
		BackupTestSupport.write(a.resolve("small/newer.bin"), BackupTestSupport.random(555, this.salt - 6));
		backUp(this.project, "a");
		assertThat(this.api.get(storage("a") + "/backups/" + first).json().path("state").asString()).isEqualTo("Expired");
		assertMatchesBucket();

		// collections delete what no manifest references and rewrite the mostly dead first pack
		GarbageCollector.Result collected = this.snapshots.collectGarbage(this.project, Duration.ZERO);
		assertThat(collected.blobs() + collected.packsRewritten()).as(collected.toString()).isPositive();
		assertMatchesBucket();
		this.snapshots.collectGarbage(this.project, Duration.ZERO);
		assertMatchesBucket();

		// b's backups deleted, then b itself: nothing of b counts any more once collected
		for (JsonNode backup : this.api.get(storage("b") + "/backups").json().path("items")) {
			assertThat(this.api.delete(storage("b") + "/backups/" + backup.path("id").asString()).status()).isEqualTo(204);
		}
		assertMatchesBucket();
		assertThat(space("b").path("exclusiveBytes").asLong()).isZero();
		assertThat(space("b").path("sharedBytes").asLong()).isZero();
		assertThat(this.api.delete(storage("b")).status()).isIn(202, 204);
		this.snapshots.collectGarbage(this.project, Duration.ZERO);
		this.snapshots.collectGarbage(this.project, Duration.ZERO);
		assertMatchesBucket();
		assertThat(space("a").path("sharedBytes").asLong()).isZero();
	}

	@Test
	void backupsOfTwoStoragesRunningAtOnceKeepTheFigureExact() {
		Path a = readyStorage(this.project, "a", null);
		Path b = readyStorage(this.project, "b", null);
		for (int i = 0; i < 200; i++) {
			// half of the files are the same in both: the two backups race to store them
			byte[] content = BackupTestSupport.random(3000 + i, this.salt + (i % 2 == 0 ? i : 1000 + i));
			BackupTestSupport.write(a.resolve("f" + i), content);
			BackupTestSupport.write(b.resolve("f" + i), i % 2 == 0 ? content : BackupTestSupport.random(3000 + i, -this.salt - i));
		}
		BackupTestSupport.write(a.resolve("large"), BackupTestSupport.random(9 * 1024 * 1024, this.salt - 9));
		BackupTestSupport.write(b.resolve("large"), BackupTestSupport.random(9 * 1024 * 1024, this.salt - 9));

		Response one = this.api.post(storage("a") + "/backups", null);
		Response other = this.api.post(storage("b") + "/backups", null);
		assertThat(awaitEnd(one.header("Location")).json().path("state").asString()).isEqualTo("Succeeded");
		assertThat(awaitEnd(other.header("Location")).json().path("state").asString()).isEqualTo("Succeeded");

		assertMatchesBucket();
	}

	@Test
	void aProjectAtItsBackupCapacityStartsNoBackupUntilSpaceIsFreed() {
		Path a = readyStorage(this.project, "a",
				"\"backupPolicy\": {\"schedule\": \"0 2 * * *\", \"retention\": {\"keepLast\": 1}}");
		BackupTestSupport.write(a.resolve("data.bin"), BackupTestSupport.random(50_000, this.salt));
		String first = backUp(this.project, "a");
		long used = usedBackupBytes();

		Response limited = this.api.patch(quota(), "{\"backupCapacity\": \"" + used + "\"}");
		assertThat(limited.status()).as(limited.toString()).isEqualTo(200);
		assertThat(limited.json().path("backupCapacityBytes").asLong()).isEqualTo(used);
		assertThat(limited.json().path("remaining").path("backupBytes").asLong()).isZero();

		// on demand: refused at once, nothing queued
		long backupsBefore = count("select count(*) from backups");
		Response refused = this.api.post(storage("a") + "/backups", null);
		assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("backup-quota-exceeded");
		assertThat(refused.json().path("detail").asString()).contains(used + " bytes").contains("backupCapacity");
		assertThat(count("select count(*) from backups")).isEqualTo(backupsBefore);

		// scheduled: a backup Failed at once with the reason, and a condition on the storage
		Instant due = this.db.sql("SELECT next_backup_at FROM storages WHERE name = 'a' AND deleted_at IS NULL")
			.query(java.sql.Timestamp.class)
			.single()
			.toInstant();
		tick(due.plusSeconds(1));
		JsonNode scheduled = this.api.get(storage("a") + "/backups?state=Failed").json().path("items").path(0);
		assertThat(scheduled.path("trigger").asString()).isEqualTo("scheduled");
		assertThat(scheduled.path("error").asString()).contains("backup capacity");
		assertThat(condition("a")).isNotNull();
		assertThat(condition("a").path("status").asString()).isEqualTo("True");

		// the space freed: the old snapshot deleted and collected, the next backup goes and clears the condition
		assertThat(this.api.delete(storage("a") + "/backups/" + first).status()).isEqualTo(204);
		this.snapshots.collectGarbage(this.project, Duration.ZERO);
		assertMatchesBucket();
		assertThat(usedBackupBytes()).isLessThan(used);
		tick(due.plusSeconds(24 * 3600 + 1));
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> condition("a") == null);
		JsonNode queued = this.api.get(storage("a") + "/backups").json().path("items").path(0);
		assertThat(queued.path("trigger").asString()).isEqualTo("scheduled");
		assertThat(awaitEnd(storage("a") + "/backups/" + queued.path("id").asString()).json().path("state").asString())
			.isEqualTo("Succeeded");
		assertMatchesBucket();
	}

	@Test
	void aCollectionCountsBackupsTakenBeforeTheSpaceWasCountedAndRepairsWhatACrashLeft() {
		Path a = readyStorage(this.project, "a", null);
		Path b = readyStorage(this.project, "b", null);
		BackupTestSupport.write(a.resolve("mine"), BackupTestSupport.random(3333, this.salt));
		BackupTestSupport.write(a.resolve("ours"), BackupTestSupport.random(4444, this.salt + 1));
		BackupTestSupport.write(b.resolve("ours"), BackupTestSupport.random(4444, this.salt + 1));
		BackupTestSupport.write(b.resolve("large"), BackupTestSupport.random(9 * 1024 * 1024, this.salt + 2));
		backUp(this.project, "a");
		backUp(this.project, "b");
		// as a project backed up before the space was counted (migration V22): no accounting at all
		for (String table : List.of("backup_objects", "counted_snapshots", "storage_contents")) {
			this.db.sql("DELETE FROM " + table + " WHERE project = ?").param(this.project).update();
		}
		this.db.sql("UPDATE backup_space SET used_bytes = 0 WHERE project = ?").param(this.project).update();
		// and an object whose DELETE succeeded but whose row a crash left
		this.db.sql("""
				INSERT INTO backup_objects (project, key, kind, size, recorded_at)
				VALUES (?, ?, 'pack', 12345, now() - interval '1 hour')""")
			.params(this.project, this.snapshots.layout().pack(this.project, "gone-by-hand"))
			.update();
		assertThat(usedBackupBytes()).isEqualTo(12345);

		this.snapshots.collectGarbage(this.project, Duration.ZERO);

		assertMatchesBucket();
		assertThat(space("a").path("sharedBytes").asLong()).isEqualTo(4444);
		assertThat(space("b").path("snapshots").asLong()).isEqualTo(1);
	}

	@Test
	void aBadBackupCapacityIsRefusedAndChangesNothing() {
		Response before = this.api.get(quota());
		Response bad = this.api.patch(quota(), "{\"backupCapacity\": \"lots\"}");

		assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
		assertThat(bad.json().path("errors").toString()).contains("backupCapacity");
		Response after = this.api.get(quota());
		assertThat(after.body()).isEqualTo(before.body());
		assertThat(after.json().has("backupCapacity")).isFalse();
		assertThat(after.json().path("used").path("backupBytes").asLong()).isZero();
	}

	private void tick(Instant at) {
		BackupScheduler scheduler = new BackupScheduler(this.db, new TransactionTemplate(this.transactionManager),
				Clock.fixed(at, ZoneOffset.UTC), 7);
		// a tick skips a storage row another transaction holds a moment (the status mirror): tick until it runs
		Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
			scheduler.tick();
			return this.db.sql("SELECT next_backup_at > ? FROM storages WHERE name = 'a' AND deleted_at IS NULL")
				.param(java.sql.Timestamp.from(at))
				.query(Boolean.class)
				.single();
		});
	}

	private JsonNode condition(String storage) {
		for (JsonNode condition : this.api.get(storage(storage)).json().path("status").path("conditions")) {
			if (condition.path("type").asString().equals("BackupQuotaExceeded")) {
				return condition;
			}
		}
		return null;
	}

	private long usedBackupBytes() {
		Response quota = this.api.get(quota());
		assertThat(quota.status()).isEqualTo(200);
		return quota.json().path("used").path("backupBytes").asLong();
	}

	private JsonNode space(String storage) {
		Response space = this.api.get(storage(storage) + "/backup-space");
		assertThat(space.status()).as(space.toString()).isEqualTo(200);
		return space.json();
	}

	private void assertMatchesBucket() {
		BucketSpace.assertMatches(this.api, this.store, this.snapshots.layout(), this.project);
	}

}
