package io.mlplatform.storage.backup;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.web.JsonColumns;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * What the verifications of a backup found, as its response shows it: the state of the newest one
 * (waiting, running or finished), and the counts and problems of the newest one that finished. Read
 * with the backup's row (see {@link Backup#SELECT}); written by {@code backup.verify}.
 */
@Schema(name = "BackupVerification", description = "The newest verification of this backup's snapshot")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VerificationSummary(
		@Schema(description = "The newest verification (a job: GET …/verifications/{id})") UUID id,
		@Schema(allowableValues = { "Queued", "Running", "Succeeded", "Failed", "Cancelled" }) String state,
		@Schema(description = "Of the newest finished one: ok (nothing wrong), damaged (see problems), error (it "
				+ "could not read the bucket)", allowableValues = { "ok", "damaged", "error" }) String outcome,
		@Schema(description = "When the newest finished one ended") Instant verifiedAt,
		@Schema(description = "Files whose content it read and checked against their sha256") Long checkedFiles,
		Long checkedBytes,
		@Schema(description = "The first problems it found, in path order") List<VerificationProblem> problems,
		@Schema(description = "All problems it found; problems lists the first 100") Long problemCount,
		@JsonIgnore long version) {

	/** A file of a snapshot that would not restore as its manifest says, and why. */
	@Schema(name = "VerificationProblem")
	public record VerificationProblem(@Schema(description = "The file's path in the backup; empty for the manifest",
			example = "datasets/train/0001.jpg") String path,
			@Schema(example = "content sha256 mismatch in pack 5f0c…") String what) {
	}

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final TypeReference<List<VerificationProblem>> PROBLEMS = new TypeReference<>() {
	};

	/** The columns {@link Backup#SELECT} joins in: the newest finished verification, and the active one. */
	static final String JOIN = """
			LEFT JOIN LATERAL (SELECT v.id, v.state, v.outcome, v.finished_at, v.files, v.bytes, v.problems::text AS problems,
			    v.problem_count, v.version
			  FROM verifications v WHERE v.backup_id = b.id AND v.state IN ('Succeeded', 'Failed')
			  ORDER BY v.finished_at DESC, v.id DESC LIMIT 1) lv ON true
			LEFT JOIN LATERAL (SELECT v.id, v.state, v.version FROM verifications v
			  WHERE v.backup_id = b.id AND v.state IN ('Queued', 'Running') LIMIT 1) av ON true""";

	static final String COLUMNS = """
			, lv.id AS lv_id, lv.state AS lv_state, lv.outcome AS lv_outcome, lv.finished_at AS lv_finished_at,
			  lv.files AS lv_files, lv.bytes AS lv_bytes, lv.problems AS lv_problems, lv.problem_count AS lv_problem_count,
			  lv.version AS lv_version, av.id AS av_id, av.state AS av_state, av.version AS av_version""";

	/** Null for a backup never verified. */
	static VerificationSummary fromRow(ResultSet row) throws SQLException {
		UUID finished = row.getObject("lv_id", UUID.class);
		UUID active = row.getObject("av_id", UUID.class);
		if (finished == null && active == null) {
			return null;
		}
		List<VerificationProblem> problems = null;
		String text = row.getString("lv_problems");
		if (text != null) {
			problems = JSON.readValue(text, PROBLEMS);
		}
		long version = row.getLong("lv_version") * 31 + row.getLong("av_version");
		return new VerificationSummary(active != null ? active : finished,
				row.getString(active != null ? "av_state" : "lv_state"), row.getString("lv_outcome"),
				JsonColumns.instant(row, "lv_finished_at"), row.getObject("lv_files", Long.class),
				row.getObject("lv_bytes", Long.class), problems, row.getObject("lv_problem_count", Long.class), version);
	}

}
