package io.mlplatform.storage.backup.verify;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The worker's side of the {@code verifications} table: claim one with a lease (FOR UPDATE SKIP
 * LOCKED, so replicas take different ones), renew the lease while writing progress, finish. Every
 * UPDATE of a running verification names the lease owner, so a worker whose lease ran out (and whose
 * verification another worker took over) changes nothing.
 */
final class VerificationQueue {

	private final JdbcClient db;

	private final Clock clock;

	private final Duration lease;

	private final int maxAttempts;

	VerificationQueue(JdbcClient db, Clock clock, Duration lease, int maxAttempts) {
		this.db = db;
		this.clock = clock;
		this.lease = lease;
		this.maxAttempts = maxAttempts;
	}

	OffsetDateTime now() {
		return OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC);
	}

	/**
	 * Claims the oldest verification that may run: queued, or running under a lease that ran out (its
	 * worker died; it starts again from the same cursor).
	 */
	Optional<UUID> claim(String owner) {
		OffsetDateTime now = now();
		return this.db.sql("""
				WITH candidate AS (
				  SELECT id FROM verifications
				  WHERE (state = 'Queued' OR (state = 'Running' AND lease_until < :now)) AND NOT cancel_requested
				    AND attempt < :attempts
				  ORDER BY created_at, id
				  LIMIT 1
				  FOR UPDATE SKIP LOCKED)
				UPDATE verifications v SET state = 'Running', lease_owner = :owner, lease_until = :until,
				  attempt = attempt + 1, started_at = coalesce(started_at, :now), error = NULL, version = version + 1
				FROM candidate WHERE v.id = candidate.id
				RETURNING v.id""")
			.param("now", now)
			.param("until", now.plus(this.lease))
			.param("owner", owner)
			.param("attempts", this.maxAttempts)
			.query(UUID.class)
			.optional();
	}

	/**
	 * Ends verifications no worker will finish: one cancelled while its worker was gone ends Cancelled, one
	 * whose workers died {@code maxAttempts} times ends Failed.
	 * @return the outcomes of those ended
	 */
	List<String> abandon() {
		return this.db.sql("""
				UPDATE verifications SET
				  state = CASE WHEN cancel_requested THEN 'Cancelled' ELSE 'Failed' END,
				  outcome = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'error' END,
				  error = CASE WHEN cancel_requested THEN NULL ELSE :error END,
				  finished_at = :now, lease_owner = NULL, lease_until = NULL, version = version + 1
				WHERE state = 'Running' AND lease_until < :now AND (cancel_requested OR attempt >= :attempts)
				RETURNING outcome""")
			.param("now", now())
			.param("error", "The worker running it stopped " + this.maxAttempts
					+ " times before it finished (see the service's logs); start it again")
			.param("attempts", this.maxAttempts)
			.query(String.class)
			.list();
	}

	/**
	 * Writes progress and extends the lease.
	 * @return empty when the lease is lost, else whether a cancel was asked for
	 */
	Optional<Boolean> renew(UUID id, String owner, Long files, Long filesTotal, Long bytes, Long bytesTotal) {
		OffsetDateTime now = now();
		return this.db.sql("""
				UPDATE verifications SET lease_until = :until, files = :files, files_total = :filesTotal, bytes = :bytes,
				  bytes_total = :bytesTotal, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running' AND lease_until >= :now
				RETURNING cancel_requested""")
			.param("until", now.plus(this.lease))
			.param("files", files)
			.param("filesTotal", filesTotal)
			.param("bytes", bytes)
			.param("bytesTotal", bytesTotal)
			.param("id", id)
			.param("owner", owner)
			.param("now", now)
			.query(Boolean.class)
			.optional();
	}

	/** What a verification ended with. */
	record Ending(String state, String outcome, Long files, Long bytes, String problems, long problemCount,
			Long cursorEnd, String error) {
	}

	/**
	 * Ends a running verification this worker still holds.
	 * @return false when the lease was lost meanwhile
	 */
	boolean finish(UUID id, String owner, Ending ending) {
		return this.db.sql("""
				UPDATE verifications SET state = :state, outcome = :outcome, finished_at = :now, files = :files,
				  files_total = coalesce(files_total, :files), bytes = :bytes, bytes_total = coalesce(bytes_total, :bytes),
				  problems = :problems::jsonb, problem_count = :problemCount, cursor_end = :cursorEnd, error = :error,
				  lease_owner = NULL, lease_until = NULL, version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'""")
			.param("state", ending.state())
			.param("outcome", ending.outcome())
			.param("now", now())
			.param("files", ending.files())
			.param("bytes", ending.bytes())
			.param("problems", ending.problems())
			.param("problemCount", ending.problemCount())
			.param("cursorEnd", ending.cursorEnd())
			.param("error", ending.error())
			.param("id", id)
			.param("owner", owner)
			.update() == 1;
	}

	/** Gives a running verification back to the queue as if never claimed: this instance is shutting down. */
	void release(UUID id, String owner) {
		this.db.sql("""
				UPDATE verifications SET state = 'Queued', lease_owner = NULL, lease_until = NULL, attempt = attempt - 1,
				  version = version + 1
				WHERE id = :id AND lease_owner = :owner AND state = 'Running'""")
			.param("id", id)
			.param("owner", owner)
			.update();
	}

}
