package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * An in-memory Kubernetes API: fabric8's mock server in CRUD mode with our CRDs created in it first,
 * so the status subresource and generation behave as in a real cluster. It can be stopped and started
 * again on the same port with its objects kept, to play a cluster that goes down.
 */
public final class MockCluster {

	private final KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher(List.of());

	private KubernetesMockServer server;

	private NamespacedKubernetesClient client;

	private int port;

	private MockCluster() {
	}

	/** @param port 0 for any free port */
	public static MockCluster start(int port) {
		MockCluster cluster = new MockCluster();
		cluster.port = port;
		cluster.up();
		for (CustomResourceDefinition crd : crds()) {
			cluster.client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
		}
		return cluster;
	}

	static List<CustomResourceDefinition> crds() {
		try (Stream<Path> files = Files.list(Path.of("k8s", "crds"))) {
			return files.filter(file -> file.toString().endsWith(".yaml")).sorted().map(file -> {
				try {
					return Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
			}).toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void up() {
		this.server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), this.dispatcher,
				false);
		this.server.init(InetAddress.getLoopbackAddress(), this.port);
		this.port = this.server.getPort();
		this.client = this.server.createClient();
	}

	/** The cluster goes down: connections are refused until {@link #restart()}. */
	public synchronized void stop() {
		this.client.close();
		this.server.destroy();
	}

	public synchronized void restart() {
		up();
	}

	/** Removes every object of ours, finalizers and all, so a test starts from an empty cluster. */
	public void clear() {
		for (Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> type : List.of(
				io.mlplatform.storage.cluster.crd.ProjectStorage.class,
				io.mlplatform.storage.cluster.crd.StorageQuota.class)) {
			for (var object : this.client.resources(type).inAnyNamespace().list().getItems()) {
				if (!object.getMetadata().getFinalizers().isEmpty()) {
					this.client.resource(object).edit(o -> {
						o.getMetadata().getFinalizers().clear();
						return o;
					});
				}
				this.client.resource(object).delete();
			}
		}
	}

	public NamespacedKubernetesClient client() {
		return this.client;
	}

	public String url() {
		return "http://127.0.0.1:" + this.port;
	}

	/** A kubeconfig for this API, for the service and for kubectl. */
	public Path writeKubeconfig(Path file) {
		String kubeconfig = """
				apiVersion: v1
				kind: Config
				clusters:
				- name: local
				  cluster:
				    server: %s
				contexts:
				- name: local
				  context:
				    cluster: local
				    user: local
				current-context: local
				users:
				- name: local
				  user:
				    token: local
				""".formatted(url());
		try {
			Files.createDirectories(file.toAbsolutePath().getParent());
			Files.writeString(file, kubeconfig);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return file;
	}

}
