package io.mlplatform.storage.storage;

import java.util.Map;

/** A storage's desired state after defaults and validation; equal specs mean an identical request. */
record StorageSpec(String cluster, long capacityBytes, String storageClass, String accessMode,
		Map<String, String> labels, boolean deletionProtection, BackupPolicy backupPolicy,
		RestoreSource restoreFrom) {
}
