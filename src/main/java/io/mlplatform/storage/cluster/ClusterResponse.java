package io.mlplatform.storage.cluster;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import io.mlplatform.storage.web.Preconditions;
import io.swagger.v3.oas.annotations.media.Schema;

/** A cluster as anyone signed in may see it: how its credentials are provided, never where they are. */
@Schema(name = "Cluster")
record ClusterResponse(@Schema(example = "gpu-west") String name,
		@Schema(example = "https://10.0.0.1:6443") String apiServerUrl,
		@Schema(description = "How the service authenticates to it; the reference itself is never returned",
				allowableValues = { "kubeconfig", "secret", "inCluster" }) String credentialsType,
		@Schema(example = "nfs-fast") String defaultStorageClass,
		@Schema(example = "s3://backups-west") String defaultBackupTarget,
		@Schema(example = "{\"region\": \"west\"}") Map<String, String> labels,
		@Schema(description = "Where backups and restores of its storages run; absent: the deployment's default",
				allowableValues = { "kubernetes", "process", "local" }) String executor, ClusterMover mover,
		@Schema(description = "configuration: declared in the deployment's configuration, read-only here",
				allowableValues = { "api", "configuration" }) String source,
		Instant createdAt, Instant updatedAt, Status status) {

	@Schema(name = "ClusterStatus", description = "What the service knows of reaching the cluster; shared by all its replicas")
	record Status(
			@Schema(description = "Whether the last call reached it; absent until the service has tried") Boolean reachable,
			@Schema(description = "When a call last reached it (to within a few seconds)") Instant lastContact,
			@Schema(description = "Why the last call failed; absent once one succeeds") String lastError,
			@Schema(description = "Changes queued for it and not yet applied", example = "0") long pendingChanges) {

		static Status from(ClusterHealth.Status health) {
			return new Status(health.reachable(), health.lastContact(), health.lastError(), health.pendingChanges());
		}

	}

	static ClusterResponse from(Cluster cluster, ClusterHealth.Status health) {
		return new ClusterResponse(cluster.getName(), cluster.getApiServerUrl(), cluster.getCredentials().type(),
				cluster.getDefaultStorageClass(), cluster.getDefaultBackupTarget(), new TreeMap<>(cluster.getLabels()),
				cluster.getExecutor(), cluster.getMover(), cluster.getSource().name(), cluster.getCreatedAt(), cluster.getUpdatedAt(), Status.from(health));
	}

	/** The ETag: the registration's, then the status's after a '.', so If-Match ignores the status. */
	String etag(Cluster cluster) {
		return Preconditions.withStatus(cluster.etag(), this.status);
	}

	/** What the audit trail keeps: the registration without where its credentials are. */
	record Summary(String apiServerUrl, String credentialsType, String defaultStorageClass,
			String defaultBackupTarget, Map<String, String> labels, String executor, ClusterMover mover) {

		static Summary of(Cluster cluster) {
			return new Summary(cluster.getApiServerUrl(), cluster.getCredentials().type(),
					cluster.getDefaultStorageClass(), cluster.getDefaultBackupTarget(), cluster.getLabels(),
					cluster.getExecutor(), cluster.getMover());
		}

	}

}
