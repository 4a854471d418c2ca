package io.mlplatform.storage.cluster;

import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param clusters clusters declared by the deployment; upserted into the registry at start and
 *     read-only over the API
 */
@ConfigurationProperties("pss.cluster")
public record ClusterProperties(@DefaultValue List<Configured> clusters) {

	/** A cluster from configuration; credentials as in the API: a reference, never a secret. */
	public record Configured(String name, String apiServerUrl, Credentials credentials, String defaultStorageClass,
			String defaultBackupTarget, @DefaultValue Map<String, String> labels) {

		@Override
		public String toString() {
			return "Configured[" + this.name + "]";
		}

	}

}
