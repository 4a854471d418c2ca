package io.mlplatform.storage.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One fabric8 client per cluster, built from the cluster's credentials reference on first use and
 * rebuilt when the registration changes. Credentials never leave this class but as a client.
 */
@Component
class ClusterClients implements DisposableBean {

	private record Connected(long version, KubernetesClient client) {
	}

	private final Map<String, Connected> clients = new ConcurrentHashMap<>();

	private final ClusterRegistry registry;

	private final ReconcilerProperties properties;

	ClusterClients(ClusterRegistry registry, ReconcilerProperties properties) {
		this.registry = registry;
		this.properties = properties;
	}

	/** Synchronized: two threads must not both connect, and one close the client the other was handed. */
	synchronized KubernetesClient client(String name) {
		Cluster cluster = this.registry.get(name);
		Connected current = this.clients.get(name);
		if (current != null && current.version() == cluster.getVersion()) {
			return current.client();
		}
		Connected connected = new Connected(cluster.getVersion(), connect(cluster));
		Connected previous = this.clients.put(name, connected);
		if (previous != null) {
			previous.client().close();
		}
		return connected.client();
	}

	private KubernetesClient connect(Cluster cluster) {
		Credentials credentials = cluster.getCredentials();
		Config config = switch (credentials.type()) {
			case Credentials.KUBECONFIG -> fromKubeconfig(credentials.context(), read(Path.of(credentials.path())),
					credentials.path());
			case Credentials.SECRET -> fromKubeconfig(credentials.context(), fromSecret(credentials), null);
			default -> Config.autoConfigure(null);
		};
		if (cluster.getApiServerUrl() != null) {
			config.setMasterUrl(cluster.getApiServerUrl());
		}
		// fail fast and let the reconciler's backoff decide when to try again
		config.setConnectionTimeout((int) this.properties.requestTimeout().toMillis());
		config.setRequestTimeout((int) this.properties.requestTimeout().toMillis());
		config.setRequestRetryBackoffLimit(0);
		return new KubernetesClientBuilder().withConfig(config).build();
	}

	private static Config fromKubeconfig(String context, String contents, String path) {
		try {
			return Config.fromKubeconfig(context, contents, path);
		}
		catch (RuntimeException ex) {
			// the parser's message may quote the file: say only which cluster's file is unusable
			throw new IllegalStateException("The cluster's kubeconfig cannot be read as a kubeconfig");
		}
	}

	/** A kubeconfig kept in a secret of the cluster the service runs in, read with its own identity. */
	private static String fromSecret(Credentials credentials) {
		try (KubernetesClient own = new KubernetesClientBuilder().withConfig(Config.autoConfigure(null)).build()) {
			Secret secret = own.secrets().inNamespace(credentials.namespace()).withName(credentials.name()).get();
			String encoded = secret == null || secret.getData() == null ? null
					: secret.getData().get(credentials.secretKey());
			if (encoded == null) {
				throw new IllegalStateException("Secret %s/%s has no key '%s'".formatted(credentials.namespace(),
						credentials.name(), credentials.secretKey()));
			}
			return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
		}
	}

	private static String read(Path path) {
		try {
			return Files.readString(path);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("The cluster's kubeconfig file cannot be read", ex);
		}
	}

	@Override
	public void destroy() {
		this.clients.values().forEach(connected -> connected.client().close());
		this.clients.clear();
	}

}
