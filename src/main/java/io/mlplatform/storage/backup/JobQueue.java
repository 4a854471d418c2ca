package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The worker's side of the {@code backups} and {@code restores} tables: claim a job with a lease,
 * renew the lease while writing progress, finish. Every UPDATE of a running job names the lease
 * owner, so a worker whose lease ran out (and whose job another worker claimed) changes nothing.
 */
final class JobQueue {

	/** The two kinds of job; each table name is a trusted constant. */
	enum Kind {

		BACKUP("backups", "restores"), RESTORE("restores", "backups");

		final String table;

		final String other;

		Kind(String table, String other) {
			this.table = table;
			this.other = other;
		}

	}

	/** Serializes claims across instances, so the running counts a claim checks cannot change under it. */
	private static final long CLAIM_LOCK = 0x7073735f636c61L;

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final Clock clock;

	private final WorkerProperties properties;

	/** Counts the jobs {@link #abandon} ends: no worker is there to count them. */
	private final WorkerMetrics metrics;

	JobQueue(JdbcClient db, TransactionTemplate transactions, Clock clock, WorkerProperties properties) {
		this(db, transactions, clock, properties, WorkerMetrics.detached(db));
	}

	JobQueue(JdbcClient db, TransactionTemplate transactions, Clock clock, WorkerProperties properties,
			WorkerMetrics metrics) {
		this.metrics = metrics;
		this.db = db;
		this.transactions = transactions;
		this.clock = clock;
		this.properties = properties;
	}

	private OffsetDateTime now() {
		return at(this.clock.instant());
	}

