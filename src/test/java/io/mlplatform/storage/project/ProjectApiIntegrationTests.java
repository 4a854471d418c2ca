package io.mlplatform.storage.project;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

class ProjectApiIntegrationTests extends IntegrationTestSupport {

	private static final String NLP = """
			{"name": "nlp", "displayName": "NLP research", "labels": {"team": "nlp"},
			 "owners": ["group:nlp-leads"], "members": ["user:alice", "group:nlp"]}""";

	@Test
	void createsProjectWithDefaultsAndLocation() {
		Response created = this.api.post("/api/v1/projects", NLP);

		assertThat(created.status()).isEqualTo(201);
		assertThat(created.header("Location")).isEqualTo("/api/v1/projects/nlp");
		assertThat(created.etag()).matches("\"[A-Za-z0-9_-]{22}\"");
		assertThat(created.json().path("namespace").asString()).isEqualTo("nlp");
		assertThat(created.json().path("displayName").asString()).isEqualTo("NLP research");
		assertThat(created.json().path("members").toString()).isEqualTo("[\"group:nlp\",\"user:alice\"]");
		assertThat(created.json().path("createdAt").asString()).isNotEmpty();
		assertThat(count("select count(*) from projects where name = 'nlp'")).isEqualTo(1);
		assertThat(count("select count(*) from quotas q join projects p on p.id = q.project_id where p.name = 'nlp' "
				+ "and q.capacity_bytes is null and q.max_storages is null")).isEqualTo(1);
	}

	@Test
	void replayingTheSameCreateReturnsTheExistingProject() {
		Response first = this.api.post("/api/v1/projects", NLP);
		Response replay = this.api.post("/api/v1/projects", """
				{"name": "nlp", "displayName": "NLP research", "labels": {"team": "nlp"},
				 "owners": ["group:nlp-leads"], "members": ["group:nlp", "user:alice", "group:nlp"]}""");

		assertThat(replay.status()).isEqualTo(200);
		assertThat(replay.etag()).isEqualTo(first.etag());
		assertThat(replay.json()).isEqualTo(first.json());
		assertThat(count("select count(*) from projects")).isEqualTo(1);
	}

	@Test
	void rejectsCreateOfExistingNameWithDifferentSpec() {
		this.api.post("/api/v1/projects", NLP);

		Response conflict = this.api.post("/api/v1/projects", "{\"name\": \"nlp\", \"displayName\": \"Other\"}");

		assertThat(conflict.status()).isEqualTo(409);
		assertThat(conflict.header("Content-Type")).startsWith("application/problem+json");
		assertThat(conflict.problemType()).isEqualTo("already-exists");
		assertThat(conflict.json().path("detail").asString()).contains("'nlp'").contains("PUT or PATCH");
		assertThat(this.api.get("/api/v1/projects/nlp").json().path("displayName").asString())
			.isEqualTo("NLP research");
	}

	@Test
	void rejectsInvalidFieldsAllAtOnceAndWritesNothing() {
		Response invalid = this.api.post("/api/v1/projects", """
				{"name": "NLP_Team", "namespace": "-bad", "labels": {"bad key!": "x", "ok": "not ok!"},
				 "owners": ["alice"]}""");

		assertThat(invalid.status()).isEqualTo(400);
		assertThat(invalid.problemType()).isEqualTo("validation-failed");
		List<String> fields = new ArrayList<>();
		invalid.json().path("errors").forEach(e -> fields.add(e.path("field").asString()));
		assertThat(fields).containsExactlyInAnyOrder("name", "namespace", "labels.bad key!", "labels.ok",
				"owners[0]");
		assertThat(invalid.json().path("errors").get(0).path("rejectedValue").asString()).isEqualTo("NLP_Team");
		assertThat(count("select count(*) from projects")).isZero();
	}

	@Test
	void rejectsMissingNameAndOverlongName() {
		assertThat(this.api.post("/api/v1/projects", "{}").json().path("errors").get(0).path("field").asString())
			.isEqualTo("name");
		Response tooLong = this.api.post("/api/v1/projects", "{\"name\": \"" + "a".repeat(64) + "\"}");
		assertThat(tooLong.status()).isEqualTo(400);
		assertThat(count("select count(*) from projects")).isZero();
	}

	@Test
	void refusesANamespaceAnotherProjectHas() {
		this.api.post("/api/v1/projects", "{\"name\": \"nlp\"}");

		Response taken = this.api.post("/api/v1/projects", "{\"name\": \"vision\", \"namespace\": \"nlp\"}");

		assertThat(taken.status()).isEqualTo(409);
		assertThat(taken.problemType()).isEqualTo("namespace-taken");
		assertThat(count("select count(*) from projects")).isEqualTo(1);
	}

