package io.mlplatform.storage.quota;

import java.util.Map;
import java.util.TreeMap;

import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Quota", description = "A project's limits and what is used of them; absent limits mean unlimited")
record QuotaResponse(@Schema(example = "2Ti") String capacity, @Schema(example = "2199023255552") Long capacityBytes,
		@Schema(example = "20") Integer maxStorages,
		@Schema(description = "What the project's backups may keep in S3, deduplicated", example = "500Gi") String backupCapacity,
		@Schema(example = "536870912000") Long backupCapacityBytes, Amount used,
		@Schema(description = "What still fits; a field is absent when its limit is") Amount remaining,
		@Schema(description = "The caps per cluster, by cluster name, each with what the project uses and what remains "
				+ "there; only capped clusters are listed") Map<String, ClusterQuota> clusters) {

	@Schema(name = "QuotaAmount")
	record Amount(@Schema(example = "500Gi") String capacity, @Schema(example = "536870912000") Long capacityBytes,
			@Schema(example = "5") Long storages,
			@Schema(description = "Backup space: what the project's backups keep in S3, deduplicated (every pack, blob "
					+ "and manifest under its prefix, a pack whole until garbage collection rewrites or deletes it); "
					+ "absent per cluster", example = "12Gi") String backup,
			@Schema(example = "12884901888") Long backupBytes) {

		Amount(String capacity, Long capacityBytes, Long storages) {
			this(capacity, capacityBytes, storages, null, null);
		}

		Amount withBackup(Long bytes) {
			return new Amount(this.capacity, this.capacityBytes, this.storages, format(bytes), bytes);
		}

	}

	@Schema(name = "ClusterQuota", description = "A cap in one cluster; an absent limit means none there (the totals still apply)")
	record ClusterQuota(@Schema(example = "10Ti") String capacity, @Schema(example = "10995116277760") Long capacityBytes,
			@Schema(example = "5") Integer maxStorages, Amount used,
			@Schema(description = "What still fits in this cluster: the lower of what remains under its cap and under the "
					+ "totals; a field is absent when neither limits it") Amount remaining) {
	}

	static QuotaResponse from(Quota quota, Quotas.Usage usage, Map<String, ClusterCaps.Cap> caps) {
		Amount remaining = remaining(quota.capacityBytes(), quota.maxStorages(), usage.getCapacityBytes(),
				usage.getStorages());
		Map<String, ClusterQuota> clusters = new TreeMap<>();
		caps.forEach((cluster, cap) -> {
			Amount underCap = remaining(cap.limits().capacityBytes(), cap.limits().maxStorages(), cap.usedBytes(),
					cap.usedStorages());
			Long bytes = lower(underCap.capacityBytes(), remaining.capacityBytes());
			clusters.put(cluster, new ClusterQuota(format(cap.limits().capacityBytes()), cap.limits().capacityBytes(),
					cap.limits().maxStorages(), amount(cap.usedBytes(), cap.usedStorages()),
					new Amount(format(bytes), bytes, lower(underCap.storages(), remaining.storages()))));
		});
		Long backupRemaining = quota.backupCapacityBytes() == null ? null
				: Math.max(0, quota.backupCapacityBytes() - usage.getBackupBytes());
		return new QuotaResponse(format(quota.capacityBytes()), quota.capacityBytes(), quota.maxStorages(),
				format(quota.backupCapacityBytes()), quota.backupCapacityBytes(),
				amount(usage.getCapacityBytes(), usage.getStorages()).withBackup(usage.getBackupBytes()),
				remaining.withBackup(backupRemaining), clusters);
	}

	/** The lower of two limits, either of which may be none. */
	private static Long lower(Long one, Long other) {
		return one == null ? other : other == null ? one : Long.valueOf(Math.min(one, other));
	}

	private static Amount amount(long bytes, long storages) {
		return new Amount(Quantities.format(bytes), bytes, storages);
	}

	/** What fits under these limits; never negative, as limits may lie below what is used. */
	private static Amount remaining(Long capacityBytes, Integer maxStorages, long usedBytes, long usedStorages) {
		Long bytes = capacityBytes == null ? null : Math.max(0, capacityBytes - usedBytes);
		Long storages = maxStorages == null ? null : Math.max(0, maxStorages - usedStorages);
		return new Amount(format(bytes), bytes, storages);
	}

	private static String format(Long bytes) {
		return bytes == null ? null : Quantities.format(bytes);
	}

}
