package io.mlplatform.storage.backup.verify;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.InvalidRequestException;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.SqlFilter;

/**
 * The API's side of verifications: queue one for a backup (or return the one already queued or running),
 * list and read them, cancel one. Writes commit a row and its audit record; the worker picks the row up
 * (woken right after commit).
 */
@Service
class VerificationManagement {

	/** Each miss means a verification ended in between; more than a few in a row means something else is wrong. */
	private static final int MAX_REQUEST_ATTEMPTS = 10;

	private static final Pattern KEY = Pattern.compile("[0-9]{1,20}\\.[0-9a-f-]{36}");

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final ProjectAccess access;

	private final AuditLog audit;

	private final VerificationWorker worker;

	private final VerificationQueue queue;

	private final JsonColumns columns;

	VerificationManagement(JdbcClient db, PlatformTransactionManager transactionManager, ProjectAccess access,
			AuditLog audit, VerificationWorker worker, VerificationQueue queue, JsonColumns columns) {
		this.db = db;
		this.transactions = new TransactionTemplate(transactionManager);
		this.access = access;
		this.audit = audit;
		this.worker = worker;
		this.queue = queue;
		this.columns = columns;
	}

	private record BackupRef(UUID id, UUID projectId, UUID storageId, String state, double defaultFraction) {
	}

	/** A backup of a live storage of the project; 404 when there is none by that id. */
	private BackupRef backup(Project project, String storage, String backup) {
		UUID storageId = this.db.sql("SELECT id FROM storages WHERE project_id = ? AND name = ? AND deleted_at IS NULL")
			.params(project.getId(), storage)
			.query(UUID.class)
			.optional()
			.orElseThrow(() -> NotFoundException.storage(project.getName(), storage));
		UUID id = uuid(backup);
		return (id == null ? Optional.<BackupRef>empty() : this.db.sql("""
				SELECT b.id, b.project_id, b.storage_id, b.state, s.verify_data_fraction
				FROM backups b JOIN storages s ON s.id = b.storage_id WHERE b.id = ? AND b.storage_id = ?""")
			.params(id, storageId)
			.query((row, n) -> new BackupRef(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
					row.getObject("storage_id", UUID.class), row.getString("state"),
					row.getDouble("verify_data_fraction")))
			.optional()).orElseThrow(() -> NotFoundException.backup(storage, backup));
	}

	private static UUID uuid(String id) {
		try {
			return id != null && id.length() == 36 ? UUID.fromString(id) : null;
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	/** The share of bytes a request asks to read; the storage's policy when it names none. */
	static Double checkFraction(Double dataFraction) {
		if (dataFraction != null && !(dataFraction > 0 && dataFraction <= 1)) {
			throw InvalidRequestException.field("dataFraction", dataFraction,
					"must be more than 0 and at most 1 (the share of the content's bytes read; 1 reads everything)");
		}
		return dataFraction;
	}

	/** Queues a verification of a Succeeded backup, or returns the one of that backup already queued or running. */
	Verification request(String projectName, String storageName, String backupId, Double dataFraction) {
		checkFraction(dataFraction);
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Verifying a backup");
		return this.transactions.execute(status -> {
			BackupRef backup = backup(project, storageName, backupId);
			// held until commit: retention locks the row before it lets a snapshot go, and then sees this verification
			String state = this.db.sql("SELECT state FROM backups WHERE id = ? FOR SHARE")
				.param(backup.id())
				.query(String.class)
				.single();
			if (!"Succeeded".equals(state)) {
				throw VerificationConflictException.notSucceeded(backupId, state);
			}
			double fraction = dataFraction != null ? dataFraction : backup.defaultFraction();
			Verification verification = null;
			boolean created = false;
			// the verification an insert conflicts with can end before the next statement reads it; then the
			// backup has room for a new one, and the insert is tried again
			for (int attempt = 0; attempt < MAX_REQUEST_ATTEMPTS && verification == null; attempt++) {
				Optional<UUID> inserted = this.db.sql("""
						INSERT INTO verifications (id, project_id, storage_id, backup_id, trigger, data_fraction,
						  cursor_start, state, created_at)
						VALUES (:id, :project, :storage, :backup, 'manual', :fraction, %s, 'Queued', :now)
						ON CONFLICT (backup_id) WHERE state IN ('Queued', 'Running') DO NOTHING
						RETURNING id""".formatted(VerificationScheduler.NEXT_CURSOR.formatted(":storage")))
					.param("id", UUID.randomUUID())
					.param("project", backup.projectId())
					.param("storage", backup.storageId())
					.param("backup", backup.id())
					.param("fraction", fraction)
					.param("now", this.queue.now())
					.query(UUID.class)
					.optional();
				created = inserted.isPresent();
				verification = inserted.map(this::row)
					.or(() -> find("v.backup_id = ? AND v.state IN ('Queued', 'Running')", backup.id()))
					.orElse(null);
			}
			if (verification == null) {
				throw ConflictException.concurrentModification("Verification of backup", backupId);
			}
			this.audit.record(project.getName(), "backup.verify", target(project, storageName, backup.id()),
					created ? "created" : "unchanged", null,
					Map.of("verification", verification.id(), "dataFraction", verification.dataFraction()));
			wakeWorkerAfterCommit();
			return verification;
		});
	}

	private Optional<Verification> find(String where, Object... params) {
		return this.db.sql(Verification.SELECT + " WHERE " + where)
			.params(params)
			.query((row, n) -> Verification.fromRow(row, this.columns))
			.optional();
	}

	private Verification row(UUID id) {
		return find("v.id = ?", id).orElseThrow();
	}

	Page<Verification> list(String projectName, String storageName, String backupId, Integer pageSize,
			String pageToken) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Listing verifications");
		PageRequest page = PageRequest.of(pageSize, pageToken, "verifications?" + projectName + "&" + storageName + "&"
				+ backupId, key -> KEY.matcher(key).matches());
		BackupRef backup = backup(project, storageName, backupId);
		SqlFilter filter = new SqlFilter();
		filter.and("v.backup_id = " + filter.bind(backup.id()));
		if (page.after() != null) {
			String[] key = page.after().split("\\.");
			long micros = Long.parseLong(key[0]);
			Instant after = Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1_000);
			filter.and("(v.created_at, v.id) < (" + filter.bind(java.time.OffsetDateTime.ofInstant(after,
					java.time.ZoneOffset.UTC)) + ", " + filter.bind(UUID.fromString(key[1])) + ")");
		}
		List<Verification> rows = this.db
			.sql(Verification.SELECT + " WHERE " + filter.where() + " ORDER BY v.created_at DESC, v.id DESC LIMIT "
					+ (page.pageSize() + 1))
			.params(filter.parameters())
			.query((row, n) -> Verification.fromRow(row, this.columns))
			.list();
		return page.toPage(rows, last -> (last.createdAt().getEpochSecond() * 1_000_000
				+ last.createdAt().getNano() / 1_000) + "." + last.id());
	}

