package io.mlplatform.storage.cluster;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterApiIntegrationTests extends IntegrationTestSupport {

	private static final String WEST = """
			{"name": "gpu-west", "apiServerUrl": "https://10.0.0.1:6443",
			 "credentials": {"type": "kubeconfig", "path": "/etc/pss/secret-west.kubeconfig", "context": "west"},
			 "defaultStorageClass": "nfs-fast", "defaultBackupTarget": "s3://backups-west",
			 "labels": {"region": "west"}}""";

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
			assertThat(response.body()).doesNotContain("secret-west").doesNotContain("/etc/pss").doesNotContain("context");
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
		Response missing = this.api.post("/api/v1/clusters", "{\"name\": \"x\"}");
		Response badType = this.api.post("/api/v1/clusters", "{\"name\": \"x\", \"credentials\": {\"type\": \"token\"}}");
		Response noPath = this.api.post("/api/v1/clusters", "{\"name\": \"x\", \"credentials\": {\"type\": \"kubeconfig\"}}");

		assertThat(missing.status()).isEqualTo(400);
		assertThat(missing.json().path("errors").findValuesAsString("field")).contains("credentials");
		assertThat(badType.json().path("errors").findValuesAsString("field")).contains("credentials.type");
		assertThat(noPath.json().path("errors").findValuesAsString("field")).contains("credentials.path");
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

}
