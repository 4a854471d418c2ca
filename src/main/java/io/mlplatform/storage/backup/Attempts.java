package io.mlplatform.storage.backup;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import io.mlplatform.storage.web.JsonColumns;
import io.swagger.v3.oas.annotations.media.Schema;

/** Each attempt of a backup or restore handed to a mover, and why it ended: what the API shows of a job's history. */
@Component
class Attempts {

	@Schema(name = "JobAttempt", description = "One attempt of a backup or restore run by a mover")
	@JsonInclude(JsonInclude.Include.NON_NULL)
	record Attempt(@Schema(example = "1") int attempt,
			@Schema(description = "Where it ran: process (a child process of the service) or kubernetes (a Job)",
					example = "kubernetes") String executor,
			@Schema(description = "Committed: its work counts; Failed: see reason",
					allowableValues = { "Created", "Running", "Committed", "Failed" }) String state,
			Instant startedAt, Instant endedAt,
			@Schema(description = "Why it ended without a commit: the pod's or container's reason (Evicted, OOMKilled, "
					+ "DeadlineExceeded, an image pull failure, Unschedulable with the scheduler's message), its exit code "
					+ "and termination message, or the mover's own", example = "Evicted: The node was low on resource: memory")
			String reason,
			@Schema(description = "The Kubernetes Job it ran in (its namespace is the project's)",
					example = "pss-backup-5f0c…-1") String kubernetesJob) {
	}

	private final JdbcClient db;

	Attempts(JdbcClient db) {
		this.db = db;
	}

	/** The attempts of a job, first first. */
	List<Attempt> of(UUID job) {
		return this.db.sql("""
				SELECT attempt, executor, state, created_at, ended_at, reason, job_name
				FROM mover_runs WHERE job_id = ? ORDER BY attempt, created_at""")
			.param(job)
			.query((row, n) -> new Attempt(row.getInt("attempt"), row.getString("executor"), row.getString("state"),
					JsonColumns.instant(row, "created_at"), JsonColumns.instant(row, "ended_at"), row.getString("reason"),
					row.getString("job_name")))
			.list();
	}

}
