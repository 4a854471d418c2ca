package io.mlplatform.storage.backup.verify;

import java.net.URI;

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
@RequestMapping(path = "/api/v1/projects/{project}/storages/{storage}/backups",
		produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Verifications", description = "Check that a backup's snapshot still restores: every entry resolves, "
		+ "and a share of its content matches its sha256")
class VerificationController {

	private final VerificationManagement verifications;

	VerificationController(VerificationManagement verifications) {
		this.verifications = verifications;
	}

	@Schema(name = "VerifyRequest")
	record VerifyRequest(@Schema(description = "Share of the content's bytes read and checked against its sha256, in "
			+ "(0, 1]; successive verifications of a storage read different content. Default: the storage's "
			+ "backupPolicy.verify.dataFraction", example = "1.0") Double dataFraction) {
	}

	private static String path(String project, String storage, String backup) {
		return "/api/v1/projects/" + project + "/storages/" + storage + "/backups/" + backup;
	}

	@PostMapping(path = "/{backup}:verify", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Operation(operationId = "verifyBackup", summary = "Verify a backup now",
			description = "Answers 202 with a Queued verification; poll it until Succeeded (nothing wrong) or Failed "
					+ "(outcome damaged lists the problems; error says why it could not read). While a verification of "
					+ "the backup is queued or running, answers with that one instead of queuing a second. It reads "
					+ "the bucket only, in the service. The body `{}` reads the share of the storage's policy. Members "
					+ "may start verifications.")
	@ApiResponse(responseCode = "202", description = "Queued, or the verification already queued or running")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<VerificationResponse> verify(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup, @RequestBody VerifyRequest request) {
		Verification verification = this.verifications.request(project, storage, backup, request.dataFraction());
		return ResponseEntity.accepted()
			.location(URI.create(path(project, storage, backup) + "/verifications/" + verification.id()))
			.eTag(verification.etag())
			.body(VerificationResponse.from(verification));
	}

	@GetMapping("/{backup}/verifications")
	@Operation(operationId = "listVerifications", summary = "List a backup's verifications, newest first")
	Page<VerificationResponse> list(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup,
			@Parameter(description = "Items per page, 1–500 (default 50)") @RequestParam(required = false) Integer pageSize,
			@Parameter(description = "nextPageToken of the previous page") @RequestParam(required = false) String pageToken) {
		return this.verifications.list(project, storage, backup, pageSize, pageToken).map(VerificationResponse::from);
	}

	@GetMapping("/{backup}/verifications/{verification}")
	@Operation(operationId = "getVerification", summary = "Get a verification", description = "Poll this while it runs.")
	@ApiResponse(responseCode = "200", description = "The verification")
	@ApiResponse(responseCode = "304", ref = ApiDocs.NOT_MODIFIED)
	ResponseEntity<VerificationResponse> get(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup, @PathVariable String verification,
			@RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
		Verification found = this.verifications.get(project, storage, backup, verification);
		return Preconditions.read(ifNoneMatch, found.etag(), () -> VerificationResponse.from(found));
	}

	@PostMapping("/{backup}/verifications/{verification}:cancel")
	@Operation(operationId = "cancelVerification", summary = "Cancel a verification",
			description = "A queued verification is Cancelled at once; a running one stops within seconds.")
	@ApiResponse(responseCode = "202", description = "Cancelled, or cancelling")
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<VerificationResponse> cancel(@PathVariable String project, @PathVariable String storage,
			@PathVariable String backup, @PathVariable String verification) {
		Verification cancelled = this.verifications.cancel(project, storage, backup, verification);
		return ResponseEntity.accepted().eTag(cancelled.etag()).body(VerificationResponse.from(cancelled));
	}

}
