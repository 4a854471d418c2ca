package io.mlplatform.storage.quota;

import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** A quota's caps per cluster, over HTTP, beside a second cluster that has no cap unless a test gives it one. */
class QuotaClusterCapsIntegrationTests extends IntegrationTestSupport {

	private static final String QUOTA = "/api/v1/projects/nlp/quota";

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@BeforeEach
	void projectAndASecondCluster() {
		createProject("nlp");
		assertThat(this.api.post("/api/v1/clusters", "{\"name\": \"gpu-west\", \"credentials\": {\"type\": \"inCluster\"}}")
			.status()).isEqualTo(201);
	}

	private Response create(String name, String capacity, String cluster) {
		return this.api.post(STORAGES,
				"{\"name\": \"%s\", \"capacity\": \"%s\", \"cluster\": \"%s\"}".formatted(name, capacity, cluster));
	}

	@Test
	void reportsUsedAndRemainingInEachCappedClusterOnly() {
		this.api.put(QUOTA, "{\"capacity\": \"2Ti\", \"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\", \"maxStorages\": 3}}}");
		create("a", "100Gi", "local");
		create("b", "400Gi", "gpu-west");
		create("c", "100Gi", "gpu-west");

		JsonNode quota = this.api.get(QUOTA).json();

		assertThat(quota.path("clusters").size()).as("an uncapped cluster is not listed").isEqualTo(1);
		JsonNode west = quota.path("clusters").path("gpu-west");
		assertThat(west.path("capacity").asString()).isEqualTo("1Ti");
		assertThat(west.path("capacityBytes").asLong()).isEqualTo(1L << 40);
		assertThat(west.path("maxStorages").asInt()).isEqualTo(3);
		assertThat(west.path("used").path("capacity").asString()).isEqualTo("500Gi");
		assertThat(west.path("used").path("storages").asLong()).isEqualTo(2);
		assertThat(west.path("remaining").path("capacity").asString()).isEqualTo("524Gi");
		assertThat(west.path("remaining").path("storages").asLong()).isEqualTo(1);
		assertThat(quota.path("used").path("capacity").asString()).isEqualTo("600Gi");

		JsonNode tighter = this.api.put(QUOTA, "{\"capacity\": \"700Gi\", \"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\"}}}")
			.json()
			.path("clusters")
			.path("gpu-west");
		assertThat(tighter.path("remaining").path("capacity").asString()).as("the totals leave less").isEqualTo("100Gi");
		assertThat(tighter.path("remaining").has("storages")).isFalse();
	}

	@Test
	void refusesACreateOrApplyBeyondAClustersCapAndNamesTheCluster() {
		this.api.put(QUOTA, "{\"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\"}}}");
		create("a", "900Gi", "gpu-west");

		Response refused = create("b", "200Gi", "gpu-west");
		Response refusedByApply = this.api.put(STORAGES + "/c", "{\"capacity\": \"200Gi\", \"cluster\": \"gpu-west\"}");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("quota-exceeded");
		assertThat(refused.json().path("detail").asString()).contains("cluster 'gpu-west'")
			.contains("124Gi remains")
			.contains("200Gi");
		assertThat(refusedByApply.status()).isEqualTo(409);
		assertThat(refusedByApply.problemType()).isEqualTo("quota-exceeded");
		assertThat(count("select count(*) from storages where cluster = 'gpu-west'")).isEqualTo(1);
		assertThat(create("b", "200Gi", "local").status()).as("another cluster has no cap").isEqualTo(201);
		assertThat(create("c", "124Gi", "gpu-west").status()).isEqualTo(201);
	}

