package io.mlplatform.storage.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.fabric8.kubernetes.client.Config;

/**
 * The client settings of the pod the service runs in, from its service account and nothing else.
 * fabric8's auto-configuration would prefer a kubeconfig (the KUBECONFIG variable, ~/.kube/config,
 * system properties) if the pod happened to have one, and would send the requests, or the pod's
 * token, wherever that file points.
 */
final class InClusterConfig {

	static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

	private InClusterConfig() {
	}

	static Config of(Map<String, String> environment, Path serviceAccount) {
		String host = environment.get("KUBERNETES_SERVICE_HOST");
		String port = environment.get("KUBERNETES_SERVICE_PORT");
		if (host == null || host.isBlank() || port == null || port.isBlank()) {
			throw new IllegalStateException(
					"inCluster credentials need the service to run in a pod: KUBERNETES_SERVICE_HOST is not set");
		}
		Path token = serviceAccount.resolve("token");
		if (!Files.isReadable(token)) {
			throw new IllegalStateException("inCluster credentials need the pod's service account token, which is not mounted");
		}
		Config config = Config.empty();
		config.setMasterUrl("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
		config.setCaCertFile(serviceAccount.resolve("ca.crt").toString());
		// read on every request: the kubelet rotates a projected token long before the pod ends
		config.setOauthTokenProvider(() -> read(token));
		return config;
	}

	private static String read(Path token) {
		try {
			return Files.readString(token).trim();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("the pod's service account token cannot be read", ex);
		}
	}

}
