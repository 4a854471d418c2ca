package io.mlplatform.storage.storage;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;

import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.BackupManagement;
import io.mlplatform.storage.backup.BackupScheduler;
import io.mlplatform.storage.backup.FinalBackupEnded;
import io.mlplatform.storage.backup.verify.VerificationScheduler;
import io.mlplatform.storage.cluster.ClusterRegistry;
import io.mlplatform.storage.cluster.ClusterSync;
import io.mlplatform.storage.cluster.DesiredStorage;
import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.project.Projects;
import io.mlplatform.storage.quota.QuotaCheck;
import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.security.Caller;
import io.mlplatform.storage.security.Callers;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.Applied;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.InvalidRequestException;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.KeysetPager;
import io.mlplatform.storage.web.LabelSelector;
import io.mlplatform.storage.web.MergePatch;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.SqlFilter;
import io.mlplatform.storage.web.Violations;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes to a project's storages. Each write runs in one transaction that first locks the project
 * row, so quota checks, name checks and the project's deletion never interleave.
 */
@Service
public class StorageManagement {

	private final Storages storages;

	private final Projects projects;

	private final QuotaCheck quota;

	private final KeysetPager pager;

	private final StorageProperties properties;

	private final TransactionTemplate transactions;

	private final JsonMapper json;

	private final JdbcClient jdbc;

	private final ProjectAccess access;

	private final AuditLog audit;

	private final JsonColumns columns;

	private final ClusterRegistry clusters;

	private final ClusterSync sync;

	private final Clock clock;

	private final BackupScheduler schedules;

	private final BackupManagement backups;

	private final VerificationScheduler verifications;

	StorageManagement(Storages storages, Projects projects, QuotaCheck quota,
			KeysetPager pager, StorageProperties properties, PlatformTransactionManager transactionManager,
			JsonMapper json, JdbcClient jdbc, ProjectAccess access, JsonColumns columns, AuditLog audit, ClusterRegistry clusters, ClusterSync sync, Clock clock,
			BackupScheduler schedules, BackupManagement backups, VerificationScheduler verifications) {
		this.verifications = verifications;
		this.schedules = schedules;
		this.backups = backups;
		this.clusters = clusters;
		this.sync = sync;
		this.audit = audit;
		this.jdbc = jdbc;
		this.access = access;
		this.columns = columns;
		this.storages = storages;
		this.projects = projects;
		this.quota = quota;
		this.pager = pager;
		this.properties = properties;
		this.transactions = new TransactionTemplate(transactionManager);
		this.json = json;
		this.clock = clock;
	}

	/**
	 * The hot path of GET: project, storage and the caller's right to see it, in one round trip and
	 * without JPA. A caller without a role in the project hears that the project does not exist.
	 */
	Storage get(String project, String name) {
		Caller caller = Callers.current();
		return this.jdbc.sql("""
				SELECT s.*, p.owners AS project_owners, p.members AS project_members
				FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.name = ? AND s.name = ? AND s.deleted_at IS NULL""")
			.params(project, name)
			.query((row, n) -> caller.roleIn(row.getObject("project_id", UUID.class),
					this.columns.strings(row, "project_owners"),
					this.columns.strings(row, "project_members")) == ProjectRole.NONE ? null
							: fromRow(row, n))
			.optional()
			.orElseThrow(() -> {
				this.access.require(project, ProjectRole.MEMBER, "Reading a storage"); // says which is missing
				return NotFoundException.storage(project, name);
			});
	}

	Page<Storage> list(Project found, LabelSelector selector, Storage.State state, PageRequest page) {
		SqlFilter filter = new SqlFilter();
		filter.and("project_id = " + filter.bind(found.getId())).and("deleted_at IS NULL");
		if (state != null) {
			filter.and(stateSql(state));
		}
		selector.appendTo(filter, "labels");
		return this.pager.page("storages", filter, page, this::fromRow, Storage::getName);
	}

	private Storage fromRow(ResultSet row, int rowNumber) throws SQLException {
		return Storage.fromRow(row, this.columns);
	}

	/** The SQL twin of {@link Storage#state()}, over trusted constants only. */
	private static String stateSql(Storage.State state) {
		return switch (state) {
			case Deleting -> "lifecycle = 'Deleting'";
			case Failed -> "lifecycle = 'Active' AND phase = 'Failed'";
			case Ready -> "lifecycle = 'Active' AND phase = 'Ready' AND observed_generation = generation";
			case Pending -> "lifecycle = 'Active' AND phase <> 'Failed' "
					+ "AND NOT (phase = 'Ready' AND observed_generation IS NOT DISTINCT FROM generation)";
			case Deleted -> "FALSE";
		};
	}

	static Storage.State parseState(String state) {
		if (state == null) {
			return null;
		}
		for (Storage.State candidate : Storage.State.values()) {
			if (candidate != Storage.State.Deleted && candidate.name().toLowerCase(Locale.ROOT).equals(state.toLowerCase(Locale.ROOT))) {
				return candidate;
			}
		}
		throw InvalidRequestException.field("state", state, "must be one of Pending, Ready, Failed, Deleting");
	}

