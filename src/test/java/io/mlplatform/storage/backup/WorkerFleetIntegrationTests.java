package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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
		return worker(number, Duration.ofDays(365), Duration.ofSeconds(30));
	}

	private BackupWorker worker(int number, Duration gcEvery, Duration lease) {
		WorkerProperties settings = new WorkerProperties(true, false, "local", TestInfrastructure.sharesRoot(), 2, 100,
				100, Duration.ofMillis(100), lease, Duration.ofSeconds(1), 5, gcEvery, Duration.ofMinutes(5));
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
		int appFinishedBefore = this.appWorker.finished();
		// queued while the storages are still provisioning, so the app's worker cannot run them all
		// before the fleet starts
		for (int i = 0; i < storages; i++) {
			assertThat(this.api.post("/api/v1/projects/fleet/storages/s" + i + "/backups", null).status()).isEqualTo(202);
		}
		for (int i = 0; i < 3; i++) {
			this.fleet.add(worker(i));
		}
		this.fleet.forEach(BackupWorker::start);
		// as the operator would report them: Ready, so the queue hands their jobs out to all four workers
		this.db.sql("UPDATE storages SET phase = 'Ready'").update();

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

	@Test
	void threeWorkersTickingTheCollectionRunItOncePerPeriod() {
		Duration period = Duration.ofSeconds(3);
		// due for the fleet now, not for the app's worker (every hour); nobody holds it
		Instant due = this.db.sql("""
				UPDATE worker_tasks SET lease_owner = NULL, lease_until = NULL, last_finished_at = now() - interval '3 seconds'
				WHERE name = 'gc' RETURNING last_finished_at""").query(OffsetDateTime.class).single().toInstant();
		int appBefore = this.appWorker.collections();
		for (int i = 0; i < 3; i++) {
			this.fleet.add(worker(i, period, Duration.ofSeconds(3)));
		}
		Set<Instant> finishes = new TreeSet<>();

		this.fleet.forEach(BackupWorker::start);
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
			finishes.add(gcFinishedAt());
			return collections(appBefore) >= 3;
		});
		this.fleet.forEach(BackupWorker::close);
		finishes.add(gcFinishedAt());
		finishes.remove(due);

		// every collection that ran left its own finish time, and the next began a period after it
		assertThat(finishes).hasSize(collections(appBefore));
		Instant previous = null;
		for (Instant finish : finishes) {
			if (previous != null) {
				assertThat(Duration.between(previous, finish)).isGreaterThanOrEqualTo(period);
			}
			previous = finish;
		}
		assertThat(this.fleet.stream().filter(worker -> worker.collections() > 0)).isNotEmpty();
	}

	@Test
	void aDeadHoldersCollectionLeaseRunsOutAndAnotherWorkerTakesOver() {
		// a replica took the collection and died: its lease still runs for 3 seconds
		Instant leaseEnd = this.db.sql("""
				UPDATE worker_tasks SET lease_owner = 'dead-replica', lease_until = now() + interval '3 seconds',
				  last_finished_at = NULL
				WHERE name = 'gc' RETURNING lease_until""").query(OffsetDateTime.class).single().toInstant();
		int appBefore = this.appWorker.collections();
		for (int i = 0; i < 3; i++) {
			this.fleet.add(worker(i, Duration.ofDays(365), Duration.ofSeconds(3)));
		}

		this.fleet.forEach(BackupWorker::start);
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> collections(appBefore) >= 1);
		this.fleet.forEach(BackupWorker::close);

		assertThat(collections(appBefore)).isEqualTo(1);
		assertThat(gcFinishedAt()).isAfter(leaseEnd);
		assertThat(count("select count(*) from worker_tasks where name = 'gc' and lease_owner is null")).isEqualTo(1);
	}

	/** Collections run to the end since the test began, by the fleet and the app's own worker. */
	private int collections(int appBefore) {
		return this.appWorker.collections() - appBefore + this.fleet.stream().mapToInt(BackupWorker::collections).sum();
	}

	private Instant gcFinishedAt() {
		OffsetDateTime finished = this.db.sql("SELECT last_finished_at FROM worker_tasks WHERE name = 'gc'")
			.query(OffsetDateTime.class)
			.single();
		return finished == null ? Instant.MIN : finished.toInstant();
	}

}
