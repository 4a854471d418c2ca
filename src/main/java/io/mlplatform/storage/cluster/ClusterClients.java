package io.mlplatform.storage.cluster;

import java.nio.charset.StandardCharsets;
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
public class ClusterClients implements DisposableBean {

	/** @param registration the cluster's ETag: it changes with every change, and when a name is registered anew */
	private record Connected(String registration, KubernetesClient client) {
	}

	private final Map<String, Connected> clients = new ConcurrentHashMap<>();

	private final ClusterRegistry registry;

	private final ReconcilerProperties properties;

	private final CredentialPolicy policy;

	private final Path secretsKubeconfig;

	ClusterClients(ClusterRegistry registry, ReconcilerProperties properties, CredentialPolicy policy,
			ClusterProperties clusterProperties) {
		this.registry = registry;
		this.properties = properties;
		this.policy = policy;
		this.secretsKubeconfig = clusterProperties.secretsKubeconfig();
	}

	/**
	 * The client of a registered cluster. Synchronized: two threads must not both connect, and one close the
	 * client the other was handed.
	 */
	public synchronized KubernetesClient client(String name) {
		Cluster cluster = this.registry.get(name);
		Connected current = this.clients.get(name);
		if (current != null && current.registration().equals(cluster.etag())) {
			return current.client();
		}
		Connected connected = new Connected(cluster.etag(), connect(cluster));
		Connected previous = this.clients.put(name, connected);
		if (previous != null) {
			previous.client().close();
		}
		return connected.client();
	}

	private KubernetesClient connect(Cluster cluster) {
		Credentials credentials = cluster.getCredentials();
		Config config = switch (credentials.type()) {
			case Credentials.KUBECONFIG -> fromKubeconfig(credentials.context(), CredentialPolicy.read(
					cluster.isConfigured() ? Path.of(credentials.path()) : this.policy.kubeconfigOfRegistered(credentials.path())));
			case Credentials.SECRET -> fromKubeconfig(credentials.context(), fromSecret(credentials));
			default -> InClusterConfig.of(System.getenv(), InClusterConfig.SERVICE_ACCOUNT);
		};
		if (cluster.getApiServerUrl() != null) {
			if (Credentials.IN_CLUSTER.equals(credentials.type())) {
				// registered before this was refused: the pod's own token goes to its own API server only
				throw new IllegalStateException("an API server URL with inCluster credentials is refused");
			}
			// a kubeconfig's credentials go to the server it names, never to one the registration names
			if (!ApiServers.same(cluster.getApiServerUrl(), config.getMasterUrl())) {
				throw new IllegalStateException("the apiServerUrl is not the server the kubeconfig's context names");
			}
		}
		return build(config);
	}

	private KubernetesClient build(Config config) {
		// fail fast and let the reconciler's backoff decide when to try again
		config.setConnectionTimeout((int) this.properties.requestTimeout().toMillis());
		config.setRequestTimeout((int) this.properties.requestTimeout().toMillis());
		config.setRequestRetryBackoffLimit(0);
		return new KubernetesClientBuilder().withConfig(config).build();
	}

	/**
	 * Parsed from the contents, with no file behind it: fabric8 re-reads a kubeconfig's file on a 401
	 * and would obey whatever it says by then, past the plugin check made here.
	 */
	private static Config fromKubeconfig(String context, String contents) {
		CredentialPolicy.withoutPlugins(contents);
		try {
			return Config.fromKubeconfig(context, contents, null);
		}
		catch (RuntimeException ex) {
			// the parser's message may quote the file: say only which cluster's file is unusable
			throw new IllegalStateException("The cluster's kubeconfig cannot be read as a kubeconfig");
		}
	}

	/** A kubeconfig kept in a secret of the cluster the service runs in, read with its own identity. */
	private String fromSecret(Credentials credentials) {
		Config own = this.secretsKubeconfig == null ? InClusterConfig.of(System.getenv(), InClusterConfig.SERVICE_ACCOUNT)
				: fromKubeconfig(null, CredentialPolicy.read(this.secretsKubeconfig));
		try (KubernetesClient client = build(own)) {
			Secret secret = client.secrets().inNamespace(credentials.namespace()).withName(credentials.name()).get();
			String encoded = secret == null || secret.getData() == null ? null
					: secret.getData().get(credentials.secretKey());
			if (encoded == null) {
				// where the credentials are is not said here either: the registration names the secret
				throw new IllegalStateException("the credentials secret does not exist or has no kubeconfig under its key");
			}
			return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
		}
	}

	@Override
	public void destroy() {
		this.clients.values().forEach(connected -> connected.client().close());
		this.clients.clear();
	}

}