	@Test
	void refusesAResizeBeyondAClustersCapByPatchOrApply() {
		this.api.put(QUOTA, "{\"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\"}}}");
		create("a", "512Gi", "gpu-west");
		create("b", "256Gi", "gpu-west");
		create("c", "1Ti", "local");

		Response refused = this.api.patch(STORAGES + "/a", "{\"capacity\": \"1Ti\"}");
		Response refusedByApply = this.api.put(STORAGES + "/a", "{\"capacity\": \"800Gi\", \"cluster\": \"gpu-west\"}");
		Response fits = this.api.patch(STORAGES + "/a", "{\"capacity\": \"768Gi\"}");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.json().path("detail").asString()).contains("cluster 'gpu-west'").contains("256Gi remains");
		assertThat(refusedByApply.status()).isEqualTo(409);
		assertThat(fits.status()).isEqualTo(200);
		assertThat(count("select sum(capacity_bytes) from storages where cluster = 'gpu-west'")).isEqualTo(1L << 40);
		assertThat(this.api.patch(STORAGES + "/c", "{\"capacity\": \"2Ti\"}").status()).isEqualTo(200);
	}

	@Test
	void countsStoragesPerClusterAndADeletedOneFreesItsPlace() {
		this.api.put(QUOTA, "{\"clusters\": {\"local\": {\"maxStorages\": 1}}}");
		create("a", "1Gi", "local");

		Response refused = create("b", "1Gi", "local");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.json().path("detail").asString()).contains("at most 1 storages in cluster 'local'");
		assertThat(create("b", "1Gi", "gpu-west").status()).isEqualTo(201);
		this.api.delete(STORAGES + "/a");
		awaitGone(STORAGES + "/a");
		assertThat(create("c", "2Gi", "local").status()).isEqualTo(201);
		assertThat(count("select used_storages from quota_clusters where cluster = 'local'")).isEqualTo(1);
		assertThat(count("select used_bytes from quota_clusters where cluster = 'local'")).isEqualTo(2L << 30);
	}

	@Test
	void capsBelowUsageBlockOnlyGrowthAndPatchChangesOrRemovesOneCap() {
		create("a", "100Gi", "local");

		Response lowered = this.api.put(QUOTA, "{\"clusters\": {\"local\": {\"capacity\": \"50Gi\", \"maxStorages\": 10}}}");

		assertThat(lowered.status()).isEqualTo(200);
		assertThat(lowered.json().path("clusters").path("local").path("used").path("capacity").asString()).isEqualTo("100Gi");
		assertThat(lowered.json().path("clusters").path("local").path("remaining").path("capacityBytes").asLong()).isZero();
		assertThat(this.api.patch(STORAGES + "/a", "{\"labels\": {\"still\": \"editable\"}}").status()).isEqualTo(200);
		assertThat(this.api.patch(STORAGES + "/a", "{\"capacity\": \"101Gi\"}").status()).isEqualTo(409);

		Response patched = this.api.patch(QUOTA, "{\"clusters\": {\"local\": {\"capacity\": null}}}", "If-Match", lowered.etag());
		assertThat(patched.json().path("clusters").path("local").has("capacity")).isFalse();
		assertThat(patched.json().path("clusters").path("local").path("maxStorages").asInt()).isEqualTo(10);
		assertThat(this.api.patch(STORAGES + "/a", "{\"capacity\": \"101Gi\"}").status()).isEqualTo(200);

		Response removed = this.api.patch(QUOTA, "{\"clusters\": {\"local\": null}}");
		assertThat(removed.json().path("clusters").size()).isZero();
		assertThat(count("select count(*) from quota_clusters")).isZero();
		assertThat(this.api.patch(QUOTA, "{\"maxStorages\": 1}", "If-Match", lowered.etag()).status()).isEqualTo(412);
	}

	@Test
	void refusesInvalidCapsWithoutWriting() {
		String etag = this.api.get(QUOTA).etag();

		Response invalid = this.api.put(QUOTA, """
				{"clusters": {"local": {"capacity": "-1Gi", "maxStorages": -1}, "gpu-west": {"capacity": "lots"},
				 "Bad_Name": {"capacity": "1Gi"}}}""");
		Response unknownField = this.api.unvalidated().put(QUOTA, "{\"clusters\": {\"local\": {\"capcity\": \"1Ti\"}}}");
		Response notAnObject = this.api.unvalidated().put(QUOTA, "{\"clusters\": {\"local\": \"1Ti\"}}");
		Response unknownCluster = this.api.put(QUOTA, "{\"clusters\": {\"nowhere\": {\"capacity\": \"1Ti\"}}}");

		assertThat(invalid.status()).isEqualTo(400);
		assertThat(invalid.problemType()).isEqualTo("validation-failed");
		assertThat(invalid.json().path("errors").findValuesAsString("field")).containsExactlyInAnyOrder(
				"clusters.local.capacity", "clusters.local.maxStorages", "clusters.gpu-west.capacity", "clusters");
		assertThat(unknownField.status()).isEqualTo(400);
		assertThat(unknownField.problemType()).isEqualTo("malformed-body");
		assertThat(notAnObject.status()).isEqualTo(400);
		assertThat(unknownCluster.status()).isEqualTo(422);
		assertThat(unknownCluster.problemType()).isEqualTo("unknown-cluster");
		assertThat(unknownCluster.json().path("errors").get(0).path("field").asString()).isEqualTo("clusters.nowhere");
		assertThat(unknownCluster.json().path("detail").asString()).contains("'nowhere'").contains("gpu-west, local");
		assertThat(count("select count(*) from quota_clusters")).isZero();
		assertThat(count("select count(*) from audit_events where action like 'quota.%'")).isZero();
		assertThat(this.api.get(QUOTA).etag()).isEqualTo(etag);
	}

	@Test
	void aCapOutlivesItsClusterSoTheQuotaAsReadCanBeWrittenBack() {
		String limits = "{\"capacity\": \"2Ti\", \"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\"}}}";
		this.api.put(QUOTA, limits);
		assertThat(this.api.delete("/api/v1/clusters/gpu-west").status()).isEqualTo(204);
		Response read = this.api.get(QUOTA);

		Response written = this.api.put(QUOTA, limits.replace("2Ti", "3Ti"), "If-Match", read.etag());

		assertThat(written.status()).isEqualTo(200);
		assertThat(written.json().path("clusters").path("gpu-west").path("capacity").asString()).isEqualTo("1Ti");
		assertThat(this.api.put(QUOTA, "{\"clusters\": {\"gpu-west\": {\"capacity\": \"2Ti\"}}}").status()).isEqualTo(200);
	}

	@Test
	void fiftyParallelCreatesAgainstAClustersCapOfOneTebibyteLeaveExactlyTen() throws Exception {
		this.api.put(QUOTA, "{\"clusters\": {\"gpu-west\": {\"capacity\": \"1Ti\"}}}");

		Map<Integer, Long> statuses = QuotaApiIntegrationTests.inParallel(50, i -> create("s%02d".formatted(i), "100Gi", "gpu-west"));

		assertThat(statuses).containsOnlyKeys(201, 409);
		assertThat(statuses.get(201)).isEqualTo(10);
		assertThat(count("select count(*) from storages where cluster = 'gpu-west' and deleted_at is null")).isEqualTo(10);
		assertThat(count("select used_bytes from quota_clusters where cluster = 'gpu-west'"))
			.isEqualTo(count("select sum(capacity_bytes) from storages where cluster = 'gpu-west'"))
			.isEqualTo(1000L << 30);
	}

}
