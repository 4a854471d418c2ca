package io.mlplatform.storage;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;

/** What the platform's probes and metrics scraper see: no token needed, nothing secret. */
class OperationsIntegrationTests extends IntegrationTestSupport {

	@Test
	void probesAnswerAndReadinessIncludesTheDatabase() {
		ApiClient anonymous = new ApiClient(this.port);

		Response liveness = anonymous.get("/actuator/health/liveness");
		Response readiness = anonymous.get("/actuator/health/readiness");

		assertThat(liveness.status()).isEqualTo(200);
		assertThat(liveness.json().path("status").asString()).isEqualTo("UP");
		assertThat(readiness.status()).isEqualTo(200);
		assertThat(readiness.json().path("status").asString()).isEqualTo("UP");
		// details are not shown to anonymous callers; that the db check is part of the group is in its config
		assertThat(readiness.body()).doesNotContain("jdbc:");
	}

	@Test
	void prometheusScrapeShowsRequestLatencyByRouteWithoutTokens() {
		createProject("nlp");
		this.api.get("/api/v1/projects/nlp");

		Response scrape = new ApiClient(this.port).get("/actuator/prometheus");

		assertThat(scrape.status()).isEqualTo(200);
		assertThat(scrape.body()).contains("http_server_requests_seconds_count")
			.contains("uri=\"/api/v1/projects/{project}\"")
			.contains("hikaricp_connections_active")
			.doesNotContain("Bearer")
			.doesNotContain("eyJ");
	}

}
