package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import tools.jackson.databind.JsonNode;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.S3ProxyServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups and restores through executor {@code process}: each one a mover, a child process that reaches
 * the service through the mover API and S3 through presigned URLs only.
 */
@ExtendWith(OutputCaptureExtension.class)
class MoverIntegrationTests extends MoverTestSupport {

	private static final String STORAGES = "/api/v1/projects/cv/storages";

	private Path share;

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private MoverProperties moverProperties;

	@Autowired
	private BackupProperties backupProperties;

	/** Each test's content is its own: what another test stored is not found in the index. */
	private final long salt = System.nanoTime();

	@BeforeEach
	void storage() throws Exception {
		createProject("cv");
		this.share = readyStorage("cv", "data", "\"backupPolicy\": {\"retention\": {\"keepLast\": 100}}");
		for (int i = 0; i < 300; i++) {
			BackupTestSupport.write(this.share.resolve("images/" + (i % 7) + "/img-" + i + ".bin"),
					BackupTestSupport.random(100 + i * 37, this.salt + i));
		}
		BackupTestSupport.write(this.share.resolve("models/large.bin"), BackupTestSupport.random(21 * 1024 * 1024, this.salt - 7));
		BackupTestSupport.write(this.share.resolve("models/medium.bin"), BackupTestSupport.random(9 * 1024 * 1024, this.salt - 8));
		BackupTestSupport.write(this.share.resolve("empty"), new byte[0]);
		BackupTestSupport.write(this.share.resolve("secret.txt"), "only mine".getBytes());
		Files.setPosixFilePermissions(this.share.resolve("secret.txt"), PosixFilePermissions.fromString("rw-------"));
		Files.createDirectories(this.share.resolve("empty-folder"));
		Files.createSymbolicLink(this.share.resolve("latest"), Path.of("models/large.bin"));
	}

	@Test
	void backsUpAndRestoresThroughAMoverProcessByteForByte() {
		String backup = backUp("cv", "data");

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("progress").path("files").asLong()).isEqualTo(304);
		assertThat(done.json().path("progress").path("filesTotal").asLong()).isEqualTo(304);
		assertThat(done.json().path("attempt").asInt()).isEqualTo(1);
		// one run, committed, its token spent
		assertThat(count("select count(*) from mover_runs where job_id = cast(? as uuid) and state = 'Committed'",
				backup)).isEqualTo(1);

