package io.mlplatform.storage.project;

import java.net.URI;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.Applied;
import io.mlplatform.storage.web.LabelSelector;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping(path = "/api/v1/projects", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Projects", description = "Teams that own storages")
class ProjectController {

	private final ProjectManagement projects;

	private final ProjectAccess access;

	ProjectController(ProjectManagement projects, ProjectAccess access) {
		this.projects = projects;
		this.access = access;
	}

	@GetMapping
	@Operation(operationId = "listProjects", summary = "List projects", description = "Sorted by name, keyset-paginated, filterable by label selector.")
	Page<ProjectResponse> list(
			@Parameter(description = "Kubernetes label selector, e.g. `team=nlp,tier!=cold,env in (dev,prod)`") @RequestParam(required = false) String labelSelector,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		LabelSelector selector = LabelSelector.parse(labelSelector);
		PageRequest page = PageRequest.of(pageSize, pageToken, "projects?" + selector);
		return this.projects.list(selector, page).map(ProjectResponse::from);
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "createProject", summary = "Create a project",
			description = "Replaying the same request returns 200 with the existing project, so retries are safe.")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "200", description = "A project with this name and this exact spec already exists")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<ProjectResponse> create(@RequestBody ProjectRequest request) {
		this.access.requireAdmin("Creating a project");
		Applied<Project> applied = this.projects.create(request);
		return respond(applied);
	}

	@GetMapping("/{project}")
	@Operation(operationId = "getProject", summary = "Get a project")
	@ApiResponse(responseCode = "200", description = "The project")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<ProjectResponse> get(@PathVariable String project,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Project found = this.access.require(project, ProjectRole.MEMBER, "Reading a project");
		return Preconditions.read(ifNoneMatch, found.etag(), () -> ProjectResponse.from(found));
	}

	@PutMapping(path = "/{project}", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "applyProject", summary = "Create or replace a project",
			description = "Sets the project to exactly this state; omitted fields take their defaults. "
					+ "`If-None-Match: *` creates only; `If-Match` updates only that version.")
	@ApiResponse(responseCode = "200", description = "Updated")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<ProjectResponse> apply(@PathVariable String project, @RequestBody ProjectRequest request,
			@RequestHeader(name = "If-Match", required = false) String ifMatch,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		if (this.projects.exists(project)) {
			this.access.require(project, ProjectRole.OWNER, "Changing a project");
		}
		else {
			this.access.requireAdmin("Creating a project");
		}
		return respond(this.projects.apply(project, request, new Preconditions(ifMatch, ifNoneMatch)));
	}

	@PatchMapping(path = "/{project}", consumes = { ApiDocs.MERGE_PATCH_JSON, MediaType.APPLICATION_JSON_VALUE })
	@Operation(operationId = "patchProject", summary = "Change some fields of a project", description = "JSON Merge Patch (RFC 7396).")
	@io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = ApiDocs.MERGE_PATCH_JSON,
			schema = @Schema(implementation = ProjectRequest.class)))
	@ApiResponse(responseCode = "200", description = "Updated")
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<ProjectResponse> patch(@PathVariable String project, @RequestBody JsonNode patch,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		this.access.require(project, ProjectRole.OWNER, "Changing a project");
		Project patched = this.projects.patch(project, patch, new Preconditions(ifMatch, null));
		return ResponseEntity.ok().eTag(patched.etag()).body(ProjectResponse.from(patched));
	}

	@DeleteMapping("/{project}")
	@Operation(operationId = "deleteProject", summary = "Delete a project", description = "Only a project without live storages can be deleted.")
	@ApiResponse(responseCode = "204", description = "Deleted")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	ResponseEntity<Void> delete(@PathVariable String project,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		this.access.require(project, ProjectRole.MEMBER, "Deleting a project");
		this.access.requireAdmin("Deleting a project");
		this.projects.delete(project, new Preconditions(ifMatch, null));
		return ResponseEntity.noContent().build();
	}

	private static ResponseEntity<ProjectResponse> respond(Applied<Project> applied) {
		Project project = applied.resource();
		ResponseEntity.BodyBuilder builder = applied.created()
				? ResponseEntity.created(URI.create("/api/v1/projects/" + project.getName())) : ResponseEntity.ok();
		return builder.eTag(project.etag()).body(ProjectResponse.from(project));
	}

}
