package io.mlplatform.storage.quota;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping(path = "/api/v1/projects/{project}/quota", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Quotas", description = "A project's limits on total capacity and number of storages, and caps per cluster")
class QuotaController {

	private final QuotaManagement quotas;

	private final ProjectAccess access;

	QuotaController(QuotaManagement quotas, ProjectAccess access) {
		this.quotas = quotas;
		this.access = access;
	}

	/** Quotas are visible to the project's members and set by platform admins. */
	private void requireAdmin(String project) {
		this.access.require(project, ProjectRole.MEMBER, "Setting a quota");
		this.access.requireAdmin("Setting a quota");
	}

	@GetMapping
	@Operation(operationId = "getQuota", summary = "Get a project's quota with what is used and what remains")
	@ApiResponse(responseCode = "200", description = "The quota")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<QuotaResponse> get(@PathVariable String project,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		QuotaManagement.Current current = this.quotas.get(this.access.require(project, ProjectRole.MEMBER, "Reading a quota"));
		return Preconditions.read(ifNoneMatch, current.etag(), current::body);
	}

	@PutMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "applyQuota", summary = "Set a project's limits",
			description = "Sets exactly these limits; a field left out means no limit. Limits below current usage "
					+ "are allowed: nothing is removed, but nothing new fits until usage drops. A cap in `clusters` "
					+ "applies to the project's storages in that cluster, within the totals; a cluster gets a cap only "
					+ "while it is registered (422 unknown-cluster).")
	@ApiResponse(responseCode = "200", description = "The quota as set")
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<QuotaResponse> apply(@PathVariable String project, @RequestBody QuotaRequest request,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		requireAdmin(project);
		return respond(this.quotas.apply(project, request, new Preconditions(ifMatch, null)));
	}

	@PatchMapping(consumes = { ApiDocs.MERGE_PATCH_JSON, MediaType.APPLICATION_JSON_VALUE })
	@Operation(operationId = "patchQuota", summary = "Change one limit",
			description = "JSON Merge Patch (RFC 7396); null removes a limit, or a cluster's cap "
					+ "(`{\"clusters\": {\"gpu-west\": null}}`).")
	@io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = ApiDocs.MERGE_PATCH_JSON,
			schema = @Schema(implementation = QuotaRequest.class)))
	@ApiResponse(responseCode = "200", description = "The quota as set")
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<QuotaResponse> patch(@PathVariable String project, @RequestBody JsonNode patch,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		requireAdmin(project);
		return respond(this.quotas.patch(project, patch, new Preconditions(ifMatch, null)));
	}

	private static ResponseEntity<QuotaResponse> respond(QuotaManagement.Current current) {
		return ResponseEntity.ok().eTag(current.etag()).body(current.body());
	}

}
