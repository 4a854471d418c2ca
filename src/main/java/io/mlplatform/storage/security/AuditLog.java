package io.mlplatform.storage.security;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.slf4j.MDC;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import tools.jackson.databind.json.JsonMapper;

/**
 * Records a successful mutating call. Must run inside the transaction of the change it records: a
 * change that rolls back leaves no audit row, and no change commits without one.
 */
@Component
public class AuditLog {

	private final JdbcClient jdbc;

	private final JsonMapper json;

	private final Clock clock;

	AuditLog(JdbcClient jdbc, JsonMapper json, Clock clock) {
		this.jdbc = jdbc;
		this.json = json;
		this.clock = clock;
	}

	/**
	 * @param action what was done, as {@code <resource>.<verb>} ("storage.create")
	 * @param target the resource's path under /api/v1
	 * @param result created, updated, unchanged, deleted or revoked
	 * @param before the resource's spec before the change, or null
	 * @param after the resource's spec after the change, or null
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void record(String project, String action, String target, String result, Object before, Object after) {
		Caller caller = Callers.current();
		Map<String, Object> summary = new LinkedHashMap<>();
		if (before != null) {
			summary.put("before", before);
		}
		if (after != null) {
			summary.put("after", after);
		}
		this.jdbc.sql("""
				INSERT INTO audit_events (id, at, actor, via, project, action, target, result, request_id, summary)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb))""")
			.params(UUID.randomUUID(), OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC), caller.subject(),
					caller.isToken() ? "token" : "user", project, action, target, result, MDC.get("requestId"),
					this.json.writeValueAsString(summary))
			.update();
	}

}
