package io.mlplatform.storage;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.context.properties.bind.Binder;

import io.mlplatform.storage.backup.BackupProperties;
import io.mlplatform.storage.backup.MoverProperties;
import io.mlplatform.storage.backup.WorkerProperties;
import io.mlplatform.storage.backup.kubernetes.MoverJobProperties;
import io.mlplatform.storage.security.SecurityProperties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No cluster runs here, so the manifests in {@code k8s/} are checked for what breaks a rollout
 * silently: a missing kustomization resource, selectors that match nothing, probes on the wrong port.
 */
class DeploymentManifestsTests {

	private static final Path K8S = Path.of("k8s");

	@Test
	void kustomizationNamesOnlyFilesThatExistAndParse() throws IOException {
		Map<String, Object> kustomization = single(K8S.resolve("kustomization.yaml"));
		List<String> resources = strings(kustomization.get("resources"));

		assertThat(resources).isNotEmpty();
		for (String resource : resources) {
			Path path = K8S.resolve(resource);
			assertThat(path).as(resource).exists();
			for (Map<String, Object> object : all(Files.isDirectory(path) ? path.resolve("kustomization.yaml") : path)) {
				assertThat(object).as(resource).containsKeys("apiVersion", "kind");
			}
		}
	}

	@Test
	void deploymentIsHighlyAvailableAndItsSelectorsAndProbesLineUp() throws IOException {
		Map<String, Object> deployment = single(K8S.resolve("deployment.yaml"));
		Map<String, Object> spec = map(deployment.get("spec"));
		Map<String, Object> podLabels = map(map(map(spec.get("template")).get("metadata")).get("labels"));
		Map<String, Object> container = map(list(map(map(spec.get("template")).get("spec")).get("containers")).get(0));
		Map<String, Object> config = map(single(K8S.resolve("configmap.yaml")).get("data"));

		assertThat((Integer) spec.get("replicas")).isGreaterThanOrEqualTo(2);
		assertThat(podLabels).containsAllEntriesOf(map(map(spec.get("selector")).get("matchLabels")));
		assertThat(podLabels).containsAllEntriesOf(map(map(single(K8S.resolve("service.yaml")).get("spec")).get("selector")));
		assertThat(podLabels)
			.containsAllEntriesOf(map(map(map(single(K8S.resolve("pdb.yaml")).get("spec")).get("selector")).get("matchLabels")));

		int managementPort = Integer.parseInt((String) config.get("MANAGEMENT_SERVER_PORT"));
		List<Object> ports = list(container.get("ports"));
		assertThat(ports).contains(Map.of("name", "management", "containerPort", managementPort));
		for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
			Map<String, Object> get = map(map(container.get(probe)).get("httpGet"));
			assertThat(get.get("port")).as(probe).isEqualTo("management");
			assertThat((String) get.get("path")).as(probe).startsWith("/actuator/health/");
		}
	}

	@Test
	void credentialsAreReferencedNeverCommitted() throws IOException {
		try (Stream<Path> files = Files.walk(K8S)) {
			for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
				for (Map<String, Object> object : all(file)) {
					assertThat(object.get("kind")).as(file.toString()).isNotEqualTo("Secret");
				}
			}
		}
		Map<String, Object> container = map(list(map(map(map(single(K8S.resolve("deployment.yaml")).get("spec"))
			.get("template")).get("spec")).get("containers")).get(0));
		assertThat(list(container.get("envFrom"))).anySatisfy(source -> assertThat(map(source)).containsKey("secretRef"));
	}

	/** Secret credentials of clusters are read from the service's own namespace, and nowhere else. */
	@Test
	void secretsAreReadableInTheServicesOwnNamespaceOnly() throws IOException {
		String namespace = (String) single(K8S.resolve("kustomization.yaml")).get("namespace");
		List<Map<String, Object>> rbac = all(K8S.resolve("rbac.yaml"));
		Map<String, Object> serviceAccount = rbac.stream().filter(o -> "ServiceAccount".equals(o.get("kind"))).findFirst().orElseThrow();
		String account = (String) map(serviceAccount.get("metadata")).get("name");

		for (Map<String, Object> clusterRole : rbac.stream().filter(o -> "ClusterRole".equals(o.get("kind"))).toList()) {
			for (Object rule : list(clusterRole.get("rules"))) {
				assertThat(strings(map(rule).get("resources"))).doesNotContain("secrets");
			}
		}
		Map<String, Object> role = rbac.stream()
			.filter(o -> "Role".equals(o.get("kind")) && list(o.get("rules")).stream()
				.anyMatch(rule -> strings(map(rule).get("resources")).contains("secrets")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no Role lets the service read its credentials secrets"));
		assertThat(list(role.get("rules"))).allSatisfy(rule -> assertThat(strings(map(rule).get("verbs"))).containsExactly("get"));
		Map<String, Object> binding = rbac.stream()
			.filter(o -> "RoleBinding".equals(o.get("kind"))
					&& map(map(o).get("roleRef")).get("name").equals(map(role.get("metadata")).get("name")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("the secrets Role is bound to nobody"));
		assertThat(map(binding.get("roleRef")).get("kind")).isEqualTo("Role");
		assertThat(list(binding.get("subjects")))
			.containsExactly(Map.of("kind", "ServiceAccount", "name", account, "namespace", namespace));
		assertThat(map(role.get("metadata"))).as("kustomize puts it into " + namespace).doesNotContainKey("namespace");
	}

	/**
	 * In a storage cluster the service writes movers' Jobs and their Secrets only in namespaces bound one
	 * by one, where it lists events too, reads Jobs and pods, and never reads Secrets cluster-wide nor writes
	 * with a wildcard.
	 */
	@Test
	void aStorageClusterGrantsMoversJobsAndSecretsPerNamespaceAndPodsAndEventsReadOnly() throws IOException {
		Path storageCluster = K8S.resolve("storage-cluster");
		List<Map<String, Object>> objects = new ArrayList<>();
		for (String resource : strings(single(storageCluster.resolve("kustomization.yaml")).get("resources"))) {
			Path path = storageCluster.resolve(resource);
			assertThat(path).as(resource).exists();
			objects.addAll(all(path));
		}
		Map<String, Map<String, Object>> clusterRoles = new java.util.HashMap<>();
		objects.stream().filter(o -> "ClusterRole".equals(o.get("kind")))
			.forEach(role -> clusterRoles.put((String) map(role.get("metadata")).get("name"), role));
		Map<String, String> bindings = new java.util.HashMap<>();
		for (Map<String, Object> binding : objects.stream().filter(o -> String.valueOf(o.get("kind")).endsWith("Binding")).toList()) {
			bindings.put((String) map(binding.get("roleRef")).get("name"), (String) binding.get("kind"));
			assertThat(list(binding.get("subjects"))).containsExactly(
					Map.of("kind", "ServiceAccount", "name", "project-storage-service", "namespace", "project-storage"));
		}
		boolean jobsWritten = false;
		boolean secretsWritten = false;
		boolean eventsListed = false;
		for (Map.Entry<String, Map<String, Object>> role : clusterRoles.entrySet()) {
			boolean clusterWide = "ClusterRoleBinding".equals(bindings.get(role.getKey()));
			assertThat(bindings).as(role.getKey() + " is bound").containsKey(role.getKey());
			for (Object rule : list(role.getValue().get("rules"))) {
				List<String> resources = strings(map(rule).get("resources"));
				List<String> verbs = strings(map(rule).get("verbs"));
				assertThat(resources).doesNotContain("*");
				assertThat(verbs).doesNotContain("*");
				boolean writes = verbs.stream().anyMatch(verb -> !List.of("get", "list", "watch").contains(verb));
				if (resources.contains("secrets")) {
					assertThat(clusterWide).as("secrets only where bound per namespace").isFalse();
					assertThat(verbs).doesNotContain("list", "watch", "update", "patch");
					secretsWritten = true;
				}
				if (resources.contains("jobs") && writes) {
					assertThat(clusterWide).as("jobs written only where bound per namespace").isFalse();
					jobsWritten = true;
				}
				if (resources.contains("events") || resources.contains("pods")) {
					assertThat(writes).as("pods and events read-only").isFalse();
				}
				if (resources.contains("events")) {
					// listed by name where a pod did not run: never watched, and only in the namespaces bound
					assertThat(verbs).containsExactly("list");
					assertThat(clusterWide).as("events only where bound per namespace").isFalse();
					eventsListed = true;
				}
			}
		}
		assertThat(jobsWritten).isTrue();
		assertThat(secretsWritten).isTrue();
		assertThat(eventsListed).isTrue();
		assertThat(bindings).containsEntry("project-storage-service-movers-write", "RoleBinding");
	}

	/** As deployed, backups run as Jobs whose movers run the service's own image and reach the service. */
	@Test
	void theDeploymentRunsBackupsAsJobsOfItsOwnImage() throws IOException {
		Map<String, Object> config = map(single(K8S.resolve("configmap.yaml")).get("data"));
		Map<String, Object> kustomization = single(K8S.resolve("kustomization.yaml"));
		Map<String, Object> deployment = single(K8S.resolve("deployment.yaml"));
		String deploymentName = (String) map(deployment.get("metadata")).get("name");
		Map<String, Object> serviceObject = single(K8S.resolve("service.yaml"));
		String service = (String) map(serviceObject.get("metadata")).get("name");
		int port = (Integer) map(list(map(serviceObject.get("spec")).get("ports")).get(0)).get("port");

		assertThat(config).containsEntry("PSS_WORKER_EXECUTOR", "kubernetes");
		assertThat(config).containsEntry("PSS_MOVER_SERVICE_URL",
				"http://" + service + "." + kustomization.get("namespace") + ".svc" + (port == 80 ? "" : ":" + port));
		Map<String, Object> replacement = map(list(kustomization.get("replacements")).get(0));
		assertThat(map(replacement.get("source"))).containsEntry("kind", "Deployment").containsEntry("name", deploymentName)
			.containsEntry("fieldPath", "spec.template.spec.containers.[name=service].image");
		Map<String, Object> target = map(list(replacement.get("targets")).get(0));
		assertThat(map(target.get("select"))).containsEntry("kind", "ConfigMap");
		assertThat(strings(target.get("fieldPaths"))).containsExactly("data.PSS_MOVER_JOB_IMAGE");
		assertThat(config).containsKey("PSS_MOVER_JOB_IMAGE");
	}

	@Test
	void composeRunsTheServiceOnPostgresAndS3WithSettingsTheServiceReads() throws IOException {
		Map<String, Object> services = map(single(Path.of("docker-compose.yml")).get("services"));
		Map<String, Object> environment = map(map(services.get("service")).get("environment"));
		String application = Files.readString(Path.of("src/main/resources/application.yaml"));

		assertThat(services).containsKeys("postgres", "s3", "service");
		// DATABASE_* are read by name in application.yaml; PSS_* bind to configuration records by name
		assertThat(application).contains("${DATABASE_URL", "${DATABASE_USER", "${DATABASE_PASSWORD");
		assertThat(environment).containsKeys("DATABASE_URL", "PSS_SECURITY_ISSUER_URI", "PSS_BACKUP_S3_ENDPOINT",
				"PSS_BACKUP_S3_BUCKET");
		assertThat(map(map(services.get("service")).get("depends_on"))).containsKeys("postgres");
	}

	/**
	 * {@code docker compose up} needs no identity provider of one's own: the service trusts the local one's
	 * issuer, and every token that provider issues names that issuer (whatever Host it was fetched through)
	 * and the audience the service requires; {@code client_id=admin} is a platform admin.
	 */
	@Test
	void composeRunsALocalIdentityProviderWhoseTokensTheServiceAccepts() throws IOException {
		ComposeFile compose = ComposeFile.read();
		Map<String, String> provider = compose.environment("oidc", Map.of());
		Map<String, String> service = compose.environment("service", Map.of());
		SecurityProperties security = ComposeFile.binder(service).bindOrCreate("pss.security", SecurityProperties.class);
		JsonNode config = JsonMapper.builder().build()
			.readTree(compose.mounted("oidc", provider.get("JSON_CONFIG_PATH")).toFile());
		String issuerId = security.issuerUri().substring(security.issuerUri().lastIndexOf('/') + 1);

		assertThat(compose.service("oidc").get("image"))
			.isEqualTo("ghcr.io/navikt/mock-oauth2-server:" + pomProperty("mock-oauth2-server.version"));
		assertThat(security.issuerUri()).isEqualTo("http://oidc:" + provider.get("SERVER_PORT") + "/" + issuerId);
		assertThat(map(compose.service("service").get("depends_on"))).containsKey("oidc");
		assertThat(compose.ports("oidc", Map.of())).isNotEmpty().allSatisfy(port -> assertThat(port).startsWith("127.0.0.1:"));
		assertThat(compose.environment("service", Map.of("PSS_SECURITY_ISSUER_URI", "https://login.example.com/realms/ml")))
			.containsEntry("PSS_SECURITY_ISSUER_URI", "https://login.example.com/realms/ml");

		assertThat(config.path("tokenCallbacks").size()).isEqualTo(1);
		JsonNode callback = config.path("tokenCallbacks").get(0);
		assertThat(callback.path("issuerId").asString()).isEqualTo(issuerId);
		List<JsonNode> mappings = new ArrayList<>();
		callback.path("requestMappings").forEach(mappings::add);
		assertThat(mappings).isNotEmpty().allSatisfy(mapping -> {
			JsonNode claims = mapping.path("claims");
			assertThat(claims.path("iss").asString()).isEqualTo(security.issuerUri());
			assertThat(texts(claims.path("aud"))).containsExactly(security.audience());
			assertThat(claims.has(security.groupsClaim())).isTrue();
		});
		JsonNode admin = mappings.get(0);
		assertThat(admin.path("requestParam").asString()).isEqualTo("client_id");
		assertThat(admin.path("match").asString()).isEqualTo("admin");
		assertThat(texts(admin.path("claims").path(security.groupsClaim()))).containsAnyElementsOf(security.adminGroups());
	}

	/**
	 * As composed, backups run as Jobs in the storages' cluster (their files are there): its pods reach the
	 * service's mover API and S3 through ports published on the compose host, named by one variable, and every
	 * setting is one the service binds.
	 */
	@Test
	void composeRunsBackupsAsJobsWhoseMoversReachTheServiceAndS3FromTheCluster() {
		ComposeFile compose = ComposeFile.read();
		Map<String, String> defaults = compose.environment("service", Map.of());
		Binder binder = ComposeFile.binder(defaults);
		int servicePort = compose.publishedPort("service", 8080);
		int s3Port = compose.publishedPort("s3", 9000);

		assertThat(binder.bindOrCreate("pss.worker", WorkerProperties.class).executor()).isEqualTo("kubernetes");
		assertThat(binder.bindOrCreate("pss.mover", MoverProperties.class).serviceUrl())
			.isEqualTo(URI.create("http://host.docker.internal:" + servicePort));
		BackupProperties.S3 s3 = binder.bindOrCreate("pss.backup", BackupProperties.class).s3();
		assertThat(s3.presignEndpoint()).isEqualTo(URI.create("http://host.docker.internal:" + s3Port));
		// the service itself reaches S3 inside the compose network
		assertThat(s3.endpoint()).isEqualTo(URI.create("http://s3:9000"));
		// the movers run the image compose builds
		assertThat(compose.service("service")).containsKey("build");
		assertThat(binder.bindOrCreate("pss.mover.job", MoverJobProperties.class).image())
			.isEqualTo(ComposeFile.interpolate(String.valueOf(compose.service("service").get("image")), Map.of()));

		assertThat(compose.environment("service", Map.of("PSS_HOST_FROM_CLUSTER", "172.18.0.1")))
			.containsEntry("PSS_MOVER_SERVICE_URL", "http://172.18.0.1:" + servicePort)
			.containsEntry("PSS_BACKUP_S3_PRESIGN_ENDPOINT", "http://172.18.0.1:" + s3Port);
		assertThat(compose.environment("service", Map.of("PSS_MOVER_SERVICE_URL", "https://pss.example.com",
				"PSS_BACKUP_S3_PRESIGN_ENDPOINT", "https://s3.example.com")))
			.containsEntry("PSS_MOVER_SERVICE_URL", "https://pss.example.com")
			.containsEntry("PSS_BACKUP_S3_PRESIGN_ENDPOINT", "https://s3.example.com");
		assertThat(compose.volumes("service", Map.of("PSS_KUBECONFIG", "/home/me/.compose/kubeconfig")))
			.contains("/home/me/.compose/kubeconfig:" + defaults.get("PSS_CLUSTER_CLUSTERS_0_CREDENTIALS_PATH") + ":ro");
	}

	private static List<String> texts(JsonNode array) {
		List<String> texts = new ArrayList<>();
		array.forEach(element -> texts.add(element.asString()));
		return texts;
	}

	private static String pomProperty(String name) throws IOException {
		Matcher property = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(Path.of("pom.xml")));
		assertThat(property.find()).as(name).isTrue();
		return property.group(1).trim();
	}

	private static List<Map<String, Object>> all(Path file) throws IOException {
		List<Map<String, Object>> objects = new ArrayList<>();
		try (Reader reader = Files.newBufferedReader(file)) {
			for (Object document : new Yaml().loadAll(reader)) {
				if (document != null) {
					objects.add(map(document));
				}
			}
		}
		return objects;
	}

	private static Map<String, Object> single(Path file) throws IOException {
		List<Map<String, Object>> objects = all(file);
		assertThat(objects).as(file.toString()).hasSize(1);
		return objects.get(0);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		assertThat(value).isInstanceOf(Map.class);
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<Object> list(Object value) {
		assertThat(value).isInstanceOf(List.class);
		return (List<Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<String> strings(Object value) {
		return (List<String>) (List<?>) list(value);
	}

}
