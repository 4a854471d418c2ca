package io.mlplatform.storage.cluster;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

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
		@Schema(description = "configuration: declared in the deployment's configuration, read-only here",
				allowableValues = { "api", "configuration" }) String source,
		Instant createdAt, Instant updatedAt) {

	static ClusterResponse from(Cluster cluster) {
		return new ClusterResponse(cluster.getName(), cluster.getApiServerUrl(), cluster.getCredentials().type(),
				cluster.getDefaultStorageClass(), cluster.getDefaultBackupTarget(), new TreeMap<>(cluster.getLabels()),
				cluster.getSource().name(), cluster.getCreatedAt(), cluster.getUpdatedAt());
	}

	/** What the audit trail keeps: the registration without where its credentials are. */
	record Summary(String apiServerUrl, String credentialsType, String defaultStorageClass,
			String defaultBackupTarget, Map<String, String> labels) {

		static Summary of(Cluster cluster) {
			return new Summary(cluster.getApiServerUrl(), cluster.getCredentials().type(),
					cluster.getDefaultStorageClass(), cluster.getDefaultBackupTarget(), cluster.getLabels());
		}

	}

}