	static OffsetDateTime at(Instant instant) {
		return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

	/**
	 * Claims the oldest job of a kind that may run now: queued, or running under a lease that ran out
	 * (its worker died: the engine resumes from what that one uploaded). Its storage must be Ready and
	 * not busy with a job of the other kind; the fleet's and the cluster's running counts must be
	 * under their limits.
	 * @return the id of the job now leased to {@code owner}
	 */
	Optional<UUID> claim(Kind kind, String owner) {
		// an idle queue costs one index lookup, not a transaction with the claim lock
		boolean waiting = this.db.sql("""
				SELECT EXISTS (SELECT 1 FROM %s WHERE state = 'Queued' OR (state = 'Running' AND lease_until < ?))"""
			.formatted(kind.table)).param(now()).query(Boolean.class).single();
		if (!waiting) {
			return Optional.empty();
		}
		return this.transactions.execute(status -> {
			OffsetDateTime now = now();
			this.db.sql("SELECT pg_advisory_xact_lock(?)").param(CLAIM_LOCK).query((row, n) -> 1).list();
			abandon(kind, now);
			return this.db.sql("""
					WITH running AS (
					  SELECT cluster FROM backups WHERE state = 'Running' AND lease_until >= :now
					  UNION ALL
					  SELECT cluster FROM restores WHERE state = 'Running' AND lease_until >= :now
					  UNION ALL
					  -- a Job whose run ended but whose pod was not seen ending yet (it is exiting, or being
					  -- stopped) still runs a mover; for at most a lease, so a lost cluster cannot hold it forever
					  SELECT cluster FROM mover_runs WHERE executor = 'kubernetes' AND job_finished_at IS NULL
					    AND state IN ('Committed', 'Failed') AND ended_at >= :endedSince),
					candidate AS (
					  SELECT j.id FROM %1$s j JOIN storages s ON s.id = j.storage_id
					  WHERE (j.state = 'Queued' OR (j.state = 'Running' AND j.lease_until < :now))
					    AND s.deleted_at IS NULL AND s.phase = 'Ready'
					    AND (SELECT count(*) FROM running) < :maxRunning
					    AND (SELECT count(*) FROM running r WHERE r.cluster = j.cluster) < :perCluster
					    AND NOT EXISTS (SELECT 1 FROM %2$s o WHERE o.storage_id = j.storage_id
					                    AND o.state = 'Running' AND o.lease_until >= :now)
					    AND NOT EXISTS (SELECT 1 FROM %1$s o WHERE o.storage_id = j.storage_id AND o.id <> j.id
					                    AND o.state = 'Running' AND o.lease_until >= :now)
					  ORDER BY j.created_at, j.id
					  LIMIT 1
					  FOR UPDATE OF j SKIP LOCKED)
					UPDATE %1$s SET state = 'Running', lease_owner = :owner, lease_until = :until,
					  attempt = attempt + 1, started_at = coalesce(started_at, :now), error = NULL,
					  version = version + 1
					FROM candidate WHERE %1$s.id = candidate.id
					RETURNING %1$s.id""".formatted(kind.table, kind.other))
				.param("now", now)
				.param("until", now.plus(this.properties.lease()))
				.param("endedSince", now.minus(this.properties.lease()))
				.param("owner", owner)
				.param("maxRunning", this.properties.maxRunning())
				.param("perCluster", this.properties.maxRunningPerCluster())
				.query(UUID.class)
				.optional();
		});
	}

	/**
	 * Jobs whose worker died are not claimed again forever: one cancelled meanwhile ends Cancelled,
	 * one whose workers died {@code maxAttempts} times ends Failed.
	 */
	private void abandon(Kind kind, OffsetDateTime now) {
		this.db.sql("""
				UPDATE %s SET state = CASE WHEN cancel_requested THEN 'Cancelled' ELSE 'Failed' END,
				  error = CASE WHEN cancel_requested THEN NULL ELSE :error END,
				  finished_at = :now, lease_owner = NULL, lease_until = NULL, eta_seconds = NULL, version = version + 1
				WHERE state = 'Running' AND lease_until < :now AND (cancel_requested OR attempt >= :attempts)
				RETURNING state"""
			.formatted(kind.table))
			.param("now", now)
			.param("error", "The worker running it stopped " + this.properties.maxAttempts()
					+ " times before it finished (see the service's logs); start it again")
			.param("attempts", this.properties.maxAttempts())
			.query(String.class)
			.list()
			.forEach(state -> this.metrics.abandoned(kind, JobState.valueOf(state)));
	}

	/** Counters of a running job, as last seen by its worker. */
	record Progress(Long files, Long filesTotal, Long bytes, Long bytesTotal, Long bytesUploaded, Long etaSeconds) {
	}

	/**
	 * Writes progress and extends the lease.
	 * @return empty when the lease is lost (the job is no longer this worker's), else whether a cancel was asked for
	 */
	Optional<Boolean> renew(Kind kind, UUID id, String owner, Progress progress) {
		OffsetDateTime now = now();
		String uploaded = kind == Kind.BACKUP ? ", bytes_uploaded = :uploaded" : "";
		var statement = this.db.sql("""
				UPDATE %s SET lease_until = :until, files = :files, files_total = :filesTotal, bytes = :bytes,
				  bytes_total = :bytesTotal, eta_seconds = :eta%s, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running' AND lease_until >= :now
				RETURNING cancel_requested""".formatted(kind.table, uploaded))
			.param("until", now.plus(this.properties.lease()))
			.param("files", progress.files())
			.param("filesTotal", progress.filesTotal())
			.param("bytes", progress.bytes())
			.param("bytesTotal", progress.bytesTotal())
			.param("eta", progress.etaSeconds())
			.param("id", id)
			.param("owner", owner)
			.param("now", now);
		if (kind == Kind.BACKUP) {
			statement = statement.param("uploaded", progress.bytesUploaded());
		}
		return statement.query(Boolean.class).optional();
	}

	/**
	 * Ends a running job this worker still holds.
	 * @return false when the lease was lost meanwhile: another worker owns the job now
	 */
	boolean finish(Kind kind, UUID id, String owner, JobState state, Progress progress, String error) {
		String uploaded = kind == Kind.BACKUP ? ", bytes_uploaded = :uploaded" : "";
		var statement = this.db.sql("""
				UPDATE %s SET state = :state, finished_at = :now, error = :error, files = :files,
				  files_total = :filesTotal, bytes = :bytes, bytes_total = :bytesTotal%s, eta_seconds = NULL,
				  lease_owner = NULL, lease_until = NULL, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'""".formatted(kind.table, uploaded))
			.param("state", state.name())
			.param("now", now())
			.param("error", error)
			.param("files", progress.files())
			.param("filesTotal", progress.filesTotal())
			.param("bytes", progress.bytes())
			.param("bytesTotal", progress.bytesTotal())
			.param("id", id)
			.param("owner", owner);
		if (kind == Kind.BACKUP) {
			statement = statement.param("uploaded", progress.bytesUploaded());
		}
		return statement.update() == 1;
	}

	/** Gives a running job back to the queue as if never claimed: this instance is shutting down. */
	void release(Kind kind, UUID id, String owner) {
		this.db.sql("""
				UPDATE %s SET state = 'Queued', lease_owner = NULL, lease_until = NULL, attempt = attempt - 1,
				  version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'""".formatted(kind.table))
			.param("id", id)
			.param("owner", owner)
			.update();
	}


	/**
	 * Passes a job this worker claimed to a new owner (a mover's run), whose renewals keep it from now on.
	 * @return the job's attempt, or empty if the claim was lost meanwhile
	 */
	Optional<Integer> handOver(Kind kind, UUID id, String owner, String newOwner) {
		return this.db.sql("""
				UPDATE %s SET lease_owner = :newOwner, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'
				RETURNING attempt""".formatted(kind.table))
			.param("newOwner", newOwner)
			.param("id", id)
			.param("owner", owner)
			.query(Integer.class)
			.optional();
	}

	/**
	 * Ends a running job this owner holds, keeping the counters last written.
	 * @return false when the lease was lost meanwhile
	 */
	boolean end(Kind kind, UUID id, String owner, JobState state, String error) {
		return this.db.sql("""
				UPDATE %s SET state = :state, finished_at = :now, error = :error, eta_seconds = NULL,
				  lease_owner = NULL, lease_until = NULL, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'""".formatted(kind.table))
			.param("state", state.name())
			.param("now", now())
			.param("error", error)
			.param("id", id)
			.param("owner", owner)
			.update() == 1;
	}

	/**
	 * Gives up the attempt of a job this owner holds (its mover stopped without ending it): the job is
	 * queued for its next attempt, or ends Cancelled if a cancel was asked for, or Failed after
	 * {@code maxAttempts}, with {@code error} as the reason.
	 * @return the state the job is in now, or empty when the lease had passed to someone else
	 */
	Optional<JobState> retry(Kind kind, UUID id, String owner, String error) {
		Optional<JobState> state = this.db.sql("""
				UPDATE %s SET state = CASE WHEN cancel_requested THEN 'Cancelled'
				    WHEN attempt >= :attempts THEN 'Failed' ELSE 'Queued' END,
				  error = CASE WHEN cancel_requested THEN NULL ELSE :error END,
				  finished_at = CASE WHEN cancel_requested OR attempt >= :attempts THEN :now END,
				  lease_owner = NULL, lease_until = NULL, eta_seconds = NULL, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'
				RETURNING state""".formatted(kind.table))
			.param("attempts", this.properties.maxAttempts())
			.param("error", error)
			.param("now", now())
			.param("id", id)
			.param("owner", owner)
			.query(String.class)
			.optional()
			.map(JobState::valueOf);
		state.filter(s -> s != JobState.Queued).ifPresent(s -> this.metrics.abandoned(kind, s));
		return state;
	}

}
