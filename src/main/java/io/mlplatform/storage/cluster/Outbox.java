package io.mlplatform.storage.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The reconciler's side of the outbox. Every statement is short and autocommitted or in a short
 * transaction of its own: rows are claimed with a lease, then applied outside any transaction.
 */
@Component
class Outbox {

	private final JdbcClient jdbc;

	private final Clock clock;

	Outbox(JdbcClient jdbc, Clock clock) {
		this.jdbc = jdbc;
		this.clock = clock;
	}

	/**
	 * Claims up to {@code limit} due rows of a cluster, only the oldest row of each object, so the
	 * changes to one object are applied in the order they were made. Rows another instance is
	 * claiming are skipped, not waited for; rows another instance holds a lease on are left alone.
	 */
	List<OutboxRow> claim(String cluster, String owner, int limit, Duration lease) {
		OffsetDateTime now = now();
		return this.jdbc.sql("""
				UPDATE cluster_outbox SET claimed_by = ?, claimed_until = ?
				WHERE id IN (
				    SELECT o.id FROM cluster_outbox o
				    WHERE o.cluster = ? AND o.not_before <= ?
				      AND (o.claimed_until IS NULL OR o.claimed_until < ?)
				      AND o.id IN (SELECT min(id) FROM cluster_outbox WHERE cluster = ? GROUP BY kind, namespace, name)
				    ORDER BY o.id LIMIT ?
				    FOR UPDATE SKIP LOCKED)
				RETURNING id, cluster, kind, namespace, name, storage_id, action, body::text AS body, attempts, create_first""")
			.params(owner, now.plus(lease), cluster, now, now, cluster, limit)
			.query((row, n) -> new OutboxRow(row.getLong("id"), row.getString("cluster"), row.getString("kind"),
					row.getString("namespace"), row.getString("name"), row.getObject("storage_id", UUID.class),
					row.getString("action"), row.getString("body"), row.getInt("attempts"), row.getBoolean("create_first")))
			.list()
			.stream()
			.sorted(java.util.Comparator.comparingLong(OutboxRow::id))
			.toList();
	}

	/** The row is applied: it goes, and its storage is Synced unless a newer change is queued. */
	@Transactional
	public void applied(OutboxRow row, String owner, Long clusterGeneration) {
		int deleted = this.jdbc.sql("DELETE FROM cluster_outbox WHERE id = ? AND claimed_by = ?")
			.params(row.id(), owner)
			.update();
		if (deleted == 1 && row.storageId() != null && !row.isDelete()) {
			this.jdbc.sql("""
					UPDATE storages SET sync_state = 'Synced', last_error = NULL, cluster_generation = ?
					WHERE id = ? AND sync_seq = ?""").params(clusterGeneration, row.storageId(), row.id()).update();
		}
	}

	/**
	 * Extends the lease of a row about to be applied. A batch can take longer than one lease; a row
	 * whose lease ran out may have been claimed (and applied) by another instance since, and applying
	 * it here too could put an older spec over a newer one.
	 * @return false when the row is no longer this instance's
	 */
	boolean renew(OutboxRow row, String owner, Duration lease) {
		return this.jdbc.sql("UPDATE cluster_outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ?")
			.params(now().plus(lease), row.id(), owner)
			.update() == 1;
	}

	/**
	 * The cluster refused or could not be reached: the row waits and is tried again; its storage
	 * shows the error. {@code refused} (the cluster answered no) shows as Error, unreachable as Pending.
	 */
	@Transactional
	public void failed(OutboxRow row, String owner, String error, boolean refused, Duration wait) {
		release(row, owner, error, refused ? 1 : 0, refused ? "Error" : "Pending", wait);
	}

	/** The object is not ready for this change yet (still being deleted): the row alone waits, growing its backoff. */
	@Transactional
	public void waiting(OutboxRow row, String owner, String reason, Duration wait) {
		release(row, owner, reason, 1, "Pending", wait);
	}

	private void release(OutboxRow row, String owner, String error, int attempts, String syncState, Duration wait) {
		int released = this.jdbc.sql("""
				UPDATE cluster_outbox SET attempts = attempts + ?, not_before = ?, claimed_by = NULL,
				    claimed_until = NULL, last_error = ?
				WHERE id = ? AND claimed_by = ?""")
			.params(attempts, now().plus(wait), error, row.id(), owner)
			.update();
		// a row this instance lost says nothing about the storage: another instance owns its state now
		if (released == 1 && row.storageId() != null) {
			this.jdbc.sql("UPDATE storages SET sync_state = ?, last_error = ? WHERE id = ? AND deleted_at IS NULL")
				.params(syncState, error, row.storageId())
				.update();
		}
	}

	/** The storage's custom resource is gone from its cluster: the row becomes a tombstone. */
	public int tombstone(UUID storageId) {
		Instant now = this.clock.instant();
		return this.jdbc.sql("""
				UPDATE storages SET lifecycle = 'Deleted', deleted_at = ?, updated_at = ?, phase = 'Deleting',
				    sync_state = 'Synced', last_error = NULL, version = version + 1
				WHERE id = ? AND lifecycle = 'Deleting'
				  AND NOT EXISTS (SELECT 1 FROM cluster_outbox WHERE storage_id = ? AND action = 'apply')""")
			.params(OffsetDateTime.ofInstant(now, ZoneOffset.UTC), OffsetDateTime.ofInstant(now, ZoneOffset.UTC),
					storageId, storageId)
			.update();
	}

	List<String> clustersWithDueRows() {
		OffsetDateTime now = now();
		return this.jdbc.sql("""
				SELECT DISTINCT cluster FROM cluster_outbox
				WHERE not_before <= ? AND (claimed_until IS NULL OR claimed_until < ?)""")
			.params(now, now)
			.query(String.class)
			.list();
	}

	private OffsetDateTime now() {
		return OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC);
	}

}
