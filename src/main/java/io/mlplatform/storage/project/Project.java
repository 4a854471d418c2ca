package io.mlplatform.storage.project;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;


import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.UnprocessableException;

/** A team: owns storages, has a quota, maps to one Kubernetes namespace. */
@Entity
@Table(name = "projects")
public class Project {

	@Id
	private UUID id;

	private String name;

	private String namespace;

	@Column(name = "display_name")
	private String displayName;

	@JdbcTypeCode(SqlTypes.JSON)
	private Map<String, String> labels;

	@JdbcTypeCode(SqlTypes.JSON)
	private List<String> owners;

	@JdbcTypeCode(SqlTypes.JSON)
	private List<String> members;

	@Column(name = "created_at")
	private Instant createdAt;

	@Column(name = "updated_at")
	private Instant updatedAt;

	@Version
	private long version;

	protected Project() {
	}

	Project(String name, ProjectSpec spec, Instant now) {
		this.id = UUID.randomUUID();
		this.name = name;
		this.namespace = spec.namespace();
		this.createdAt = now;
		assign(spec, now);
	}

	/** A project read with plain JDBC for display; it is not managed, so changes to it are not saved. */
	static Project fromRow(ResultSet row, JsonColumns columns) throws SQLException {
		Project project = new Project();
		project.id = row.getObject("id", UUID.class);
		project.name = row.getString("name");
		project.namespace = row.getString("namespace");
		project.displayName = row.getString("display_name");
		project.labels = columns.labels(row, "labels");
		project.owners = columns.strings(row, "owners");
		project.members = columns.strings(row, "members");
		project.createdAt = JsonColumns.instant(row, "created_at");
		project.updatedAt = JsonColumns.instant(row, "updated_at");
		project.version = row.getLong("version");
		return project;
	}

	boolean hasSpec(ProjectSpec spec) {
		return spec.equals(spec());
	}

	ProjectSpec spec() {
		return new ProjectSpec(this.namespace, this.displayName, this.labels, this.owners, this.members);
	}

	/** The namespace is where this project's custom resources live; moving it would orphan them. */
	void update(ProjectSpec spec, Instant now) {
		if (!spec.namespace().equals(this.namespace)) {
			throw UnprocessableException.immutableField("namespace", this.namespace, spec.namespace());
		}
		if (!hasSpec(spec)) {
			assign(spec, now);
		}
	}

	private void assign(ProjectSpec spec, Instant now) {
		this.displayName = spec.displayName();
		this.labels = spec.labels();
		this.owners = spec.owners();
		this.members = spec.members();
		this.updatedAt = now;
	}

	public String etag() {
		return Preconditions.etag(this.id, this.version);
	}

	public UUID getId() {
		return this.id;
	}

	public String getName() {
		return this.name;
	}

	public String getNamespace() {
		return this.namespace;
	}

	public String getDisplayName() {
		return this.displayName;
	}

	public Map<String, String> getLabels() {
		return this.labels;
	}

	public List<String> getOwners() {
		return this.owners;
	}

	public List<String> getMembers() {
		return this.members;
	}

	public Instant getCreatedAt() {
		return this.createdAt;
	}

	public Instant getUpdatedAt() {
		return this.updatedAt;
	}

}
