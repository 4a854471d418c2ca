package io.mlplatform.storage.security;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.ForbiddenException;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.SqlFilter;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import tools.jackson.core.type.TypeReference;

@RestController
@RequestMapping(path = "/api/v1/audit", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Audit", description = "Who changed what, when")
class AuditController {

	private static final Pattern KEY = Pattern.compile("[0-9]{1,20}\\.[0-9a-f-]{36}");

	private static final TypeReference<Map<String, Object>> SUMMARY = new TypeReference<>() {
	};

	private final JdbcClient jdbc;

	private final JsonColumns columns;

	AuditController(JdbcClient jdbc, JsonColumns columns) {
		this.jdbc = jdbc;
		this.columns = columns;
	}

	@Schema(name = "AuditEvent")
	record AuditEventResponse(UUID id, Instant at, @Schema(example = "user:alice") String actor,
			@Schema(allowableValues = { "user", "token" }) String via, @Schema(example = "nlp") String project,
			@Schema(example = "storage.create") String action,
			@Schema(example = "projects/nlp/storages/imagenet") String target,
			@Schema(allowableValues = { "created", "updated", "unchanged", "deleted", "revoked", "cancelled" }) String result,
			String requestId, @Schema(description = "The resource before and after the change") Map<String, Object> summary) {
	}

	@GetMapping
	@Operation(operationId = "listAuditEvents", summary = "List audit events, newest first",
			description = "Platform admins see every project; owners see the projects they own.")
	@ApiResponse(responseCode = "200", description = "A page of events; `nextPageToken` is absent on the last")
	@ApiResponse(responseCode = "403", ref = ApiDocs.FORBIDDEN)
	@ApiResponse(responseCode = "404", ref = ApiDocs.NOT_FOUND)
	Page<AuditEventResponse> list(@Parameter(description = "Only this project") @RequestParam(required = false) String project,
			@Parameter(description = "Only this actor, e.g. `user:alice` or `token:<id>`") @RequestParam(required = false) String actor,
			@Parameter(description = "Only this action, e.g. `storage.create`") @RequestParam(required = false) String action,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		Caller caller = Callers.current();
		PageRequest page = PageRequest.of(pageSize, pageToken, "audit?" + project + "&" + actor + "&" + action,
				key -> KEY.matcher(key).matches());
		SqlFilter filter = new SqlFilter();
		if (project != null) {
			requireOwner(caller, project);
			filter.and("project = " + filter.bind(project));
		}
		else if (!caller.admin()) {
			ownedBy(caller, filter);
		}
		if (actor != null) {
			filter.and("actor = " + filter.bind(actor));
		}
		if (action != null) {
			filter.and("action = " + filter.bind(action));
		}
		if (page.after() != null) {
			String[] key = page.after().split("\\.");
			filter.and("(at, id) < (" + filter.bind(OffsetDateTime.ofInstant(fromMicros(Long.parseLong(key[0])), ZoneOffset.UTC))
					+ ", " + filter.bind(UUID.fromString(key[1])) + ")");
		}
		List<AuditEventResponse> rows = this.jdbc
			.sql("SELECT * FROM audit_events WHERE " + filter.where() + " ORDER BY at DESC, id DESC LIMIT "
					+ (page.pageSize() + 1))
			.params(filter.parameters())
			.query((row, n) -> new AuditEventResponse(row.getObject("id", UUID.class), JsonColumns.instant(row, "at"),
					row.getString("actor"), row.getString("via"), row.getString("project"), row.getString("action"),
					row.getString("target"), row.getString("result"), row.getString("request_id"),
					this.columns.read(row, "summary", SUMMARY)))
			.list();
		return page.toPage(rows, last -> micros(last.at()) + "." + last.id());
	}

	/** Owners read their project's trail; members are told no, others that the project does not exist. */
	private void requireOwner(Caller caller, String project) {
		ProjectRole role = this.jdbc.sql("SELECT id, owners, members FROM projects WHERE name = ?")
			.param(project)
			.query((row, n) -> caller.roleIn(row.getObject("id", UUID.class),
					this.columns.strings(row, "owners"), this.columns.strings(row, "members")))
			.optional()
			.orElse(ProjectRole.NONE);
		if (role == ProjectRole.NONE) {
			throw NotFoundException.project(project);
		}
		if (!role.atLeast(ProjectRole.OWNER)) {
			throw ForbiddenException.needs("owner", "Reading the audit trail");
		}
	}

	private static void ownedBy(Caller caller, SqlFilter filter) {
		if (caller.isToken()) {
			if (caller.tokenRole() != ProjectRole.OWNER) {
				throw ForbiddenException.needs("owner", "Reading the audit trail");
			}
			filter.and("project = (SELECT name FROM projects WHERE id = " + filter.bind(caller.tokenProjectId()) + ")");
			return;
		}
		filter.and("project IN (SELECT name FROM projects WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(owners) "
				+ "AS owner WHERE owner IN (" + filter.bind(caller.subjects()) + ")))");
	}

	private static long micros(Instant at) {
		return at.getEpochSecond() * 1_000_000 + at.getNano() / 1_000;
	}

	private static Instant fromMicros(long micros) {
		return Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1_000);
	}

}
