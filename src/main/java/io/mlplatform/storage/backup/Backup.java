package io.mlplatform.storage.backup;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.Preconditions;

/**
 * One backup of a storage: a job while it is Queued or Running, then the record of a snapshot in S3
 * (Succeeded) or of why there is none. Read from its row; the worker and the API change it with SQL
 * whose WHERE clauses guard each transition (a row changes state only from the state it is in).
 */
public record Backup(UUID id, UUID projectId, String project, String namespace, UUID storageId, String storage,
		String cluster, String trigger, JobState state, Instant createdAt, Instant startedAt, Instant finishedAt,
		Long files, Long filesTotal, Long bytes, Long bytesTotal, Long bytesUploaded, Long etaSeconds, String error,
		boolean cancelRequested, int attempt, long version, VerificationSummary verification) {

	/** What every read of a backup selects: the row and the names of its storage and project. */
	static final String SELECT = """
			SELECT b.*, s.name AS storage_name, p.name AS project_name, p.namespace AS project_namespace"""
			+ VerificationSummary.COLUMNS + "\n" + """
			FROM backups b JOIN storages s ON s.id = b.storage_id JOIN projects p ON p.id = b.project_id
			""" + VerificationSummary.JOIN;

	static Backup fromRow(ResultSet row, int n) throws SQLException {
		return new Backup(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
				row.getString("project_name"), row.getString("project_namespace"),
				row.getObject("storage_id", UUID.class), row.getString("storage_name"), row.getString("cluster"),
				row.getString("trigger"), JobState.valueOf(row.getString("state")), JsonColumns.instant(row, "created_at"),
				JsonColumns.instant(row, "started_at"), JsonColumns.instant(row, "finished_at"),
				row.getObject("files", Long.class), row.getObject("files_total", Long.class),
				row.getObject("bytes", Long.class), row.getObject("bytes_total", Long.class),
				row.getObject("bytes_uploaded", Long.class), row.getObject("eta_seconds", Long.class),
				row.getString("error"), row.getBoolean("cancel_requested"), row.getInt("attempt"),
				row.getLong("version"), VerificationSummary.fromRow(row));
	}

	/** Changes with the row and with its verifications, which the service writes beside it. */
	public String etag() {
		String etag = Preconditions.etag(this.id, this.version);
		return this.verification == null ? etag
				: Preconditions.withStatus(etag, this.verification.id(), this.verification.version());
	}

	/** Names the engine files this snapshot under: the project's name, the storage's and the backup's ids. */
	String snapshotStorage() {
		return this.storageId.toString();
	}

}
