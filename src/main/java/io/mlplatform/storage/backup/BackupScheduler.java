package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.quota.BackupQuota;

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

	private final TransactionTemplate transactions;

	private final Clock clock;

	private final int batchSize;

	public BackupScheduler(JdbcClient db, TransactionTemplate transactions, Clock clock, int batchSize) {
		this.db = db;
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
		// one statement each for the whole batch: per-row round trips made 10,000 due storages take seconds
		UUID[] ids = new UUID[due.size()];
		long[] nextMicros = new long[due.size()];
		List<UUID> fired = new ArrayList<>();
		Map<String, CronExpression> parsed = new HashMap<>();
		for (int i = 0; i < due.size(); i++) {
			Due storage = due.get(i);
			ids[i] = storage.id();
			Instant next = nextOrLater(storage, now, parsed);
			nextMicros[i] = next.getEpochSecond() * 1_000_000 + next.getNano() / 1_000;
			if (storage.next() != null) {
				fired.add(storage.id());
			}
		}
		// a project at its backup capacity starts no backup: each refused one is Failed at once, saying why
		Map<UUID, UUID> projects = new HashMap<>();
		due.forEach(storage -> projects.put(storage.id(), storage.projectId()));
		Map<UUID, String> refusals = BackupQuota.refusals(this.db, new java.util.HashSet<>(projects.values()));
		List<UUID> allowed = fired.stream().filter(id -> !refusals.containsKey(projects.get(id))).toList();
		List<UUID> refused = fired.stream().filter(id -> refusals.containsKey(projects.get(id))).toList();
		int queued = allowed.isEmpty() ? 0 : this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
				SELECT gen_random_uuid(), project_id, id, cluster, 'scheduled', 'Queued', ? FROM storages WHERE id = ANY (?)
				ON CONFLICT (storage_id) WHERE state IN ('Queued', 'Running') AND trigger <> 'beforeDelete' DO NOTHING""")
			.params(JobQueue.at(now), allowed.toArray(UUID[]::new))
			.update();
		allowed(this.db, allowed);
		if (!refused.isEmpty()) {
			refuse(refused, projects, refusals, now);
		}
		this.db.sql("""
				UPDATE storages s SET next_backup_at = timestamptz 'epoch' + plan.micros * interval '1 microsecond'
				FROM unnest(?::uuid[], ?::bigint[]) AS plan (id, micros) WHERE s.id = plan.id""")
			.params(ids, nextMicros)
			.update();
		return new Batch(due.size(), queued);
	}

	/**
	 * Records the scheduled backups refused because their projects are at their backup capacity: each a
	 * backup Failed at once with the reason, and a BackupQuotaExceeded condition on its storage.
	 */
	private void refuse(List<UUID> refused, Map<UUID, UUID> projects, Map<UUID, String> refusals, Instant now) {
		String[] reasons = refused.stream().map(id -> refusals.get(projects.get(id))).toArray(String[]::new);
		this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, finished_at, error)
				SELECT gen_random_uuid(), s.project_id, s.id, s.cluster, 'scheduled', 'Failed', ?, ?, r.reason
				FROM storages s JOIN unnest(?::uuid[], ?::text[]) AS r (id, reason) ON r.id = s.id""")
			.params(JobQueue.at(now), JobQueue.at(now), refused.toArray(UUID[]::new), reasons)
			.update();
		this.db.sql("""
				UPDATE storages s SET backup_refused = r.reason,
					backup_refused_at = CASE WHEN s.backup_refused IS NULL THEN ?::timestamptz ELSE s.backup_refused_at END
				FROM unnest(?::uuid[], ?::text[]) AS r (id, reason)
				WHERE s.id = r.id AND s.backup_refused IS DISTINCT FROM r.reason""")
			.params(JobQueue.at(now), refused.toArray(UUID[]::new), reasons)
			.update();
		log.warn("Refused {} scheduled backups: their projects are at their backup capacity", refused.size());
	}

	/** Clears the BackupQuotaExceeded condition of storages whose backup was allowed, in the caller's transaction. */
	static void allowed(JdbcClient db, List<UUID> storages) {
		if (!storages.isEmpty()) {
			db.sql("""
					UPDATE storages SET backup_refused = NULL, backup_refused_at = NULL
					WHERE id = ANY (?) AND backup_refused IS NOT NULL""")
				.param(storages.toArray(UUID[]::new))
				.update();
		}
	}

	/** The storage's next run; a schedule that cannot be read (or never fires again) is looked at again in a day. */
	private static Instant nextOrLater(Due storage, Instant now, Map<String, CronExpression> parsed) {
		try {
			String schedule = storage.schedule().trim();
			CronExpression cron = parsed.computeIfAbsent(schedule,
					key -> CronExpression.parse(key.startsWith("@") ? key : "0 " + key));
			ZonedDateTime next = cron.next(now.atZone(ZoneId.of(storage.timeZone())));
			return next != null ? next.toInstant() : now.plus(Duration.ofDays(1));
		}
		catch (IllegalArgumentException | DateTimeException ex) {
			// validated on the way in; a zone dropped from a newer tz database lands here
			log.warn("Storage {} has a backup schedule that cannot be read ({}); it is not scheduled", storage.id(),
					ex.getMessage());
			return now.plus(Duration.ofDays(1));
		}
	}

}
