package io.mlplatform.storage.quota;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * A quota's per-cluster caps ({@code quota_clusters}, migration V21) and what the project uses in each
 * capped cluster, counted by the storages' trigger there.
 */
@Component
class ClusterCaps {

	/** What a cap allows; a null limit means none. */
	record Limits(Long capacityBytes, Integer maxStorages) {

		boolean isEmpty() {
			return this.capacityBytes == null && this.maxStorages == null;
		}

	}

	/** A capped cluster: its limits and what the project's live storages there take. */
	record Cap(Limits limits, long usedBytes, long usedStorages) {
	}

	private static final String SELECT = """
			SELECT cluster, capacity_bytes, max_storages, least(used_bytes, 9223372036854775807)::bigint AS used_bytes,
			       used_storages
			FROM quota_clusters WHERE project_id = ?""";

	private final JdbcClient jdbc;

	ClusterCaps(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** The project's caps by cluster name, in name order. */
	Map<String, Cap> of(UUID projectId) {
		Map<String, Cap> caps = new TreeMap<>();
		this.jdbc.sql(SELECT).param(projectId).query(row -> {
			caps.put(row.getString("cluster"), cap(row));
		});
		return caps;
	}

	/** The project's cap in one cluster, if it has one there. */
	Optional<Cap> in(UUID projectId, String cluster) {
		return this.jdbc.sql(SELECT + " AND cluster = ?").params(projectId, cluster).query((row, n) -> cap(row)).optional();
	}

	private static Cap cap(java.sql.ResultSet row) throws java.sql.SQLException {
		return new Cap(new Limits(row.getObject("capacity_bytes", Long.class), row.getObject("max_storages", Integer.class)),
				row.getLong("used_bytes"), row.getLong("used_storages"));
	}

	/**
	 * Sets exactly these caps. The caller holds the project's row lock, so no storage of the project is
	 * written meanwhile; a storage's tombstone takes no project lock, so the quota's row is locked first,
	 * as the storages' trigger locks it before a cap's row: a tombstone either commits before a new cap's
	 * usage is summed or counts itself in the cap's row after.
	 * @param wanted caps by cluster, none of them empty
	 * @return whether anything changed
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	boolean replace(UUID projectId, Map<String, Limits> wanted) {
		this.jdbc.sql("SELECT project_id FROM quotas WHERE project_id = ? FOR UPDATE").param(projectId).query(UUID.class).single();
		Map<String, Cap> current = of(projectId);
		boolean changed = false;
		for (String cluster : current.keySet()) {
			if (!wanted.containsKey(cluster)) {
				this.jdbc.sql("DELETE FROM quota_clusters WHERE project_id = ? AND cluster = ?").params(projectId, cluster).update();
				changed = true;
			}
		}
		for (Map.Entry<String, Limits> entry : wanted.entrySet()) {
			Cap cap = current.get(entry.getKey());
			Limits limits = entry.getValue();
			if (cap == null) {
				this.jdbc.sql("""
						INSERT INTO quota_clusters (project_id, cluster, capacity_bytes, max_storages, used_bytes, used_storages)
						SELECT ?, ?, CAST(? AS bigint), CAST(? AS integer), coalesce(sum(capacity_bytes), 0), count(*)
						FROM storages WHERE project_id = ? AND cluster = ? AND deleted_at IS NULL""")
					.params(projectId, entry.getKey(), limits.capacityBytes(), limits.maxStorages(), projectId, entry.getKey())
					.update();
				changed = true;
			}
			else if (!cap.limits().equals(limits)) {
				this.jdbc.sql("UPDATE quota_clusters SET capacity_bytes = ?, max_storages = ? WHERE project_id = ? AND cluster = ?")
					.params(limits.capacityBytes(), limits.maxStorages(), projectId, entry.getKey())
					.update();
				changed = true;
			}
		}
		return changed;
	}

}
