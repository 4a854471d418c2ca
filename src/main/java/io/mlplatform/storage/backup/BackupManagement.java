package io.mlplatform.storage.backup;

import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.quota.BackupQuota;
import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.InvalidRequestException;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.Quantities;
import io.mlplatform.storage.web.SqlFilter;
import io.mlplatform.storage.web.UnprocessableException;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.SnapshotException;

import tools.jackson.databind.json.JsonMapper;

/**
 * The API's side of backups and restores: queue them, list and read them, cancel and delete them,
 * browse a snapshot and hand out its files. Writes commit a row and its audit record; the worker
 * picks the row up (woken right after commit).
 */
@Service
public class BackupManagement {

	/** Each miss means a backup ended in between; more than a few in a row means something else is wrong. */
	private static final int MAX_REQUEST_ATTEMPTS = 10;

	private static final Pattern KEY = Pattern.compile("[0-9]{1,20}\\.[0-9a-f-]{36}");

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final ProjectAccess access;

	private final AuditLog audit;

	private final Snapshots snapshots;

	private final BackupWorker worker;

	private final JsonColumns columns;

	private final JsonMapper json;

	private final WorkerProperties properties;

	private final Clock clock;

	BackupManagement(JdbcClient db, PlatformTransactionManager transactionManager, ProjectAccess access, AuditLog audit,
			Snapshots snapshots, BackupWorker worker, JsonColumns columns, JsonMapper json,
			WorkerProperties properties, Clock clock) {
		this.db = db;
		this.transactions = new TransactionTemplate(transactionManager);
		this.access = access;
		this.audit = audit;
		this.snapshots = snapshots;
		this.worker = worker;
		this.columns = columns;
		this.json = json;
		this.properties = properties;
		this.clock = clock;
	}

	/** A live storage as the jobs see it. */
	record StorageRef(UUID id, String name, String cluster, boolean deleting) {
	}

	StorageRef storage(Project project, String name) {
		return this.db.sql("""
				SELECT id, name, cluster, lifecycle FROM storages WHERE project_id = ? AND name = ? AND deleted_at IS NULL""")
			.params(project.getId(), name)
			.query((row, n) -> new StorageRef(row.getObject("id", UUID.class), row.getString("name"),
					row.getString("cluster"), "Deleting".equals(row.getString("lifecycle"))))
			.optional()
			.orElseThrow(() -> NotFoundException.storage(project.getName(), name));
	}

	private OffsetDateTime now() {
		return JobQueue.at(this.clock.instant());
	}

	// --- backups

