package io.mlplatform.storage.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterApiIntegrationTests extends IntegrationTestSupport {

	@org.springframework.beans.factory.annotation.Autowired
	private ClusterRegistry registry;

	/** Replicas of a new deployment start together, each registering the configured clusters: all of them start. */
	@Test
	void replicasStartingTogetherAllRegisterTheConfiguredClusters() {
		for (int round = 0; round < 5; round++) {
			this.db.sql("DELETE FROM clusters WHERE name = 'local'").update();

			java.util.List<String> failures = io.mlplatform.storage.Parallel.run(8, replica -> {
				try {
					this.registry.registerConfigured();
					return null;
				}
				catch (RuntimeException ex) {
					return ex.toString();
				}
			});

			assertThat(failures).as("round " + round).containsOnlyNulls();
			assertThat(count("SELECT count(*) FROM clusters WHERE name = 'local' AND source = 'configuration'")).isOne();
		}
	}

	private static final String WEST = """
			{"name": "gpu-west", "apiServerUrl": "https://10.0.0.1:6443",
			 "credentials": {"type": "kubeconfig", "path": "%s", "context": "west"},
			 "defaultStorageClass": "nfs-fast", "defaultBackupTarget": "s3://backups-west",
			 "labels": {"region": "west"}}""".formatted(TestInfrastructure.kubeconfigDirectory().resolve("secret-west.kubeconfig"));

	@Test
	void registersAClusterAndNeverReturnsWhereItsCredentialsAre() {
		Response created = this.api.post("/api/v1/clusters", WEST);
		Response read = this.api.get("/api/v1/clusters/gpu-west");
		Response list = this.api.as(TestInfrastructure.userToken("bob", 600, "nlp")).get("/api/v1/clusters");

		assertThat(created.status()).isEqualTo(201);
		assertThat(created.header("Location")).isEqualTo("/api/v1/clusters/gpu-west");
		assertThat(read.json().path("credentialsType").asString()).isEqualTo("kubeconfig");
		assertThat(read.json().path("defaultStorageClass").asString()).isEqualTo("nfs-fast");
		assertThat(read.json().path("source").asString()).isEqualTo("api");
		assertThat(read.etag()).isEqualTo(created.etag());
		assertThat(list.status()).isEqualTo(200);
		assertThat(list.json().path("items").findValuesAsString("name")).containsExactly("gpu-west", "local");
		for (Response response : new Response[] { created, read, list }) {
			assertThat(response.body()).doesNotContain("secret-west").doesNotContain("test-kubeconfigs").doesNotContain("context");
		}
		assertThat(this.db.sql("select summary::text from audit_events where action = 'cluster.create'")
			.query(String.class)
			.single()).doesNotContain("secret-west");
	}

	@Test
	void clustersFromConfigurationAreReadOnly() {
		Response local = this.api.get("/api/v1/clusters/local");
		Response change = this.api.put("/api/v1/clusters/local", "{\"credentials\": {\"type\": \"inCluster\"}}");
		Response delete = this.api.delete("/api/v1/clusters/local");

		assertThat(local.json().path("source").asString()).isEqualTo("configuration");
		assertThat(change.status()).isEqualTo(409);
		assertThat(change.problemType()).isEqualTo("cluster-from-configuration");
		assertThat(delete.status()).isEqualTo(409);
	}

	@Test
	void refusesToRemoveAClusterStoragesLiveIn() {
		this.api.post("/api/v1/clusters", WEST);
		createProject("nlp");
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\", \"cluster\": \"gpu-west\"}");

		Response refused = this.api.delete("/api/v1/clusters/gpu-west");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("cluster-in-use");
		assertThat(count("select count(*) from clusters where name = 'gpu-west'")).isEqualTo(1);
	}

	@Test
	void validatesTheCredentialsReference() {
		// requests the contract does not allow, on purpose
		this.api = this.api.unvalidated();
		Response missing = this.api.post("/api/v1/clusters", "{\"name\": \"x\"}");
		Response badType = this.api.post("/api/v1/clusters", "{\"name\": \"x\", \"credentials\": {\"type\": \"token\"}}");
		Response noPath = this.api.post("/api/v1/clusters", "{\"name\": \"x\", \"credentials\": {\"type\": \"kubeconfig\"}}");

		assertThat(missing.status()).isEqualTo(400);
		assertThat(missing.json().path("errors").findValuesAsString("field")).contains("credentials");
		assertThat(badType.json().path("errors").findValuesAsString("field")).contains("credentials.type");
		assertThat(noPath.json().path("errors").findValuesAsString("field")).contains("credentials.path");
	}

	@Test
	void aClusterNamesWhereItsBackupsRunAndHowItsMoversDifferAndBadSettingsAreRefused() {
		Response created = this.api.post("/api/v1/clusters", WEST.replace("\"labels\"", """
				"executor": "kubernetes", "mover": {"serviceUrl": "https://pss.example.com", "runAsUser": 2000,
				 "nodeSelector": {"node-role/storage": "true"}}, "labels\""""));
		// requests the contract does not allow, on purpose
		Response refused = this.api.unvalidated().post("/api/v1/clusters", WEST.replace("gpu-west", "gpu-east")
			.replace("\"labels\"", """
					"executor": "ssh", "mover": {"serviceUrl": "ftp://pss", "runAsUser": 0, "image": "Bad Image"},
					 "labels\""""));
		Response followsTheDefault = this.api.put("/api/v1/clusters/gpu-west", WEST);

		assertThat(created.status()).as(created.toString()).isEqualTo(201);
		assertThat(created.json().path("executor").asString()).isEqualTo("kubernetes");
		assertThat(created.json().path("mover").path("serviceUrl").asString()).isEqualTo("https://pss.example.com");
		assertThat(created.json().path("mover").path("runAsUser").asLong()).isEqualTo(2000);
		assertThat(created.json().path("mover").path("nodeSelector").path("node-role/storage").asString()).isEqualTo("true");
		assertThat(refused.status()).isEqualTo(400);
		assertThat(refused.problemType()).isEqualTo("validation-failed");
		assertThat(refused.json().path("errors").findValuesAsString("field"))
			.containsExactlyInAnyOrder("executor", "mover.serviceUrl", "mover.runAsUser", "mover.image");
		assertThat(count("select count(*) from clusters where name = 'gpu-east'")).isZero();
		assertThat(followsTheDefault.status()).as(followsTheDefault.toString()).isEqualTo(200);
		assertThat(followsTheDefault.json().path("executor").isNull() || followsTheDefault.json().path("executor").isMissingNode())
			.isTrue();
		assertThat(count("select count(*) from clusters where name = 'gpu-west' and executor is null and mover is null"))
			.isEqualTo(1);
	}

	@Test
	void refusesCredentialFieldsOfAnotherType() {
		Response pathOfASecret = this.api.post("/api/v1/clusters", "{\"name\": \"x\", \"credentials\": {\"type\": \"secret\", "
				+ "\"namespace\": \"pss\", \"name\": \"k\", \"path\": \"~/.kube/config\"}}");
		Response secretOfInCluster = this.api.post("/api/v1/clusters",
				"{\"name\": \"x\", \"credentials\": {\"type\": \"inCluster\", \"name\": \"k\"}}");

		assertThat(pathOfASecret.status()).as(pathOfASecret.toString()).isEqualTo(400);
		assertThat(pathOfASecret.problemType()).isEqualTo("validation-failed");
		assertThat(pathOfASecret.json().path("errors").findValuesAsString("field")).containsExactly("credentials.path");
		assertThat(secretOfInCluster.json().path("errors").findValuesAsString("field")).containsExactly("credentials.name");
		assertThat(count("select count(*) from clusters where name = 'x'")).isZero();
		assertThat(count("select count(*) from audit_events")).isZero();
	}

	@Test
	void aStorageGoesToTheClusterItNamesOrTheDefaultAndAnUnknownOneIs422() {
		this.api.post("/api/v1/clusters", WEST);
		createProject("nlp");

		Response named = this.api.post("/api/v1/projects/nlp/storages",
				"{\"name\": \"a\", \"capacity\": \"1Gi\", \"cluster\": \"gpu-west\"}");
		Response defaulted = this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"b\", \"capacity\": \"1Gi\"}");
		Response unknown = this.api.post("/api/v1/projects/nlp/storages",
				"{\"name\": \"c\", \"capacity\": \"1Gi\", \"cluster\": \"nowhere\"}");

		assertThat(named.json().path("cluster").asString()).isEqualTo("gpu-west");
		assertThat(defaulted.json().path("cluster").asString()).isEqualTo("local");
		assertThat(unknown.status()).isEqualTo(422);
		assertThat(unknown.problemType()).isEqualTo("unknown-cluster");
		assertThat(unknown.json().path("detail").asString()).contains("gpu-west, local");
		assertThat(count("select count(*) from storages where name = 'c'")).isZero();
	}

	@Test
	void refusesKubeconfigPathsOutsideTheKubeconfigDirectory() throws Exception {
		Path directory = TestInfrastructure.kubeconfigDirectory();
		Path outside = Files.createTempFile("outside", ".kubeconfig");
		Path link = directory.resolve("link-out.kubeconfig");
		Files.deleteIfExists(link);
		Files.createSymbolicLink(link, outside);
		for (String path : new String[] { "/etc/passwd", directory + "/../escape.kubeconfig", "nested/../../x.kubeconfig",
				"../" + directory.getFileName() + "/a.kubeconfig", link.toString(), directory.toString() }) {
			Response refused = this.api.post("/api/v1/clusters", kubeconfigCluster("escape", path));

			assertThat(refused.status()).as(path).isEqualTo(422);
			assertThat(refused.problemType()).isEqualTo("credentials-rejected");
			assertThat(refused.json().path("errors").findValuesAsString("field")).containsExactly("credentials.path");
			// the reference is never echoed (the directory itself is configuration, and named to help)
			assertThat(refused.body()).doesNotContain("passwd", "escape", "x.kubeconfig", "a.kubeconfig", "link-out", "outside");
		}
		Response relative = this.api.post("/api/v1/clusters", kubeconfigCluster("inside", "west/prod.kubeconfig"));

		assertThat(relative.status()).isEqualTo(201);
		assertThat(count("select count(*) from clusters where name = 'escape'")).isZero();
		assertThat(count("select count(*) from audit_events where target = 'clusters/escape'")).isZero();
	}

	@Test
	void refusesKubeconfigsThatWouldRunAPlugin() throws Exception {
		Path exec = TestInfrastructure.kubeconfigDirectory().resolve("exec.kubeconfig");
		Files.writeString(exec, kubeconfig("https://10.0.0.1:6443",
				"exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, 'touch /tmp/pwned']}"));
		Path authProvider = TestInfrastructure.kubeconfigDirectory().resolve("auth-provider.kubeconfig");
		Files.writeString(authProvider, kubeconfig("https://10.0.0.1:6443",
				"auth-provider: {name: oidc, config: {client-id: x, idp-issuer-url: 'https://idp'}}"));

		for (Path file : new Path[] { exec, authProvider }) {
			Response refused = this.api.post("/api/v1/clusters", kubeconfigCluster("plugin", file.toString()));

			assertThat(refused.status()).as(file.toString()).isEqualTo(422);
			assertThat(refused.problemType()).isEqualTo("credentials-rejected");
			assertThat(refused.json().path("errors").findValuesAsString("field")).containsExactly("credentials.path");
			assertThat(refused.json().path("detail").asString()).contains("exec or auth-provider");
		}
		assertThat(count("select count(*) from clusters where name = 'plugin'")).isZero();
	}

	@Test
	void refusesAnApiServerUrlWithInClusterCredentials() {
		Response refused = this.api.post("/api/v1/clusters",
				"{\"name\": \"own\", \"apiServerUrl\": \"https://attacker.example:6443\", \"credentials\": {\"type\": \"inCluster\"}}");
		Response plain = this.api.post("/api/v1/clusters", "{\"name\": \"own\", \"credentials\": {\"type\": \"inCluster\"}}");

		assertThat(refused.status()).isEqualTo(422);
		assertThat(refused.problemType()).isEqualTo("credentials-rejected");
		assertThat(refused.json().path("errors").findValuesAsString("field")).containsExactly("apiServerUrl");
		assertThat(plain.status()).isEqualTo(201);
	}

	@Test
	void refusesAnApiServerUrlOtherThanTheServerItsKubeconfigNames() throws Exception {
		Path file = TestInfrastructure.kubeconfigDirectory().resolve("named-server.kubeconfig");
		Files.writeString(file, kubeconfig("https://10.0.0.1:6443", "token: t"));
		String registration = "{\"name\": \"%s\", \"apiServerUrl\": \"%s\", \"credentials\": {\"type\": \"kubeconfig\", \"path\": \""
				+ file + "\"}}";

		Response elsewhere = this.api.post("/api/v1/clusters", registration.formatted("redirected", "https://attacker.example:6443"));
		Response same = this.api.post("/api/v1/clusters", registration.formatted("named", "https://10.0.0.1:6443/"));

		assertThat(elsewhere.status()).isEqualTo(422);
		assertThat(elsewhere.problemType()).isEqualTo("credentials-rejected");
		assertThat(elsewhere.json().path("errors").findValuesAsString("field")).containsExactly("apiServerUrl");
		assertThat(elsewhere.json().path("errors").get(0).path("message").asString()).contains("server the kubeconfig's context names");
		assertThat(count("select count(*) from clusters where name = 'redirected'")).isZero();
		assertThat(same.status()).isEqualTo(201);
	}

	static String kubeconfigCluster(String name, String path) {
		return "{\"name\": \"" + name + "\", \"credentials\": {\"type\": \"kubeconfig\", \"path\": \"" + path + "\"}}";
	}

	static String kubeconfig(String server, String user) {
		return """
				apiVersion: v1
				kind: Config
				clusters:
				- name: c
				  cluster: {server: '%s'}
				contexts:
				- name: c
				  context: {cluster: c, user: u}
				current-context: c
				users:
				- name: u
				  user:
				    %s
				""".formatted(server, user);
	}

}
