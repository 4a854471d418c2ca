package io.mlplatform.storage.backup;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
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
			List<String> unkept = this.snapshots.unkept(project, storageId.toString(), policy.retention(),
					ZoneId.of(policy.zone()));
			if (unkept.isEmpty()) {
				return;
			}
			List<String> expired = new ArrayList<>(unkept);
			expired.removeAll(this.snapshots.transactions().execute(status -> held(storageId, unkept)));
			this.snapshots.delete(project, storageId.toString(), expired);
		}
		catch (RuntimeException ex) {
			log.warn("Retention after backup {} of storage {} failed; the next backup applies it: {}", backup, storage,
					ex.toString());
		}
	}

	/**
	 * Marks the backups of these snapshots Expired, except those an accepted restore or verification still waits to read, and
	 * returns those it keeps. A restore (or a verification) is accepted under a share lock on its backup's row, taken while the
	 * backup is Succeeded: these rows are locked first and the restores read after, in a statement of its own,
	 * so a restore accepted meanwhile is either seen here or finds its backup Expired (409), never a snapshot
	 * deleted under it. Snapshots whose backups are already Expired (a pass that died before deleting them) or
	 * have no row go as well.
	 */
	private List<String> held(UUID storageId, List<String> unkept) {
		String[] ids = unkept.toArray(String[]::new);
		// only a Succeeded backup can be restored or verified: the others need no lock
		List<String> succeeded = new ArrayList<>(this.db.sql("""
				SELECT id::text FROM backups WHERE storage_id = ? AND id::text = ANY (?) AND state = 'Succeeded'
				ORDER BY id FOR UPDATE""")
			.params(storageId, ids)
			.query(String.class)
			.list());
		if (succeeded.isEmpty()) {
			return succeeded;
		}
		succeeded.removeAll(this.db.sql("""
				UPDATE backups b SET state = 'Expired', version = version + 1
				WHERE storage_id = ? AND state = 'Succeeded' AND id::text = ANY (?)
				  AND NOT EXISTS (SELECT 1 FROM restores r WHERE r.backup_id = b.id AND r.state IN ('Queued', 'Running'))
				  AND NOT EXISTS (SELECT 1 FROM verifications v WHERE v.backup_id = b.id AND v.state IN ('Queued', 'Running'))
				RETURNING id::text""")
			.params(storageId, succeeded.toArray(String[]::new))
			.query(String.class)
			.list());
		return succeeded;
	}

}
