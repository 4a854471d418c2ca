package io.mlplatform.storage.storage;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import tools.jackson.core.type.TypeReference;

import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.Quantities;
import io.mlplatform.storage.web.UnprocessableException;

/**
 * A named NFS volume of a project in one cluster. Holds the desired state (spec) written through the
 * API and the status mirrored back from the cluster; the two never overwrite each other.
 */
@Entity
@Table(name = "storages")
public class Storage {

	/** Where the storage is in this service's life cycle; the cluster's view is {@link #phase}. */
	public enum Lifecycle {

		Active, Deleting, Deleted

	}

	/** What the API reports as {@code state}, derived from life cycle and cluster status. */
	public enum State {

		Pending, Ready, Failed, Deleting, Deleted

	}

	@Id
	private UUID id;

	@Column(name = "project_id")
	private UUID projectId;

	private String name;

	private String cluster;

	@Column(name = "capacity_bytes")
	private long capacityBytes;

	@Column(name = "storage_class")
	private String storageClass;

	@Column(name = "access_mode")
	private String accessMode;

	@JdbcTypeCode(SqlTypes.JSON)
	private Map<String, String> labels;

	@Column(name = "deletion_protection")
	private boolean deletionProtection;

	@Embedded
	private BackupPolicy backupPolicy;

	@JdbcTypeCode(SqlTypes.JSON)
	@Column(name = "restore_from")
	private RestoreSource restoreFrom;

	@Enumerated(EnumType.STRING)
	private Lifecycle lifecycle;

	private long generation;

	// Status columns: inserted with the row, then written only by the cluster feature (reconciler and
	// status mirror) with plain SQL, so a request's flush never overwrites what a cluster reported.

	@Column(updatable = false)
	private String phase;

	@Column(name = "sync_state", updatable = false)
	private String syncState;

	@Column(name = "observed_generation", updatable = false)
	private Long observedGeneration;

	@Column(name = "used_bytes", updatable = false)
	private Long usedBytes;

	@Column(name = "pvc_name", updatable = false)
	private String pvcName;

	@Column(name = "nfs_server", updatable = false)
	private String nfsServer;

	@Column(name = "nfs_path", updatable = false)
	private String nfsPath;

	@JdbcTypeCode(SqlTypes.JSON)
	@Column(updatable = false)
	private List<StorageCondition> conditions;

	@Column(name = "last_error", updatable = false)
	private String lastError;

	/** The backup a deletion waits for (backup-before-delete); null when none is awaited. */
	@Column(name = "final_backup_id")
	private UUID finalBackupId;

	/** Why the last deletion did not go on: its final backup failed. */
	@Column(name = "deletion_blocked")
	private String deletionBlocked;

	/** The final backup that did not succeed, why ({@code FinalBackupFailed}, ...) and when: the DeletionBlocked condition. */
	@Column(name = "deletion_blocked_backup_id")
	private UUID deletionBlockedBackup;

	@Column(name = "deletion_blocked_reason")
	private String deletionBlockedReason;

	@Column(name = "deletion_blocked_at")
	private Instant deletionBlockedAt;

	// The BackupVerified condition, written by backup verification with plain SQL, never by a request's flush.

	@Column(name = "verified_backup_id", insertable = false, updatable = false)
	private UUID verifiedBackupId;

	@Column(name = "verified_status", insertable = false, updatable = false)
	private String verifiedStatus;

	@Column(name = "verified_reason", insertable = false, updatable = false)
	private String verifiedReason;

	@Column(name = "verified_message", insertable = false, updatable = false)
	private String verifiedMessage;

	@Column(name = "verified_at", insertable = false, updatable = false)
	private Instant verifiedAt;

	/**
	 * Why its last scheduled backup was refused at once (the project at its backup capacity), and since
	 * when: the BackupQuotaExceeded condition, until a backup of it is allowed again. Written by the
	 * scheduler and the backup request with plain SQL, never by a request's flush.
	 */
	@Column(name = "backup_refused", insertable = false, updatable = false)
	private String backupRefused;

