package io.mlplatform.storage.cluster;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.MockCluster;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A cluster's health and queue, as the API and Prometheus show them, through an outage and back. */
class ClusterHealthIntegrationTests extends IntegrationTestSupport {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private final MockCluster cluster = TestInfrastructure.cluster();

	private JsonStatus local() {
		Response response = this.api.get("/api/v1/clusters/local");
		var status = response.json().path("status");
		return new JsonStatus(status.path("reachable").isBoolean() ? status.path("reachable").asBoolean() : null,
				status.path("lastContact").asString(null), status.path("lastError").asString(null),
				status.path("pendingChanges").asLong(), response.etag());
	}

	private record JsonStatus(Boolean reachable, String lastContact, String lastError, long pendingChanges, String etag) {
	}

	private String scrape() {
		return new ApiClient(this.port).get("/actuator/prometheus").body();
	}

	private static double metric(String scrape, String name, String tags) {
		Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name + "{" + tags) + "[^}]*} (\\S+)$").matcher(scrape);
		return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
	}

	@Test
	void aConflictOnOneObjectRetriesThatObjectAloneAndTheClusterStaysReachable() {
		String storages = "/api/v1/projects/nlp/storages";
		this.api.put("/api/v1/projects/nlp", "{}");
		this.api.post(storages, "{\"name\": \"contested\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> "Synced".equals(syncState("contested")));
		double unreachableBefore = orZero(metric(scrape(), "pss_cluster_apply_errors_total", "cluster=\"local\",reason=\"unreachable\""));
		this.cluster.conflictOnWrites("/apis/storage.mlplatform.io/v1alpha1/namespaces/nlp/projectstorages/contested", 2);

		this.api.patch(storages + "/contested", "{\"capacity\": \"2Gi\"}");
		this.api.post(storages, "{\"name\": \"bystander\", \"capacity\": \"1Gi\"}");

		await().atMost(WAIT).until(() -> "Synced".equals(syncState("bystander")) && "Synced".equals(syncState("contested")));
		assertThat(this.cluster.client().resources(io.mlplatform.storage.cluster.crd.ProjectStorage.class).inNamespace("nlp")
			.withName("contested").get().getSpec().capacity()).isEqualTo("2Gi");
		String scrape = scrape();
		assertThat(metric(scrape, "pss_cluster_apply_errors_total", "cluster=\"local\",reason=\"conflict\"")).isEqualTo(2);
		assertThat(orZero(metric(scrape, "pss_cluster_apply_errors_total", "cluster=\"local\",reason=\"unreachable\"")))
			.as("a conflict says nothing about the cluster").isEqualTo(unreachableBefore);
		assertThat(local().reachable()).isTrue();
		assertThat(local().lastError()).isNull();
	}

	private String syncState(String storage) {
		return this.api.get("/api/v1/projects/nlp/storages/" + storage).json().path("status").path("syncState").asString();
	}

	private static double orZero(double value) {
		return Double.isNaN(value) ? 0 : value;
	}

	@Test
	void anOutageShowsOnTheClusterAndInMetricsUntilTheClusterIsBack() {
		this.api.put("/api/v1/projects/nlp", "{}");
		this.cluster.stop();
		try {
			for (int i = 0; i < 3; i++) {
				this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"s" + i + "\", \"capacity\": \"1Gi\"}");
			}

			await().atMost(WAIT).until(() -> Boolean.FALSE.equals(local().reachable()) && local().pendingChanges() >= 3);
			JsonStatus down = local();
			assertThat(down.lastError()).contains("unreachable");
			await().atMost(WAIT).until(() -> {
				String scrape = scrape();
				return metric(scrape, "pss_cluster_reachable", "cluster=\"local\"") == 0
						&& metric(scrape, "pss_cluster_pending_changes", "cluster=\"local\"") >= 3
						&& metric(scrape, "pss_cluster_reconcile_lag_seconds", "cluster=\"local\"") > 0
						&& metric(scrape, "pss_cluster_apply_errors_total", "cluster=\"local\",reason=\"unreachable\"") >= 3;
			});
		}
		finally {
			this.cluster.restart();
		}

		await().atMost(Duration.ofSeconds(90)).until(() -> Boolean.TRUE.equals(local().reachable()) && local().pendingChanges() == 0);
		JsonStatus up = local();
		assertThat(up.lastError()).isNull();
		assertThat(up.lastContact()).isNotNull();
		assertThat(this.api.get("/api/v1/clusters/local", "If-None-Match", up.etag()).status()).isEqualTo(304);
		await().atMost(WAIT).until(() -> {
			String scrape = scrape();
			return metric(scrape, "pss_cluster_reachable", "cluster=\"local\"") == 1
					&& metric(scrape, "pss_cluster_pending_changes", "cluster=\"local\"") == 0
					&& metric(scrape, "pss_cluster_reconcile_lag_seconds", "cluster=\"local\"") == 0
					&& metric(scrape, "pss_cluster_last_contact_seconds", "cluster=\"local\"") > 0;
		});
		assertThat(this.api.get("/api/v1/clusters").json().path("items").get(0).path("status").path("reachable").asBoolean())
			.isTrue();
	}

}
