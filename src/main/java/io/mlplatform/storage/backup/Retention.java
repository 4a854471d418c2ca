package io.mlplatform.storage.backup;

import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Applies a storage's retention after one of its backups succeeded, wherever the backup ran: the
 * worker after a backup in this JVM, the mover API after a mover's commit.
 */
final class Retention {

	private static final Logger log = LoggerFactory.getLogger(Retention.class);

	private final JdbcClient db;

	private final Snapshots snapshots;

	Retention(JdbcClient db, Snapshots snapshots) {
		this.db = db;
		this.snapshots = snapshots;
	}

	/**
	 * Deletes the snapshots the storage's retention does not keep and marks their backups Expired. A
	 * failure is logged, not the backup's: the next backup applies retention again.
	 */
	void apply(UUID storageId, String project, UUID backup, String storage) {
		try {
			record Policy(RetentionPolicy retention, String zone) {
			}
			Policy policy = this.db.sql("""
					SELECT keep_last, keep_daily, keep_weekly, keep_monthly, backup_time_zone FROM storages WHERE id = ?""")
				.param(storageId)
				.query((row, n) -> new Policy(new RetentionPolicy(row.getObject("keep_last", Integer.class),
						row.getObject("keep_daily", Integer.class), row.getObject("keep_weekly", Integer.class),
						row.getObject("keep_monthly", Integer.class)), row.getString("backup_time_zone")))
				.single();
			// a restore or a verification accepted for a backup holds it: retention lets it go once none waits for it
			Set<String> pinned = new HashSet<>(this.db.sql("""
					SELECT backup_id::text FROM restores WHERE source_storage_id = ? AND state IN ('Queued', 'Running')
					UNION
					SELECT backup_id::text FROM verifications WHERE storage_id = ? AND state IN ('Queued', 'Running')""")
				.params(storageId, storageId)
				.query(String.class)
				.list());
			List<String> expired = this.snapshots.forget(project, storageId.toString(), policy.retention(),
					ZoneId.of(policy.zone()), pinned);
			if (!expired.isEmpty()) {
				this.db.sql("""
						UPDATE backups SET state = 'Expired', version = version + 1
						WHERE storage_id = ? AND state = 'Succeeded' AND id::text = ANY (?)""")
					.params(storageId, expired.toArray(String[]::new))
					.update();
			}
		}
		catch (RuntimeException ex) {
			log.warn("Retention after backup {} of storage {} failed; the next backup applies it: {}", backup, storage,
					ex.toString());
		}
	}

}
