package io.mlplatform.storage.backup;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A project's content index in Postgres: which contents the bucket already holds and where. Lookups
 * write nothing: a running backup's {@link BackupLease} keeps garbage collection away from all of it.
 */
final class ContentIndex {

	private final JdbcClient db;

	private final SnapshotLayout layout;

	ContentIndex(JdbcClient db, SnapshotLayout layout) {
		this.db = db;
		this.layout = layout;
	}

	/** The stored contents among {@code sha256s}. */
	Map<String, ContentLocation> find(String project, Collection<String> sha256s) {
		Map<String, ContentLocation> found = new HashMap<>();
		if (sha256s.isEmpty()) {
			return found;
		}
		this.db.sql("""
				SELECT sha256, size, pack_id, pack_offset FROM backup_contents
				WHERE project = ? AND sha256 = ANY (?::varchar[])""")
			.param(project)
			.param(sha256s.toArray(String[]::new))
			.query((rs, row) -> {
				String sha256 = rs.getString(1);
				long size = rs.getLong(2);
				String pack = rs.getString(3);
				return (pack != null) ? ContentLocation.packed(sha256, size, pack, rs.getLong(4))
						: ContentLocation.blob(sha256, size, this.layout.blob(project, sha256));
			})
			.list()
			.forEach(location -> found.put(location.sha256(), location));
		return found;
	}

	/**
	 * Records contents whose objects are complete in the bucket; one that is already known keeps its
	 * place. Only under a live lease: a backup whose lease expired may have uploaded into a collection
	 * that removes the same keys, and must not point the index at them.
	 */
	void record(String project, BackupLease lease, List<ContentLocation> contents) {
		if (contents.isEmpty()) {
			return;
		}
		List<ContentLocation> stored = contents.stream().sorted(java.util.Comparator.comparing(ContentLocation::sha256)).toList();
		// a deadlock with another backup recording the same contents costs one attempt, not the backup
		for (int attempt = 1;; attempt++) {
			try {
				int recorded = this.db.sql("""
						WITH lease AS (SELECT 1 FROM backup_leases
							WHERE id = ? AND finished_at IS NULL AND expires_at > now() FOR SHARE)
						INSERT INTO backup_contents (project, sha256, size, pack_id, pack_offset, used_at)
						SELECT ?, s, z, p, o, now() FROM unnest(?::varchar[], ?::bigint[], ?::varchar[], ?::bigint[]) AS t(s, z, p, o)
						WHERE EXISTS (SELECT 1 FROM lease)
						ON CONFLICT (project, sha256) DO UPDATE SET used_at = now()""")
					.param(lease.id())
					.param(project)
					.param(stored.stream().map(ContentLocation::sha256).toArray(String[]::new))
					.param(stored.stream().map(ContentLocation::size).toArray(Long[]::new))
					.param(stored.stream().map(ContentLocation::pack).toArray(String[]::new))
					.param(stored.stream().map(ContentLocation::offset).toArray(Long[]::new))
					.update();
				if (recorded == 0) {
					lease.check();
					throw new IllegalStateException("Backup lease " + lease.id() + " expired before the backup finished");
				}
				return;
			}
			catch (TransientDataAccessException ex) {
				if (attempt == 5) {
					throw ex;
				}
			}
		}
	}

}
