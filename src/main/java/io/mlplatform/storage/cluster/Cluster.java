package io.mlplatform.storage.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import io.mlplatform.storage.web.Preconditions;

/** A Kubernetes cluster storages live in, and how to reach it. */
@Entity
@Table(name = "clusters")
public class Cluster {

	/** Who owns the registration: the API, or the deployment's configuration (read-only over the API). */
	enum Source {

		api, configuration

	}

	@Id
	private String name;

	@Column(name = "api_server_url")
	private String apiServerUrl;

	@JdbcTypeCode(SqlTypes.JSON)
	private Credentials credentials;

	@Column(name = "default_storage_class")
	private String defaultStorageClass;

	@Column(name = "default_backup_target")
	private String defaultBackupTarget;

	@JdbcTypeCode(SqlTypes.JSON)
	private Map<String, String> labels;

	/** Where its storages' backups and restores run; null: the deployment's default. */
	private String executor;

	/** How its movers' Jobs differ from the deployment's settings; null: they do not. */
	@JdbcTypeCode(SqlTypes.JSON)
	private ClusterMover mover;

	@jakarta.persistence.Enumerated(jakarta.persistence.EnumType.STRING)
	private Source source;

	@Column(name = "created_at")
	private Instant createdAt;

	@Column(name = "updated_at")
	private Instant updatedAt;

	@Version
	private long version;

	protected Cluster() {
	}

	Cluster(String name, ClusterSpec spec, Source source, Instant now) {
		this.name = name;
		this.source = source;
		this.createdAt = now;
		assign(spec, now);
	}

	ClusterSpec spec() {
		return new ClusterSpec(this.apiServerUrl, this.credentials, this.defaultStorageClass,
				this.defaultBackupTarget, this.labels, this.executor, this.mover);
	}

	/** @return whether anything changed */
	boolean update(ClusterSpec spec, Instant now) {
		if (spec.equals(spec())) {
			return false;
		}
		assign(spec, now);
		return true;
	}

	private void assign(ClusterSpec spec, Instant now) {
		this.apiServerUrl = spec.apiServerUrl();
		this.credentials = Objects.requireNonNull(spec.credentials());
		this.defaultStorageClass = spec.defaultStorageClass();
		this.defaultBackupTarget = spec.defaultBackupTarget();
		this.labels = spec.labels();
		this.executor = spec.executor();
		this.mover = spec.mover();
		this.updatedAt = now;
	}

	boolean isConfigured() {
		return this.source == Source.configuration;
	}

	public String etag() {
		// the creation time tells a cluster removed and registered again under the same name apart
		return Preconditions.etag(UUID.nameUUIDFromBytes(this.name.getBytes(StandardCharsets.UTF_8)), this.version,
				this.createdAt);
	}

	public String getName() {
		return this.name;
	}

	public String getApiServerUrl() {
		return this.apiServerUrl;
	}

	/** Package-private: credentials leave this package only as a live client. */
	Credentials getCredentials() {
		return this.credentials;
	}

	public String getDefaultStorageClass() {
		return this.defaultStorageClass;
	}

	public String getDefaultBackupTarget() {
		return this.defaultBackupTarget;
	}

	public Map<String, String> getLabels() {
		return this.labels;
	}

	public String getExecutor() {
		return this.executor;
	}

	public ClusterMover getMover() {
		return this.mover;
	}

	Source getSource() {
		return this.source;
	}

	Instant getCreatedAt() {
		return this.createdAt;
	}

	Instant getUpdatedAt() {
		return this.updatedAt;
	}

	long getVersion() {
		return this.version;
	}

	@Override
	public String toString() {
		// no credentials reference in logs either
		return "Cluster[" + this.name + "]";
	}

}
