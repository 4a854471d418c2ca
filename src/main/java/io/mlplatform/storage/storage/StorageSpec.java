package io.mlplatform.storage.storage;

import java.util.Map;

/**
 * A storage's desired state after defaults and validation; equal specs mean an identical request.
 * @param cluster null until the cluster registry has resolved the default
 */
record StorageSpec(String cluster, long capacityBytes, String storageClass, String accessMode,
		Map<String, String> labels, boolean deletionProtection, BackupPolicy backupPolicy,
		RestoreSource restoreFrom) {

	/**
	 * A request that names no storage class means the storage's class, resolved once when it was
	 * created: a replay or a PUT without one is not a change of class.
	 */
	StorageSpec withStorageClassOr(String storageClass) {
		return this.storageClass != null ? this
				: new StorageSpec(this.cluster, this.capacityBytes, storageClass, this.accessMode, this.labels,
						this.deletionProtection, this.backupPolicy, this.restoreFrom);
	}

	StorageSpec inCluster(String resolved) {
		return new StorageSpec(resolved, this.capacityBytes, this.storageClass, this.accessMode, this.labels,
				this.deletionProtection, this.backupPolicy, this.restoreFrom);
	}

}
