package io.mlplatform.storage.storage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Storage")
record StorageResponse(@Schema(description = "Stable id; also the storage-id label of its custom resource") UUID id,
		@Schema(example = "nlp") String project, @Schema(example = "imagenet") String name,
		@Schema(example = "local") String cluster, @Schema(example = "500Gi") String capacity,
		@Schema(example = "536870912000") long capacityBytes, @Schema(example = "nfs-fast") String storageClass,
		@Schema(example = "ReadWriteMany") String accessMode,
		@Schema(example = "{\"team\": \"nlp\"}") Map<String, String> labels, boolean deletionProtection,
		BackupPolicyResponse backupPolicy, RestoreSource restoreFrom,
		@Schema(description = "Pending until the cluster reports Ready for the current spec",
				allowableValues = { "Pending", "Ready", "Failed", "Deleting", "Deleted" }) String state,
		Status status,
		@Schema(description = "While Deleting: the final backup the deletion waits for") UUID finalBackup,
		@Schema(description = "Why the last DELETE did not delete it: its final backup failed") String deletionBlocked,
		@Schema(description = "The final backup whose failure (or cancellation) blocked the last DELETE; "
				+ "present with deletionBlocked and the DeletionBlocked condition") UUID failedFinalBackup,
		Instant createdAt, Instant updatedAt) {

	@Schema(name = "BackupPolicyStatus", description = "The backup policy in effect")
	record BackupPolicyResponse(boolean enabled, @Schema(example = "0 2 * * *") String schedule,
			@Schema(example = "UTC") String timeZone, boolean backupBeforeDelete, Retention retention,
			VerifyPolicyStatus verify) {
	}

	@Schema(name = "VerifyPolicyStatus", description = "The verification policy in effect")
	record VerifyPolicyStatus(boolean enabled, @Schema(example = "0 3 * * 0") String schedule,
			@Schema(example = "UTC") String timeZone, @Schema(example = "0.05") double dataFraction) {
	}

	@Schema(name = "RetentionStatus")
	record Retention(Integer keepLast, Integer keepDaily, Integer keepWeekly, Integer keepMonthly) {
	}

	@Schema(name = "StorageStatus", description = "Mirrored from the cluster")
	record Status(
			@Schema(example = "Ready", allowableValues = { "Pending", "Provisioning", "Ready", "Resizing", "Failed",
					"Deleting" }) String phase,
			@Schema(description = "Whether the cluster has the current spec", example = "Synced",
					allowableValues = { "Pending", "Synced", "Error" }) String syncState,
			Long usedBytes, String pvcName, Nfs nfs, List<StorageCondition> conditions, String lastError) {
	}

	@Schema(name = "NfsExport")
	record Nfs(@Schema(example = "10.0.0.12") String server, @Schema(example = "/exports/nlp/imagenet") String path) {
	}

	/** The condition type a refused deletion shows; its reason is FinalBackupFailed or FinalBackupCancelled. */
	static final String DELETION_BLOCKED = "DeletionBlocked";

	/**
	 * The condition type a storage shows while its scheduled backups are refused because the project is at
	 * its backup capacity; it goes once a backup of the storage is allowed again.
	 */
	static final String BACKUP_QUOTA_EXCEEDED = "BackupQuotaExceeded";

	static StorageResponse from(Storage storage, String project) {
		BackupPolicy policy = storage.getBackupPolicy();
		Nfs nfs = storage.getNfsServer() == null && storage.getNfsPath() == null ? null
				: new Nfs(storage.getNfsServer(), storage.getNfsPath());
		return new StorageResponse(storage.getId(), project, storage.getName(), storage.getCluster(),
				Quantities.format(storage.getCapacityBytes()), storage.getCapacityBytes(), storage.getStorageClass(),
				storage.getAccessMode(), new TreeMap<>(storage.getLabels()), storage.isDeletionProtection(),
				new BackupPolicyResponse(policy.enabled(), policy.schedule(), policy.timeZone(),
						policy.backupBeforeDelete(), new Retention(policy.keepLast(), policy.keepDaily(),
								policy.keepWeekly(), policy.keepMonthly()),
						new VerifyPolicyStatus(policy.verify().enabled(), policy.verify().schedule(),
								policy.verify().timeZone(), policy.verify().dataFraction())),
				storage.getRestoreFrom(), storage.state().name(),
				new Status(storage.getPhase(), storage.getSyncState(), storage.getUsedBytes(), storage.getPvcName(), nfs,
						conditions(storage), storage.getLastError()),
				storage.getFinalBackupId(), storage.getDeletionBlocked(), storage.getDeletionBlockedBackup(),
				storage.getCreatedAt(), storage.getUpdatedAt());
	}

	/**
	 * The cluster's conditions, and the service's own: {@code DeletionBlocked} while the last deletion
	 * is refused, {@code BackupVerified} once a verification finished, {@code BackupQuotaExceeded} while
	 * scheduled backups are refused at the backup capacity: in the list a client already reads
	 * for why a storage is as it is.
	 */
	private static List<StorageCondition> conditions(Storage storage) {
		if (storage.getDeletionBlocked() == null && storage.backupVerified() == null && storage.getBackupRefused() == null) {
			return storage.getConditions();
		}
		List<StorageCondition> all = new ArrayList<>(storage.getConditions() == null ? List.of() : storage.getConditions());
		if (storage.getDeletionBlocked() != null) {
			all.add(new StorageCondition(DELETION_BLOCKED, "True",
					storage.getDeletionBlockedReason() == null ? "FinalBackupFailed" : storage.getDeletionBlockedReason(),
					storage.getDeletionBlocked(), storage.getDeletionBlockedAt()));
		}
		if (storage.backupVerified() != null) {
			all.add(storage.backupVerified());
		}
		if (storage.getBackupRefused() != null) {
			all.add(new StorageCondition(BACKUP_QUOTA_EXCEEDED, "True", "BackupCapacityReached",
					storage.getBackupRefused(), storage.getBackupRefusedAt()));
		}
		return all;
	}

}