	@Column(name = "backup_refused_at", insertable = false, updatable = false)
	private Instant backupRefusedAt;

	@Column(name = "created_at")
	private Instant createdAt;

	@Column(name = "updated_at")
	private Instant updatedAt;

	@Column(name = "deleted_at")
	private Instant deletedAt;

	@Version
	private long version;

	protected Storage() {
	}

	Storage(UUID projectId, String name, StorageSpec spec, Instant now) {
		this.id = UUID.randomUUID();
		this.projectId = projectId;
		this.name = name;
		this.cluster = spec.cluster();
		this.storageClass = spec.storageClass();
		this.accessMode = spec.accessMode();
		this.restoreFrom = spec.restoreFrom();
		this.capacityBytes = spec.capacityBytes();
		this.labels = spec.labels();
		this.deletionProtection = spec.deletionProtection();
		this.backupPolicy = spec.backupPolicy();
		this.lifecycle = Lifecycle.Active;
		this.generation = 1;
		this.phase = "Pending";
		this.syncState = "Pending";
		this.conditions = List.of();
		this.createdAt = now;
		this.updatedAt = now;
	}

	private static final TypeReference<List<StorageCondition>> CONDITIONS = new TypeReference<>() {
	};

	private static final TypeReference<RestoreSource> RESTORE_SOURCE = new TypeReference<>() {
	};

	/** A storage read with plain JDBC for display; it is not managed, so changes to it are not saved. */
	static Storage fromRow(ResultSet row, JsonColumns columns) throws SQLException {
		Storage storage = new Storage();
		storage.id = row.getObject("id", UUID.class);
		storage.projectId = row.getObject("project_id", UUID.class);
		storage.name = row.getString("name");
		storage.cluster = row.getString("cluster");
		storage.capacityBytes = row.getLong("capacity_bytes");
		storage.storageClass = row.getString("storage_class");
		storage.accessMode = row.getString("access_mode");
		storage.labels = columns.labels(row, "labels");
		storage.deletionProtection = row.getBoolean("deletion_protection");
		storage.backupPolicy = new BackupPolicy(row.getBoolean("backup_enabled"), row.getString("backup_schedule"),
				row.getString("backup_time_zone"), row.getBoolean("backup_before_delete"),
				row.getObject("keep_last", Integer.class), row.getObject("keep_daily", Integer.class),
				row.getObject("keep_weekly", Integer.class), row.getObject("keep_monthly", Integer.class),
				new VerifyPolicy(row.getBoolean("verify_enabled"), row.getString("verify_schedule"),
						row.getString("verify_time_zone"), row.getDouble("verify_data_fraction")));
		storage.restoreFrom = columns.read(row, "restore_from", RESTORE_SOURCE);
		storage.lifecycle = Lifecycle.valueOf(row.getString("lifecycle"));
		storage.generation = row.getLong("generation");
		storage.phase = row.getString("phase");
		storage.syncState = row.getString("sync_state");
		storage.observedGeneration = row.getObject("observed_generation", Long.class);
		storage.usedBytes = row.getObject("used_bytes", Long.class);
		storage.pvcName = row.getString("pvc_name");
		storage.nfsServer = row.getString("nfs_server");
		storage.nfsPath = row.getString("nfs_path");
		storage.conditions = columns.read(row, "conditions", CONDITIONS);
		storage.lastError = row.getString("last_error");
		storage.finalBackupId = row.getObject("final_backup_id", UUID.class);
		storage.deletionBlocked = row.getString("deletion_blocked");
		storage.deletionBlockedBackup = row.getObject("deletion_blocked_backup_id", UUID.class);
		storage.deletionBlockedReason = row.getString("deletion_blocked_reason");
		storage.deletionBlockedAt = JsonColumns.instant(row, "deletion_blocked_at");
		storage.verifiedBackupId = row.getObject("verified_backup_id", UUID.class);
		storage.verifiedStatus = row.getString("verified_status");
		storage.verifiedReason = row.getString("verified_reason");
		storage.verifiedMessage = row.getString("verified_message");
		storage.verifiedAt = JsonColumns.instant(row, "verified_at");
		storage.backupRefused = row.getString("backup_refused");
		storage.backupRefusedAt = JsonColumns.instant(row, "backup_refused_at");
		storage.createdAt = JsonColumns.instant(row, "created_at");
		storage.updatedAt = JsonColumns.instant(row, "updated_at");
		storage.deletedAt = JsonColumns.instant(row, "deleted_at");
		storage.version = row.getLong("version");
		return storage;
	}

