package io.mlplatform.storage.backup.space;

import java.util.UUID;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * A storage's share of its project's backup space, beside its backups: what a storage page shows next
 * to the list of snapshots. Not on the storage itself, so that a list of storages costs no query per
 * storage.
 */
@RestController
@Tag(name = "Backups")
class BackupSpaceController {

	private final JdbcClient db;

	private final ProjectAccess access;

	BackupSpaceController(JdbcClient db, ProjectAccess access) {
		this.db = db;
		this.access = access;
	}

	@Schema(name = "BackupSpace", description = "What a storage's snapshots keep in S3, deduplicated. The project's total "
			+ "(quota used.backupBytes) also holds what no snapshot references any more until garbage collection removes it")
	record BackupSpaceResponse(
			@Schema(description = "Content only this storage's snapshots reference, and its manifests: what deleting all "
					+ "of its backups frees once garbage is collected", example = "3Gi") String exclusive,
			@Schema(example = "3221225472") long exclusiveBytes,
			@Schema(description = "Content its snapshots reference that other storages' snapshots of the project "
					+ "reference too (stored once, counted here and there)", example = "1Gi") String shared,
			@Schema(example = "1073741824") long sharedBytes,
			@Schema(description = "Its snapshots counted", example = "14") long snapshots) {

		static BackupSpaceResponse from(StorageSpace.Space space) {
			return new BackupSpaceResponse(Quantities.format(space.exclusiveBytes()), space.exclusiveBytes(),
					Quantities.format(space.sharedBytes()), space.sharedBytes(), space.snapshots());
		}

	}

	@GetMapping(path = "/api/v1/projects/{project}/storages/{storage}/backup-space",
			produces = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "getBackupSpace", summary = "Get what a storage's backups keep in S3",
			description = "Bytes only its snapshots reference and bytes shared with other storages' snapshots, kept "
					+ "current as backups, retention and deletions change them.")
	@ApiResponse(responseCode = "200", description = "The storage's backup space")
	ResponseEntity<BackupSpaceResponse> get(@PathVariable String project, @PathVariable String storage) {
		Project found = this.access.require(project, ProjectRole.MEMBER, "Reading backup space");
		UUID id = this.db.sql("SELECT id FROM storages WHERE project_id = ? AND name = ? AND deleted_at IS NULL")
			.params(found.getId(), storage)
			.query(UUID.class)
			.optional()
			.orElseThrow(() -> NotFoundException.storage(found.getName(), storage));
		StorageSpace.Space space = StorageSpace.of(this.db, found.getName(), id.toString());
		return ResponseEntity.ok()
			.eTag(Preconditions.etag(id, 0, space.exclusiveBytes(), space.sharedBytes(), space.snapshots()))
			.body(BackupSpaceResponse.from(space));
	}

}