	Verification get(String projectName, String storageName, String backupId, String verificationId) {
		Project project = this.access.require(projectName, ProjectRole.MEMBER, "Reading a verification");
		return find(backup(project, storageName, backupId), verificationId);
	}

	private Verification find(BackupRef backup, String verificationId) {
		UUID id = uuid(verificationId);
		return (id == null ? Optional.<Verification>empty()
				: find("v.id = ? AND v.backup_id = ?", id, backup.id()))
			.orElseThrow(() -> NotFoundException.verification(backup.id().toString(), verificationId));
	}

	/** Cancels a queued verification at once; a running one stops at its worker's next heartbeat. */
	Verification cancel(String projectName, String storageName, String backupId, String verificationId) {
		Project project = this.access.require(projectName, ProjectRole.OWNER, "Cancelling a verification");
		BackupRef backup = backup(project, storageName, backupId);
		UUID id = find(backup, verificationId).id();
		return this.transactions.execute(status -> {
			String state = this.db.sql("SELECT state FROM verifications WHERE id = ? FOR UPDATE")
				.param(id)
				.query(String.class)
				.single();
			if (!"Queued".equals(state) && !"Running".equals(state)) {
				throw VerificationConflictException.finished(verificationId, state);
			}
			this.db.sql("""
					UPDATE verifications SET state = CASE WHEN state = 'Queued' THEN 'Cancelled' ELSE state END,
					  outcome = CASE WHEN state = 'Queued' THEN 'cancelled' ELSE outcome END,
					  finished_at = CASE WHEN state = 'Queued' THEN :now ELSE finished_at END,
					  cancel_requested = true, version = version + 1
					WHERE id = :id""")
				.param("now", this.queue.now())
				.param("id", id)
				.update();
			if ("Queued".equals(state)) {
				// ended here, not by a worker: counted here
				this.worker.count("cancelled");
			}
			this.audit.record(project.getName(), "verification.cancel",
					target(project, storageName, backup.id()) + "/verifications/" + id, "cancelled",
					Map.of("state", state), null);
			return row(id);
		});
	}

	private static String target(Project project, String storage, UUID backup) {
		return "projects/" + project.getName() + "/storages/" + storage + "/backups/" + backup;
	}

	private void wakeWorkerAfterCommit() {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					VerificationManagement.this.worker.wake();
				}
			});
		}
		else {
			this.worker.wake();
		}
	}

}
