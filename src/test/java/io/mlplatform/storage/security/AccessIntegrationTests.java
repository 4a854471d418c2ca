package io.mlplatform.storage.security;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

class AccessIntegrationTests extends IntegrationTestSupport {

	private ApiClient anonymous;

	private ApiClient nlpOwner;

	private ApiClient nlpMember;

	private ApiClient visionMember;

	@BeforeEach
	void twoTeams() {
		this.api.post("/api/v1/projects",
				"{\"name\": \"nlp\", \"owners\": [\"group:nlp-leads\"], \"members\": [\"group:nlp\", \"user:carol\"]}");
		this.api.post("/api/v1/projects", "{\"name\": \"vision\", \"members\": [\"group:vision\"]}");
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		this.anonymous = this.api.as(null);
		this.nlpOwner = this.api.as(TestInfrastructure.userToken("alice", 600, "nlp-leads"));
		this.nlpMember = this.api.as(TestInfrastructure.userToken("bob", 600, "nlp"));
		this.visionMember = this.api.as(TestInfrastructure.userToken("dave", 600, "vision"));
	}

	@Test
	void anonymousAndExpiredCallersAreUnauthorized() {
		Response anonymous = this.anonymous.get("/api/v1/projects");
		Response expired = this.api.as(TestInfrastructure.userToken("alice", -60, "nlp-leads")).get("/api/v1/projects");
		Response garbage = this.api.as("not-a-token").get("/api/v1/projects");

		assertThat(anonymous.status()).isEqualTo(401);
		assertThat(anonymous.header("WWW-Authenticate")).isEqualTo("Bearer");
		assertThat(anonymous.problemType()).isEqualTo("unauthorized");
		assertThat(anonymous.header("Content-Type")).startsWith("application/problem+json");
		assertThat(expired.status()).isEqualTo(401);
		assertThat(expired.header("WWW-Authenticate")).contains("invalid_token");
		assertThat(garbage.status()).isEqualTo(401);
		assertThat(this.anonymous.get("/actuator/health").status()).isEqualTo(200);
		assertThat(this.anonymous.get("/v3/api-docs").status()).isEqualTo(200);
	}

	@Test
	void aProjectWithoutARoleLooksExactlyLikeOneThatDoesNotExist() {
		Response hidden = this.visionMember.get("/api/v1/projects/nlp");
		Response missing = this.visionMember.get("/api/v1/projects/nope");
		Response hiddenStorage = this.visionMember.get("/api/v1/projects/nlp/storages/data");

		assertThat(hidden.status()).isEqualTo(404);
		assertThat(hidden.json().path("detail").asString()).isEqualTo("Project 'nlp' does not exist.");
		assertThat(missing.json().path("detail").asString()).isEqualTo("Project 'nope' does not exist.");
		assertThat(hiddenStorage.status()).isEqualTo(404);
		assertThat(hiddenStorage.json().path("detail").asString()).isEqualTo("Project 'nlp' does not exist.");
		assertThat(this.visionMember.post("/api/v1/projects/nlp/storages", "{\"name\": \"x\", \"capacity\": \"1Gi\"}")
			.status()).isEqualTo(404);
		assertThat(count("select count(*) from storages")).isEqualTo(1);
	}

	@Test
	void listsShowOnlyProjectsTheCallerHasARoleIn() {
		assertThat(names(this.nlpMember)).containsExactly("nlp");
		assertThat(names(this.visionMember)).containsExactly("vision");
		assertThat(names(this.api.as(TestInfrastructure.userToken("carol", 600)))).containsExactly("nlp");
		assertThat(names(this.api.as(TestInfrastructure.userToken("eve", 600, "nobody")))).isEmpty();
		assertThat(names(this.api)).containsExactly("nlp", "vision");
	}

	@Test
	void membersReadOwnersManageStoragesAdminsSetQuotasAndCreateProjects() {
		assertThat(this.nlpMember.get("/api/v1/projects/nlp/storages/data").status()).isEqualTo(200);
		assertThat(this.nlpMember.get("/api/v1/projects/nlp/quota").status()).isEqualTo(200);
		Response memberWrites = this.nlpMember.patch("/api/v1/projects/nlp/storages/data", "{\"capacity\": \"2Gi\"}");
		assertThat(memberWrites.status()).isEqualTo(403);
		assertThat(memberWrites.problemType()).isEqualTo("forbidden");
		assertThat(memberWrites.json().path("detail").asString()).contains("owner");

		assertThat(this.nlpOwner.patch("/api/v1/projects/nlp/storages/data", "{\"capacity\": \"2Gi\"}").status())
			.isEqualTo(200);
		assertThat(this.nlpOwner.post("/api/v1/projects/nlp/storages", "{\"name\": \"more\", \"capacity\": \"1Gi\"}")
			.status()).isEqualTo(201);
		assertThat(this.nlpOwner.patch("/api/v1/projects/nlp", "{\"members\": [\"group:nlp\", \"user:frank\"]}").status())
			.isEqualTo(200);
		assertThat(this.nlpOwner.put("/api/v1/projects/nlp/quota", "{\"capacity\": \"1Pi\"}").status()).isEqualTo(403);
		assertThat(this.nlpOwner.post("/api/v1/projects", "{\"name\": \"mine\"}").status()).isEqualTo(403);
		assertThat(this.nlpOwner.delete("/api/v1/projects/nlp").status()).isEqualTo(403);
		assertThat(count("select count(*) from quotas where capacity_bytes is not null")).isZero();
		assertThat(count("select count(*) from projects")).isEqualTo(2);
	}

