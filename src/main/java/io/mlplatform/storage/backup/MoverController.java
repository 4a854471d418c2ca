package io.mlplatform.storage.backup;

import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.mover.MoverProtocol.Claim;
import io.mlplatform.storage.mover.MoverProtocol.Commit;
import io.mlplatform.storage.mover.MoverProtocol.Contents;
import io.mlplatform.storage.mover.MoverProtocol.Failure;
import io.mlplatform.storage.mover.MoverProtocol.Heartbeat;
import io.mlplatform.storage.mover.MoverProtocol.Lookup;
import io.mlplatform.storage.mover.MoverProtocol.PackSlots;
import io.mlplatform.storage.mover.MoverProtocol.PackSlotsRequest;
import io.mlplatform.storage.mover.MoverProtocol.Presign;
import io.mlplatform.storage.mover.MoverProtocol.Presigned;
import io.mlplatform.storage.mover.MoverProtocol.Previous;
import io.mlplatform.storage.mover.MoverProtocol.Progress;
import io.mlplatform.storage.mover.MoverProtocol.Upload;
import io.mlplatform.storage.mover.MoverProtocol.UploadAbort;
import io.mlplatform.storage.mover.MoverProtocol.UploadComplete;
import io.mlplatform.storage.mover.MoverProtocol.UploadStart;

/**
 * The mover API ({@code openapi-mover.yaml}): what a mover calls with its run token. Not the public API:
 * user and CI tokens are not accepted here, and run tokens are not accepted there.
 */
@RestController
@RequestMapping(path = MoverProtocol.RUNS, produces = MediaType.APPLICATION_JSON_VALUE,
		consumes = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = MoverApiDocumentation.TAG, description = "The internal API a mover calls with its one-time run token")
class MoverController {

	private final MoverRuns runs;

	MoverController(MoverRuns runs) {
		this.runs = runs;
	}

	private MoverRuns.Run run(UUID run, String authorization) {
		return this.runs.authenticate(run, authorization);
	}

	@PostMapping("/{run}:claim")
	@Operation(summary = "Claim the run: start its lease and learn what it is")
	Claim claim(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token) {
		return this.runs.claim(run(run, token));
	}

	@PostMapping("/{run}:heartbeat")
	@Operation(summary = "Report progress and renew the run's lease; the answer says continue, cancel or lost")
	Heartbeat heartbeat(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody Progress progress) {
		return new Heartbeat(this.runs.heartbeat(run(run, token), progress));
	}

	@PostMapping("/{run}:previous")
	@Operation(summary = "The storage's newest snapshot, unless it is the one found gone")
	Previous previous(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody Previous gone) {
		return this.runs.previous(run(run, token), gone.backup());
	}

	@PostMapping("/{run}/contents:lookup")
	@Operation(summary = "Which of these contents the project stores already, and where; "
			+ "contents in 'record' are recorded first, as contents:record does")
	Contents lookup(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody Lookup lookup) {
		return new Contents(this.runs.lookup(run(run, token), lookup.sha256(), lookup.record()));
	}

	@PostMapping("/{run}/blobs/{sha256}:lookup")
	@Operation(summary = "Whether the project stores this large content already; waits for a collection deleting")
	Contents lookupBlob(@PathVariable UUID run, @PathVariable String sha256,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token) {
		return new Contents(this.runs.lookupBlob(run(run, token), sha256));
	}

	@PostMapping("/{run}/contents:record")
	@Operation(summary = "Record contents stored, as soon as their pack or blob is complete")
	@ApiResponse(responseCode = "204", description = "Done")
	ResponseEntity<Void> record(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody Contents contents) {
		this.runs.record(run(run, token), contents.contents());
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/{run}/objects:presign")
	@Operation(summary = "A presigned request for one object of the run's project (or one part, or one range)")
	Presigned presign(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody Presign presign) {
		return this.runs.presign(run(run, token), presign);
	}

	@PostMapping("/{run}/packs:presign")
	@Operation(summary = "Ids for the run's next packs, each with its presigned PUT: a pack's upload needs no call of its own")
	PackSlots presignPacks(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody PackSlotsRequest request) {
		return new PackSlots(this.runs.presignPacks(run(run, token), request.count()));
	}

	@PostMapping("/{run}/uploads:start")
	@Operation(summary = "Start a multipart upload of a blob or of the run's manifest")
	Upload startUpload(@PathVariable UUID run, @Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody UploadStart start) {
		return new Upload(this.runs.startUpload(run(run, token), start.object(), start.metadata()));
	}

	@PostMapping("/{run}/uploads:complete")
	@Operation(summary = "Complete a multipart upload from its parts")
	@ApiResponse(responseCode = "204", description = "Done")
	ResponseEntity<Void> completeUpload(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody UploadComplete complete) {
		this.runs.completeUpload(run(run, token), complete.object(), complete.uploadId(), complete.parts());
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/{run}/uploads:abort")
	@Operation(summary = "Abort a multipart upload")
	@ApiResponse(responseCode = "204", description = "Done")
	ResponseEntity<Void> abortUpload(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token,
			@RequestBody UploadAbort abort) {
		this.runs.abortUpload(run(run, token), abort.object(), abort.uploadId());
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/{run}:commit")
	@Operation(summary = "Commit the run: only then is a backup's snapshot there, or a restore done")
	@ApiResponse(responseCode = "204", description = "Done")
	ResponseEntity<Void> commit(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token, @RequestBody Commit commit) {
		this.runs.commit(run(run, token), commit);
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/{run}:fail")
	@Operation(summary = "End the run as failed, with the reason, or as cancelled")
	@ApiResponse(responseCode = "204", description = "Done")
	ResponseEntity<Void> fail(@PathVariable UUID run,
			@Parameter(hidden = true) @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String token, @RequestBody Failure failure) {
		this.runs.fail(run(run, token), failure);
		return ResponseEntity.noContent().build();
	}

}
