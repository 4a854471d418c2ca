package io.mlplatform.storage.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param clusters clusters declared by the deployment; upserted into the registry at start and
 *     read-only over the API
 * @param kubeconfigDirectory the only directory kubeconfig files of clusters registered through the
 *     API may be in (clusters from configuration are the deployment's own choice)
 * @param secretsKubeconfig where {@code secret} credentials are read from: empty for the cluster the
 *     service runs in, with its own service account; a kubeconfig file for a local run or a test
 */
@ConfigurationProperties("pss.cluster")
public record ClusterProperties(@DefaultValue List<Configured> clusters,
		@DefaultValue("/etc/pss/kubeconfigs") Path kubeconfigDirectory, Path secretsKubeconfig) {

	/** A cluster from configuration; credentials as in the API: a reference, never a secret. */
	public record Configured(String name, String apiServerUrl, Credentials credentials, String defaultStorageClass,
			String defaultBackupTarget, @DefaultValue Map<String, String> labels, String executor, ClusterMover mover) {

		@Override
		public String toString() {
			return "Configured[" + this.name + "]";
		}

	}

}
