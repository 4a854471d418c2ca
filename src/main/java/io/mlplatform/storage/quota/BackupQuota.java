package io.mlplatform.storage.quota;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.web.Quantities;

/**
 * The backup space limit of a quota ({@code backupCapacity}), checked when a backup would start: a project
 * at or over it starts none. What it uses is the counted figure (migration V22), so the check is one
 * indexed read; it is no reservation: a backup that started below the limit completes, even if it takes
 * the project over it, and backups of storages in one project that start together may all pass.
 */
public final class BackupQuota {

	private BackupQuota() {
	}

	/** Why a new backup of each of these projects is refused; a project that may back up is left out. */
	public static Map<UUID, String> refusals(JdbcClient db, Collection<UUID> projectIds) {
		Map<UUID, String> refused = new HashMap<>();
		if (projectIds.isEmpty()) {
			return refused;
		}
		db.sql("""
				SELECT p.id, p.name, q.backup_capacity_bytes,
					coalesce(least(s.used_bytes, 9223372036854775807)::bigint, 0)
				FROM projects p JOIN quotas q ON q.project_id = p.id LEFT JOIN backup_space s ON s.project = p.name
				WHERE p.id = ANY (?) AND q.backup_capacity_bytes IS NOT NULL
				  AND coalesce(s.used_bytes, 0) >= q.backup_capacity_bytes""")
			.param(projectIds.toArray(UUID[]::new))
			.query(rs -> {
				refused.put(rs.getObject(1, UUID.class), reason(rs.getString(2), rs.getLong(4), rs.getLong(3)));
			});
		return refused;
	}

	/** @throws BackupQuotaExceededException if a new backup of the project is refused */
	public static void admit(JdbcClient db, UUID projectId) {
		String reason = refusals(db, java.util.List.of(projectId)).get(projectId);
		if (reason != null) {
			throw new BackupQuotaExceededException(reason);
		}
	}

	static String reason(String project, long used, long limit) {
		return ("Project '%s' keeps %s (%d bytes) of backups in S3, at or over its backup capacity of %s (%d bytes), so no "
				+ "new backup starts. Delete backups or tighten retention (garbage collection then frees the space), or "
				+ "ask a platform admin to raise backupCapacity.").formatted(project, Quantities.format(used), used,
						Quantities.format(limit), limit);
	}

}
