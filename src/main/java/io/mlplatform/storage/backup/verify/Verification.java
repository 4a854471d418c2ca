package io.mlplatform.storage.backup.verify;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import tools.jackson.core.type.TypeReference;

import io.mlplatform.storage.backup.VerificationSummary.VerificationProblem;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.Preconditions;

/**
 * One verification of a backup's snapshot: a job while Queued or Running, then the record of what it
 * found. Read from its row; the API, the worker and the scheduler change it with SQL whose WHERE
 * clauses guard each transition.
 */
record Verification(UUID id, UUID projectId, String project, UUID storageId, String storage, UUID backupId,
		String trigger, double dataFraction, long cursorStart, Long cursorEnd, String state, String outcome,
		Instant createdAt, Instant startedAt, Instant finishedAt, Long files, Long filesTotal, Long bytes,
		Long bytesTotal, List<VerificationProblem> problems, long problemCount, String error, boolean cancelRequested,
		int attempt, long version) {

	static final String SELECT = """
			SELECT v.*, s.name AS storage_name, p.name AS project_name
			FROM verifications v JOIN storages s ON s.id = v.storage_id JOIN projects p ON p.id = v.project_id""";

	private static final TypeReference<List<VerificationProblem>> PROBLEMS = new TypeReference<>() {
	};

	static Verification fromRow(ResultSet row, JsonColumns columns) throws SQLException {
		return new Verification(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
				row.getString("project_name"), row.getObject("storage_id", UUID.class), row.getString("storage_name"),
				row.getObject("backup_id", UUID.class), row.getString("trigger"), row.getDouble("data_fraction"),
				row.getLong("cursor_start"), row.getObject("cursor_end", Long.class), row.getString("state"),
				row.getString("outcome"), JsonColumns.instant(row, "created_at"), JsonColumns.instant(row, "started_at"),
				JsonColumns.instant(row, "finished_at"), row.getObject("files", Long.class),
				row.getObject("files_total", Long.class), row.getObject("bytes", Long.class),
				row.getObject("bytes_total", Long.class), columns.read(row, "problems", PROBLEMS),
				row.getLong("problem_count"), row.getString("error"), row.getBoolean("cancel_requested"),
				row.getInt("attempt"), row.getLong("version"));
	}

	boolean active() {
		return "Queued".equals(this.state) || "Running".equals(this.state);
	}

	String etag() {
		return Preconditions.etag(this.id, this.version);
	}

}