	/** Queues an on-demand backup, or returns the one already queued or running. */
	Backup request(String projectName, String storageName) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Starting a backup");
		return this.transactions.execute(status -> {
			StorageRef storage = storage(project, storageName);
			if (storage.deleting()) {
				throw JobConflictException.storageDeleting(storageName);
			}
			// a new backup only below the project's backup capacity; one already queued or running is returned
			if (active(storage.id()).isEmpty()) {
				BackupQuota.admit(this.db, project.getId());
			}
			Backup backup = null;
			boolean created = false;
			// the backup an insert conflicts with can end before the next statement reads it; then the
			// storage has room for a new one, and the insert is tried again
			for (int attempt = 0; attempt < MAX_REQUEST_ATTEMPTS && backup == null; attempt++) {
				backup = queue(project.getId(), storage, "manual").orElse(null);
				created = backup != null;
				if (backup == null) {
					backup = active(storage.id()).orElse(null);
				}
			}
			if (backup == null) {
				throw ConflictException.concurrentModification("Backup of storage", storageName);
			}
			if (created) {
				BackupScheduler.allowed(this.db, List.of(storage.id()));
			}
			this.audit.record(project.getName(), "backup.create", target(project, storage, backup.id()),
					created ? "created" : "unchanged", null, Map.of("trigger", backup.trigger()));
			wakeWorkerAfterCommit();
			return backup;
		});
	}

	/**
	 * Inserts a Queued backup unless the storage has one queued or running (the unique partial index
	 * decides, so concurrent requests and the scheduler agree on one).
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public Optional<Backup> queue(UUID projectId, StorageRef storage, String trigger) {
		Optional<UUID> id = this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
				VALUES (?, ?, ?, ?, ?, 'Queued', ?)
				ON CONFLICT (storage_id) WHERE state IN ('Queued', 'Running') AND trigger <> 'beforeDelete' DO NOTHING
				RETURNING id""")
			.params(UUID.randomUUID(), projectId, storage.id(), storage.cluster(), trigger, now())
			.query(UUID.class)
			.optional();
		return id.map(this::backup);
	}

	private Optional<Backup> active(UUID storageId) {
		return this.db.sql(Backup.SELECT
				+ " WHERE b.storage_id = ? AND b.state IN ('Queued', 'Running') AND b.trigger <> 'beforeDelete'")
			.param(storageId)
			.query(Backup::fromRow)
			.optional();
	}

	private Backup backup(UUID id) {
		return this.db.sql(Backup.SELECT + " WHERE b.id = ?").param(id).query(Backup::fromRow).single();
	}

	Page<Backup> list(String projectName, String storageName, String state, Integer pageSize, String pageToken) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Listing backups");
		JobState wanted = JobState.parse(state, true);
		PageRequest page = PageRequest.of(pageSize, pageToken, "backups?" + projectName + "&" + storageName + "&" + wanted,
				key -> KEY.matcher(key).matches());
		StorageRef storage = storage(project, storageName);
		SqlFilter filter = new SqlFilter();
		filter.and("b.storage_id = " + filter.bind(storage.id()));
		List<Backup> rows = newestFirst(Backup.SELECT, "b", filter, wanted, page, Backup::fromRow);
		return page.toPage(rows, last -> key(last.createdAt(), last.id()));
	}

	private <T> List<T> newestFirst(String select, String alias, SqlFilter filter, JobState state, PageRequest page,
			org.springframework.jdbc.core.RowMapper<T> rows) {
		if (state != null) {
			filter.and(alias + ".state = " + filter.bind(state.name()));
		}
		if (page.after() != null) {
			String[] key = page.after().split("\\.");
			filter.and("(" + alias + ".created_at, " + alias + ".id) < (" + filter.bind(JobQueue.at(fromMicros(Long.parseLong(key[0]))))
					+ ", " + filter.bind(UUID.fromString(key[1])) + ")");
		}
		return this.db
			.sql(select + " WHERE " + filter.where() + " ORDER BY " + alias + ".created_at DESC, " + alias
					+ ".id DESC LIMIT " + (page.pageSize() + 1))
			.params(filter.parameters())
			.query(rows)
			.list();
	}

	private static String key(Instant at, UUID id) {
		return (at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000) + "." + id;
	}

	private static Instant fromMicros(long micros) {
		return Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1_000);
	}

	Backup get(String projectName, String storageName, String backupId) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Reading a backup");
		return find(project, storage(project, storageName), backupId);
	}

	private Backup find(Project project, StorageRef storage, String backupId) {
		UUID id = uuid(backupId);
		return (id == null ? Optional.<Backup>empty()
				: this.db.sql(Backup.SELECT + " WHERE b.id = ? AND b.storage_id = ?")
					.params(id, storage.id())
					.query(Backup::fromRow)
					.optional())
			.orElseThrow(() -> NotFoundException.backup(storage.name(), backupId));
	}

	private static UUID uuid(String id) {
		try {
			return id != null && id.length() == 36 ? UUID.fromString(id) : null;
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	/** Deletes a finished backup: its manifest first (its content is left to garbage collection), then its row. */
	void delete(String projectName, String storageName, String backupId, Preconditions preconditions) {
		Project project = this.access.require(projectName, ProjectRole.OWNER, "Deleting a backup");
		StorageRef storage = storage(project, storageName);
		Backup backup = find(project, storage, backupId);
		preconditions.checkWrite(backup.etag());
		if (backup.state().active()) {
			throw JobConflictException.backupActive(backupId, backup.state());
		}
		if (backup.state() == JobState.Succeeded) {
			this.snapshots.delete(backup.project(), backup.snapshotStorage(), backup.id().toString());
		}
		this.transactions.executeWithoutResult(status -> {
			int deleted = this.db.sql("DELETE FROM backups WHERE id = ? AND state NOT IN ('Queued', 'Running')")
				.param(backup.id())
				.update();
			if (deleted == 1) {
				this.audit.record(project.getName(), "backup.delete", target(project, storage, backup.id()), "deleted",
						Map.of("state", backup.state().name(), "trigger", backup.trigger()), null);
			}
		});
	}

	/** Cancels a queued backup at once; a running one stops at its worker's next heartbeat. */
	Backup cancel(String projectName, String storageName, String backupId) {
		Project project = this.access.require(projectName, ProjectRole.OWNER, "Cancelling a backup");
		StorageRef storage = storage(project, storageName);
		UUID id = find(project, storage, backupId).id();
		return this.transactions.execute(status -> {
			Backup current = this.db.sql(Backup.SELECT + " WHERE b.id = ? FOR UPDATE OF b")
				.param(id)
				.query(Backup::fromRow)
				.single();
			cancelRow("backups", current.id(), current.state(), "Backup", backupId);
			this.audit.record(project.getName(), "backup.cancel", target(project, storage, id), "cancelled",
					Map.of("state", current.state().name()), null);
			return backup(id);
		});
	}

	private void cancelRow(String table, UUID id, JobState state, String kind, String name) {
		if (!state.active()) {
			throw JobConflictException.finished(kind, name, state);
		}
		this.db.sql("""
				UPDATE %s SET state = CASE WHEN state = 'Queued' THEN 'Cancelled' ELSE state END,
				  finished_at = CASE WHEN state = 'Queued' THEN :now ELSE finished_at END,
				  cancel_requested = true, version = version + 1
				WHERE id = :id""".formatted(table))
			.param("now", now())
			.param("id", id)
			.update();
	}

	// --- browsing a snapshot

	/** One entry of a folder of a snapshot, as the API lists it. */
	record Entry(String name, String path, String type, Long size, String mode, Instant mtime, String target) {
	}

	Page<Entry> browse(String projectName, String storageName, String backupId, String path, Integer pageSize,
			String pageToken) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Browsing a backup");
		Backup backup = readable(project, storageName, backupId, "browsed");
		String folder = folder(path);
		PageRequest page = PageRequest.of(pageSize, pageToken, "files?" + backup.id() + "&" + folder,
				key -> !key.isEmpty() && safe(key));
		SnapshotPage entries = snapshot(backup, () -> this.snapshots.list(backup.project(), backup.snapshotStorage(),
				backup.id().toString(), folder, page.after(), page.pageSize()));
		if (entries.entries().isEmpty() && page.after() == null && !folder.isEmpty()) {
			SnapshotEntry entry = snapshot(backup, () -> this.snapshots.entry(backup.project(), backup.snapshotStorage(),
					backup.id().toString(), folder))
				.orElseThrow(() -> NotFoundException.entry(backupId, folder, "folder"));
			if (!"dir".equals(entry.type())) {
				throw InvalidRequestException.field("path", path,
						"is a " + entry.type() + ", not a folder; download a file with GET …/files/content?path=");
			}
		}
		List<Entry> items = new ArrayList<>();
		for (SnapshotEntry entry : entries.entries()) {
			String name = entry.path().substring(entry.path().lastIndexOf('/') + 1);
			items.add(new Entry(name, entry.path(), entry.type(), entry.size(), entry.mode(), entry.mtime(),
					entry.target()));
		}
		return new Page<>(items, entries.next() == null ? null : page.tokenAfter(entries.next()));
	}

	/** A file of a snapshot: where to read it (a presigned URL) or its bytes (a packed file, or an empty one). */
	record Download(String name, long size, String sha256, java.net.URL redirect, Supplier<InputStream> content) {
	}

	Download download(String projectName, String storageName, String backupId, String path) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Downloading from a backup");
		Backup backup = readable(project, storageName, backupId, "read");
		if (path == null || path.isBlank()) {
			throw InvalidRequestException.field("path", path, "is required: the path of a file in the backup");
		}
		String file = folder(path);
		if (file.isEmpty()) {
			throw InvalidRequestException.field("path", path, "must name a file, not the backup's root");
		}
		SnapshotEntry entry = snapshot(backup, () -> this.snapshots.entry(backup.project(), backup.snapshotStorage(),
				backup.id().toString(), file))
			.orElseThrow(() -> NotFoundException.entry(backupId, file, "file"));
		if (!"file".equals(entry.type())) {
			throw InvalidRequestException.field("path", path, "is a " + entry.type() + ", not a file");
		}
		String name = file.substring(file.lastIndexOf('/') + 1);
		long size = entry.size();
		if (size == 0) {
			return new Download(name, 0, entry.sha256(), null, InputStream::nullInputStream);
		}
		if (entry.pack() != null) {
			// a packed file is a range of its pack: a redirect cannot carry the Range header it was signed with
			return new Download(name, size, entry.sha256(), null, () -> this.snapshots.open(backup.project(), entry));
		}
		PresignedRead read = this.snapshots.presign(backup.project(), entry, this.properties.downloadLinkLifetime());
		return new Download(name, size, entry.sha256(), read.url(), null);
	}

	private Backup readable(Project project, String storageName, String backupId, String action) {
		Backup backup = find(project, storage(project, storageName), backupId);
		if (backup.state() != JobState.Succeeded) {
			throw JobConflictException.notSucceeded(backupId, backup.state(), action);
		}
		return backup;
	}

	private static <T> T snapshot(Backup backup, Supplier<T> read) {
		try {
			return read.get();
		}
		catch (SnapshotException ex) {
			throw NotFoundException.entry(backup.id().toString(), "", "snapshot in the bucket; it was removed");
		}
	}

	/** A path inside a snapshot without its leading and trailing '/'; "" for the root; 400 if it could escape. */
	static String folder(String path) {
		if (path == null || path.isEmpty() || path.equals("/")) {
			return "";
		}
		String stripped = path.startsWith("/") ? path.substring(1) : path;
		stripped = stripped.endsWith("/") ? stripped.substring(0, stripped.length() - 1) : stripped;
		if (!safe(stripped)) {
			throw InvalidRequestException.field("path", path,
					"must be a relative path inside the backup: no '..', '.' or empty segments");
		}
		return stripped;
	}

	static boolean safe(String path) {
		if (path.isEmpty() || path.length() > 4096 || path.indexOf('\0') >= 0) {
			return false;
		}
		for (String segment : path.split("/", -1)) {
			if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
				return false;
			}
		}
		return true;
	}

	// --- restores

	/** A restore as a caller asks for it, validated. */
	record RestoreSpec(UUID backup, String mode, List<String> paths) {
	}

	static RestoreSpec restoreSpec(String backup, String mode, List<String> paths, String prefix) {
		io.mlplatform.storage.web.Violations violations = new io.mlplatform.storage.web.Violations();
		UUID id = uuid(backup);
		if (backup == null) {
			violations.add(prefix + "backup", null, "is required: the id of a Succeeded backup");
		}
		else if (id == null) {
			violations.add(prefix + "backup", backup, "must be a backup id (a UUID)");
		}
		String resolvedMode = mode == null ? "merge" : mode;
		if (!resolvedMode.equals("merge") && !resolvedMode.equals("replace")) {
			violations.add(prefix + "mode", mode,
					"must be 'merge' (overwrite what the backup has, keep the rest) or 'replace' (also remove what it does not have)");
		}
		List<String> cleaned = new ArrayList<>();
		if (paths != null) {
			if (paths.size() > 100) {
				violations.add(prefix + "paths", paths.size() + " paths", "at most 100 paths");
			}
			for (int i = 0; i < Math.min(paths.size(), 100); i++) {
				String path = paths.get(i);
				String stripped = path == null ? null
						: (path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path);
				if (stripped == null || stripped.startsWith("/") || !safe(stripped)) {
					violations.add(prefix + "paths[" + i + "]", path,
							"must be a relative path inside the storage, without '..', '.' or empty segments");
				}
				else {
					cleaned.add(stripped);
				}
			}
		}
		violations.throwIfAny();
		return new RestoreSpec(id, resolvedMode, List.copyOf(cleaned));
	}

	Restore restore(String projectName, String storageName, String backup, String mode, List<String> paths) {
		RestoreSpec spec = restoreSpec(backup, mode, paths, "");
		Project project = this.access.require(projectName, ProjectRole.OWNER, "Restoring a backup");
		return this.transactions.execute(status -> {
			StorageRef storage = storage(project, storageName);
			if (storage.deleting()) {
				throw JobConflictException.storageDeleting(storageName);
			}
			Backup source = restorable(project, spec.backup(), "backup", backup);
			this.db.sql("SELECT id FROM restores WHERE storage_id = ? AND state IN ('Queued', 'Running')")
				.param(storage.id())
				.query(UUID.class)
				.optional()
				.ifPresent(active -> {
					throw JobConflictException.restoreActive(storageName, active.toString());
				});
			UUID id = insertRestore(project.getId(), storage.id(), storage.cluster(), source, spec, false);
			this.audit.record(project.getName(), "restore.create", "projects/" + project.getName() + "/storages/"
					+ storageName + "/restores/" + id, "created", null, spec);
			wakeWorkerAfterCommit();
			return restoreRow(id);
		});
	}

	/**
	 * Queues the restore that fills a storage created with {@code restoreFrom}; it runs once the storage
	 * is Ready. Refuses a backup that is not a Succeeded one of the named storage (422), and a capacity
	 * that cannot hold it (422).
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void restoreIntoNew(UUID projectId, String projectName, UUID storageId, String cluster, long capacityBytes,
			String sourceStorage, String backup, List<String> paths) {
		RestoreSpec spec = restoreSpec(backup, "merge", paths, "restoreFrom.");
		Backup source = this.db.sql(Backup.SELECT + " WHERE b.id = ? AND b.project_id = ? AND s.name = ? AND s.deleted_at IS NULL")
			.params(spec.backup(), projectId, sourceStorage)
			.query(Backup::fromRow)
			.optional()
			.filter(b -> b.state() == JobState.Succeeded)
			.orElseThrow(() -> UnprocessableException.unknownBackup("restoreFrom.backup", backup,
					"Storage '%s' of project '%s' has no Succeeded backup '%s'; list its backups with GET …/storages/%s/backups?state=Succeeded."
						.formatted(sourceStorage, projectName, backup, sourceStorage)));
		if (source.bytes() != null && source.bytes() > capacityBytes) {
			throw UnprocessableException.capacityTooSmall(Quantities.format(capacityBytes),
					Quantities.format(source.bytes()));
		}
		insertRestore(projectId, storageId, cluster, source, spec, true);
	}

	private Backup restorable(Project project, UUID backupId, String field, String given) {
		Backup source = this.db.sql(Backup.SELECT + " WHERE b.id = ? AND b.project_id = ?")
			.params(backupId, project.getId())
			.query(Backup::fromRow)
			.optional()
			.orElseThrow(() -> UnprocessableException.unknownBackup(field, given,
					"Project '%s' has no backup '%s'.".formatted(project.getName(), given)));
		if (source.state() != JobState.Succeeded) {
			throw JobConflictException.notSucceeded(given, source.state(), "restored");
		}
		return source;
	}

	private UUID insertRestore(UUID projectId, UUID storageId, String cluster, Backup source, RestoreSpec spec,
			boolean intoNew) {
		// held until commit: retention, which locks the row before it lets a snapshot go, then sees this restore
		String state = this.db.sql("SELECT state FROM backups WHERE id = ? FOR SHARE")
			.param(source.id())
			.query(String.class)
			.single();
		if (!JobState.Succeeded.name().equals(state)) {
			throw JobConflictException.notSucceeded(source.id().toString(), JobState.valueOf(state), "restored");
		}
		UUID id = UUID.randomUUID();
		this.db.sql("""
				INSERT INTO restores (id, project_id, storage_id, backup_id, source_storage_id, cluster, mode, paths,
				  into_new, state, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, 'Queued', ?)""")
			.params(id, projectId, storageId, source.id(), source.storageId(), cluster, spec.mode(),
					this.json.writeValueAsString(spec.paths()), intoNew, now())
			.update();
		return id;
	}

	private Restore restoreRow(UUID id) {
		return this.db.sql(Restore.SELECT + " WHERE r.id = ?")
			.param(id)
			.query((row, n) -> Restore.fromRow(row, this.columns))
			.single();
	}

	Page<Restore> restores(String projectName, String storageName, String state, Integer pageSize, String pageToken) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Listing restores");
		JobState wanted = JobState.parse(state, false);
		PageRequest page = PageRequest.of(pageSize, pageToken, "restores?" + projectName + "&" + storageName + "&" + wanted,
				key -> KEY.matcher(key).matches());
		StorageRef storage = storage(project, storageName);
		SqlFilter filter = new SqlFilter();
		filter.and("r.storage_id = " + filter.bind(storage.id()));
		List<Restore> rows = newestFirst(Restore.SELECT, "r", filter, wanted, page,
				(row, n) -> Restore.fromRow(row, this.columns));
		return page.toPage(rows, last -> key(last.createdAt(), last.id()));
	}

	Restore getRestore(String projectName, String storageName, String restoreId) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Reading a restore");
		return findRestore(storage(project, storageName), restoreId);
	}

	private Restore findRestore(StorageRef storage, String restoreId) {
		UUID id = uuid(restoreId);
		return (id == null ? Optional.<Restore>empty()
				: this.db.sql(Restore.SELECT + " WHERE r.id = ? AND r.storage_id = ?")
					.params(id, storage.id())
					.query((row, n) -> Restore.fromRow(row, this.columns))
					.optional())
			.orElseThrow(() -> NotFoundException.restore(storage.name(), restoreId));
	}

	Restore cancelRestore(String projectName, String storageName, String restoreId) {
		Project project = this.access.require(projectName, ProjectRole.OWNER, "Cancelling a restore");
		StorageRef storage = storage(project, storageName);
		UUID id = findRestore(storage, restoreId).id();
		return this.transactions.execute(status -> {
			JobState state = JobState.valueOf(this.db.sql("SELECT state FROM restores WHERE id = ? FOR UPDATE")
				.param(id)
				.query(String.class)
				.single());
			cancelRow("restores", id, state, "Restore", restoreId);
			this.audit.record(project.getName(), "restore.cancel", "projects/" + project.getName() + "/storages/"
					+ storageName + "/restores/" + id, "cancelled", Map.of("state", state.name()), null);
			return restoreRow(id);
		});
	}

	/**
	 * Queues a storage's final backup before its deletion, in the caller's transaction, after
	 * {@link #cancelAll} stopped its other jobs; it runs once a running one has stopped.
	 * @return the final backup's id
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public UUID queueFinal(UUID projectId, UUID storageId, String cluster) {
		UUID id = UUID.randomUUID();
		this.db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at)
				VALUES (?, ?, ?, ?, 'beforeDelete', 'Queued', ?)""")
			.params(id, projectId, storageId, cluster, now())
			.update();
		wakeWorkerAfterCommit();
		return id;
	}

	/**
	 * Stops a storage's jobs as it is deleted, in the caller's transaction: queued ones end Cancelled,
	 * running ones are asked to stop.
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void cancelAll(UUID storageId) {
		for (String table : List.of("backups", "restores")) {
			this.db.sql("""
					UPDATE %s SET state = CASE WHEN state = 'Queued' THEN 'Cancelled' ELSE state END,
					  finished_at = CASE WHEN state = 'Queued' THEN :now ELSE finished_at END,
					  cancel_requested = true, version = version + 1
					WHERE storage_id = :storage AND state IN ('Queued', 'Running')""".formatted(table))
				.param("now", now())
				.param("storage", storageId)
				.update();
		}
	}

	private static String target(Project project, StorageRef storage, UUID backup) {
		return "projects/" + project.getName() + "/storages/" + storage.name() + "/backups/" + backup;
	}

	private void wakeWorkerAfterCommit() {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
			@Override
			public void afterCommit() {
				BackupManagement.this.worker.wake();
			}
		});
	}

}
