package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Turns due schedules into queued backups. Each storage's next run time is in Postgres; a tick locks
 * a batch of due storages (FOR UPDATE SKIP LOCKED, so replicas ticking at once take disjoint
 * batches), queues one backup each unless one is already queued or running (the unique partial
 * index decides, not this code), and moves each storage's next run time past now, all in one
 * transaction: a due run is queued exactly once.
 */
public class BackupScheduler {

	private static final Logger log = LoggerFactory.getLogger(BackupScheduler.class);

	private final JdbcClient db;

	private final JdbcTemplate jdbc;

	private final TransactionTemplate transactions;

	private final Clock clock;

	private final int batchSize;

	public BackupScheduler(JdbcTemplate jdbc, TransactionTemplate transactions, Clock clock, int batchSize) {
		this.jdbc = jdbc;
		this.db = JdbcClient.create(jdbc);
		this.transactions = transactions;
		this.clock = clock;
		this.batchSize = batchSize;
	}

	/**
	 * The first run time strictly after {@code after} of a 5-field cron (or a macro such as @daily) in a
	 * time zone; null for a schedule that never fires again.
	 */
	public static Instant next(String schedule, String timeZone, Instant after) {
		String trimmed = schedule.trim();
		CronExpression cron = CronExpression.parse(trimmed.startsWith("@") ? trimmed : "0 " + trimmed);
		ZonedDateTime next = cron.next(after.atZone(ZoneId.of(timeZone)));
		return next == null ? null : next.toInstant();
	}

	/**
	 * Plans a storage's next scheduled backup from now, in the caller's transaction: called whenever a
	 * storage is created or its schedule, time zone or enabled flag changes.
	 */
	public void plan(UUID storage, boolean enabled, String schedule, String timeZone) {
		Instant next = enabled ? next(schedule, timeZone, this.clock.instant()) : null;
		this.db.sql("UPDATE storages SET next_backup_at = ? WHERE id = ?")
			.params(next == null ? null : JobQueue.at(next), storage)
			.update();
	}

	/** Queues the backups due now; returns how many were queued. */
	public int tick() {
		int queued = 0;
		while (true) {
			Batch batch = this.transactions.execute(status -> queueBatch());
			queued += batch.queued();
			if (batch.storages() < this.batchSize) {
				return queued;
			}
		}
	}

	private record Batch(int storages, int queued) {
	}

	private record Due(UUID id, UUID projectId, String cluster, String schedule, String timeZone, Instant next) {
	}

	private Batch queueBatch() {
		Instant now = this.clock.instant();
		// storages never planned (created before schedules were kept) are planned from now, not fired
		List<Due> due = this.db.sql("""
				SELECT id, project_id, cluster, backup_schedule, backup_time_zone, next_backup_at FROM storages
				WHERE deleted_at IS NULL AND lifecycle = 'Active' AND backup_enabled
				  AND (next_backup_at <= :now OR next_backup_at IS NULL)
				ORDER BY next_backup_at NULLS FIRST
				LIMIT :limit
				FOR UPDATE SKIP LOCKED""")
			.param("now", JobQueue.at(now))
			.param("limit", this.batchSize)
			.query((row, n) -> new Due(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
					row.getString("cluster"), row.getString("backup_schedule"), row.getString("backup_time_zone"),
					row.getTimestamp("next_backup_at") == null ? null : row.getTimestamp("next_backup_at").toInstant()))
			.list();
		if (due.isEmpty()) {
			return new Batch(0, 0);
		}
		List<Object[]> plans = new ArrayList<>();
		List<Object[]> backups = new ArrayList<>();
		for (Due storage : due) {
			plans.add(new Object[] { nextOrLater(storage, now), storage.id() });
			if (storage.next() != null) {
				backups.add(new Object[] { UUID.randomUUID(), storage.projectId(), storage.id(), storage.cluster(),
						JobQueue.at(now) });
			}
		}
		int queued = 0;
		if (!backups.isEmpty()) {
			for (int count : this.jdbc.batchUpdate("""
					INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
					VALUES (?, ?, ?, ?, 'scheduled', 'Queued', ?)
					ON CONFLICT (storage_id) WHERE state IN ('Queued', 'Running') AND trigger <> 'beforeDelete' DO NOTHING""", backups)) {
				queued += Math.max(count, 0);
			}
		}
		this.jdbc.batchUpdate("UPDATE storages SET next_backup_at = ? WHERE id = ?", plans);
		return new Batch(due.size(), queued);
	}

	/** The storage's next run; a schedule that cannot be read (or never fires again) is looked at again in a day. */
	private static OffsetDateTime nextOrLater(Due storage, Instant now) {
		try {
			Instant next = next(storage.schedule(), storage.timeZone(), now);
			return JobQueue.at(next != null ? next : now.plus(Duration.ofDays(1)));
		}
		catch (IllegalArgumentException | DateTimeException ex) {
			// validated on the way in; a zone dropped from a newer tz database lands here
			log.warn("Storage {} has a backup schedule that cannot be read ({}); it is not scheduled", storage.id(),
					ex.getMessage());
			return JobQueue.at(now.plus(Duration.ofDays(1)));
		}
	}

}