	@Test
	void getAnswersNotModifiedForItsOwnEtag() {
		Response created = this.api.post("/api/v1/projects", NLP);

		Response got = this.api.get("/api/v1/projects/nlp");
		Response notModified = this.api.get("/api/v1/projects/nlp", "If-None-Match", created.etag());

		assertThat(got.status()).isEqualTo(200);
		assertThat(got.etag()).isEqualTo(created.etag());
		assertThat(notModified.status()).isEqualTo(304);
		assertThat(notModified.body()).isEmpty();
	}

	@Test
	void unknownProjectIsNotFoundProblem() {
		Response missing = this.api.get("/api/v1/projects/nope");

		assertThat(missing.status()).isEqualTo(404);
		assertThat(missing.header("Content-Type")).startsWith("application/problem+json");
		assertThat(missing.problemType()).isEqualTo("not-found");
		assertThat(missing.json().path("instance").asString()).isEqualTo("/api/v1/projects/nope");
		assertThat(missing.json().path("requestId").asString()).isNotEmpty();
	}

	@Test
	void putCreatesThenReplacesExactlyAndHonoursPreconditions() {
		Response created = this.api.put("/api/v1/projects/nlp", NLP, "If-None-Match", "*");
		assertThat(created.status()).isEqualTo(201);

		Response createOnly = this.api.put("/api/v1/projects/nlp", NLP, "If-None-Match", "*");
		assertThat(createOnly.status()).isEqualTo(412);
		assertThat(createOnly.problemType()).isEqualTo("precondition-failed");

		Response replaced = this.api.put("/api/v1/projects/nlp", "{\"labels\": {\"tier\": \"gold\"}}", "If-Match",
				created.etag());
		assertThat(replaced.status()).isEqualTo(200);
		assertThat(replaced.json().path("labels").toString()).isEqualTo("{\"tier\":\"gold\"}");
		assertThat(replaced.json().has("displayName")).isFalse();
		assertThat(replaced.json().path("owners").size()).isZero();
		assertThat(replaced.etag()).isNotEqualTo(created.etag());

		Response stale = this.api.put("/api/v1/projects/nlp", NLP, "If-Match", created.etag());
		assertThat(stale.status()).isEqualTo(412);
		assertThat(this.api.get("/api/v1/projects/nlp").json().path("labels").toString())
			.isEqualTo("{\"tier\":\"gold\"}");
	}

	@Test
	void putRefusesANameThatDiffersFromTheUrlAndAMovedNamespace() {
		this.api.put("/api/v1/projects/nlp", "{}");

		Response otherName = this.api.put("/api/v1/projects/nlp", "{\"name\": \"vision\"}");
		Response moved = this.api.put("/api/v1/projects/nlp", "{\"namespace\": \"elsewhere\"}");

		assertThat(otherName.status()).isEqualTo(400);
		assertThat(otherName.json().path("errors").get(0).path("field").asString()).isEqualTo("name");
		assertThat(moved.status()).isEqualTo(422);
		assertThat(moved.problemType()).isEqualTo("immutable-field");
		assertThat(count("select count(*) from projects where namespace = 'nlp'")).isEqualTo(1);
	}

	@Test
	void patchMergesAndRemovesWithNull() {
		Response created = this.api.post("/api/v1/projects", NLP);

		Response patched = this.api.patch("/api/v1/projects/nlp",
				"{\"labels\": {\"team\": null, \"tier\": \"gold\"}, \"displayName\": null}", "If-Match",
				created.etag());

		assertThat(patched.status()).isEqualTo(200);
		assertThat(patched.json().path("labels").toString()).isEqualTo("{\"tier\":\"gold\"}");
		assertThat(patched.json().has("displayName")).isFalse();
		assertThat(patched.json().path("owners").toString()).isEqualTo("[\"group:nlp-leads\"]");
		assertThat(this.api.patch("/api/v1/projects/nlp", "{\"displayName\": \"x\"}", "If-Match", created.etag())
			.status()).isEqualTo(412);
	}

