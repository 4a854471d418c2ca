package io.mlplatform.storage.backup.verify;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.backup.BackupWorker;
import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.VerificationSummary.VerificationProblem;
import io.mlplatform.storage.snapshot.CheckProgress;
import io.mlplatform.storage.snapshot.CheckResult;
import io.mlplatform.storage.snapshot.SnapshotEngine;

/**
 * Runs queued verifications in this JVM, whatever executor backups use: a verification reads S3 only,
 * with the service's own client, so no mover and no share is involved. Any number of instances share
 * the queue; each renews its verifications' leases and writes their progress once per
 * {@code progressEvery}, and one whose lease ran out (its instance died) is taken over by another.
 * A verification that found damage puts the {@code BackupVerified=False} condition on its storage.
 */
public class VerificationWorker implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(VerificationWorker.class);

	private static final int MAX_ERROR = 2000;

	private final String owner;

	private final VerificationQueue queue;

	private final JdbcClient db;

	private final Snapshots snapshots;

	private final VerificationScheduler scheduler;

	private final MeterRegistry meters;

	private final JsonMapper json;

	private final Duration poll;

	private final Duration progressEvery;

	private final int threads;

	private final ScheduledExecutorService control;

	private final ExecutorService jobs;

	private final Map<UUID, Running> running = new ConcurrentHashMap<>();

	private final AtomicBoolean stopping = new AtomicBoolean();

	private final AtomicInteger finished = new AtomicInteger();

	private volatile boolean started;

	VerificationWorker(String owner, VerificationQueue queue, JdbcClient db, Snapshots snapshots,
			VerificationScheduler scheduler, MeterRegistry meters, JsonMapper json, Duration poll,
			Duration progressEvery, int threads) {
		this.owner = owner;
		this.queue = queue;
		this.db = db;
		this.snapshots = snapshots;
		this.scheduler = scheduler;
		this.meters = meters;
		this.json = json;
		this.poll = poll;
		this.progressEvery = progressEvery;
		this.threads = threads;
		this.control = Executors.newSingleThreadScheduledExecutor(SnapshotEngine.daemon("verify-control"));
		this.jobs = Executors.newFixedThreadPool(threads, SnapshotEngine.daemon("verify-job"));
	}

	String owner() {
		return this.owner;
	}

	/** Verifications this instance brought to an end. */
	int finished() {
		return this.finished.get();
	}

	void start() {
		this.started = true;
		this.control.scheduleWithFixedDelay(this::poll, 0, this.poll.toMillis(), TimeUnit.MILLISECONDS);
		this.control.scheduleWithFixedDelay(this::heartbeat, this.progressEvery.toMillis(),
				this.progressEvery.toMillis(), TimeUnit.MILLISECONDS);
	}

	/** Looks at the queue now rather than at the next poll: called after a verification was queued here. */
	public void wake() {
		if (this.started && !this.stopping.get()) {
			try {
				this.control.execute(() -> guarded("claiming verifications", this::claimAll));
			}
			catch (RejectedExecutionException ex) {
				// shutting down
			}
		}
	}

	private void poll() {
		if (this.scheduler != null) {
			guarded("scheduling verifications", this.scheduler::tick);
		}
		guarded("claiming verifications", this::claimAll);
	}

	private void guarded(String what, Runnable work) {
		try {
			work.run();
		}
		catch (RuntimeException ex) {
			log.warn("Verification worker {} failed {}: {}", this.owner, what, ex.toString());
		}
	}

	private void claimAll() {
		this.queue.abandon().forEach(this::count);
		while (!this.stopping.get() && this.running.size() < this.threads) {
			Optional<UUID> claimed = this.queue.claim(this.owner);
			if (claimed.isEmpty()) {
				return;
			}
			Running job = new Running(claimed.get());
			this.running.put(job.id, job);
			this.jobs.execute(() -> run(job));
		}
	}

	/** A verification in this instance's hands. */
	private static final class Running {

		final UUID id;

		final CheckProgress progress = new CheckProgress();

		volatile Thread thread;

		volatile boolean cancelled;

		volatile boolean lost;

		volatile boolean ended;

		Running(UUID id) {
			this.id = id;
		}

		void interrupt() {
			Thread current = this.thread;
			if (current != null) {
				current.interrupt();
			}
		}

	}

	private record Job(String project, UUID storageId, UUID backupId, double dataFraction, long cursor) {
	}

	private void run(Running job) {
		job.thread = Thread.currentThread();
		Job row = null;
		try {
			row = this.db.sql("""
					SELECT p.name AS project, v.storage_id, v.backup_id, v.data_fraction, v.cursor_start
					FROM verifications v JOIN projects p ON p.id = v.project_id WHERE v.id = ?""")
				.param(job.id)
				.query((r, n) -> new Job(r.getString("project"), r.getObject("storage_id", UUID.class),
						r.getObject("backup_id", UUID.class), r.getDouble("data_fraction"), r.getLong("cursor_start")))
				.single();
			CheckResult result = this.snapshots.verify(row.project(), row.storageId().toString(),
					row.backupId().toString(), row.dataFraction(), row.cursor(), job.progress);
			if (Thread.currentThread().isInterrupted() && (job.cancelled || job.lost || this.stopping.get())) {
				throw new IllegalStateException("Verification " + job.id + " interrupted");
			}
			String outcome = result.damaged() ? "damaged" : "ok";
			if (end(job, new VerificationQueue.Ending(result.damaged() ? "Failed" : "Succeeded", outcome,
					result.checkedFiles(), result.checkedBytes(), problems(result), result.problemCount(),
					result.cursorEnd(), null))) {
				recordCondition(row, result);
				log.info("Verification {} of backup {} in project {}: {} files ({} bytes) checked, {} problems",
						job.id, row.backupId(), row.project(), result.checkedFiles(), result.checkedBytes(),
						result.problemCount());
			}
		}
		catch (RuntimeException | Error ex) {
			failed(job, ex, row);
		}
		finally {
			job.thread = null;
			Thread.interrupted();
			this.running.remove(job.id);
			wake();
		}
	}

	private void failed(Running job, Throwable ex, Job row) {
		if (job.lost) {
			log.warn("Verification {} lost its lease while running; another worker has it now", job.id);
		}
		else if (job.cancelled) {
			end(job, new VerificationQueue.Ending("Cancelled", "cancelled", job.progress.files(), job.progress.bytes(),
					"[]", 0, null, null));
		}
		else if (this.stopping.get()) {
			this.queue.release(job.id, this.owner);
		}
		else {
			log.warn("Verification {} of backup {} failed: {}", job.id, row == null ? null : row.backupId(),
					ex.toString());
			end(job, new VerificationQueue.Ending("Failed", "error", job.progress.files(), job.progress.bytes(), "[]", 0,
					null, BackupWorker.describe(ex)));
		}
		if (ex instanceof Error error && !(ex instanceof AssertionError)) {
			throw error;
		}
	}

	private boolean end(Running job, VerificationQueue.Ending ending) {
		job.ended = true;
		boolean ended = this.queue.finish(job.id, this.owner, ending);
		if (ended) {
			this.finished.incrementAndGet();
			count(ending.outcome());
		}
		else {
			log.warn("Verification {} ended here as {}, but its lease had passed to another worker", job.id,
					ending.state());
		}
		return ended;
	}

	/** Counts a verification ended with this outcome, here or (cancelled while queued) by the API. */
	void count(String outcome) {
		Counter.builder("pss.backup.verifications")
			.description("Verifications of backups ended, by outcome: ok, damaged, error, cancelled")
			.tag("outcome", outcome)
			.register(this.meters)
			.increment();
	}

	private String problems(CheckResult result) {
		return this.json.writeValueAsString(
				result.problems().stream().map(p -> new VerificationProblem(p.path(), p.what())).toList());
	}

	/**
	 * Damage found puts {@code BackupVerified=False} on the storage, naming the backup; a clean result sets
	 * it True unless a newer backup's verification found damage (an older snapshot being fine does not
	 * make the newer one restorable).
	 */
	private void recordCondition(Job row, CheckResult result) {
		if (result.damaged()) {
			CheckResult.Problem first = result.problems().isEmpty() ? null : result.problems().get(0);
			String message = "Backup %s: %d problem%s found%s".formatted(row.backupId(), result.problemCount(),
					result.problemCount() == 1 ? "" : "s",
					first == null ? "" : ", e.g. " + (first.path().isEmpty() ? "" : first.path() + ": ") + first.what());
			this.db.sql("""
					UPDATE storages SET verified_backup_id = :backup, verified_status = 'False',
					  verified_reason = 'ProblemsFound', verified_message = :message, verified_at = :now
					WHERE id = :storage""")
				.param("backup", row.backupId())
				.param("message", message.length() > MAX_ERROR ? message.substring(0, MAX_ERROR) : message)
				.param("now", this.queue.now())
				.param("storage", row.storageId())
				.update();
			return;
		}
		this.db.sql("""
				UPDATE storages s SET verified_backup_id = :backup, verified_status = 'True', verified_reason = 'Verified',
				  verified_message = :message, verified_at = :now
				WHERE s.id = :storage AND (s.verified_backup_id IS NULL OR s.verified_backup_id = :backup
				  OR NOT EXISTS (SELECT 1 FROM backups o WHERE o.id = s.verified_backup_id)
				  OR (SELECT created_at FROM backups WHERE id = :backup)
				     >= (SELECT created_at FROM backups WHERE id = s.verified_backup_id))""")
			.param("backup", row.backupId())
			.param("message", "Backup %s: %d files (%d bytes) checked, no problems".formatted(row.backupId(),
					result.checkedFiles(), result.checkedBytes()))
			.param("now", this.queue.now())
			.param("storage", row.storageId())
			.update();
	}

	/** Writes every running verification's progress and renews its lease; stops those cancelled or lost. */
	private void heartbeat() {
		for (Running job : this.running.values()) {
			if (job.lost || job.ended) {
				continue;
			}
			try {
				CheckProgress progress = job.progress;
				Optional<Boolean> renewed = this.queue.renew(job.id, this.owner, progress.files(),
						progress.filesTotal() < 0 ? null : progress.filesTotal(), progress.bytes(),
						progress.bytesTotal() < 0 ? null : progress.bytesTotal());
				if (renewed.isEmpty()) {
					job.lost = true;
					job.interrupt();
				}
				else if (renewed.get() && !job.cancelled) {
					job.cancelled = true;
					job.interrupt();
				}
			}
			catch (RuntimeException ex) {
				log.warn("Verification worker {} could not renew the lease of {}: {}", this.owner, job.id,
						ex.toString());
			}
		}
	}

	/** Stops claiming, hands running verifications back to the queue for another instance, and stops. */
	@Override
	public void close() {
		this.stopping.set(true);
		this.control.shutdownNow();
		this.running.values().forEach(Running::interrupt);
		this.jobs.shutdown();
		try {
			if (!this.jobs.awaitTermination(10, TimeUnit.SECONDS)) {
				this.jobs.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
