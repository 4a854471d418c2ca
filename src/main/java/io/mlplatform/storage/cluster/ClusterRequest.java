package io.mlplatform.storage.cluster;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.media.Schema;

/** A cluster as a platform admin registers it. Output-only fields of a GET body are accepted and ignored. */
@JsonIgnoreProperties({ "credentialsType", "source", "createdAt", "updatedAt", "status" })
@Schema(name = "ClusterRequest", description = "Registration of a Kubernetes cluster")
record ClusterRequest(
		@Schema(description = "DNS-1123 label, immutable; required on POST, taken from the URL on PUT",
				example = "gpu-west") String name,
		@Schema(description = "API server URL; overrides the one in the kubeconfig when set",
				example = "https://10.0.0.1:6443") String apiServerUrl,
		@Schema(requiredMode = Schema.RequiredMode.REQUIRED) Credentials credentials,
		@Schema(description = "Storage class of a storage that names none", example = "nfs-fast") String defaultStorageClass,
		@Schema(description = "Where backups of this cluster's storages go", example = "s3://backups-west") String defaultBackupTarget,
		@Schema(example = "{\"region\": \"west\"}") Map<String, String> labels,
		@Schema(description = "Where backups and restores of this cluster's storages run: kubernetes, a Job in "
				+ "the storage's namespace; process or local, on a share mounted into the service; absent, the "
				+ "deployment's default", allowableValues = { "kubernetes", "process", "local" },
				example = "kubernetes") String executor, ClusterMover mover) {

	/** The executors a cluster may name. */
	static final java.util.List<String> EXECUTORS = java.util.List.of("kubernetes", "process", "local");

	ClusterSpec toSpec(String urlName, Violations violations) {
		if (urlName != null && this.name != null && !this.name.equals(urlName)) {
			violations.add("name", this.name, "must match the name in the URL or be left out");
		}
		else {
			violations.dnsLabel("name", urlName != null ? urlName : this.name);
		}
		if (this.apiServerUrl != null) {
			violations.maxLength("apiServerUrl", this.apiServerUrl, 2048);
			if (!isHttpUrl(this.apiServerUrl)) {
				violations.add("apiServerUrl", this.apiServerUrl, "must be an http(s) URL such as https://10.0.0.1:6443");
			}
		}
		if (this.credentials == null) {
			violations.add("credentials", null,
					"is required: {\"type\": \"kubeconfig\", \"path\": …}, {\"type\": \"secret\", …} or {\"type\": \"inCluster\"}");
		}
		else {
			this.credentials.validate(violations);
		}
		violations.maxLength("defaultStorageClass", this.defaultStorageClass, 253);
		violations.maxLength("defaultBackupTarget", this.defaultBackupTarget, 2048);
		violations.labels("labels", this.labels);
		if (this.executor != null && !EXECUTORS.contains(this.executor)) {
			violations.add("executor", this.executor, "must be one of " + String.join(", ", EXECUTORS) + ", or left out");
		}
		return new ClusterSpec(this.apiServerUrl, this.credentials, this.defaultStorageClass, this.defaultBackupTarget,
				this.labels == null ? Map.of() : new TreeMap<>(this.labels), this.executor,
				this.mover == null ? null : this.mover.normalized(violations));
	}

	static boolean isHttpUrl(String value) {
		try {
			URI uri = URI.create(value);
			return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null;
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

	@Override
	public String toString() {
		return "ClusterRequest[" + this.name + "]";
	}

}