		JsonNode restore = restoreIntoCopy(backup);
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
		String restoreId = restore.path("id").asString();
		assertThat(count("select count(*) from mover_runs where job_id = cast(? as uuid) and state = 'Committed'",
				restoreId)).isEqualTo(1);
	}

	@Test
	void aMoverBacksUpAndRestoresInTheHeapItsSettingsAskFor() throws Exception {
		// the engine's worst case for its heap: small files as large as small files get, read by every reader at
		// once, each a pack of its own; the mover's -Xmx is EngineSettings.moverHeap (checked in another test)
		long threshold = this.backupProperties.largeFileThreshold().toBytes();
		for (int i = 0; i < 10; i++) {
			BackupTestSupport.write(this.share.resolve("shards/shard-" + i + ".bin"),
					BackupTestSupport.random((int) threshold - i, this.salt + 1000 + i));
		}

		String backup = backUp("cv", "data");

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).isEqualTo("Succeeded");
		// in one attempt: a mover short of heap fails, and its next attempt would hide it
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(1);
		JsonNode restored = restoreIntoCopy(backup);
		assertThat(restored.path("attempt").asInt()).as(restored.toString()).isEqualTo(1);
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
	}

	/** Restores a backup into a new storage "copy" through a mover; its restore, which succeeded. */
	private JsonNode restoreIntoCopy(String backup) {
		JsonNode restore = restoreIntoNew("cv", "data", backup, "copy").json().path("items").path(0);
		assertThat(restore.path("state").asString()).as(restore.toString()).isEqualTo("Succeeded");
		return restore;
	}

	@Test
	void anIncrementalBackupThroughAMoverUploadsOnlyWhatChanged() throws Exception {
		String first = backUp("cv", "data");
		long firstUploaded = this.api.get(STORAGES + "/data/backups/" + first).json().path("bytesUploaded").asLong();
		BackupTestSupport.write(this.share.resolve("images/0/new.bin"), BackupTestSupport.random(5000, 99));

		String second = backUp("cv", "data");

		long secondUploaded = this.api.get(STORAGES + "/data/backups/" + second).json().path("bytesUploaded").asLong();
		assertThat(firstUploaded).isGreaterThan(30L * 1024 * 1024);
		// the new file, and the manifest
		assertThat(secondUploaded).isLessThan(firstUploaded / 100);
		Map<String, String> before = Trees.describe(this.share);
		this.api.post(STORAGES + "/data/restores", "{\"backup\": \"" + second + "\", \"mode\": \"replace\"}");
		Files.delete(this.share.resolve("images/0/new.bin"));
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> this.api.get(STORAGES + "/data/restores")
			.json().path("items").path(0).path("state").asString().equals("Succeeded"));
		assertThat(Trees.describe(this.share)).isEqualTo(before);
	}

	/** Starts a backup that holds before its manifest; returns its path once its mover holds there. */
	private String heldBackup() throws Exception {
		Files.createFile(HOLD);
		Response queued = this.api.post(STORAGES + "/data/backups", null);
		assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
		String backup = queued.json().path("id").asString();
		await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> holding(backup));
		return queued.header("Location");
	}

	/** Whether the newest attempt's mover says it holds before its manifest. */
	private boolean holding(String backup) throws Exception {
		String run = this.db.sql("select id from mover_runs where job_id = cast(? as uuid) order by attempt desc limit 1")
			.param(backup).query(String.class).optional().orElse(null);
		Path log = Path.of(System.getProperty("java.io.tmpdir"), "pss-movers", run + ".log");
		return run != null && Files.exists(log) && Files.readString(log).contains("Holding before the manifest");
	}

	@Test
	void aKilledMoversNextAttemptResumesFromWhatItStored(CapturedOutput output) throws Exception {
		long total = Files.walk(this.share).filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
		String backup = heldBackup();

		List<ProcessHandle> movers = movers();
		assertThat(movers).hasSize(1);
		// the mover got nothing of the service's environment (its credentials would be there), nor its properties
		String environment = Files.readString(Path.of("/proc/" + movers.get(0).pid() + "/environ"));
		assertThat(java.util.Arrays.stream(environment.split("\0")).map(variable -> variable.split("=", 2)[0]))
			.allMatch(name -> ProcessExecutor.INHERITED.contains(name) || name.startsWith("PSS_MOVER_"));
		String commandLine = movers.get(0).info().commandLine().orElse("");
		assertThat(commandLine).doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContain("secret-access-key")
			.doesNotContain("pssrun_");
		// its own classes, JSON and logging only, not the service's 250 jars; a heap sized from its engine settings
		assertThat(commandLine).contains("jackson-databind", "logback-classic").doesNotContain("spring-")
			.doesNotContain("awssdk").doesNotContain("postgresql")
			.contains("-Xmx" + ((this.moverProperties.engine(this.backupProperties.engine()).moverHeap() + (1 << 20) - 1) >> 20) + "m");

		// its temporary files (the manifest it is writing) in a folder of its own
		String firstRun = this.db.sql("select id from mover_runs where job_id = cast(? as uuid) and attempt = 1")
			.param(backup.substring(backup.lastIndexOf('/') + 1)).query(String.class).single();
		Path temporaries = Path.of(System.getProperty("java.io.tmpdir"), "pss-movers", firstRun + ".tmp");
		assertThat(commandLine).contains("-Djava.io.tmpdir=" + temporaries);
		try (java.util.stream.Stream<Path> files = Files.list(temporaries)) {
			assertThat(files.map(file -> file.getFileName().toString())).anyMatch(name -> name.startsWith("pss-manifest-"));
		}

		// kill -9: no fail, no commit, no goodbye
		movers.get(0).destroyForcibly();
		Files.delete(HOLD);

		Response done = awaitEnd(backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(2);
		// attempt 2 found attempt 1's packs and blobs in the index: it stored only the manifest
		assertThat(done.json().path("bytesUploaded").asLong()).isLessThan(total / 10);
		String id = done.json().path("id").asString();
		assertThat(this.db.sql("select state from mover_runs where job_id = cast(? as uuid) order by attempt")
			.param(id).query(String.class).list()).containsExactly("Failed", "Committed");
		assertThat(this.db.sql("select reason from mover_runs where job_id = cast(? as uuid) and attempt = 1")
			.param(id).query(String.class).single()).contains("exited with code 137");
		// what the killed mover left in its temporary folder went with the folder
		assertThat(temporaries).doesNotExist();
		// and the snapshot is whole
		Response copy = this.api.post(STORAGES, """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}""".formatted(id));
		assertThat(copy.status()).isEqualTo(201);
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> this.api.get(STORAGES + "/copy/restores")
			.json().path("items").path(0).path("state").asString().equals("Succeeded"));
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
		// neither the service nor a mover logs a run token or a presigned URL's signature
		String moverLog = Files.readString(Path.of(System.getProperty("java.io.tmpdir"), "pss-movers",
				this.db.sql("select id from mover_runs where job_id = cast(? as uuid) and attempt = 1").param(id)
					.query(String.class).single() + ".log"));
		assertThat(moverLog).contains("Holding before the manifest").doesNotContain("pssrun_")
			.doesNotContainIgnoringCase("signature");
		assertThat(output.getAll()).doesNotContain("pssrun_").doesNotContainIgnoringCase("x-amz-signature");
	}

	@Test
	void aCancelReachesARunningMoverWithinTwoSeconds() throws Exception {
		String backup = heldBackup();

		Response cancel = this.api.post(backup + ":cancel", null);
		long asked = System.nanoTime();

		assertThat(cancel.status()).as(cancel.toString()).isIn(200, 202);
		await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
			.until(() -> this.api.get(backup).json().path("state").asString().equals("Cancelled"));
		assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(2));
		await().atMost(WAIT).until(() -> movers().isEmpty());
		assertThat(this.db.sql("select reason from mover_runs where job_id = cast(? as uuid)")
			.param(backup.substring(backup.lastIndexOf('/') + 1)).query(String.class).single()).isEqualTo("cancelled");
	}

	@Test
	void aRunGoesOnWhileTheServiceIsAwayForAWhile() throws Exception {
		String backup = heldBackup();

		// several heartbeats go unanswered, as while a replica restarts; the run's lease outlasts them
		SERVICE.stop();
		Thread.sleep(3000);
		SERVICE.resume();
		Files.delete(HOLD);

		Response done = awaitEnd(backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(1);
	}

	@Test
	void aCollectionKeepsWhatAMoverFoundAndRevivedWhileItRuns() throws Exception {
		String first = backUp("cv", "data");
		assertThat(this.api.delete(STORAGES + "/data/backups/" + first).status()).isEqualTo(204);
		// no snapshot references the content now: a collection condemns all of it, and deletes none while a
		// restore that started before the condemnation runs
		String backup;
		try (BackupLease restore = this.snapshots.lease("cv", "elsewhere", BackupLease.Kind.RESTORE)) {
			GarbageCollector.Result condemned = this.snapshots.collectGarbage("cv", Duration.ZERO);
			assertThat(condemned.condemned()).isPositive();
			assertThat(condemned.packs() + condemned.blobs()).isZero();
			// the mover's look-ups find the condemned content and revive it
			backup = heldBackup();
		}
		// that restore is over: the next collection deletes what stayed condemned, none of what the mover revived
		this.snapshots.collectGarbage("cv", Duration.ZERO);
		Files.delete(HOLD);

		Response done = awaitEnd(backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		long total = Files.walk(this.share).filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
		assertThat(done.json().path("bytesUploaded").asLong()).isLessThan(total / 10);
		assertThat(this.snapshots.collectGarbage("cv", Duration.ZERO).packs()).isZero();
		String id = done.json().path("id").asString();
		this.api.post(STORAGES, """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}""".formatted(id));
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> this.api.get(STORAGES + "/copy/restores")
			.json().path("items").path(0).path("state").asString().equals("Succeeded"));
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
	}

}
