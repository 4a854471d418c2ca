package io.mlplatform.storage.quota;

import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.media.Schema;

/** Limits as an admin writes them; a missing limit means unlimited. */
@JsonIgnoreProperties({ "capacityBytes", "backupCapacityBytes", "used", "remaining" })
@Schema(name = "QuotaRequest", description = "A project's limits; leave a field out for no limit")
record QuotaRequest(
		@Schema(description = "Total capacity of all storages, a Kubernetes quantity", example = "2Ti") String capacity,
		@Schema(description = "Largest number of storages", example = "20") Integer maxStorages,
		@Schema(description = "What the project's backups may keep in S3, deduplicated (content and manifests), a "
				+ "Kubernetes quantity; a backup does not start while the project is at or over it",
				example = "500Gi") String backupCapacity,
		@Schema(description = "Caps of the project's storages in one cluster, by registered cluster name, within the totals; "
				+ "a cluster left out has no cap of its own") Map<String, ClusterQuotaRequest> clusters) {

	@JsonIgnoreProperties({ "capacityBytes", "used", "remaining" })
	@Schema(name = "ClusterQuotaRequest", description = "A cap in one cluster; leave a field out for no limit")
	record ClusterQuotaRequest(
			@Schema(description = "Capacity of the project's storages in this cluster, a Kubernetes quantity",
					example = "10Ti") String capacity,
			@Schema(description = "Largest number of the project's storages in this cluster", example = "5") Integer maxStorages) {
	}

	static QuotaRequest of(Quota quota, Map<String, ClusterCaps.Cap> caps) {
		Map<String, ClusterQuotaRequest> clusters = new TreeMap<>();
		caps.forEach((cluster, cap) -> clusters.put(cluster,
				new ClusterQuotaRequest(format(cap.limits().capacityBytes()), cap.limits().maxStorages())));
		return new QuotaRequest(format(quota.capacityBytes()), quota.maxStorages(), format(quota.backupCapacityBytes()),
				clusters);
	}

	private static String format(Long bytes) {
		return bytes == null ? null : Quantities.format(bytes);
	}

}
