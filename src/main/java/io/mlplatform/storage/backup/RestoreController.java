package io.mlplatform.storage.backup;

import java.net.URI;
import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

@RestController
@RequestMapping(path = "/api/v1/projects/{project}/storages/{storage}/restores", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Restores", description = "Bring a backup back into a storage")
class RestoreController {

	private final BackupManagement backups;

	private final Attempts attempts;

	RestoreController(BackupManagement backups, Attempts attempts) {
		this.backups = backups;
		this.attempts = attempts;
	}

	@Schema(name = "RestoreRequest")
	record RestoreRequest(
			@Schema(description = "Id of a Succeeded backup of the project", requiredMode = Schema.RequiredMode.REQUIRED) String backup,
			@Schema(description = "`merge` overwrites what the backup has and keeps the rest; `replace` also removes "
					+ "what the backup does not have (within `paths`)", allowableValues = { "merge", "replace" },
					defaultValue = "merge") String mode,
			@Schema(description = "Only these files or folders of the backup; everything when absent",
					example = "[\"datasets/train/\"]") List<String> paths) {
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "createRestore", summary = "Restore a backup into this storage",
			description = "Answers 202 with a Queued restore; poll it. One restore of a storage at a time (409).")
	@ApiResponse(responseCode = "202", description = "Queued")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "422", ref = ApiDocs.UNPROCESSABLE)
	ResponseEntity<RestoreResponse> create(@PathVariable String project, @PathVariable String storage,
			@RequestBody RestoreRequest request) {
		Restore restore = this.backups.restore(project, storage, request.backup(), request.mode(), request.paths());
		return ResponseEntity.accepted()
			.location(URI.create("/api/v1/projects/" + project + "/storages/" + storage + "/restores/" + restore.id()))
			.eTag(restore.etag())
			.body(RestoreResponse.from(restore));
	}

	@GetMapping
	@Operation(operationId = "listRestores", summary = "List a storage's restores, newest first")
	Page<RestoreResponse> list(@PathVariable String project, @PathVariable String storage,
			@Parameter(description = "Only restores in this state", schema = @Schema(allowableValues = { "Queued",
					"Running", "Succeeded", "Failed", "Cancelled" })) @RequestParam(required = false) String state,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		return this.backups.restores(project, storage, state, pageSize, pageToken).map(RestoreResponse::from);
	}

	@GetMapping("/{restore}")
	@Operation(operationId = "getRestore", summary = "Get a restore")
	@ApiResponse(responseCode = "200", description = "The restore")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<RestoreResponse> get(@PathVariable String project, @PathVariable String storage,
			@PathVariable String restore, @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Restore found = this.backups.getRestore(project, storage, restore);
		return Preconditions.read(ifNoneMatch, found.etag(),
				() -> RestoreResponse.from(found, this.attempts.of(found.id())));
	}

	@PostMapping("/{restore}:cancel")
	@Operation(operationId = "cancelRestore", summary = "Cancel a restore",
			description = "A queued restore is Cancelled at once; a running one stops within seconds, leaving what it "
					+ "already wrote.")
	@ApiResponse(responseCode = "202", description = "Cancelled, or cancelling")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<RestoreResponse> cancel(@PathVariable String project, @PathVariable String storage,
			@PathVariable String restore) {
		Restore cancelled = this.backups.cancelRestore(project, storage, restore);
		return ResponseEntity.accepted().eTag(cancelled.etag()).body(RestoreResponse.from(cancelled));
	}

}