	/** POST: creates, or returns the existing storage when the request is a replay of the same spec. */
	Applied<Storage> create(String project, StorageRequest request) {
		StorageSpec spec = validate(request, null);
		return inProject(project, locked -> {
			Storage existing = this.storages.findLive(locked.getId(), request.name()).orElse(null);
			if (existing != null) {
				if (existing.isDeleting()) {
					throw StorageDeletingException.of(request.name());
				}
				if (existing.hasSpec(spec.withStorageClassOr(existing.getStorageClass()))) {
					audit(locked, "storage.create", existing, "unchanged", null);
					return new Applied<>(existing, false);
				}
				throw ConflictException.alreadyExists("Storage", request.name(),
						"Use PUT or PATCH to change it, or pick another name.");
			}
			Storage created = insert(locked, request.name(), spec);
			audit(locked, "storage.create", created, "created", null);
			return new Applied<>(created, true);
		});
	}

	/** PUT: create or update to exactly this state. */
	Applied<Storage> apply(String project, String name, StorageRequest request, Preconditions preconditions) {
		StorageSpec spec = validate(request, name);
		return inProject(project, locked -> {
			Storage existing = this.storages.findLive(locked.getId(), name).orElse(null);
			preconditions.checkWrite(existing == null ? null : existing.etag());
			if (existing == null) {
				Storage created = insert(locked, name, spec);
				audit(locked, "storage.apply", created, "created", null);
				return new Applied<>(created, true);
			}
			return new Applied<>(update(locked, "storage.apply", existing, spec.withStorageClassOr(existing.getStorageClass())),
					false);
		});
	}

	/** PATCH: JSON Merge Patch over the current state, then validated as a whole like PUT. */
	Storage patch(String project, String name, JsonNode patch, Preconditions preconditions) {
		return inProject(project, locked -> {
			Storage existing = this.storages.findLive(locked.getId(), name)
				.orElseThrow(() -> NotFoundException.storage(project, name));
			preconditions.checkWrite(existing.etag());
			JsonNode merged = MergePatch.applyToObject(this.json.valueToTree(StorageRequest.from(existing)), patch);
			StorageSpec spec = validate(this.json.treeToValue(merged, StorageRequest.class), name);
			return update(locked, "storage.patch", existing, spec);
		});
	}

	/**
	 * Starts a deletion. With backup-before-delete (and no {@code force}) the storage first gets a final
	 * backup and its custom resource is deleted only once that backup has Succeeded; a failed one
	 * leaves the storage in place with the reason in {@code deletionBlocked}.
	 */
	Storage delete(String project, String name, Preconditions preconditions, boolean force) {
		return inProject(project, locked -> {
			Storage existing = this.storages.findLive(locked.getId(), name)
				.orElseThrow(() -> NotFoundException.storage(project, name));
			preconditions.checkWrite(existing.etag());
			if (existing.isDeleting() && !(force && existing.awaitsFinalBackup())) {
				return existing;
			}
			StorageRequest before = StorageRequest.from(existing);
			this.backups.cancelAll(existing.getId());
			if (existing.isDeleting()) {
				existing.stopAwaitingFinalBackup();
			}
			else if (existing.getBackupPolicy().backupBeforeDelete() && existing.provisioned() && !force) {
				existing.deleteAfter(this.backups.queueFinal(locked.getId(), existing.getId(), existing.getCluster()),
						this.clock.instant());
				this.storages.flush();
				this.audit.record(locked.getName(), "storage.delete", target(locked, existing), "deleted", before, null);
				return existing;
			}
			else {
				existing.delete(this.clock.instant());
			}
			this.storages.flush();
			this.sync.delete(existing.getId(), existing.getCluster(), locked.getNamespace(), existing.getName());
			this.audit.record(locked.getName(), "storage.delete", target(locked, existing), "deleted", before, null);
			return existing;
		});
	}