	@Test
	@ExtendWith(OutputCaptureExtension.class)
	void tokenLifecycle(CapturedOutput logs) {
		Response created = this.nlpOwner.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\", \"role\": \"owner\"}");
		assertThat(created.status()).isEqualTo(201);
		String secret = created.json().path("token").asString();
		assertThat(secret).startsWith("pss_");
		assertThat(count("select count(*) from api_tokens where secret_hash like '%' || ? || '%'",
				secret.substring(secret.lastIndexOf('_') + 1)))
			.isZero();

		ApiClient ci = this.api.as(secret);
		assertThat(ci.get("/api/v1/projects/nlp/storages/data").status()).isEqualTo(200);
		assertThat(ci.post("/api/v1/projects/nlp/storages", "{\"name\": \"ci-data\", \"capacity\": \"1Gi\"}").status())
			.isEqualTo(201);
		assertThat(ci.get("/api/v1/projects/vision").status()).isEqualTo(404);
		assertThat(names(ci)).containsExactly("nlp");
		assertThat(ci.post("/api/v1/projects/nlp/tokens", "{\"name\": \"more\"}").status()).isEqualTo(403);
		assertThat(ci.put("/api/v1/projects/nlp/quota", "{}").status()).isEqualTo(403);

		Response listed = this.nlpOwner.get("/api/v1/projects/nlp/tokens");
		assertThat(listed.json().path("items").get(0).has("token")).isFalse();
		assertThat(listed.body()).doesNotContain(secret);
		assertThat(this.nlpMember.get("/api/v1/projects/nlp/tokens").status()).isEqualTo(403);

		String id = created.json().path("id").asString();
		assertThat(this.nlpOwner.delete("/api/v1/projects/nlp/tokens/" + id).status()).isEqualTo(204);
		assertThat(ci.get("/api/v1/projects/nlp/storages/data").status()).isEqualTo(401);
		assertThat(this.nlpOwner.get("/api/v1/projects/nlp/tokens").json().path("items").get(0).has("revokedAt")).isTrue();
		assertThat(logs.getAll()).doesNotContain(secret).doesNotContain(secret.substring(secret.lastIndexOf('_') + 1));
	}

	@Test
	void memberTokensReadAndExpiredTokensAreRefused() {
		String member = this.nlpOwner.post("/api/v1/projects/nlp/tokens", "{\"name\": \"reader\"}").json().path("token")
			.asString();
		ApiClient reader = this.api.as(member);
		assertThat(reader.get("/api/v1/projects/nlp/storages").status()).isEqualTo(200);
		assertThat(reader.delete("/api/v1/projects/nlp/storages/data").status()).isEqualTo(403);

		this.db.sql("update api_tokens set expires_at = now() - interval '1 second'").update();
		assertThat(reader.get("/api/v1/projects/nlp/storages").status()).isEqualTo(401);
		String forged = member.substring(0, member.length() - 4) + "AAAA";
		assertThat(this.api.as(forged).get("/api/v1/projects/nlp").status()).isEqualTo(401);
	}

	@Test
	void tokenRequestsAreValidated() {
		// a request the contract does not allow, on purpose
		Response invalid = this.nlpOwner.unvalidated().post("/api/v1/projects/nlp/tokens",
				"{\"name\": \"CI!\", \"role\": \"admin\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}");

		assertThat(invalid.status()).isEqualTo(400);
		assertThat(invalid.json().path("errors").size()).isEqualTo(3);
		assertThat(this.nlpOwner.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\"}").status()).isEqualTo(201);
		assertThat(this.nlpOwner.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\"}").status()).isEqualTo(409);
		assertThat(count("select count(*) from api_tokens")).isEqualTo(1);
	}

	private static List<String> names(ApiClient client) {
		List<String> names = new ArrayList<>();
		client.get("/api/v1/projects").json().path("items").forEach(p -> names.add(p.path("name").asString()));
		return names;
	}

}
