package io.mlplatform.storage.quota;

import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.web.Quantities;

/**
 * Admits storage growth within the project's quota. Only correct when the caller holds the project's
 * row lock ({@code Projects.lockByName}): that lock serializes every writer of the project's
 * storages, so usage cannot change between this check and the caller's commit.
 */
@Component
public class QuotaCheck {

	private final Quotas quotas;

	QuotaCheck(Quotas quotas) {
		this.quotas = quotas;
	}

	/**
	 * @param addBytes capacity the change adds (0 when it adds none)
	 * @param addStorages storages the change adds (1 for a create, 0 for a resize)
	 * @throws QuotaExceededException saying what remains
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void admit(Project project, long addBytes, int addStorages) {
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		Quotas.Usage usage = this.quotas.usage(project.getId());
		if (addStorages > 0 && quota.maxStorages() != null && usage.getStorages() + addStorages > quota.maxStorages()) {
			throw QuotaExceededException.count(project.getName(), quota.maxStorages(), usage.getStorages());
		}
		if (addBytes > 0 && quota.capacityBytes() != null
				&& addBytes > quota.capacityBytes() - usage.getCapacityBytes()) {
			long remaining = Math.max(0, quota.capacityBytes() - usage.getCapacityBytes());
			throw QuotaExceededException.capacity(project.getName(), Quantities.format(quota.capacityBytes()),
					Quantities.format(usage.getCapacityBytes()), Quantities.format(remaining),
					Quantities.format(addBytes));
		}
	}

}
