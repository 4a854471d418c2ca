package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.snapshot.BackupResult;

/**
 * The worker's Prometheus metrics (SPEC §7): runs by outcome and their durations, bytes uploaded
 * and files backed up, garbage collections, and the queue's depth. Labels are outcomes and states
 * only, never a project or storage: those would be one series per storage.
 * <p>
 * Runs are counted by the instance that ended them (summed across replicas); a job failed by the
 * queue after its workers died is counted by the instance whose claim failed it. The queue depth
 * is read from Postgres, so every replica reports the same number; the query runs at most once per
 * {@link #DEPTH_CACHE} however often Prometheus scrapes.
 */
final class WorkerMetrics {

	private static final Duration DEPTH_CACHE = Duration.ofSeconds(5);

	private static final String[] STATES = { "Queued", "Running" };

	private final MeterRegistry meters;

	private final JdbcClient db;

	private final Clock clock;

	private final Counter bytesUploaded;

	private final Counter files;

	private final Counter collections;

	private Map<String, Long> depth = Map.of();

	private Instant depthReadAt = Instant.MIN;

	WorkerMetrics(MeterRegistry meters, JdbcClient db, Clock clock) {
		this.meters = meters;
		this.db = db;
		this.clock = clock;
		this.bytesUploaded = Counter.builder("pss.backup.bytes.uploaded")
			.description("Bytes backups sent to the bucket (new content and manifests), whatever their outcome")
			.register(meters);
		this.files = Counter.builder("pss.backup.files")
			.description("Files in the snapshots of succeeded backups")
			.register(meters);
		this.collections = Counter.builder("pss.backup.gc.runs")
			.description("Garbage collections this instance ran to the end (one instance at a time runs one)")
			.register(meters);
		for (Kind kind : Kind.values()) {
			String name = kind == Kind.BACKUP ? "pss.backup.queue.depth" : "pss.restore.queue.depth";
			for (String state : STATES) {
				Gauge.builder(name, this, metrics -> metrics.depth(kind, state))
					.description("Jobs waiting (queued) or running, across all instances, read from the database")
					.tag("state", state.toLowerCase(Locale.ROOT))
					.register(meters);
			}
		}
	}

	/** Metrics nobody scrapes: for workers that tests and benchmarks start beside the app's. */
	static WorkerMetrics detached(JdbcClient db) {
		return new WorkerMetrics(new SimpleMeterRegistry(), db, Clock.systemUTC());
	}

	/**
	 * A backup this instance ended.
	 * @param result what it stored, null unless it succeeded
	 * @param uploaded bytes it sent to the bucket
	 */
	void backupEnded(JobState outcome, Duration took, BackupResult result, long uploaded) {
		ended("pss.backup", outcome, took);
		this.bytesUploaded.increment(uploaded);
		if (result != null) {
			this.files.increment(result.files());
		}
	}

	void restoreEnded(JobState outcome, Duration took) {
		ended("pss.restore", outcome, took);
	}

	/** A job the queue ended because its workers died too often (Failed) or it was cancelled meanwhile. */
	void abandoned(Kind kind, JobState outcome) {
		runs(kind == Kind.BACKUP ? "pss.backup" : "pss.restore", outcome).increment();
	}

	void collected() {
		this.collections.increment();
	}

	private void ended(String prefix, JobState outcome, Duration took) {
		runs(prefix, outcome).increment();
		Timer.builder(prefix + ".duration")
			.description("How long runs took from their claim to their end, by outcome")
			.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
			.publishPercentileHistogram()
			.minimumExpectedValue(Duration.ofMillis(100))
			.maximumExpectedValue(Duration.ofHours(24))
			.register(this.meters)
			.record(took);
	}

	private Counter runs(String prefix, JobState outcome) {
		return Counter.builder(prefix + ".runs")
			.description("Runs that ended, by outcome: succeeded, failed or cancelled")
			.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
			.register(this.meters);
	}

	private synchronized double depth(Kind kind, String state) {
		Instant now = this.clock.instant();
		if (this.depthReadAt.isBefore(now.minus(DEPTH_CACHE))) {
			Map<String, Long> read = new HashMap<>();
			// both tables' active rows, through their partial indexes on (state IN ('Queued', 'Running'))
			this.db.sql("""
					SELECT 'BACKUP' AS kind, state, count(*) AS jobs FROM backups WHERE state IN ('Queued', 'Running') GROUP BY state
					UNION ALL
					SELECT 'RESTORE', state, count(*) FROM restores WHERE state IN ('Queued', 'Running') GROUP BY state""")
				.query(row -> {
					read.put(row.getString("kind") + "/" + row.getString("state"), row.getLong("jobs"));
				});
			this.depth = read;
			this.depthReadAt = now;
		}
		return this.depth.getOrDefault(kind.name() + "/" + state, 0L);
	}

}
