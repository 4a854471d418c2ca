package io.mlplatform.storage.security;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class AuditIntegrationTests extends IntegrationTestSupport {

	@Test
	void recordsWhoChangedWhatWithBeforeAndAfter() {
		this.api.post("/api/v1/projects", "{\"name\": \"nlp\", \"owners\": [\"group:nlp-leads\"]}");
		ApiClient owner = this.api.as(TestInfrastructure.userToken("alice", 600, "nlp-leads"));
		owner.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}", "X-Request-Id", "req-1");
		owner.patch("/api/v1/projects/nlp/storages/data", "{\"capacity\": \"2Gi\"}");
		owner.patch("/api/v1/projects/nlp/storages/data", "{\"capacity\": \"1Gi\"}");
		owner.delete("/api/v1/projects/nlp/storages/data");

		Response trail = this.api.get("/api/v1/audit?project=nlp");

		List<String> actions = new ArrayList<>();
		trail.json().path("items").forEach(e -> actions.add(e.path("action").asString() + ":" + e.path("result").asString()));
		assertThat(actions).containsExactly("storage.delete:deleted", "storage.patch:updated", "storage.create:created",
				"project.create:created");
		JsonNode patch = trail.json().path("items").get(1);
		assertThat(patch.path("actor").asString()).isEqualTo("user:alice");
		assertThat(patch.path("via").asString()).isEqualTo("user");
		assertThat(patch.path("target").asString()).isEqualTo("projects/nlp/storages/data");
		assertThat(patch.path("summary").path("before").path("capacity").asString()).isEqualTo("1Gi");
		assertThat(patch.path("summary").path("after").path("capacity").asString()).isEqualTo("2Gi");
		assertThat(trail.json().path("items").get(2).path("requestId").asString()).isEqualTo("req-1");
		assertThat(actor("user:admin")).isEqualTo(1);
	}

	@Test
	void ownersSeeTheirProjectsAndPagesGoNewestFirst() {
		this.api.post("/api/v1/projects", "{\"name\": \"nlp\", \"owners\": [\"group:nlp-leads\"]}");
		this.api.post("/api/v1/projects", "{\"name\": \"vision\"}");
		for (int i = 0; i < 5; i++) {
			this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"s%d\", \"capacity\": \"1Gi\"}".formatted(i));
		}
		ApiClient owner = this.api.as(TestInfrastructure.userToken("alice", 600, "nlp-leads"));

		List<String> targets = new ArrayList<>();
		String token = null;
		do {
			Response page = owner.get("/api/v1/audit?pageSize=2" + (token == null ? "" : "&pageToken=" + token));
			assertThat(page.status()).isEqualTo(200);
			page.json().path("items").forEach(e -> targets.add(e.path("target").asString()));
			token = page.json().has("nextPageToken") ? page.json().path("nextPageToken").asString() : null;
		}
		while (token != null);

		assertThat(targets).containsExactly("projects/nlp/storages/s4", "projects/nlp/storages/s3",
				"projects/nlp/storages/s2", "projects/nlp/storages/s1", "projects/nlp/storages/s0", "projects/nlp");
		assertThat(owner.get("/api/v1/audit?project=vision").status()).isEqualTo(404);
		assertThat(this.api.get("/api/v1/audit?action=project.create").json().path("items").size()).isEqualTo(2);
	}

	@Test
	void refusedCallsLeaveNoTrace() {
		this.api.post("/api/v1/projects", "{\"name\": \"nlp\"}");
		this.api.put("/api/v1/projects/nlp/quota", "{\"maxStorages\": 0}");
		long before = count("select count(*) from audit_events");

		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"BAD\", \"capacity\": \"1Gi\"}");
		this.api.post("/api/v1/projects", "{\"name\": \"nlp\", \"displayName\": \"other\"}");

		assertThat(count("select count(*) from audit_events")).isEqualTo(before);
	}

	private long actor(String actor) {
		return count("select count(*) from audit_events where actor = ?", actor);
	}

}
