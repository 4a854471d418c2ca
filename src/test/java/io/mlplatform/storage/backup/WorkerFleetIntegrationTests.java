package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.web.JsonColumns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several workers on one database: three started here beside the app's own, sharing one queue. Each
 * job is claimed once (a second claim would count a second attempt) and all of them finish.
 */
class WorkerFleetIntegrationTests extends IntegrationTestSupport {

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private PlatformTransactionManager transactionManager;

	@Autowired
	private WorkerProperties properties;

	@Autowired
	private JsonColumns columns;

	@Autowired
	private BackupWorker appWorker;

	private final List<BackupWorker> fleet = new ArrayList<>();

	@AfterEach
	void stopFleet() {
		this.fleet.forEach(BackupWorker::close);
	}

	private BackupWorker worker(int number) {
		WorkerProperties settings = new WorkerProperties(true, false, "local", TestInfrastructure.sharesRoot(), 2, 100,
				100, Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(1), 5, Duration.ofDays(365),
				Duration.ofMinutes(5));
		JobQueue queue = new JobQueue(this.db, new TransactionTemplate(this.transactionManager), Clock.systemUTC(),
				settings);
		return new BackupWorker("fleet-" + number, queue, this.db,
				new LocalExecutor(this.snapshots, settings.mountRoot()), this.snapshots, null, settings,
				Clock.systemUTC(), this.columns, null);
	}

	@Test
	void threeWorkersRunEveryJobOnceAndFinishThemAll() {
		createProject("fleet");
		int storages = 24;
		for (int i = 0; i < storages; i++) {
			this.api.post("/api/v1/projects/fleet/storages", "{\"name\": \"s" + i + "\", \"capacity\": \"1Gi\"}");
			BackupTestSupport.write(TestInfrastructure.sharesRoot().resolve("fleet/s" + i + "/f.bin"),
					BackupTestSupport.random(2000 + i, i));
		}
		// as the operator would report them: Ready, so the queue hands their jobs out
		this.db.sql("UPDATE storages SET phase = 'Ready'").update();
		int appFinishedBefore = this.appWorker.finished();
		for (int i = 0; i < 3; i++) {
			this.fleet.add(worker(i));
		}
		for (int i = 0; i < storages; i++) {
			assertThat(this.api.post("/api/v1/projects/fleet/storages/s" + i + "/backups", null).status()).isEqualTo(202);
		}
		this.fleet.forEach(BackupWorker::start);

		await().atMost(Duration.ofSeconds(120))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> count("select count(*) from backups where state = 'Succeeded'") == storages);

		assertThat(count("select count(*) from backups where attempt <> 1")).isZero();
		int finished = this.appWorker.finished() - appFinishedBefore;
		for (BackupWorker worker : this.fleet) {
			finished += worker.finished();
		}
		assertThat(finished).isEqualTo(storages);
		assertThat(this.fleet.stream().mapToInt(BackupWorker::finished).sum()).isPositive();
		for (int i = 0; i < storages; i++) {
			String storageId = this.db.sql("SELECT cast(id as text) FROM storages WHERE name = ?")
				.param("s" + i)
				.query(String.class)
				.single();
			assertThat(this.snapshots.snapshotObjects("fleet", storageId).count()).isEqualTo(1);
		}
	}

}
