package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.SnapshotLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker killed with -9 in the middle of a backup: its lease runs out, the app's worker claims the
 * job again, and the engine finishes it reusing what the dead one uploaded. One snapshot, complete.
 */
class WorkerCrashIntegrationTests extends WorkerTestSupport {

	@Autowired
	private Snapshots snapshots;

	@Test
	void aBackupWhoseWorkerWasKilledIsFinishedByAnother() throws Exception {
		createProject("crash");
		Path share = readyStorage("crash", "data", null);
		for (int i = 0; i < 3000; i++) {
			BackupTestSupport.write(share.resolve("d" + (i % 30) + "/f" + i + ".bin"), BackupTestSupport.random(4096, i));
		}
		for (int i = 0; i < 3; i++) {
			BackupTestSupport.write(share.resolve("large/l" + i + ".bin"), BackupTestSupport.random(11 * 1024 * 1024, 50 + i));
		}
		String storageId = this.api.get("/api/v1/projects/crash/storages/data").json().path("id").asString();
		String backup = UUID.randomUUID().toString();
		// the child has claimed it, as a worker's claim leaves a job: Running, leased to it; the lease
		// lasts until the child (a JVM still starting) renews it, from then on 3 s at a time
		this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, started_at,
				  lease_owner, lease_until, attempt)
				SELECT cast(? as uuid), project_id, id, cluster, 'manual', 'Running', now(), now(), 'child', ?, 1
				FROM storages WHERE id = cast(? as uuid)""")
			.params(backup, OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(120), storageId)
			.update();

		Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				System.getProperty("java.class.path"), "-Xmx256m",
				// its temporary manifests outlive the kill: with the shares, which go when the tests end
				"-Djava.io.tmpdir=" + Files.createDirectories(TestInfrastructure.sharesRoot().resolve("crash-child-tmp")),
				"-Dpss.test.s3-endpoint=" + TestInfrastructure.s3().endpoint(), Child.class.getName(),
				TestInfrastructure.postgres().jdbcUrl(), "crash", storageId, backup, share.toString())
			.redirectErrorStream(true)
			.redirectOutput(TestInfrastructure.sharesRoot().resolve("crash-child.log").toFile())
			.start();
		try {
			await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> recordedBytes() > 0 || !child.isAlive());
			assertThat(child.isAlive()).as("the backup is still running when its worker is killed").isTrue();
			child.destroyForcibly(); // SIGKILL: no shutdown hooks, no lease handed back
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
		}
		finally {
			child.destroyForcibly();
		}
		long uploadedBeforeCrash = recordedBytes();
		assertThat(this.snapshots.snapshotObjects("crash", storageId).count()).isZero();

		Response done = awaitEnd("/api/v1/projects/crash/storages/data/backups/" + backup);

		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(2);
		long total = 3000L * 4096 + 3L * 11 * 1024 * 1024;
		assertThat(done.json().path("progress").path("bytes").asLong()).isEqualTo(total);
		assertThat(done.json().path("bytesUploaded").asLong()).isLessThan(total - uploadedBeforeCrash + 1024 * 1024);
		assertThat(this.snapshots.snapshotObjects("crash", storageId).map(o -> SnapshotLayout.backupOf(o.key())))
			.containsExactly(backup);
		Path target = TestInfrastructure.sharesRoot().resolve("crash-restored");
		this.snapshots.restore("crash", storageId, backup, target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(share));
	}

	private long recordedBytes() {
		return this.db.sql("SELECT coalesce(sum(size), 0) FROM backup_contents WHERE project = 'crash'")
			.query(Long.class)
			.single();
	}

	/** A worker in a JVM of its own, holding the job's lease while the engine backs the share up. */
	static final class Child {

		public static void main(String[] args) throws Exception {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(args[0]);
			config.setUsername("postgres");
			try (HikariDataSource dataSource = new HikariDataSource(config)) {
				JdbcClient db = JdbcClient.create(dataSource);
				ScheduledExecutorService lease = Executors.newSingleThreadScheduledExecutor();
				lease.scheduleWithFixedDelay(() -> db.sql("UPDATE backups SET lease_until = ? WHERE id = cast(? as uuid) AND lease_owner = 'child'")
					.params(OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(3), args[3])
					.update(), 0, 1, TimeUnit.SECONDS);
				BackupProperties properties = new BackupTestSupport() {
				}.properties();
				try (S3Store store = new S3Store(properties.s3());
						Snapshots snapshots = new Snapshots(store, dataSource, properties, Clock.systemUTC())) {
					snapshots.backup(args[1], args[2], args[3], Path.of(args[4]));
				}
				lease.shutdownNow();
			}
		}

	}

}
