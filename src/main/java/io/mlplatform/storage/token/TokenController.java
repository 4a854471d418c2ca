package io.mlplatform.storage.token;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectAccess;
import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.security.Caller;
import io.mlplatform.storage.security.Callers;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ApiDocs;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.ForbiddenException;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;

@RestController
@RequestMapping(path = "/api/v1/projects/{project}/tokens", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "API tokens", description = "Project-scoped tokens for CI pipelines")
class TokenController {

	static final Duration DEFAULT_LIFETIME = Duration.ofDays(90);

	static final Duration MAX_LIFETIME = Duration.ofDays(366);

	private final ApiTokens tokens;

	private final ProjectAccess access;

	private final AuditLog audit;

	private final Clock clock;

	TokenController(ApiTokens tokens, ProjectAccess access, AuditLog audit, Clock clock) {
		this.audit = audit;
		this.tokens = tokens;
		this.access = access;
		this.clock = clock;
	}

	@Schema(name = "TokenRequest")
	record TokenRequest(@Schema(description = "DNS-1123 label, unique in the project", example = "ci-training") String name,
			@Schema(description = "What the token may do in the project", allowableValues = { "owner", "member" },
					defaultValue = "member") String role,
			@Schema(description = "When it stops working; default 90 days from now, at most 366") Instant expiresAt) {
	}

	@Schema(name = "Token", description = "An API token; `token` (the secret) appears only in the answer to its creation")
	record TokenResponse(UUID id, @Schema(example = "ci-training") String name, @Schema(example = "member") String role,
			String createdBy, Instant createdAt, Instant expiresAt, Instant revokedAt, Instant lastUsedAt,
			@Schema(description = "Use as 'Authorization: Bearer <token>'; shown once") String token) {

		static TokenResponse from(ApiToken token, String secret) {
			return new TokenResponse(token.id(), token.name(), token.role().name().toLowerCase(Locale.ROOT),
					token.createdBy(), token.createdAt(), token.expiresAt(), token.revokedAt(), token.lastUsedAt(),
					secret);
		}

	}

	@Schema(name = "TokenList")
	record TokenList(List<TokenResponse> items) {
	}

	@PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
	@Transactional
	@Operation(operationId = "createToken", summary = "Create an API token",
			description = "Project owners only. The answer holds the secret; it is not stored and cannot be shown again.")
	@ApiResponse(responseCode = "201", description = "Created")
	@ApiResponse(responseCode = "403", ref = ApiDocs.FORBIDDEN)
	@ApiResponse(responseCode = "409", ref = ApiDocs.CONFLICT)
	ResponseEntity<TokenResponse> create(@PathVariable String project, @RequestBody TokenRequest request) {
		Project found = ownerNotToken(project, "Creating a token");
		Instant now = this.clock.instant();
		Violations violations = new Violations();
		violations.dnsLabel("name", request.name());
		String role = request.role() == null ? "member" : request.role();
		if (!role.equals("member") && !role.equals("owner")) {
			violations.add("role", request.role(), "must be member or owner");
		}
		Instant expiresAt = request.expiresAt() == null ? now.plus(DEFAULT_LIFETIME) : request.expiresAt();
		if (!expiresAt.isAfter(now) || expiresAt.isAfter(now.plus(MAX_LIFETIME))) {
			violations.add("expiresAt", request.expiresAt(), "must be in the future and at most 366 days away");
		}
		violations.throwIfAny();
		UUID id = UUID.randomUUID();
		String secret = TokenSecrets.newSecret();
		ApiToken token = new ApiToken(id, found.getId(), request.name(), ProjectRole.valueOf(role.toUpperCase(Locale.ROOT)),
				TokenSecrets.hash(secret), Callers.current().subject(), now, expiresAt);
		try {
			this.tokens.saveAndFlush(token);
			this.audit.record(project, "token.create", "projects/" + project + "/tokens/" + id, "created", null,
					TokenResponse.from(token, null));
		}
		catch (DataIntegrityViolationException ex) {
			// the unique index on (project, name) is the one check, race or not
			throw ConflictException.alreadyExists("Token", request.name(), "Revoke it first or pick another name.");
		}
		return ResponseEntity.created(URI.create("/api/v1/projects/" + project + "/tokens/" + id))
			.body(TokenResponse.from(token, TokenSecrets.format(id, secret)));
	}

	@GetMapping
	@Operation(operationId = "listTokens", summary = "List a project's API tokens, revoked ones included (no secrets)")
	@ApiResponse(responseCode = "200", description = "All of the project's tokens, in one page (there are few)")
	@ApiResponse(responseCode = "403", ref = ApiDocs.FORBIDDEN)
	TokenList list(@PathVariable String project) {
		Project found = ownerNotToken(project, "Listing tokens");
		return new TokenList(this.tokens.findByProject(found.getId()).stream().map(t -> TokenResponse.from(t, null)).toList());
	}

	@DeleteMapping("/{token}")
	@Transactional
	@Operation(operationId = "revokeToken", summary = "Revoke an API token", description = "It stops working at once.")
	@ApiResponse(responseCode = "204", description = "Revoked (also when it already was)")
	@ApiResponse(responseCode = "403", ref = ApiDocs.FORBIDDEN)
	ResponseEntity<Void> revoke(@PathVariable String project, @PathVariable UUID token) {
		Project found = ownerNotToken(project, "Revoking a token");
		this.tokens.findInProject(found.getId(), token)
			.orElseThrow(() -> NotFoundException.path("/api/v1/projects/" + project + "/tokens/" + token));
		boolean revoked = this.tokens.revoke(token, this.clock.instant()) == 1;
		ApiToken current = this.tokens.findInProject(found.getId(), token).orElseThrow();
		this.audit.record(project, "token.revoke", "projects/" + project + "/tokens/" + token,
				revoked ? "revoked" : "unchanged", null, TokenResponse.from(current, null));
		return ResponseEntity.noContent().build();
	}

	/** Tokens are managed by people: a leaked token must not be able to mint more. */
	private Project ownerNotToken(String project, String action) {
		Project found = this.access.require(project, ProjectRole.OWNER, action);
		Caller caller = Callers.current();
		if (caller.isToken()) {
			throw ForbiddenException.needs("a signed-in owner (not an API token)", action);
		}
		return found;
	}

}