	StorageSpec spec() {
		return new StorageSpec(this.cluster, this.capacityBytes, this.storageClass, this.accessMode, this.labels,
				this.deletionProtection, this.backupPolicy, this.restoreFrom);
	}

	boolean hasSpec(StorageSpec spec) {
		return spec.equals(spec());
	}

	/**
	 * Moves to a new desired state. Cluster, storage class, access mode and restore source are fixed
	 * at creation (a PVC cannot change them); capacity only grows (NFS volumes cannot shrink safely).
	 */
	void update(StorageSpec spec, Instant now) {
		checkChange(spec);
		if (hasSpec(spec)) {
			return;
		}
		this.syncState = "Pending"; // what the cluster feature records as it queues the change
		if (spec.capacityBytes() != this.capacityBytes
				|| spec.backupPolicy().enabled() != this.backupPolicy.enabled()) {
			this.generation++;
		}
		this.capacityBytes = spec.capacityBytes();
		this.labels = spec.labels();
		this.deletionProtection = spec.deletionProtection();
		this.backupPolicy = spec.backupPolicy();
		this.updatedAt = now;
	}

	/** Refuses a change {@link #update} would refuse, without making it. */
	void checkChange(StorageSpec spec) {
		if (this.lifecycle != Lifecycle.Active) {
			throw StorageDeletingException.of(this.name);
		}
		immutable("cluster", this.cluster, spec.cluster());
		immutable("storageClass", this.storageClass, spec.storageClass());
		immutable("accessMode", this.accessMode, spec.accessMode());
		immutable("restoreFrom", this.restoreFrom, spec.restoreFrom());
		if (spec.capacityBytes() < this.capacityBytes) {
			throw UnprocessableException.capacityShrink(Quantities.format(this.capacityBytes),
					Quantities.format(spec.capacityBytes()));
		}
	}

	/**
	 * Starts deletion: the storage is Deleting until its custom resource is gone from the cluster
	 * (the operator's finalizer removes the share first); then it becomes a tombstone and its name is
	 * free again. Deleting twice is the same as once.
	 */
	void delete(Instant now) {
		if (this.lifecycle != Lifecycle.Active) {
			return;
		}
		if (this.deletionProtection) {
			throw DeletionProtectedException.of(this.name);
		}
		this.lifecycle = Lifecycle.Deleting;
		this.syncState = "Pending";
		this.deletionBlocked = null;
		this.deletionBlockedBackup = null;
		this.deletionBlockedReason = null;
		this.deletionBlockedAt = null;
		this.updatedAt = now;
	}

	/**
	 * Starts a deletion that waits for a final backup: the storage is Deleting, but its custom resource
	 * stays in the cluster until the backup has Succeeded.
	 */
	void deleteAfter(UUID finalBackup, Instant now) {
		delete(now);
		this.finalBackupId = finalBackup;
	}

	/** A forced deletion no longer waits for the final backup. */
	void stopAwaitingFinalBackup() {
		this.finalBackupId = null;
	}

	/** Whether its cluster has provisioned a share (that may hold data worth a final backup). */
	boolean provisioned() {
		return !"Pending".equals(this.phase) && !"Provisioning".equals(this.phase);
	}

