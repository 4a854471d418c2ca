package io.mlplatform.storage.backup;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.unit.DataSize;

/**
 * Service instances' schedulers and workers against the local run's PostgreSQL and S3, for
 * {@code bench/worker.sh}: each instance has what a replica has (its own engine, pools, S3 client and
 * connection pool) and the production settings, in this one JVM. The local run's own worker and
 * scheduler are off meanwhile, so the instance count is exact.
 * <pre>
 * WorkerFleet schedule N   # the bench storages fall due now; N schedulers tick every poll; time until all are Queued
 * WorkerFleet drain N      # 1,000 small backups queued; N workers drain them; time until all Succeeded
 * </pre>
 * Reads the local run's {@code sandbox.env} settings from the environment. Prints one {@code BENCH} line.
 */
final class WorkerFleet {

	/** The service's default poll: how often an instance ticks the scheduler and looks at the queue. */
	private static final Duration POLL = Duration.ofSeconds(2);

	/** Projects the bench script created: wb-001 … wb-100, 100 storages each. */
	private static final String BENCH = "p.name LIKE 'wb-%'";

	private WorkerFleet() {
	}

	public static void main(String[] args) throws Exception {
		String mode = args[0];
		int instances = Integer.parseInt(args[1]);
		List<HikariDataSource> pools = new ArrayList<>();
		try {
			JdbcClient db = JdbcClient.create(pool(pools));
			if (mode.equals("schedule")) {
				schedule(db, instances, pools);
			}
			else {
				drain(db, instances, pools);
			}
		}
		finally {
			pools.forEach(HikariDataSource::close);
		}
	}

