package io.mlplatform.storage.storage;

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

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
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
@RequestMapping(path = "/api/v1/projects/{project}/storages", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Storages", description = "A project's named NFS volumes")
class StorageController {

	private final StorageManagement storages;

	private final ProjectAccess access;

	StorageController(StorageManagement storages, ProjectAccess access) {
		this.storages = storages;
		this.access = access;
	}

	@GetMapping
	@Operation(operationId = "listStorages", summary = "List a project's storages",
			description = "Sorted by name, keyset-paginated, filterable by label selector and state.")
	Page<StorageResponse> list(@PathVariable String project,
			@Parameter(description = "Kubernetes label selector, e.g. `team=nlp,tier!=cold,env in (dev,prod)`") @RequestParam(required = false) String labelSelector,
			@Parameter(description = "Only storages in this state", schema = @Schema(allowableValues = { "Pending",
					"Ready", "Failed", "Deleting" })) @RequestParam(required = false) String state,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		Project found = this.access.require(project, ProjectRole.MEMBER, "Listing storages");
		LabelSelector selector = LabelSelector.parse(labelSelector);
		Storage.State wanted = StorageManagement.parseState(state);
		PageRequest page = PageRequest.of(pageSize, pageToken, "storages?" + project + "&" + selector + "&" + wanted);
		return this.storages.list(found, selector, wanted, page).map(s -> StorageResponse.from(s, project));
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "createStorage", summary = "Create a storage",
			description = "Replaying the same request returns 200 with the existing storage, so CI retries are safe. "
					+ "Counts against the project's quota.")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "200", description = "A storage with this name and this exact spec already exists")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<StorageResponse> create(@PathVariable String project, @RequestBody StorageRequest request) {
		this.access.require(project, ProjectRole.OWNER, "Creating a storage");
		return respond(project, this.storages.create(project, request));
	}

	@GetMapping("/{storage}")
	@Operation(operationId = "getStorage", summary = "Get a storage")
	@ApiResponse(responseCode = "200", description = "The storage")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<StorageResponse> get(@PathVariable String project, @PathVariable String storage,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Storage found = this.storages.get(project, storage);
		return Preconditions.read(ifNoneMatch, found.etag(), () -> StorageResponse.from(found, project));
	}

	@PutMapping(path = "/{storage}", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "applyStorage", summary = "Create or replace a storage",
			description = "Sets the storage to exactly this state; omitted fields take their defaults. "
					+ "`If-None-Match: *` creates only; `If-Match` updates only that version.")
	@ApiResponse(responseCode = "200", description = "Updated")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<StorageResponse> apply(@PathVariable String project, @PathVariable String storage,
			@RequestBody StorageRequest request, @RequestHeader(name = "If-Match", required = false) String ifMatch,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		this.access.require(project, ProjectRole.OWNER, "Changing a storage");
		return respond(project, this.storages.apply(project, storage, request, new Preconditions(ifMatch, ifNoneMatch)));
	}

	@PatchMapping(path = "/{storage}", consumes = { ApiDocs.MERGE_PATCH_JSON, MediaType.APPLICATION_JSON_VALUE })
	@Operation(operationId = "patchStorage", summary = "Change some fields of a storage",
			description = "JSON Merge Patch (RFC 7396), e.g. `{\"capacity\": \"1Ti\"}` to grow it.")
	@io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(mediaType = ApiDocs.MERGE_PATCH_JSON,
			schema = @Schema(implementation = StorageRequest.class)))
	@ApiResponse(responseCode = "200", description = "Updated")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<StorageResponse> patch(@PathVariable String project, @PathVariable String storage,
			@RequestBody JsonNode patch, @RequestHeader(name = "If-Match", required = false) String ifMatch) {
		this.access.require(project, ProjectRole.OWNER, "Changing a storage");
		Storage patched = this.storages.patch(project, storage, patch, new Preconditions(ifMatch, null));
		return ResponseEntity.ok().eTag(patched.etag()).body(StorageResponse.from(patched, project));
	}

	@DeleteMapping("/{storage}")
	@Operation(operationId = "deleteStorage", summary = "Delete a storage",
			description = "Answers 202 with the storage in its new state; poll GET until it answers 404. "
					+ "Refused with 409 while deletion protection is on. With backupBeforeDelete, a final backup "
					+ "runs first (`finalBackup`); if it fails (or is given up after its last attempt) the storage "
					+ "stays, Active, with `deletionBlocked` saying why, `failedFinalBackup` naming it and a "
					+ "`DeletionBlocked` condition; DELETE again takes a new final backup, `force=true` deletes "
					+ "without one.")
	@ApiResponse(responseCode = "202", description = "Deletion accepted")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	ResponseEntity<StorageResponse> delete(@PathVariable String project, @PathVariable String storage,
			@RequestHeader(name = "If-Match", required = false) String ifMatch,
			@Parameter(description = "Delete without (or without waiting for) the final backup") @RequestParam(defaultValue = "false") boolean force) {
		this.access.require(project, ProjectRole.OWNER, "Deleting a storage");
		Storage deleted = this.storages.delete(project, storage, new Preconditions(ifMatch, null), force);
		return ResponseEntity.accepted().body(StorageResponse.from(deleted, project));
	}

	private static ResponseEntity<StorageResponse> respond(String project, Applied<Storage> applied) {
		Storage storage = applied.resource();
		ResponseEntity.BodyBuilder builder = applied.created()
				? ResponseEntity
					.created(URI.create("/api/v1/projects/" + project + "/storages/" + storage.getName()))
				: ResponseEntity.ok();
		return builder.eTag(storage.etag()).body(StorageResponse.from(storage, project));
	}

}
