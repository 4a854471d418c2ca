package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.snapshot.SnapshotLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups across a storage's life: a new storage filled from a backup, the final backup before a
 * deletion (and a failed one blocking it), and cancelling a running backup.
 */
class StorageBackupLifecycleIntegrationTests extends WorkerTestSupport {

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private WorkerProperties worker;

	@BeforeEach
	void project() {
		createProject("nlp");
	}

	@Test
	void aNewStorageCreatedFromABackupHoldsExactlyItsFiles() {
		Path source = readyStorage("nlp", "data", null);
		BackupTestSupport.write(source.resolve("a/one.txt"), "one".getBytes());
		BackupTestSupport.write(source.resolve("a/b/two.bin"), BackupTestSupport.random(5000, 1));
		BackupTestSupport.write(source.resolve("top.bin"), BackupTestSupport.random(9 * 1024 * 1024, 2));
		String backup = backUp("nlp", "data");

		Response created = this.api.post(STORAGES, """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}""".formatted(backup));
		Response partial = this.api.post(STORAGES, """
				{"name": "part", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s", "paths": ["a/b"]}}"""
			.formatted(backup));

		assertThat(created.status()).as(created.toString()).isEqualTo(201);
		assertThat(partial.status()).as(partial.toString()).isEqualTo(201);
		Response restore = awaitRestoreOf("copy");
		assertThat(restore.json().path("state").asString()).as(restore.toString()).isEqualTo("Succeeded");
		assertThat(restore.json().path("intoNewStorage").asBoolean()).isTrue();
		assertThat(restore.json().path("backup").asString()).isEqualTo(backup);
		assertThat(restore.json().path("progress").path("files").asLong()).isEqualTo(3);
		assertThat(Trees.describe(share("nlp", "copy"))).isEqualTo(Trees.describe(source));
		assertThat(awaitRestoreOf("part").json().path("state").asString()).isEqualTo("Succeeded");
		assertThat(Trees.describe(share("nlp", "part")).keySet()).containsExactlyInAnyOrder("a", "a/b", "a/b/two.bin");
	}