	boolean awaitsFinalBackup() {
		return this.lifecycle == Lifecycle.Deleting && this.finalBackupId != null;
	}

	boolean isDeleting() {
		return this.lifecycle == Lifecycle.Deleting;
	}

	private static void immutable(String field, Object current, Object requested) {
		if (!Objects.equals(current, requested)) {
			throw UnprocessableException.immutableField(field, current == null ? "unset" : current,
					requested == null ? "unset" : requested);
		}
	}

	public State state() {
		return switch (this.lifecycle) {
			case Deleted -> State.Deleted;
			case Deleting -> State.Deleting;
			case Active -> {
				if ("Failed".equals(this.phase)) {
					yield State.Failed;
				}
				boolean current = this.observedGeneration != null && this.observedGeneration == this.generation;
				yield "Ready".equals(this.phase) && current ? State.Ready : State.Pending;
			}
		};
	}

	/** Changes with the desired state and with the status mirrored from the cluster (see {@link Preconditions#withStatus}). */
	public String etag() {
		return Preconditions.withStatus(Preconditions.etag(this.id, this.version), this.lifecycle, this.phase,
				this.syncState, this.observedGeneration, this.usedBytes, this.pvcName, this.nfsServer, this.nfsPath,
				this.lastError, this.conditions, this.verifiedStatus, this.verifiedBackupId, this.verifiedAt,
				this.backupRefused, this.backupRefusedAt);
	}

	/**
	 * The service's own {@code BackupVerified} condition: False while the last verification that found damage
	 * is the newest one, naming its backup; null before any verification finished.
	 */
	public StorageCondition backupVerified() {
		return this.verifiedStatus == null ? null
				: new StorageCondition("BackupVerified", this.verifiedStatus, this.verifiedReason, this.verifiedMessage,
						this.verifiedAt);
	}

	public UUID getId() {
		return this.id;
	}

	public UUID getProjectId() {
		return this.projectId;
	}

	public String getName() {
		return this.name;
	}

	public String getCluster() {
		return this.cluster;
	}

	public long getCapacityBytes() {
		return this.capacityBytes;
	}

	public String getStorageClass() {
		return this.storageClass;
	}

	public String getAccessMode() {
		return this.accessMode;
	}

	public Map<String, String> getLabels() {
		return this.labels;
	}

	public boolean isDeletionProtection() {
		return this.deletionProtection;
	}

	public BackupPolicy getBackupPolicy() {
		return this.backupPolicy;
	}

	public RestoreSource getRestoreFrom() {
		return this.restoreFrom;
	}

	public long getGeneration() {
		return this.generation;
	}

	public String getPhase() {
		return this.phase;
	}

	public String getSyncState() {
		return this.syncState;
	}

	public Long getObservedGeneration() {
		return this.observedGeneration;
	}

	public Long getUsedBytes() {
		return this.usedBytes;
	}

	public String getPvcName() {
		return this.pvcName;
	}

	public String getNfsServer() {
		return this.nfsServer;
	}

	public String getNfsPath() {
		return this.nfsPath;
	}

	public List<StorageCondition> getConditions() {
		return this.conditions;
	}

	public String getLastError() {
		return this.lastError;
	}

	public UUID getFinalBackupId() {
		return this.finalBackupId;
	}

	public String getDeletionBlocked() {
		return this.deletionBlocked;
	}

	public UUID getDeletionBlockedBackup() {
		return this.deletionBlockedBackup;
	}

	public String getDeletionBlockedReason() {
		return this.deletionBlockedReason;
	}

	public String getBackupRefused() {
		return this.backupRefused;
	}

	public Instant getBackupRefusedAt() {
		return this.backupRefusedAt;
	}

	public Instant getDeletionBlockedAt() {
		return this.deletionBlockedAt;
	}

	public Instant getCreatedAt() {
		return this.createdAt;
	}

	public Instant getUpdatedAt() {
		return this.updatedAt;
	}

}
