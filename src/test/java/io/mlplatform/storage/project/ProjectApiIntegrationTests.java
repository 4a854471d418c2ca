package io.mlplatform.storage.project;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

class ProjectApiIntegrationTests extends IntegrationTestSupport {

	@Test
	void createsProjectWithDefaultsAndLocation() {
		Response created = this.api.post("/api/v1/projects", """
				{"name": "nlp", "displayName": "NLP research", "labels": {"team": "nlp"},
				 "owners": ["group:nlp-leads"], "members": ["group:nlp", "user:alice"]}""");

		assertThat(created.status()).isEqualTo(201);
		assertThat(created.header("Location")).isEqualTo("/api/v1/projects/nlp");
		assertThat(created.etag()).matches("\"[A-Za-z0-9_-]{22}\"");
		assertThat(created.json().path("namespace").asString()).isEqualTo("nlp");
		assertThat(created.json().path("members").toString()).isEqualTo("[\"group:nlp\",\"user:alice\"]");
		assertThat(count("select count(*) from projects where name = 'nlp'")).isEqualTo(1);
		assertThat(count("select count(*) from quotas q join projects p on p.id = q.project_id where p.name = 'nlp' "
				+ "and q.capacity_bytes is null and q.max_storages is null")).isEqualTo(1);
	}

}
