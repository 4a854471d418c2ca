package io.mlplatform.storage.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.fabric8.kubernetes.api.model.SecretBuilder;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.MockCluster;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.cluster.crd.ProjectStorage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Credentials as the reconciler uses them: a kubeconfig held in a Kubernetes secret of the service's
 * own cluster (here the tests' cluster), naming another cluster (a second in-memory API); and what
 * the service refuses when it connects, without ever running a plugin or printing a credential.
 */
@ExtendWith(OutputCaptureExtension.class)
class ClusterCredentialsIntegrationTests extends IntegrationTestSupport {

	private static final Duration WAIT = Duration.ofSeconds(20);

	/** The service's own namespace, where its Role lets it read secrets (k8s/rbac.yaml). */
	private static final String OWN_NAMESPACE = "project-storage";

	private static final String TOKEN = "tok-3f9a7c1e-never-print-me";

	private static MockCluster west;

	private static String westKubeconfig;

	@BeforeAll
	static void startWest() throws Exception {
		west = MockCluster.start(0);
		westKubeconfig = Files.readString(west.writeKubeconfig(Files.createTempFile("west", ".kubeconfig")))
			.replace("token: local", "token: " + TOKEN);
	}

	@AfterAll
	static void stopWest() {
		west.stop();
	}

	@BeforeEach
	void clearWest() {
		west.clear();
	}

	private void secret(String name, String kubeconfig) {
		TestInfrastructure.cluster()
			.client()
			.secrets()
			.inNamespace(OWN_NAMESPACE)
			.resource(new SecretBuilder().withNewMetadata()
				.withName(name)
				.withNamespace(OWN_NAMESPACE)
				.endMetadata()
				.withData(Map.of("kubeconfig",
						Base64.getEncoder().encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8))))
				.build())
			.createOr(existing -> existing.update());
	}

	private Response storageIn(String cluster) {
		this.api.put("/api/v1/projects/nlp", "{}");
		return this.api.post("/api/v1/projects/nlp/storages",
				"{\"name\": \"in-" + cluster + "\", \"capacity\": \"1Gi\", \"cluster\": \"" + cluster + "\"}");
	}

	private String lastError(String cluster) {
		return this.api.get("/api/v1/projects/nlp/storages/in-" + cluster).json().path("status").path("lastError").asString("");
	}

	@Test
	void aKubeconfigInASecretReachesItsCluster(CapturedOutput output) {
		secret("west-kubeconfig", westKubeconfig);
		Response registered = this.api.post("/api/v1/clusters", """
				{"name": "west", "credentials": {"type": "secret", "namespace": "%s", "name": "west-kubeconfig"}}"""
			.formatted(OWN_NAMESPACE));

		assertThat(registered.status()).isEqualTo(201);
		assertThat(registered.json().path("credentialsType").asString()).isEqualTo("secret");
		assertThat(registered.body()).doesNotContain("west-kubeconfig").doesNotContain(OWN_NAMESPACE);
		assertThat(storageIn("west").status()).isEqualTo(201);

		await().atMost(WAIT).until(() -> west.client().resources(ProjectStorage.class).inNamespace("nlp").withName("in-west").get() != null);
		await().atMost(WAIT).until(() -> "Synced".equals(this.api.get("/api/v1/projects/nlp/storages/in-west").json()
			.path("status").path("syncState").asString()));
		assertThat(TestInfrastructure.cluster().client().resources(ProjectStorage.class).inAnyNamespace().list().getItems())
			.as("nothing written into the cluster holding the secret").isEmpty();
		assertThat(output.getAll()).doesNotContain(TOKEN).doesNotContain("west-kubeconfig");
	}

	@Test
	void aSecretsKubeconfigIsNeverRedirectedToTheRegisteredApiServerUrl(CapturedOutput output) {
		secret("north-kubeconfig", westKubeconfig);
		MockCluster attacker = MockCluster.start(0);
		try {
			this.api.post("/api/v1/clusters", """
					{"name": "north", "apiServerUrl": "%s", "credentials": {"type": "secret", "namespace": "%s", "name": "north-kubeconfig"}}"""
				.formatted(attacker.url(), OWN_NAMESPACE));

			assertThat(storageIn("north").status()).isEqualTo(201);

			await().atMost(WAIT).until(() -> lastError("north").contains("credentials cannot be used"));
			await().atMost(WAIT).until(() -> output.getAll().contains("Cannot connect to cluster 'north'"));
			assertThat(attacker.client().resources(ProjectStorage.class).inAnyNamespace().list().getItems()).isEmpty();
			assertThat(west.client().resources(ProjectStorage.class).inAnyNamespace().list().getItems()).isEmpty();
			assertThat(output.getAll()).doesNotContain(TOKEN);
		}
		finally {
			attacker.stop();
		}
	}

	@Test
	void aMissingSecretLeavesTheStoragePendingAndNamesNoCredentials(CapturedOutput output) {
		this.api.post("/api/v1/clusters", """
				{"name": "east", "credentials": {"type": "secret", "namespace": "%s", "name": "east-kubeconfig-missing"}}"""
			.formatted(OWN_NAMESPACE));

		assertThat(storageIn("east").status()).isEqualTo(201);

		await().atMost(WAIT).until(() -> lastError("east").contains("credentials cannot be used"));
		assertThat(this.api.get("/api/v1/projects/nlp/storages/in-east").json().path("status").path("syncState").asString())
			.isEqualTo("Pending");
		await().atMost(WAIT).until(() -> output.getAll().contains("Cannot connect to cluster 'east'"));
		assertThat(output.getAll()).doesNotContain("east-kubeconfig-missing");
	}

	@Test
	void aPluginInAKubeconfigIsNeverRunNeitherFromASecretNorFromAFileChangedAfterRegistration(CapturedOutput output)
			throws Exception {
		Path marker = Files.createTempDirectory("plugin").resolve("ran");
		String exec = ClusterApiIntegrationTests.kubeconfig(west.url(), "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, 'touch "
				+ marker + "'], env: [{name: SECRET, value: " + TOKEN + "}]}");
		secret("plugin-kubeconfig", exec);
		this.api.post("/api/v1/clusters", """
				{"name": "plugin", "credentials": {"type": "secret", "namespace": "%s", "name": "plugin-kubeconfig"}}"""
			.formatted(OWN_NAMESPACE));
		Path file = TestInfrastructure.kubeconfigDirectory().resolve("changed.kubeconfig");
		Files.writeString(file, westKubeconfig);
		assertThat(this.api.post("/api/v1/clusters", ClusterApiIntegrationTests.kubeconfigCluster("changed", file.toString()))
			.status()).isEqualTo(201);
		Files.writeString(file, exec);

		storageIn("plugin");
		storageIn("changed");

		await().atMost(WAIT).until(() -> lastError("plugin").contains("credentials cannot be used")
				&& lastError("changed").contains("credentials cannot be used"));
		assertThat(marker).doesNotExist();
		assertThat(west.client().resources(ProjectStorage.class).inAnyNamespace().list().getItems()).isEmpty();
		assertThat(output.getAll()).contains("exec or auth-provider plugin")
			.doesNotContain(TOKEN)
			.doesNotContain("changed.kubeconfig")
			.doesNotContain("plugin-kubeconfig");
	}

}
