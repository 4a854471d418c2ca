package io.mlplatform.storage.backup;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A project's content index in Postgres: which contents the bucket already holds and where. Lookups
 * also mark the content as used now, which is what keeps garbage collection away from content a
 * running backup is about to reference.
 */
final class ContentIndex {

	private final JdbcClient db;

	private final SnapshotLayout layout;

	ContentIndex(JdbcClient db, SnapshotLayout layout) {
		this.db = db;
		this.layout = layout;
	}

	/** The stored contents among {@code sha256s}, each marked as used now. */
	Map<String, ContentLocation> use(String project, Collection<String> sha256s) {
		Map<String, ContentLocation> found = new HashMap<>();
		if (sha256s.isEmpty()) {
			return found;
		}
		// a deadlock with a collection locking the same rows costs one attempt, not the backup
		for (int attempt = 1;; attempt++) {
			try {
				touch(project, sha256s).forEach(location -> found.put(location.sha256(), location));
				return found;
			}
			catch (TransientDataAccessException ex) {
				if (attempt == 5) {
					throw ex;
				}
			}
		}
	}

	private List<ContentLocation> touch(String project, Collection<String> sha256s) {
		return this.db.sql("""
				UPDATE backup_contents SET used_at = now()
				WHERE project = ? AND sha256 = ANY (?::varchar[])
				RETURNING sha256, size, pack_id, pack_offset""")
			.param(project)
			.param(sha256s.stream().sorted().toArray(String[]::new))
			.query((rs, row) -> {
				String sha256 = rs.getString(1);
				long size = rs.getLong(2);
				String pack = rs.getString(3);
				return (pack != null) ? ContentLocation.packed(sha256, size, pack, rs.getLong(4))
						: ContentLocation.blob(sha256, size, this.layout.blob(project, sha256));
			})
			.list();
	}

	/** Records contents whose objects are complete in the bucket; one that is already known keeps its place. */
	void record(String project, List<ContentLocation> contents) {
		if (contents.isEmpty()) {
			return;
		}
		List<ContentLocation> stored = contents.stream().sorted(java.util.Comparator.comparing(ContentLocation::sha256)).toList();
		this.db.sql("""
				INSERT INTO backup_contents (project, sha256, size, pack_id, pack_offset, used_at)
				SELECT ?, s, z, p, o, now() FROM unnest(?::varchar[], ?::bigint[], ?::varchar[], ?::bigint[]) AS t(s, z, p, o)
				ON CONFLICT (project, sha256) DO UPDATE SET used_at = now()""")
			.param(project)
			.param(stored.stream().map(ContentLocation::sha256).toArray(String[]::new))
			.param(stored.stream().map(ContentLocation::size).toArray(Long[]::new))
			.param(stored.stream().map(ContentLocation::pack).toArray(String[]::new))
			.param(stored.stream().map(ContentLocation::offset).toArray(Long[]::new))
			.update();
	}

}
