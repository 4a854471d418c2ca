package io.mlplatform.storage.backup;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import tools.jackson.core.type.TypeReference;

import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.snapshot.RestoreMode;

/**
 * Bringing a backup back into a storage, in place ({@code merge} or {@code replace}) or into a new
 * storage created with {@code restoreFrom}; optionally only some paths.
 */
public record Restore(UUID id, UUID projectId, String project, String namespace, UUID storageId, String storage,
		UUID backupId, UUID sourceStorageId, String cluster, String mode, List<String> paths, boolean intoNew,
		JobState state, Instant createdAt, Instant startedAt, Instant finishedAt, Long files, Long filesTotal,
		Long bytes, Long bytesTotal, Long etaSeconds, String error, boolean cancelRequested, int attempt,
		long version) {

	static final String SELECT = """
			SELECT r.*, s.name AS storage_name, p.name AS project_name, p.namespace AS project_namespace
			FROM restores r JOIN storages s ON s.id = r.storage_id JOIN projects p ON p.id = r.project_id""";

	private static final TypeReference<List<String>> PATHS = new TypeReference<>() {
	};

	static Restore fromRow(ResultSet row, JsonColumns columns) throws SQLException {
		return new Restore(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
				row.getString("project_name"), row.getString("project_namespace"),
				row.getObject("storage_id", UUID.class), row.getString("storage_name"),
				row.getObject("backup_id", UUID.class), row.getObject("source_storage_id", UUID.class),
				row.getString("cluster"), row.getString("mode"), columns.read(row, "paths", PATHS),
				row.getBoolean("into_new"), JobState.valueOf(row.getString("state")),
				JsonColumns.instant(row, "created_at"), JsonColumns.instant(row, "started_at"),
				JsonColumns.instant(row, "finished_at"), row.getObject("files", Long.class),
				row.getObject("files_total", Long.class), row.getObject("bytes", Long.class),
				row.getObject("bytes_total", Long.class), row.getObject("eta_seconds", Long.class),
				row.getString("error"), row.getBoolean("cancel_requested"), row.getInt("attempt"),
				row.getLong("version"));
	}

	public String etag() {
		return Preconditions.etag(this.id, this.version);
	}

	RestoreMode restoreMode() {
		return "replace".equals(this.mode) ? RestoreMode.REPLACE : RestoreMode.MERGE;
	}

}
