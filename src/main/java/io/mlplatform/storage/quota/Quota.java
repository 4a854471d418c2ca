package io.mlplatform.storage.quota;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

/** A project's limits; null means unlimited. */
@Entity
@Table(name = "quotas")
class Quota {

	@Id
	@Column(name = "project_id")
	private UUID projectId;

	@Column(name = "capacity_bytes")
	private Long capacityBytes;

	@Column(name = "max_storages")
	private Integer maxStorages;

	/** What its backups may keep in S3 (deduplicated); null for no limit. */
	@Column(name = "backup_capacity_bytes")
	private Long backupCapacityBytes;

	@Column(name = "updated_at")
	private Instant updatedAt;

	@Version
	private long version;

	protected Quota() {
	}

	static Quota unlimited(UUID projectId, Instant now) {
		Quota quota = new Quota();
		quota.projectId = projectId;
		quota.updatedAt = now;
		return quota;
	}

	/**
	 * Limits may be set below current usage: nothing is taken away, but nothing new fits until usage drops.
	 * @param capsChanged whether its per-cluster caps (kept beside it) changed, which makes a new version too
	 */
	void limit(Long capacityBytes, Integer maxStorages, Long backupCapacityBytes, boolean capsChanged, Instant now) {
		if (capsChanged || !java.util.Objects.equals(this.capacityBytes, capacityBytes)
				|| !java.util.Objects.equals(this.maxStorages, maxStorages)
				|| !java.util.Objects.equals(this.backupCapacityBytes, backupCapacityBytes)) {
			this.capacityBytes = capacityBytes;
			this.maxStorages = maxStorages;
			this.backupCapacityBytes = backupCapacityBytes;
			this.updatedAt = now;
		}
	}

	UUID projectId() {
		return this.projectId;
	}

	Long capacityBytes() {
		return this.capacityBytes;
	}

	Integer maxStorages() {
		return this.maxStorages;
	}

	Long backupCapacityBytes() {
		return this.backupCapacityBytes;
	}

	long version() {
		return this.version;
	}

}
