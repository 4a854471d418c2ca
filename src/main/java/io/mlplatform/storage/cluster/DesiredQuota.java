package io.mlplatform.storage.cluster;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.fabric8.kubernetes.client.utils.Serialization;

import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.StorageQuotaSpec;
import io.mlplatform.storage.web.Quantities;

/**
 * A project's quota as the {@code StorageQuota} in one cluster should carry it: the totals, and the
 * project's cap in that cluster. A null limit means none.
 */
record DesiredQuota(String cluster, UUID projectId, String project, String namespace, Long capacityBytes,
		Integer maxStorages, Long clusterCapacityBytes, Integer clusterMaxStorages) {

	/**
	 * Reads it: the cluster's name is the query's first parameter, so further conditions follow with theirs.
	 */
	static final String SELECT = """
			SELECT c.name AS cluster, p.id, p.name, p.namespace, q.capacity_bytes, q.max_storages,
			       qc.capacity_bytes AS cluster_capacity_bytes, qc.max_storages AS cluster_max_storages
			FROM (SELECT CAST(? AS varchar) AS name) c
			CROSS JOIN projects p JOIN quotas q ON q.project_id = p.id
			LEFT JOIN quota_clusters qc ON qc.project_id = p.id AND qc.cluster = c.name
			""";

	static DesiredQuota fromRow(ResultSet row, int n) throws SQLException {
		return new DesiredQuota(row.getString("cluster"), row.getObject("id", UUID.class), row.getString("name"),
				row.getString("namespace"), row.getObject("capacity_bytes", Long.class),
				row.getObject("max_storages", Integer.class), row.getObject("cluster_capacity_bytes", Long.class),
				row.getObject("cluster_max_storages", Integer.class));
	}

	boolean hasLimits() {
		return this.capacityBytes != null || this.maxStorages != null || hasCap();
	}

	private boolean hasCap() {
		return this.clusterCapacityBytes != null || this.clusterMaxStorages != null;
	}

	/** What a merge patch carries: our labels and the spec. */
	String body() {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("metadata", Map.of("labels", Labels.managed(this.project, null)));
		StorageQuotaSpec.Cluster cap = hasCap() ? new StorageQuotaSpec.Cluster(this.cluster,
				format(this.clusterCapacityBytes), this.clusterCapacityBytes, this.clusterMaxStorages) : null;
		body.put("spec", new StorageQuotaSpec(this.project, format(this.capacityBytes), this.capacityBytes,
				this.maxStorages, cap));
		return Serialization.asJson(body);
	}

	private static String format(Long bytes) {
		return bytes == null ? null : Quantities.format(bytes);
	}

}
