package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
 * Not part of the suite (the name does not end in Tests): {@code mvn test -Dtest=WorkerBenchmark}.
 * 1) 10,000 storages whose schedules fall due in the same minute: time until all are Queued, by one
 * scheduler and by three ticking at once, and that none is queued twice. 2) 1,000 small backups
 * drained by 1 and by 3 worker instances (2 jobs each at once). Sixteen jobs leased to an instance
 * that never ends them keep the app's own worker (limit 16) out of the measurement.
 */
class WorkerBenchmark extends IntegrationTestSupport {

	@Autowired
	private PlatformTransactionManager transactionManager;

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private JsonColumns columns;

	private void storages(int projects, int perProject, String phase, Instant due) {
		this.db.sql("""
				INSERT INTO projects (id, name, namespace, created_at, updated_at, version)
				SELECT gen_random_uuid(), 'p-' || lpad(p::text, 3, '0'), 'p-' || lpad(p::text, 3, '0'), now(), now(), 0
				FROM generate_series(1, ?) p""").param(projects).update();
		this.db.sql("INSERT INTO quotas (project_id, updated_at, version) SELECT id, now(), 0 FROM projects").update();
		this.db.sql("""
				INSERT INTO storages (id, project_id, name, cluster, capacity_bytes, access_mode, backup_enabled,
				    backup_schedule, backup_time_zone, backup_before_delete, lifecycle, generation, phase, sync_state,
				    created_at, updated_at, version, next_backup_at)
				SELECT gen_random_uuid(), p.id, 's-' || lpad(s::text, 4, '0'), 'local', 1073741824, 'ReadWriteMany', true,
				    '* * * * *', 'UTC', false, 'Active', 1, ?, 'Synced', now(), now(), 0,
				    ? + make_interval(secs => (s % 60))
				FROM projects p, generate_series(1, ?) s""")
			.params(phase, JobQueue.at(due), perProject)
			.update();
	}

	@Test
	void tenThousandDueSchedulesAreQueuedOnce() throws Exception {
		Instant minute = Instant.now().plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
		storages(100, 100, "Pending", minute);
		Instant now = minute.plusSeconds(59);
		long start = System.nanoTime();
		int queued = new BackupScheduler(this.db, new TransactionTemplate(this.transactionManager),
				Clock.fixed(now, ZoneOffset.UTC), 1000).tick();
		double one = (System.nanoTime() - start) / 1e9;
		assertThat(queued).isEqualTo(10_000);
		assertThat(count("select count(distinct storage_id) from backups")).isEqualTo(10_000);

		// the same again with three schedulers ticking at once, a minute later
		this.db.sql("DELETE FROM backups").update();
		Instant later = now.plusSeconds(60);
		ExecutorService threads = Executors.newFixedThreadPool(3);
		List<Callable<Integer>> ticks = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			ticks.add(() -> new BackupScheduler(this.db, new TransactionTemplate(this.transactionManager),
					Clock.fixed(later, ZoneOffset.UTC), 1000).tick());
		}
		start = System.nanoTime();
		int total = 0;
		for (Future<Integer> tick : threads.invokeAll(ticks)) {
			total += tick.get();
		}
		double three = (System.nanoTime() - start) / 1e9;
		threads.shutdown();
		assertThat(total).isEqualTo(10_000);
		assertThat(count("select count(*) from backups")).isEqualTo(10_000);
		assertThat(count("select count(distinct storage_id) from backups")).isEqualTo(10_000);
		System.out.printf("BENCH scheduler: 10000 due storages queued by 1 scheduler in %.2f s, by 3 at once in %.2f s%n",
				one, three);
	}

	@Test
	void drainsAThousandSmallBackups() throws Exception {
		for (int workers : new int[] { 1, 3 }) {
			cleanDatabaseAndConnect();
			// 1,016 storages: 1,000 jobs to drain beside the 16 held
			storages(8, 127, "Ready", Instant.now().plus(Duration.ofDays(1)));
			this.db.sql("""
					SELECT p.namespace, s.name FROM storages s JOIN projects p ON p.id = s.project_id""").query(row -> {
				try {
					Path share = TestInfrastructure.sharesRoot().resolve(row.getString(1)).resolve(row.getString(2));
					Files.createDirectories(share);
					// distinct from the other round's, so neither finds its content stored already
					Files.writeString(share.resolve("data.txt"),
							"content of " + row.getString(2) + " in " + row.getString(1) + " for " + workers + " workers");
				}
				catch (java.io.IOException ex) {
					throw new java.io.UncheckedIOException(ex);
				}
			});
			// sixteen storages' jobs held elsewhere: the app's worker stays at its limit
			this.db.sql("""
					INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, lease_owner, lease_until, attempt)
					SELECT gen_random_uuid(), project_id, id, cluster, 'manual', 'Running', now(), 'elsewhere', now() + interval '1 hour', 1
					FROM storages ORDER BY name DESC, project_id LIMIT 16""").update();
			this.db.sql("""
					INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
					SELECT gen_random_uuid(), project_id, id, cluster, 'manual', 'Queued', now() FROM storages
					WHERE id NOT IN (SELECT storage_id FROM backups)""").update();
			long jobs = count("select count(*) from backups where state = 'Queued'");
			List<BackupWorker> fleet = new ArrayList<>();
			for (int i = 0; i < workers; i++) {
				WorkerProperties settings = new WorkerProperties(true, false, "local", TestInfrastructure.sharesRoot(), 2,
						16 + 2 * workers, 100, Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(1), 5,
						Duration.ofDays(365), Duration.ofMinutes(5));
				fleet.add(new BackupWorker("bench-" + i, new JobQueue(this.db,
						new TransactionTemplate(this.transactionManager), Clock.systemUTC(), settings), this.db,
						new LocalExecutor(this.snapshots, settings.mountRoot()), this.snapshots, null, settings,
						Clock.systemUTC(), this.columns, null));
			}
			long start = System.nanoTime();
			fleet.forEach(BackupWorker::start);
			await().atMost(Duration.ofMinutes(30))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> count("select count(*) from backups where state = 'Succeeded'") == jobs);
			double seconds = (System.nanoTime() - start) / 1e9;
			fleet.forEach(BackupWorker::close);
			assertThat(count("select count(*) from backups where attempt > 1")).isZero();
			System.out.printf("BENCH worker: %d small backups drained by %d worker(s) (2 jobs each) in %.1f s (%.1f backups/s)%n",
					jobs, workers, seconds, jobs / seconds);
		}
	}

}
