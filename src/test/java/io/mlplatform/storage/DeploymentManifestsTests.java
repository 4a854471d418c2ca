package io.mlplatform.storage;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

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