	/**
	 * The final backup of a storage being deleted has ended: on success its deletion goes on to the
	 * cluster; otherwise the storage is Active again and says why it was not deleted.
	 */
	@EventListener
	public void finalBackupEnded(FinalBackupEnded ended) {
		this.transactions.executeWithoutResult(status -> {
			if (ended.succeeded()) {
				this.jdbc.sql("""
						SELECT s.id, s.cluster, s.name, p.namespace FROM storages s JOIN projects p ON p.id = s.project_id
						WHERE s.id = ? AND s.lifecycle = 'Deleting' AND s.final_backup_id = ? FOR UPDATE OF s""")
					.params(ended.storageId(), ended.backupId())
					.query((row, n) -> {
						this.jdbc.sql("UPDATE storages SET final_backup_id = NULL, version = version + 1 WHERE id = ?")
							.param(ended.storageId())
							.update();
						this.sync.delete(ended.storageId(), row.getString("cluster"), row.getString("namespace"),
								row.getString("name"));
						return 1;
					})
					.optional();
				return;
			}
			java.time.OffsetDateTime now = java.time.OffsetDateTime.ofInstant(this.clock.instant(), java.time.ZoneOffset.UTC);
			this.jdbc.sql("""
					UPDATE storages SET lifecycle = 'Active', final_backup_id = NULL, sync_state = 'Synced',
					  deletion_blocked = ?, deletion_blocked_backup_id = ?, deletion_blocked_reason = ?,
					  deletion_blocked_at = ?, updated_at = ?, version = version + 1
					WHERE id = ? AND lifecycle = 'Deleting' AND final_backup_id = ?""")
				.params("Not deleted: its final backup " + ended.backupId() + " ended " + ended.state()
						+ (ended.error() == null ? "" : " (" + ended.error() + ")")
						+ ". Delete it again to retry, or with force=true to delete it without a final backup.",
						ended.backupId(), "FinalBackup" + ended.state().name(), now, now, ended.storageId(),
						ended.backupId())
				.update();
		});
	}

	private StorageSpec validate(StorageRequest request, String urlName) {
		Violations violations = new Violations();
		StorageSpec spec = request.toSpec(urlName, this.properties, violations);
		violations.throwIfAny();
		// a named cluster is checked when a storage is created in it; on an update, naming another
		// cluster is refused as an immutable change, which says more than "unknown cluster"
		return spec.cluster() != null ? spec : spec.inCluster(this.clusters.resolve(null, this.properties.defaultCluster()));
	}

	private Storage insert(Project project, String name, StorageSpec requested) {
		this.clusters.resolve(requested.cluster(), this.properties.defaultCluster());
		// the cluster's default class now, kept: changing the default later changes only new storages
		StorageSpec spec = requested.withStorageClassOr(this.clusters.get(requested.cluster()).getDefaultStorageClass());
		this.quota.admit(project, spec.cluster(), spec.capacityBytes(), 1);
		Storage created = this.storages.saveAndFlush(new Storage(project.getId(), name, spec, this.clock.instant()));
		plan(created);
		RestoreSource restore = spec.restoreFrom();
		if (restore != null) {
			this.backups.restoreIntoNew(project.getId(), project.getName(), created.getId(), created.getCluster(),
					created.getCapacityBytes(), restore.storage(), restore.backup(), restore.paths());
		}
		this.sync.create(desired(project, created));
		return created;
	}

	private Storage update(Project project, String action, Storage existing, StorageSpec spec) {
		StorageRequest before = StorageRequest.from(existing);
		existing.checkChange(spec);
		this.quota.admit(project, existing.getCluster(), spec.capacityBytes() - existing.getCapacityBytes(), 0);
		BackupPolicy policyBefore = existing.getBackupPolicy();
		existing.update(spec, this.clock.instant());
		this.storages.flush();
		BackupPolicy policyAfter = existing.getBackupPolicy();
		if (policyBefore.enabled() != policyAfter.enabled() || !policyBefore.schedule().equals(policyAfter.schedule())
				|| !policyBefore.timeZone().equals(policyAfter.timeZone())
				|| !policyBefore.verify().equals(policyAfter.verify())) {
			plan(existing);
		}
		StorageRequest after = StorageRequest.from(existing);
		if (!before.equals(after)) {
			this.sync.apply(desired(project, existing));
		}
		this.audit.record(project.getName(), action, target(project, existing),
				before.equals(after) ? "unchanged" : "updated", before, after);
		return existing;
	}

	private void plan(Storage storage) {
		BackupPolicy policy = storage.getBackupPolicy();
		this.schedules.plan(storage.getId(), policy.enabled(), policy.schedule(), policy.timeZone());
		this.verifications.plan(storage.getId(), policy.verify().enabled(), policy.verify().schedule(),
				policy.verify().timeZone());
	}

	/** The storage as its cluster should have it. */
	private static DesiredStorage desired(Project project, Storage storage) {
		RestoreSource restore = storage.getRestoreFrom();
		return new DesiredStorage(storage.getId(), project.getName(), project.getNamespace(), storage.getName(),
				storage.getCluster(), storage.getCapacityBytes(), storage.getStorageClass(), storage.getAccessMode(),
				storage.getLabels(), storage.getBackupPolicy().enabled(), restore == null ? null : restore.storage(),
				restore == null ? null : restore.backup(), restore == null ? null : restore.paths(),
				storage.getGeneration());
	}

	private void audit(Project project, String action, Storage storage, String result, Object before) {
		this.audit.record(project.getName(), action, target(project, storage), result, before,
				StorageRequest.from(storage));
	}

	private static String target(Project project, Storage storage) {
		return "projects/" + project.getName() + "/storages/" + storage.getName();
	}

	private <T> T inProject(String project, Function<Project, T> work) {
		return this.transactions.execute(status -> {
			Project locked = this.projects.lockByName(project).orElseThrow(() -> NotFoundException.project(project));
			return work.apply(locked);
		});
	}

}
