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

	private final KubernetesCrudDispatcher dispatcher = new DiscoveringDispatcher();

	/**
	 * The CRUD dispatcher serves objects but not API discovery, which kubectl needs before it can
	 * name a resource: this answers discovery for the core group, apiextensions and our CRDs.
	 */
	private static final class DiscoveringDispatcher extends KubernetesCrudDispatcher {

		private final java.util.Map<String, String> discovery = new java.util.HashMap<>();

		DiscoveringDispatcher() {
			super(List.of());
			StringBuilder groups = new StringBuilder();
			java.util.Map<String, StringBuilder> resources = new java.util.LinkedHashMap<>();
			for (CustomResourceDefinition crd : crds()) {
				var spec = crd.getSpec();
				String version = spec.getVersions().get(0).getName();
				String groupVersion = spec.getGroup() + "/" + version;
				if (!resources.containsKey(groupVersion)) {
					groups.append(",{\"name\":\"%s\",\"versions\":[{\"groupVersion\":\"%s\",\"version\":\"%s\"}],\"preferredVersion\":{\"groupVersion\":\"%s\",\"version\":\"%s\"}}"
						.formatted(spec.getGroup(), groupVersion, version, groupVersion, version));
				}
				StringBuilder list = resources.computeIfAbsent(groupVersion, key -> new StringBuilder());
				var names = spec.getNames();
				list.append(list.isEmpty() ? "" : ",")
					.append("{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":true,\"kind\":\"%s\",\"shortNames\":%s,\"categories\":%s,\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}"
						.formatted(names.getPlural(), names.getSingular(), names.getKind(),
								Serialization.asJson(names.getShortNames()), Serialization.asJson(names.getCategories())))
					.append(",{\"name\":\"%s/status\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"%s\",\"verbs\":[\"get\",\"patch\",\"update\"]}"
						.formatted(names.getPlural(), names.getKind()));
			}
			this.discovery.put("/api", "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}");
			// the built-in resources the service writes or reads: storages' namespaces, movers' pods and Secrets, Jobs
			this.discovery.put("/api/v1", "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
					+ builtIn("namespaces", "namespace", "Namespace", false) + "," + builtIn("pods", "pod", "Pod", true) + ","
					+ builtIn("secrets", "secret", "Secret", true) + "," + builtIn("events", "event", "Event", true) + "]}");
			this.discovery.put("/apis/batch/v1", "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"batch/v1\",\"resources\":["
					+ builtIn("jobs", "job", "Job", true) + "]}");
			this.discovery.put("/apis", "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[{\"name\":\"apiextensions.k8s.io\",\"versions\":[{\"groupVersion\":\"apiextensions.k8s.io/v1\",\"version\":\"v1\"}],\"preferredVersion\":{\"groupVersion\":\"apiextensions.k8s.io/v1\",\"version\":\"v1\"}}"
					+ ",{\"name\":\"batch\",\"versions\":[{\"groupVersion\":\"batch/v1\",\"version\":\"v1\"}],\"preferredVersion\":{\"groupVersion\":\"batch/v1\",\"version\":\"v1\"}}"
					+ groups + "]}");
			this.discovery.put("/apis/apiextensions.k8s.io/v1", "{\"kind\":\"APIResourceList\",\"groupVersion\":\"apiextensions.k8s.io/v1\",\"resources\":[{\"name\":\"customresourcedefinitions\",\"singularName\":\"customresourcedefinition\",\"namespaced\":false,\"kind\":\"CustomResourceDefinition\",\"shortNames\":[\"crd\"],\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}]}");
			resources.forEach((groupVersion, list) -> this.discovery.put("/apis/" + groupVersion,
					"{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"%s\",\"resources\":[%s]}"
						.formatted(groupVersion, list)));
		}

		/**
		 * Events by the name of the object they are about, as an API server selects them (the CRUD mock
		 * knows field selectors on metadata only, and would answer none).
		 */
		private io.fabric8.mockwebserver.http.MockResponse eventsOf(String path, String name) {
			io.fabric8.mockwebserver.http.MockResponse all = handleGet(path.substring(0, path.indexOf('?')));
			if (all.code() != 200) {
				return all;
			}
			var events = Serialization.unmarshal(all.getBody().readUtf8(), io.fabric8.kubernetes.api.model.EventList.class);
			events.setItems(events.getItems().stream()
				.filter(event -> event.getInvolvedObject() != null && name.equals(event.getInvolvedObject().getName()))
				.toList());
			return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(200)
				.setHeader("Content-Type", "application/json")
				.setBody(Serialization.asJson(events));
		}

		private static String queryParameter(String path, String name) {
			for (String pair : path.substring(path.indexOf('?') + 1).split("&")) {
				if (pair.startsWith(name + "=")) {
					return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
				}
			}
			return null;
		}

		private static String builtIn(String plural, String singular, String kind, boolean namespaced) {
			return "{\"name\":\"%s\",\"singularName\":\"%s\",\"namespaced\":%s,\"kind\":\"%s\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}"
				.formatted(plural, singular, namespaced, kind);
		}

		/** Object path (without query) → how many more writes of it answer 409 Conflict. */
		private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> conflicts = new java.util.concurrent.ConcurrentHashMap<>();

		/** A fault armed for requests of one method whose path starts with a prefix. */
		private record Fault(String method, String prefix, int code, String message, boolean afterWrite,
				java.util.concurrent.atomic.AtomicInteger left) {
		}

		private final java.util.List<Fault> faults = new java.util.concurrent.CopyOnWriteArrayList<>();

		/** Requests answered by a fault so far. */
		private final java.util.concurrent.atomic.AtomicInteger faulted = new java.util.concurrent.atomic.AtomicInteger();

		@Override
		public io.fabric8.mockwebserver.http.MockResponse dispatch(io.fabric8.mockwebserver.http.RecordedRequest request) {
			String path = request.getPath();
			int query = path.indexOf('?');
			for (Fault fault : this.faults) {
				if (fault.method().equals(request.getMethod()) && path.startsWith(fault.prefix())
						&& fault.left().getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
					if (fault.afterWrite()) {
						super.dispatch(request);
					}
					this.faulted.incrementAndGet();
					return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(fault.code())
						.setHeader("Content-Type", "application/json")
						.setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
								+ "\"code\":" + fault.code() + ",\"message\":\"" + fault.message() + "\"}");
				}
			}
			String fieldSelector = "GET".equals(request.getMethod()) && path.contains("/events?")
					? queryParameter(path, "fieldSelector") : null;
			if (fieldSelector != null && fieldSelector.startsWith("involvedObject.name=")) {
				return eventsOf(path, fieldSelector.substring("involvedObject.name=".length()));
			}
			java.util.concurrent.atomic.AtomicInteger conflicting = this.conflicts.get(query < 0 ? path : path.substring(0, query));
			if (conflicting != null && ("PATCH".equals(request.getMethod()) || "PUT".equals(request.getMethod()))
					&& conflicting.getAndUpdate(left -> Math.max(0, left - 1)) > 0) {
				return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(409)
					.setHeader("Content-Type", "application/json")
					.setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\","
							+ "\"code\":409,\"message\":\"Operation cannot be fulfilled: the object has been modified\"}");
			}
			String body = "GET".equals(request.getMethod())
					? this.discovery.get(query < 0 ? path : path.substring(0, query)) : null;
			if (body != null) {
				return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(200)
					.setHeader("Content-Type", "application/json")
					.setBody(body);
			}
			return super.dispatch(request);
		}

	}

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

	/**
	 * The next {@code times} writes (PATCH, PUT) of the object at this API path answer 409 Conflict,
	 * as a real API server does when another writer changed the object in between.
	 */
	public void conflictOnWrites(String objectPath, int times) {
		((DiscoveringDispatcher) this.dispatcher).conflicts.put(objectPath, new java.util.concurrent.atomic.AtomicInteger(times));
	}

	/**
	 * The next {@code times} requests of this method (POST, GET, …) whose path starts with this prefix answer
	 * {@code code} with this message (a 500 or 503, as an overloaded API server does; a 403 as one that
	 * refuses); with {@code afterWrite}, each is carried out first and only its answer is lost, as when a
	 * connection drops after the server wrote. Faults armed first answer first.
	 */
	public void failRequests(String method, String pathPrefix, int code, String message, int times, boolean afterWrite) {
		((DiscoveringDispatcher) this.dispatcher).faults.add(new DiscoveringDispatcher.Fault(method, pathPrefix, code,
				message, afterWrite, new java.util.concurrent.atomic.AtomicInteger(times)));
	}

	/** Disarms the faults still armed; returns how many requests faults answered since they were last disarmed. */
	public int disarmFaults() {
		DiscoveringDispatcher dispatcher = (DiscoveringDispatcher) this.dispatcher;
		dispatcher.faults.clear();
		return dispatcher.faulted.getAndSet(0);
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