	@Test
	void patchRefusesUnknownFieldsAndBadValuesWithoutWriting() {
		// requests the contract does not allow, on purpose
		this.api = this.api.unvalidated();
		this.api.post("/api/v1/projects", NLP);

		Response unknown = this.api.patch("/api/v1/projects/nlp", "{\"displayname\": \"typo\"}");
		Response badLabel = this.api.patch("/api/v1/projects/nlp", "{\"labels\": {\"team\": \"no spaces\"}}");
		Response renamed = this.api.patch("/api/v1/projects/nlp", "{\"name\": \"vision\"}");

		assertThat(unknown.status()).isEqualTo(400);
		assertThat(unknown.json().path("detail").asString()).contains("displayname").contains("displayName");
		assertThat(badLabel.status()).isEqualTo(400);
		assertThat(renamed.status()).isEqualTo(400);
		assertThat(this.api.get("/api/v1/projects/nlp").json().path("labels").toString())
			.isEqualTo("{\"team\":\"nlp\"}");
		assertThat(this.api.patch("/api/v1/projects/nope", "{}").status()).isEqualTo(404);
	}

	@Test
	void deletesAnEmptyProjectButNotOneWithStorages() {
		this.api.post("/api/v1/projects", NLP);
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");

		Response refused = this.api.delete("/api/v1/projects/nlp");
		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("project-not-empty");
		assertThat(refused.json().path("detail").asString()).contains("1 storage");
		assertThat(count("select count(*) from projects")).isEqualTo(1);

		assertThat(this.api.delete("/api/v1/projects/nlp/storages/data").status()).isEqualTo(202);
		awaitGone("/api/v1/projects/nlp/storages/data");
		assertThat(this.api.delete("/api/v1/projects/nlp", "If-Match", "\"stale\"").status()).isEqualTo(412);
		assertThat(this.api.delete("/api/v1/projects/nlp").status()).isEqualTo(204);
		assertThat(this.api.get("/api/v1/projects/nlp").status()).isEqualTo(404);
		assertThat(count("select count(*) from projects")).isZero();
		assertThat(count("select count(*) from quotas")).isZero();
		assertThat(this.api.delete("/api/v1/projects/nlp").status()).isEqualTo(404);
	}

	@Test
	void listsByNameInPagesAndFiltersByLabels() {
		for (String name : List.of("e", "a-b", "ab", "c", "d", "b", "a")) {
			String tier = name.startsWith("a") ? "gold" : "silver";
			this.api.post("/api/v1/projects", "{\"name\": \"%s\", \"labels\": {\"tier\": \"%s\"}}".formatted(name, tier));
		}
		List<String> names = new ArrayList<>();
		String token = null;
		int pages = 0;
		do {
			Response page = this.api.get("/api/v1/projects?pageSize=3" + (token == null ? "" : "&pageToken=" + token));
			assertThat(page.status()).isEqualTo(200);
			page.json().path("items").forEach(p -> names.add(p.path("name").asString()));
			token = page.json().has("nextPageToken") ? page.json().path("nextPageToken").asString() : null;
			pages++;
		}
		while (token != null);

		assertThat(names).containsExactly("a", "a-b", "ab", "b", "c", "d", "e");
		assertThat(pages).isEqualTo(3);

		Response gold = this.api.get("/api/v1/projects?labelSelector=tier%3Dgold");
		assertThat(gold.json().path("items").size()).isEqualTo(3);
		Response notGold = this.api.get("/api/v1/projects?labelSelector=tier+notin+(gold)");
		assertThat(notGold.json().path("items").size()).isEqualTo(4);
		Response none = this.api.get("/api/v1/projects?labelSelector=!tier");
		assertThat(none.json().path("items").size()).isZero();
		assertThat(none.json().has("nextPageToken")).isFalse();
	}

	@Test
	void refusesAPageTokenFromAnotherQuery() {
		for (String name : List.of("a", "b", "c")) {
			this.api.post("/api/v1/projects", "{\"name\": \"%s\"}".formatted(name));
		}
		String token = this.api.get("/api/v1/projects?pageSize=1").json().path("nextPageToken").asString();

		Response otherQuery = this.api.get("/api/v1/projects?pageSize=1&labelSelector=x&pageToken=" + token);
		Response garbage = this.api.get("/api/v1/projects?pageToken=bm90LWEtdG9rZW4");
		Response notBase64 = this.api.get("/api/v1/projects?pageToken=not!base64");

		assertThat(otherQuery.status()).isEqualTo(400);
		assertThat(otherQuery.problemType()).isEqualTo("invalid-page-token");
		assertThat(garbage.status()).isEqualTo(400);
		assertThat(notBase64.problemType()).isEqualTo("invalid-page-token");
	}

}
