package io.mlplatform.storage.quota;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.web.Quantities;

/**
 * Admits storage growth within the project's quota: its totals and its cap in the storage's cluster.
 * Only correct when the caller holds the project's row lock ({@code Projects.lockByName}): that lock
 * serializes every writer of the project's storages, so usage cannot grow between this check and the
 * caller's commit.
 */
@Component
public class QuotaCheck {

	private final Quotas quotas;

	private final ClusterCaps caps;

	QuotaCheck(Quotas quotas, ClusterCaps caps) {
		this.quotas = quotas;
		this.caps = caps;
	}

	/**
	 * @param cluster the cluster the storage lives in
	 * @param addBytes capacity the change adds (0 when it adds none)
	 * @param addStorages storages the change adds (1 for a create, 0 for a resize)
	 * @throws QuotaExceededException saying what remains
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void admit(Project project, String cluster, long addBytes, int addStorages) {
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		Quotas.Usage usage = this.quotas.usage(project.getId());
		if (exceeds(quota.maxStorages(), usage.getStorages(), addStorages)) {
			throw QuotaExceededException.count(project.getName(), quota.maxStorages(), usage.getStorages());
		}
		if (exceeds(quota.capacityBytes(), usage.getCapacityBytes(), addBytes)) {
			throw QuotaExceededException.capacity(project.getName(), Quantities.format(quota.capacityBytes()),
					Quantities.format(usage.getCapacityBytes()), remaining(quota.capacityBytes(), usage.getCapacityBytes()),
					Quantities.format(addBytes));
		}
		if (addBytes <= 0 && addStorages <= 0) {
			return;
		}
		ClusterCaps.Cap cap = this.caps.in(project.getId(), cluster).orElse(null);
		if (cap == null) {
			return;
		}
		Integer maxStorages = cap.limits().maxStorages();
		if (exceeds(maxStorages, cap.usedStorages(), addStorages)) {
			throw QuotaExceededException.clusterCount(project.getName(), cluster, maxStorages, cap.usedStorages());
		}
		Long capacityBytes = cap.limits().capacityBytes();
		if (exceeds(capacityBytes, cap.usedBytes(), addBytes)) {
			throw QuotaExceededException.clusterCapacity(project.getName(), cluster, Quantities.format(capacityBytes),
					Quantities.format(cap.usedBytes()), remaining(capacityBytes, cap.usedBytes()), Quantities.format(addBytes));
		}
	}

	/** Whether adding this much goes past the limit (none when null); adding nothing never does. */
	private static boolean exceeds(Number limit, long used, long add) {
		return add > 0 && limit != null && add > limit.longValue() - used;
	}

	private static String remaining(long limit, long used) {
		return Quantities.format(Math.max(0, limit - used));
	}

}
