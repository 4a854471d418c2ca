package io.mlplatform.storage.token;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import io.mlplatform.storage.security.ProjectRole;

/** A project-scoped credential for CI. Holds only a hash of its secret. */
@Entity
@Table(name = "api_tokens")
class ApiToken {

	@Id
	private UUID id;

	@Column(name = "project_id")
	private UUID projectId;

	private String name;

	private String role;

	@Column(name = "secret_hash")
	private String secretHash;

	@Column(name = "created_by")
	private String createdBy;

	@Column(name = "created_at")
	private Instant createdAt;

	@Column(name = "expires_at")
	private Instant expiresAt;

	@Column(name = "revoked_at")
	private Instant revokedAt;

	@Column(name = "last_used_at")
	private Instant lastUsedAt;

	@Version
	private long version;

	protected ApiToken() {
	}

	ApiToken(UUID id, UUID projectId, String name, ProjectRole role, String secretHash, String createdBy, Instant now,
			Instant expiresAt) {
		this.id = id;
		this.projectId = projectId;
		this.name = name;
		this.role = role.name().toLowerCase(java.util.Locale.ROOT);
		this.secretHash = secretHash;
		this.createdBy = createdBy;
		this.createdAt = now;
		this.expiresAt = expiresAt;
	}

	ProjectRole role() {
		return ProjectRole.valueOf(this.role.toUpperCase(java.util.Locale.ROOT));
	}

	UUID id() {
		return this.id;
	}

	UUID projectId() {
		return this.projectId;
	}

	String name() {
		return this.name;
	}

	String createdBy() {
		return this.createdBy;
	}

	Instant createdAt() {
		return this.createdAt;
	}

	Instant expiresAt() {
		return this.expiresAt;
	}

	Instant revokedAt() {
		return this.revokedAt;
	}

	Instant lastUsedAt() {
		return this.lastUsedAt;
	}

}