	/** A replica's connection pool (Hikari's default size, as the service has). */
	private static HikariDataSource pool(List<HikariDataSource> pools) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(System.getenv("DATABASE_URL"));
		config.setUsername(System.getenv().getOrDefault("PGUSER", "postgres"));
		HikariDataSource pool = new HikariDataSource(config);
		pools.add(pool);
		return pool;
	}

	private static void schedule(JdbcClient db, int instances, List<HikariDataSource> pools) throws Exception {
		db.sql("DELETE FROM backups b USING projects p WHERE p.id = b.project_id AND " + BENCH).update();
		List<BackupScheduler> schedulers = new ArrayList<>();
		for (int i = 0; i < instances; i++) {
			JdbcClient own = JdbcClient.create(pool(pools));
			schedulers.add(new BackupScheduler(own,
					new TransactionTemplate(new DataSourceTransactionManager(pools.get(pools.size() - 1))),
					Clock.systemUTC(), 1000));
		}
		long storages = db.sql("""
				UPDATE storages s SET next_backup_at = now() FROM projects p
				WHERE p.id = s.project_id AND s.deleted_at IS NULL AND\s""" + BENCH)
			.update();
		long start = System.nanoTime();
		ScheduledExecutorService ticks = Executors.newScheduledThreadPool(instances);
		for (BackupScheduler scheduler : schedulers) {
			ticks.scheduleWithFixedDelay(() -> {
				try {
					scheduler.tick();
				}
				catch (RuntimeException ex) {
					System.err.println("tick failed: " + ex); // as the worker's guard does: the next tick tries again
				}
			}, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
		}
		long queued = 0;
		while (queued < storages && System.nanoTime() - start < TimeUnit.MINUTES.toNanos(10)) {
			Thread.sleep(20);
			queued = queued(db, "count(*)");
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		ticks.shutdownNow();
		ticks.awaitTermination(1, TimeUnit.MINUTES);
		long distinct = queued(db, "count(DISTINCT b.storage_id)");
		long all = queued(db, "count(*)");
		System.out.printf("BENCH schedule instances=%d storages=%d queued=%d distinct=%d seconds=%.2f%n", instances,
				storages, all, distinct, seconds);
	}

	private static long queued(JdbcClient db, String what) {
		return db.sql("SELECT " + what + " FROM backups b JOIN projects p ON p.id = b.project_id WHERE "
				+ "b.state = 'Queued' AND b.trigger = 'scheduled' AND " + BENCH).query(Long.class).single();
	}

	private static void drain(JdbcClient db, int instances, List<HikariDataSource> pools) throws Exception {
		db.sql("DELETE FROM backups b USING projects p WHERE p.id = b.project_id AND " + BENCH).update();
		// 1,000 storages (wb-001 … wb-010), each with one small file, new content in every round
		Path shares = Path.of(System.getenv("PSS_SHARES_ROOT"));
		String round = Long.toString(System.currentTimeMillis());
		List<String[]> storages = db.sql("""
				SELECT p.namespace, s.name FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.name <= 'wb-010' AND s.deleted_at IS NULL AND\s""" + BENCH)
			.query((row, n) -> new String[] { row.getString(1), row.getString(2) })
			.list();
		for (String[] storage : storages) {
			Path share = Files.createDirectories(shares.resolve(storage[0]).resolve(storage[1]));
			Files.writeString(share.resolve("data.txt"), "round " + round + " of " + storage[0] + "/" + storage[1] + "\n");
		}
		long jobs = db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
				SELECT gen_random_uuid(), s.project_id, s.id, s.cluster, 'manual', 'Queued', now()
				FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.name <= 'wb-010' AND s.deleted_at IS NULL AND\s""" + BENCH)
			.update();
		// the service's defaults, but the per-cluster limit as high as the fleet's threads (all in cluster local)
		WorkerProperties settings = new WorkerProperties(true, false, "local", shares, 4, 16, 16, POLL,
				Duration.ofSeconds(30), Duration.ofSeconds(1), 5, Duration.ofDays(365), Duration.ofMinutes(5));
		List<AutoCloseable> closing = new ArrayList<>();
		List<BackupWorker> fleet = new ArrayList<>();
		for (int i = 0; i < instances; i++) {
			HikariDataSource pool = pool(pools);
			JdbcClient own = JdbcClient.create(pool);
			S3Store store = new S3Store(s3());
			Snapshots snapshots = new Snapshots(store, pool, engine(), Clock.systemUTC());
			closing.add(store);
			closing.add(snapshots);
			fleet.add(new BackupWorker("bench-" + i, new JobQueue(own,
					new TransactionTemplate(new DataSourceTransactionManager(pool)), Clock.systemUTC(), settings), own,
					new LocalExecutor(snapshots, shares), snapshots, null, settings, Clock.systemUTC(),
					null /* reads restores' paths only: no restore runs here */, null));
		}
		long start = System.nanoTime();
		fleet.forEach(BackupWorker::start);
		long done = 0;
		while (done < jobs && System.nanoTime() - start < TimeUnit.MINUTES.toNanos(30)) {
			Thread.sleep(50);
			done = db.sql("""
					SELECT count(*) FROM backups b JOIN projects p ON p.id = b.project_id
					WHERE b.state IN ('Succeeded', 'Failed', 'Cancelled') AND\s""" + BENCH).query(Long.class).single();
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		fleet.forEach(BackupWorker::close);
		for (int i = closing.size() - 1; i >= 0; i--) {
			closing.get(i).close();
		}
		long succeeded = db.sql("SELECT count(*) FROM backups b JOIN projects p ON p.id = b.project_id WHERE "
				+ "b.state = 'Succeeded' AND " + BENCH).query(Long.class).single();
		long reclaimed = db.sql("SELECT count(*) FROM backups b JOIN projects p ON p.id = b.project_id WHERE "
				+ "b.attempt > 1 AND " + BENCH).query(Long.class).single();
		System.out.printf("BENCH drain instances=%d jobs=%d succeeded=%d claimed-twice=%d seconds=%.2f%n", instances,
				jobs, succeeded, reclaimed, seconds);
	}

	/** The local run's bucket, with the service's default client settings. */
	private static BackupProperties.S3 s3() {
		return new BackupProperties.S3(URI.create(System.getenv("PSS_S3_ENDPOINT")), "us-east-1", true,
				System.getenv("AWS_ACCESS_KEY_ID"), System.getenv("AWS_SECRET_ACCESS_KEY"), System.getenv("PSS_S3_BUCKET"),
				"pss", DataSize.ofMegabytes(16), "when-required", "none", null, false, 8, 32, Duration.ofSeconds(10),
				Duration.ofSeconds(60));
	}

	/** The engine's defaults (pss.backup.*). */
	private static BackupProperties engine() {
		return new BackupProperties(s3(), DataSize.ofMegabytes(8), DataSize.ofMegabytes(32), 4, 8, 4096,
				Duration.ofHours(6), Duration.ofHours(24), Duration.ofMinutes(2));
	}

}