	private Response awaitRestoreOf(String storage) {
		await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
			Response list = this.api.get(STORAGES + "/" + storage + "/restores");
			String state = list.json().path("items").path(0).path("state").asString();
			return state.equals("Succeeded") || state.equals("Failed") || state.equals("Cancelled");
		});
		return this.api.get(STORAGES + "/" + storage + "/restores/"
				+ this.api.get(STORAGES + "/" + storage + "/restores").json().path("items").path(0).path("id").asString());
	}

	@Test
	void deletingAStorageTakesAFinalBackupFirst() {
		Path share = readyStorage("nlp", "data", "\"backupPolicy\": {\"backupBeforeDelete\": true}");
		BackupTestSupport.write(share.resolve("keep.txt"), "keep me".getBytes());
		String storageId = this.api.get(STORAGES + "/data").json().path("id").asString();

		Response deleting = this.api.delete(STORAGES + "/data");

		assertThat(deleting.status()).isEqualTo(202);
		assertThat(deleting.json().path("state").asString()).isEqualTo("Deleting");
		String finalBackup = deleting.json().path("finalBackup").asString();
		assertThat(finalBackup).isNotEmpty();
		awaitGone(STORAGES + "/data");
		assertThat(count("select count(*) from backups where id = cast(? as uuid) and trigger = 'beforeDelete' and state = 'Succeeded'",
				finalBackup)).isEqualTo(1);
		assertThat(this.snapshots.snapshotObjects("nlp", storageId).map(o -> SnapshotLayout.backupOf(o.key())))
			.containsExactly(finalBackup);
		assertThat(share).doesNotExist();
	}

	@Test
	void aFailedFinalBackupBlocksTheDeletionUnlessForced() throws Exception {
		Path share = readyStorage("nlp", "data", "\"backupPolicy\": {\"backupBeforeDelete\": true}");
		// the share is gone from the mount: the final backup cannot read it
		try (var paths = Files.walk(share)) {
			for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
				Files.delete(path);
			}
		}

		Response deleting = this.api.delete(STORAGES + "/data");
		assertThat(deleting.status()).isEqualTo(202);
		await().atMost(WAIT)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> this.api.get(STORAGES + "/data").json().path("state").asString().equals("Ready"));

		Response blocked = this.api.get(STORAGES + "/data");
		assertThat(blocked.json().path("deletionBlocked").asString()).contains("final backup").contains("force=true");
		assertThat(blocked.json().has("finalBackup")).isFalse();
		assertThat(blocked.json().path("failedFinalBackup").asString()).isEqualTo(deleting.json().path("finalBackup").asString());
		assertThat(deletionBlockedCondition(blocked).path("reason").asString()).isEqualTo("FinalBackupFailed");
		assertThat(count("select count(*) from backups where trigger = 'beforeDelete' and state = 'Failed'")).isEqualTo(1);

		assertThat(this.api.delete(STORAGES + "/data?force=true").status()).isEqualTo(202);
		awaitGone(STORAGES + "/data");
		assertThat(count("select count(*) from backups where trigger = 'beforeDelete'")).isEqualTo(1);
	}

	@Test
	void aFinalBackupGivenUpAfterItsLastAttemptBlocksTheDeletionAndADeleteAgainTakesANewOne() {
		Path share = readyStorage("nlp", "data", "\"backupPolicy\": {\"backupBeforeDelete\": true}");
		BackupTestSupport.write(share.resolve("keep.txt"), "keep me".getBytes());
		String storageId = this.api.get(STORAGES + "/data").json().path("id").asString();
		// a backup a worker elsewhere runs: the final backup waits for it, so the app's worker leaves it be
		String held = UUID.randomUUID().toString();
		this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, started_at,
				  lease_owner, lease_until, attempt)
				SELECT cast(? as uuid), project_id, id, cluster, 'manual', 'Running', now(), now(), 'elsewhere',
				  now() + interval '60 seconds', 1
				FROM storages WHERE id = cast(? as uuid)""").params(held, storageId).update();

		Response deleting = this.api.delete(STORAGES + "/data");
		assertThat(deleting.status()).isEqualTo(202);
		String finalBackup = deleting.json().path("finalBackup").asString();
		// at once: the other backup's lease has run out, and the final backup's workers died as often as
		// max-attempts allows, its last lease run out too (one statement, so no worker sees one without the other)
		assertThat(this.db.sql("""
				UPDATE backups SET lease_until = now() - interval '1 second', state = 'Running',
				  lease_owner = CASE WHEN id = cast(:final as uuid) THEN 'dead' ELSE lease_owner END,
				  started_at = CASE WHEN id = cast(:final as uuid) THEN now() ELSE started_at END,
				  attempt = CASE WHEN id = cast(:final as uuid) THEN :attempts ELSE attempt END
				WHERE (id = cast(:final as uuid) AND state = 'Queued') OR id = cast(:held as uuid)""")
			.param("final", finalBackup)
			.param("held", held)
			.param("attempts", this.worker.maxAttempts())
			.update()).isEqualTo(2);

		await().atMost(WAIT)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> this.api.get(STORAGES + "/data").json().path("state").asString().equals("Ready"));
		Response blocked = this.api.get(STORAGES + "/data");
		Response failed = this.api.get(STORAGES + "/data/backups/" + finalBackup);
		assertThat(failed.json().path("state").asString()).isEqualTo("Failed");
		assertThat(failed.json().path("error").asString()).contains("stopped " + this.worker.maxAttempts() + " times");
		assertThat(blocked.json().has("finalBackup")).isFalse();
		assertThat(blocked.json().path("failedFinalBackup").asString()).isEqualTo(finalBackup);
		assertThat(blocked.json().path("deletionBlocked").asString()).contains(finalBackup)
			.contains("stopped " + this.worker.maxAttempts() + " times")
			.contains("force=true");
		var condition = deletionBlockedCondition(blocked);
		assertThat(condition.path("status").asString()).isEqualTo("True");
		assertThat(condition.path("reason").asString()).isEqualTo("FinalBackupFailed");
		assertThat(condition.path("message").asString()).isEqualTo(blocked.json().path("deletionBlocked").asString());
		assertThat(condition.path("lastTransitionTime").asString()).isNotEmpty();
		// the other backup was asked to stop: it ends cancelled (abandoned, or stopped by a worker that
		// took it up again), or succeeded when such a worker finished it before it looked at the request
		await().atMost(WAIT)
			.until(() -> count("""
					select count(*) from backups where id = cast(? as uuid) and cancel_requested
					  and state in ('Cancelled', 'Succeeded')""", held) == 1);

		Response again = this.api.delete(STORAGES + "/data");

		assertThat(again.status()).isEqualTo(202);
		assertThat(again.json().path("state").asString()).isEqualTo("Deleting");
		String second = again.json().path("finalBackup").asString();
		assertThat(second).isNotEmpty().isNotEqualTo(finalBackup);
		assertThat(again.json().has("deletionBlocked")).isFalse();
		assertThat(again.json().has("failedFinalBackup")).isFalse();
		assertThat(again.json().path("status").path("conditions").findValuesAsString("type")).doesNotContain("DeletionBlocked");
		awaitGone(STORAGES + "/data");
		assertThat(count("select count(*) from backups where id = cast(? as uuid) and state = 'Succeeded'", second)).isEqualTo(1);
		assertThat(this.snapshots.snapshotObjects("nlp", storageId).map(o -> SnapshotLayout.backupOf(o.key())))
			.containsExactly(second);
	}

	private static tools.jackson.databind.JsonNode deletionBlockedCondition(Response storage) {
		for (var condition : storage.json().path("status").path("conditions")) {
			if (condition.path("type").asString().equals("DeletionBlocked")) {
				return condition;
			}
		}
		throw new AssertionError("No DeletionBlocked condition: " + storage);
	}

	@Test
	void cancellingARunningBackupStopsItsThreadsAndLeavesNoSnapshot() {
		Path share = readyStorage("nlp", "data", null);
		// enough distinct content that the backup is still running when the cancel arrives, and more
		// entries behind it than the walk's queue holds, so the walker is still at work too
		writeLargeFiles(share, 1000);
		writeSmallFiles(share, 6000);
		Response queued = this.api.post(STORAGES + "/data/backups", null);
		String path = queued.header("Location");
		String backup = queued.json().path("id").asString();
		// the engine's threads carry the run's name while they work for it: walker, scanner, readers, transfers
		await().atMost(WAIT)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> this.api.get(path).json().path("state").asString().equals("Running")
					&& threadsOf(backup).stream().anyMatch(name -> name.startsWith("backup-walker"))
					&& threadsOf(backup).stream().anyMatch(name -> name.startsWith("backup-reader")));

		Response cancelling = this.api.post(path + ":cancel", null);

		assertThat(cancelling.status()).isEqualTo(202);
		assertThat(cancelling.json().path("cancelRequested").asBoolean()).isTrue();
		Response ended = awaitEnd(path);
		assertThat(ended.json().path("state").asString()).as(ended.toString()).isEqualTo("Cancelled");
		// nothing of the run goes on hashing or uploading in the background
		await().atMost(Duration.ofSeconds(5))
			.pollInterval(Duration.ofMillis(50))
			.untilAsserted(() -> assertThat(threadsOf(backup)).isEmpty());
		String storageId = this.api.get(STORAGES + "/data").json().path("id").asString();
		assertThat(this.snapshots.snapshotObjects("nlp", storageId).count()).isZero();
		// the storage takes backups again
		assertThat(this.api.post(STORAGES + "/data/backups", null).status()).isEqualTo(202);
	}

	@Test
	void cancellingARunningRestoreStopsItsThreads() {
		Path share = readyStorage("nlp", "data", null);
		writeLargeFiles(share, 2000);
		writeSmallFiles(share, 6000);
		String backup = backUp("nlp", "data");
		// a fast machine may finish a restore between the check that it runs and the cancel: try again then
		Response ended = null;
		for (int attempt = 1; attempt <= 3 && (ended == null || !ended.json().path("state").asString().equals("Cancelled")); attempt++) {
			Response queued = this.api.post(STORAGES + "/data/restores", """
					{"backup": "%s", "mode": "replace"}""".formatted(backup));
			assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
			String path = queued.header("Location");
			await().atMost(WAIT)
				.pollInterval(Duration.ofMillis(10))
				.until(() -> !this.api.get(path).json().path("state").asString().equals("Queued")
						&& (!threadsOf(backup).isEmpty() || !this.api.get(path).json().path("state").asString().equals("Running")));

			assertThat(this.api.post(path + ":cancel", null).status()).isIn(202, 409);

			ended = awaitEnd(path);
			assertThat(ended.json().path("state").asString()).as(ended.toString()).isIn("Cancelled", "Succeeded");
		}
		assertThat(ended.json().path("state").asString()).as(ended.toString()).isEqualTo("Cancelled");
		await().atMost(Duration.ofSeconds(5))
			.pollInterval(Duration.ofMillis(50))
			.untilAsserted(() -> assertThat(threadsOf(backup)).isEmpty());
	}

	/** Small files in 20 folders: more entries than the walk's queue holds, and a restore that takes a while. */
	private static void writeSmallFiles(Path share, int count) {
		for (int i = 0; i < count; i++) {
			BackupTestSupport.write(share.resolve("small/" + (i % 20) + "/" + i + ".txt"), ("file " + i).getBytes());
		}
	}

	/** 40 files of 10 MiB of distinct content: 400 MiB that take a while to back up or restore. */
	private static void writeLargeFiles(Path share, int seed) {
		for (int i = 0; i < 40; i++) {
			byte[] content = new byte[10 * 1024 * 1024];
			new java.util.SplittableRandom(seed + i).nextBytes(content);
			BackupTestSupport.write(share.resolve("big/" + i + ".bin"), content);
		}
	}

	/** Live threads whose name says they work for the run of this backup (or restore of it). */
	static java.util.List<String> threadsOf(String backup) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter(name -> name.contains(backup))
			.toList();
	}

}
