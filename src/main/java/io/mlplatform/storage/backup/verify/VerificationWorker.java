package io.mlplatform.storage.backup.verify;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.backup.BackupWorker;
import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.VerificationSummary.VerificationProblem;
import io.mlplatform.storage.backup.work.LeasedWorker;
import io.mlplatform.storage.snapshot.CheckProgress;
import io.mlplatform.storage.snapshot.CheckResult;

/**
 * Runs queued verifications in this JVM, whatever executor backups use: a verification reads S3 only,
 * with the service's own client, so no mover and no share is involved. Any number of instances share
 * the queue; each renews its verifications' leases and writes their progress once per
 * {@code progressEvery}, and one whose lease ran out (its instance died) is taken over by another.
 * A verification that found damage puts the {@code BackupVerified=False} condition on its storage.
 */
public class VerificationWorker extends LeasedWorker<VerificationWorker.Running> {

	private static final Logger log = LoggerFactory.getLogger(VerificationWorker.class);

	private static final int MAX_ERROR = 2000;

	private final VerificationQueue queue;

	private final JdbcClient db;

	private final Snapshots snapshots;

	private final VerificationScheduler scheduler;

	private final MeterRegistry meters;

	private final JsonMapper json;

	VerificationWorker(String owner, VerificationQueue queue, JdbcClient db, Snapshots snapshots,
			VerificationScheduler scheduler, MeterRegistry meters, JsonMapper json, Duration poll,
			Duration progressEvery, int threads) {
		super(owner, "verify", poll, progressEvery, threads, 0);
		this.queue = queue;
		this.db = db;
		this.snapshots = snapshots;
		this.scheduler = scheduler;
		this.meters = meters;
		this.json = json;
	}

	@Override
	protected void poll() {
		if (this.scheduler != null) {
			guarded("scheduling verifications", this.scheduler::tick);
		}
		guarded("ending abandoned verifications", () -> this.queue.abandon().forEach(this::count));
		claimAll();
	}

	@Override
	protected Optional<Running> claim() {
		return this.queue.claim(owner()).map(Running::new);
	}

	/** A verification in this instance's hands. */
	static final class Running extends LeasedWorker.Held {

		final CheckProgress progress = new CheckProgress();

		Running(UUID id) {
			super(id);
		}

		@Override
		public String toString() {
			return "verification " + id();
		}

	}

	private record Job(String project, UUID storageId, UUID backupId, double dataFraction, long cursor) {
	}

	@Override
	protected void work(Running job) {
		Job row = null;
		try {
			row = this.db.sql("""
					SELECT p.name AS project, v.storage_id, v.backup_id, v.data_fraction, v.cursor_start
					FROM verifications v JOIN projects p ON p.id = v.project_id WHERE v.id = ?""")
				.param(job.id())
				.query((r, n) -> new Job(r.getString("project"), r.getObject("storage_id", UUID.class),
						r.getObject("backup_id", UUID.class), r.getDouble("data_fraction"), r.getLong("cursor_start")))
				.single();
			CheckResult result = this.snapshots.verify(row.project(), row.storageId().toString(),
					row.backupId().toString(), row.dataFraction(), row.cursor(), job.progress);
			if (Thread.currentThread().isInterrupted() && (job.cancelled() || job.lost() || stopping())) {
				throw new IllegalStateException("Verification " + job.id() + " interrupted");
			}
			String outcome = result.damaged() ? "damaged" : "ok";
			if (end(job, new VerificationQueue.Ending(result.damaged() ? "Failed" : "Succeeded", outcome,
					result.checkedFiles(), result.checkedBytes(), problems(result), result.problemCount(),
					result.cursorEnd(), null))) {
				recordCondition(row, result);
				log.info("Verification {} of backup {} in project {}: {} files ({} bytes) checked, {} problems",
						job.id(), row.backupId(), row.project(), result.checkedFiles(), result.checkedBytes(),
						result.problemCount());
			}
		}
		catch (RuntimeException | Error ex) {
			failed(job, ex, row);
		}
	}

	private void failed(Running job, Throwable ex, Job row) {
		String what = "Verification " + job.id() + " of backup " + (row == null ? null : row.backupId());
		failed(job, ex, what,
				() -> end(job, new VerificationQueue.Ending("Cancelled", "cancelled", job.progress.files(),
						job.progress.bytes(), "[]", 0, null, null)),
				() -> this.queue.release(job.id(), owner()),
				() -> end(job, new VerificationQueue.Ending("Failed", "error", job.progress.files(), job.progress.bytes(),
						"[]", 0, null, BackupWorker.describe(ex))));
	}

	private boolean end(Running job, VerificationQueue.Ending ending) {
		boolean ended = end(job, "Verification " + job.id() + " (" + ending.state() + ")",
				() -> this.queue.finish(job.id(), owner(), ending));
		if (ended) {
			count(ending.outcome());
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

	@Override
	protected Optional<Boolean> renew(Running job) {
		CheckProgress progress = job.progress;
		return this.queue.renew(job.id(), owner(), progress.files(),
				progress.filesTotal() < 0 ? null : progress.filesTotal(), progress.bytes(),
				progress.bytesTotal() < 0 ? null : progress.bytesTotal());
	}

}
