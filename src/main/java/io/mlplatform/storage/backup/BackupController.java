package io.mlplatform.storage.backup;

import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;

import org.springframework.http.CacheControl;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

@RestController
@RequestMapping(path = "/api/v1/projects/{project}/storages/{storage}/backups", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Backups", description = "Snapshots of a storage in S3: take, list, browse, download, delete")
class BackupController {

	private final BackupManagement backups;

	private final Attempts attempts;

	BackupController(BackupManagement backups, Attempts attempts) {
		this.backups = backups;
		this.attempts = attempts;
	}

	@PostMapping
	@Operation(operationId = "createBackup", summary = "Back up a storage now",
			description = "Answers 202 with a Queued backup; poll it until Succeeded or Failed. While a backup of the "
					+ "storage is queued or running, answers with that one instead of queuing a second. Members may start backups. "
					+ "While the project keeps as much in S3 as its quota's backupCapacity allows, a new backup is refused "
					+ "(409 backup-quota-exceeded) and nothing is queued.")
	@ApiResponse(responseCode = "202", description = "Queued, or the backup already queued or running")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<BackupResponse> create(@PathVariable String project, @PathVariable String storage) {
		Backup backup = this.backups.request(project, storage);
		return ResponseEntity.accepted()
			.location(URI.create("/api/v1/projects/" + project + "/storages/" + storage + "/backups/" + backup.id()))
			.eTag(backup.etag())
			.body(BackupResponse.from(backup));
	}

	@GetMapping
	@Operation(operationId = "listBackups", summary = "List a storage's backups, newest first")
	Page<BackupResponse> list(@PathVariable String project, @PathVariable String storage,
			@Parameter(description = "Only backups in this state", schema = @Schema(allowableValues = { "Queued", "Running",
					"Succeeded", "Failed", "Cancelled", "Expired" })) @RequestParam(required = false) String state,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		return this.backups.list(project, storage, state, pageSize, pageToken).map(BackupResponse::from);
	}

	@GetMapping("/{backup}")
	@Operation(operationId = "getBackup", summary = "Get a backup", description = "Poll this while it runs: progress and ETA.")
	@ApiResponse(responseCode = "200", description = "The backup")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<BackupResponse> get(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup, @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Backup found = this.backups.get(project, storage, backup);
		return Preconditions.read(ifNoneMatch, found.etag(),
				() -> BackupResponse.from(found, this.attempts.of(found.id())));
	}

	@DeleteMapping("/{backup}")
	@Operation(operationId = "deleteBackup", summary = "Delete a backup",
			description = "Removes its snapshot's manifest; content no other snapshot uses is collected by garbage "
					+ "collection later. A queued or running backup must be cancelled first (409).")
	@ApiResponse(responseCode = "204", description = "Deleted")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "412", ref = ApiDocs.PRECONDITION_FAILED)
	ResponseEntity<Void> delete(@PathVariable String project, @PathVariable String storage, @PathVariable String backup,
			@RequestHeader(name = "If-Match", required = false) String ifMatch) {
		this.backups.delete(project, storage, backup, new Preconditions(ifMatch, null));
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/{backup}:cancel")
	@Operation(operationId = "cancelBackup", summary = "Cancel a backup",
			description = "A queued backup is Cancelled at once; a running one stops within seconds (poll it). "
					+ "A backup that finishes before its worker sees the cancel stays Succeeded.")
	@ApiResponse(responseCode = "202", description = "Cancelled, or cancelling")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<BackupResponse> cancel(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup) {
		Backup cancelled = this.backups.cancel(project, storage, backup);
		return ResponseEntity.accepted().eTag(cancelled.etag()).body(BackupResponse.from(cancelled));
	}

	@GetMapping("/{backup}/files")
	@Operation(operationId = "browseBackup", summary = "List a folder of a backup",
			description = "The entries directly inside `path` (the root when absent), in path order, paginated.")
	@ApiResponse(responseCode = "200", description = "A page of entries")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	Page<BackupManagement.Entry> browse(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup,
			@Parameter(description = "A folder of the backup, e.g. `datasets/`") @RequestParam(required = false) String path,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		return this.backups.browse(project, storage, backup, path, pageSize, pageToken);
	}

	@GetMapping(path = "/{backup}/files/content", produces = { MediaType.APPLICATION_OCTET_STREAM_VALUE,
			MediaType.APPLICATION_JSON_VALUE })
	@Operation(operationId = "downloadBackupFile", summary = "Download one file of a backup",
			description = "Answers 302 to a short-lived presigned S3 URL for a large file; a small (packed) file's "
					+ "bytes are streamed directly.")
	@ApiResponse(responseCode = "200", description = "The file's bytes (a packed or empty file)",
			content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE,
					schema = @Schema(type = "string", format = "binary")))
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	@ApiResponse(responseCode = "302", description = "Redirect to a presigned URL of the file's content",
			headers = @Header(name = "Location", description = "Presigned URL, valid for a few minutes",
					schema = @Schema(type = "string")),
			content = @Content)
	ResponseEntity<StreamingResponseBody> download(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup,
			@Parameter(description = "The file's path in the backup", required = true) @RequestParam(required = false) String path) {
		BackupManagement.Download file = this.backups.download(project, storage, backup, path);
		if (file.redirect() != null) {
			try {
				return ResponseEntity.status(HttpStatus.FOUND)
					.location(file.redirect().toURI())
					.cacheControl(CacheControl.noStore())
					.build();
			}
			catch (URISyntaxException ex) {
				throw new IllegalStateException(ex);
			}
		}
		HttpHeaders headers = new HttpHeaders();
		headers.setContentType(MediaType.APPLICATION_OCTET_STREAM);
		headers.setContentLength(file.size());
		headers.setContentDisposition(ContentDisposition.attachment().filename(file.name()).build());
		headers.setETag("\"" + file.sha256() + "\"");
		StreamingResponseBody body = out -> {
			try (InputStream in = file.content().get()) {
				in.transferTo(out);
			}
		};
		return new ResponseEntity<>(body, headers, HttpStatus.OK);
	}

}
