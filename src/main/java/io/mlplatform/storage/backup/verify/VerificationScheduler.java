package io.mlplatform.storage.backup.verify;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.BackupScheduler;

/**
 * Turns due verification schedules into queued verifications of each storage's newest Succeeded
 * backup. As the backup scheduler does: a tick locks a batch of due storages (FOR UPDATE SKIP LOCKED,
 * so replicas ticking at once take disjoint batches), queues one verification each unless one of that
 * backup is already queued or running (the unique partial index decides), and moves each storage's
 * next time past now, in one transaction: a due verification is queued exactly once.
 */
public class VerificationScheduler {

	private static final Logger log = LoggerFactory.getLogger(VerificationScheduler.class);

	/**
	 * The next run of a storage starts reading where the last one that finished stopped (see
	 * {@code SnapshotCheck}); the first starts at 0.
	 */
	static final String NEXT_CURSOR = """
			coalesce((SELECT c.cursor_end FROM verifications c WHERE c.storage_id = %s
			  AND c.state IN ('Succeeded', 'Failed') AND c.cursor_end IS NOT NULL
			  ORDER BY c.finished_at DESC LIMIT 1), 0)""";

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final Clock clock;

	private final int batchSize;

	public VerificationScheduler(JdbcClient db, TransactionTemplate transactions, Clock clock, int batchSize) {
		this.db = db;
		this.transactions = transactions;
		this.clock = clock;
		this.batchSize = batchSize;
	}

	private static OffsetDateTime at(Instant instant) {
		return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

	/**
	 * Plans a storage's next scheduled verification from now, in the caller's transaction: called whenever
	 * a storage is created or its verification policy changes.
	 */
	public void plan(UUID storage, boolean enabled, String schedule, String timeZone) {
		Instant next = enabled ? BackupScheduler.next(schedule, timeZone, this.clock.instant()) : null;
		this.db.sql("UPDATE storages SET next_verify_at = ? WHERE id = ?")
			.params(next == null ? null : at(next), storage)
			.update();
	}

	/** Queues the verifications due now; returns how many were queued. */
	public int tick() {
		int queued = 0;
		while (true) {
			int[] batch = this.transactions.execute(status -> queueBatch());
			queued += batch[1];
			if (batch[0] < this.batchSize) {
				return queued;
			}
		}
	}

	private record Due(UUID id, String schedule, String timeZone, boolean planned) {
	}

	/** @return the storages looked at and the verifications queued */
	private int[] queueBatch() {
		Instant now = this.clock.instant();
		// storages never planned are planned from now, not fired: a new deployment does not verify everything at once
		List<Due> due = this.db.sql("""
				SELECT id, verify_schedule, verify_time_zone, next_verify_at FROM storages
				WHERE deleted_at IS NULL AND lifecycle = 'Active' AND verify_enabled
				  AND (next_verify_at <= :now OR next_verify_at IS NULL)
				ORDER BY next_verify_at NULLS FIRST
				LIMIT :limit
				FOR UPDATE SKIP LOCKED""")
			.param("now", at(now))
			.param("limit", this.batchSize)
			.query((row, n) -> new Due(row.getObject("id", UUID.class), row.getString("verify_schedule"),
					row.getString("verify_time_zone"), row.getObject("next_verify_at") != null))
			.list();
		if (due.isEmpty()) {
			return new int[] { 0, 0 };
		}
		List<UUID> fired = new ArrayList<>();
		for (Due storage : due) {
			if (storage.planned()) {
				fired.add(storage.id());
			}
			this.db.sql("UPDATE storages SET next_verify_at = ? WHERE id = ?")
				.params(at(nextOrLater(storage, now)), storage.id())
				.update();
		}
		int queued = fired.isEmpty() ? 0 : this.db.sql("""
				INSERT INTO verifications (id, project_id, storage_id, backup_id, trigger, data_fraction, cursor_start,
				  state, created_at)
				SELECT gen_random_uuid(), s.project_id, s.id, newest.id, 'scheduled', s.verify_data_fraction, %s,
				  'Queued', :now
				FROM storages s
				JOIN LATERAL (SELECT b.id FROM backups b WHERE b.storage_id = s.id AND b.state = 'Succeeded'
				  ORDER BY b.created_at DESC, b.id DESC LIMIT 1 FOR SHARE) newest ON true
				WHERE s.id = ANY (:ids)
				ON CONFLICT (backup_id) WHERE state IN ('Queued', 'Running') DO NOTHING""".formatted(NEXT_CURSOR.formatted("s.id")))
			.param("now", at(now))
			.param("ids", fired.toArray(UUID[]::new))
			.update();
		return new int[] { due.size(), queued };
	}

	/** The storage's next run; a schedule that cannot be read (or never fires again) is looked at again in a day. */
	private static Instant nextOrLater(Due storage, Instant now) {
		try {
			Instant next = BackupScheduler.next(storage.schedule(), storage.timeZone(), now);
			return next != null ? next : now.plus(Duration.ofDays(1));
		}
		catch (IllegalArgumentException | DateTimeException ex) {
			log.warn("Storage {} has a verification schedule that cannot be read ({}); it is not scheduled",
					storage.id(), ex.getMessage());
			return now.plus(Duration.ofDays(1));
		}
	}

}
