package io.mlplatform.storage.web;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input of every kind gets a 4xx problem with a stable type, never a 500, and changes nothing. */
class ErrorResponsesIntegrationTests extends IntegrationTestSupport {

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@BeforeEach
	void project() {
		// bad input is what these tests send: only the answers are held to the contract
		this.api = this.api.unvalidated();
		createProject("nlp");
	}

	@AfterEach
	void nothingWasWritten() {
		assertThat(count("select count(*) from storages")).isZero();
		assertThat(count("select count(*) from projects")).isEqualTo(1);
	}

	/** A statement that waits longer than lock_timeout for a lock another transaction holds: retry, not 500. */
	@Test
	void aWriteThatWaitsTooLongForALockAnswersConflictNot500() throws Exception {
		try (java.sql.Connection hold = this.dataSource.getConnection()) {
			hold.setAutoCommit(false);
			hold.createStatement().execute("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE");

			Response response = this.api.put("/api/v1/projects/nlp", "{\"members\": [\"group:ml\"]}");

			assertProblem(response, 409, "concurrent-modification");
			hold.rollback();
		}
		assertThat(this.api.get("/api/v1/projects/nlp").json().path("members").toString()).doesNotContain("group:ml");
	}

	@org.springframework.beans.factory.annotation.Autowired
	private javax.sql.DataSource dataSource;

	@Test
	void malformedJson() {
		Response response = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": ");

		assertProblem(response, 400, "malformed-body");
		assertThat(response.json().path("detail").asString()).contains("not valid JSON").contains("line 1");
	}

	@Test
	void wrongTypesNameTheField() {
		Response number = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": 5}");
		Response object = this.api.post(STORAGES, "{\"name\": {\"x\": 1}, \"capacity\": \"1Gi\"}");
		Response bool = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"deletionProtection\": \"yes\"}");
		Response nested = this.api.post(STORAGES,
				"{\"name\": \"a\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"retention\": {\"keepLast\": \"3\"}}}");
		Response labels = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"labels\": [\"a\"]}");

		assertProblem(number, 400, "malformed-body");
		assertThat(number.json().path("errors").get(0).path("field").asString()).isEqualTo("capacity");
		assertThat(number.json().path("errors").get(0).path("message").asString()).isEqualTo("must be a string");
		assertThat(object.json().path("errors").get(0).path("field").asString()).isEqualTo("name");
		assertThat(bool.json().path("errors").get(0).path("field").asString()).isEqualTo("deletionProtection");
		assertThat(nested.json().path("errors").get(0).path("field").asString())
			.isEqualTo("backupPolicy.retention.keepLast");
		assertProblem(labels, 400, "malformed-body");
	}

	@Test
	void unknownFieldsAreRefusedWithTheKnownOnes() {
		Response response = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"size\": \"2Gi\"}");

		assertProblem(response, 400, "malformed-body");
		assertThat(response.json().path("detail").asString()).contains("'size'").contains("capacity");
		assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("size");
	}

	@Test
	void escapedHalvesOfSurrogatePairsAreRefusedNotStoredAsQuestionMarks() {
		Response member = this.api.put("/api/v1/projects/nlp", "{\"members\": [\"group:\\ud800\"]}");
		Response storage = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"labels\": {\"\\udc00\": \"x\"}}");

		assertProblem(member, 400, "malformed-body");
		assertThat(member.json().path("detail").asString()).contains("surrogate pair");
		assertProblem(storage, 400, "malformed-body");
		assertThat(count("select count(*) from projects where members::text like '%?%'")).isZero();
		assertThat(count("select count(*) from audit_events where action <> 'project.create'")).isZero();
	}

	@Test
	void duplicateKeysAndTrailingGarbage() {
		assertProblem(this.api.post(STORAGES, "{\"name\": \"a\", \"name\": \"b\", \"capacity\": \"1Gi\"}"), 400,
				"malformed-body");
		assertProblem(this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"} {}"), 400, "malformed-body");
	}

	@Test
	void bodiesThatAreNotObjects() {
		for (String body : List.of("", "null", "[]", "42", "\"text\"")) {
			Response response = this.api.post(STORAGES, body);
			assertThat(response.status()).as("body <%s>: %s", body, response).isEqualTo(400);
			assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		}
		assertThat(this.api.patch(STORAGES.replace("/storages", ""), "[1]").status()).isEqualTo(400);
	}

	@Test
	void hugeBodiesAreRefusedBeforeParsing() throws Exception {
		String huge = "{\"name\": \"a\", \"capacity\": \"1Gi\", \"labels\": {\"x\": \"" + "y".repeat(2_000_000) + "\"}}";
		Response declared = this.api.post(STORAGES, huge);
		assertProblem(declared, 413, "payload-too-large");

		HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + STORAGES))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("Authorization", "Bearer " + io.mlplatform.storage.TestInfrastructure.adminToken())
			.POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge.getBytes())))
			.build();
		HttpResponse<String> response = send(chunked);
		assertThat(response.statusCode()).isEqualTo(413);
		assertThat(response.body()).contains("payload-too-large");
	}

	@Test
	void wrongContentTypeAndMethod() {
		Response text = this.api.send("POST", STORAGES, "name=a", "text/plain");
		Response method = this.api.send("POST", STORAGES + "/a", "{}", "application/json");

		assertProblem(text, 415, "unsupported-media-type");
		assertProblem(method, 405, "method-not-allowed");
	}

	@Test
	void badQuantitiesSelectorsAndPaging() {
		for (String capacity : List.of("lots", "1GB", "-1Gi", "1e400", "99999Ei", "1.5.5Gi", " ")) {
			Response response = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"%s\"}".formatted(capacity));
			assertProblem(response, 400, "validation-failed");
			assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("capacity");
		}
		for (String selector : List.of("a%3D%3D%3Db", "in+(x)", "a+in+x", "a+in+(x", "%21", "a%3Db%3Dc", "a%3E1")) {
			Response response = this.api.get(STORAGES + "?labelSelector=" + selector);
			assertProblem(response, 400, "validation-failed");
			assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("labelSelector");
		}
		for (String size : List.of("0", "501", "-1", "abc", "1.5")) {
			Response response = this.api.get(STORAGES + "?pageSize=" + size);
			assertProblem(response, 400, "validation-failed");
			assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo("pageSize");
		}
		assertProblem(this.api.get(STORAGES + "?pageToken=AAAA"), 400, "invalid-page-token");
	}

	@Test
	void namesInTheUrlAreValidatedLikeNamesInTheBody() {
		// an encoded '%' is refused earlier, by the security firewall, as a plain bad request
		assertProblem(this.api.put("/api/v1/projects/%25", "{}"), 400, "bad-request");
		for (String name : List.of("Upper_Case", "a%20b", "a".repeat(64), "-lead")) {
			Response project = this.api.put("/api/v1/projects/" + name, "{}");
			assertProblem(project, 400, "validation-failed");
			assertThat(project.json().path("errors").get(0).path("field").asString()).isEqualTo("name");
			Response storage = this.api.put(STORAGES + "/" + name, "{\"capacity\": \"1Gi\"}");
			assertProblem(storage, 400, "validation-failed");
		}
	}

	@Test
	void mergePatchesThatAreNotObjects() {
		for (String path : List.of("/api/v1/projects/nlp", "/api/v1/projects/nlp/quota")) {
			for (String body : List.of("null", "[]", "\"x\"", "7")) {
				assertProblem(this.api.patch(path, body), 400, "malformed-body");
			}
		}
	}

	@Test
	void nullsInsideCollections() {
		assertProblem(this.api.post(STORAGES,
				"{\"name\": \"a\", \"capacity\": \"1Gi\", \"restoreFrom\": {\"storage\": \"b\", \"backup\": \"c\", \"paths\": [null]}}"),
				400, "validation-failed");
		assertProblem(this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"labels\": {\"a\": null}}"),
				400, "validation-failed");
		assertProblem(this.api.patch("/api/v1/projects/nlp", "{\"owners\": [null, \"user:x\"]}"), 400,
				"validation-failed");
		assertThat(this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"backupPolicy\": null}").status())
			.isEqualTo(201);
		this.db.sql("TRUNCATE storages CASCADE").update();
	}

	@Test
	void numbersOutOfRange() {
		Response response = this.api.put("/api/v1/projects/nlp/quota", "{\"maxStorages\": 99999999999}");

		assertProblem(response, 400, "malformed-body");
		assertThat(response.json().path("detail").asString()).contains("out of range");
	}

	@Test
	void forgedPageTokens() {
		String valid = this.api.get("/api/v1/projects?pageSize=1").json().path("nextPageToken").asString();
		String fingerprint = new String(java.util.Base64.getUrlDecoder().decode(valid)).split("\n")[0];
		for (String key : List.of("a\u0000b", "' OR 1=1 --", "")) {
			String forged = java.util.Base64.getUrlEncoder()
				.withoutPadding()
				.encodeToString((fingerprint + "\n" + key).getBytes());
			assertProblem(this.api.get("/api/v1/projects?pageSize=1&pageToken=" + forged), 400, "invalid-page-token");
		}
	}

	@Test
	void bindingErrorsDoNotNameOurClasses() {
		Response response = this.api.patch(STORAGES.replace("/storages", ""), "{\"labels\": [1]}");

		assertProblem(response, 400, "malformed-body");
		assertThat(response.body()).doesNotContain("io.mlplatform").doesNotContain("line -1");
	}

	@Test
	void requestsTomcatRefusesBeforeSpringAreProblemsToo() {
		Response nul = this.api.get("/api/v1/projects/%00");
		Response slash = this.api.get("/api/v1/projects/a%2Fb");
		Response longQuery = this.api.get("/api/v1/projects?labelSelector=" + "a".repeat(9000));
		Response bigHeader = this.api.get("/api/v1/projects", "X-Big", "a".repeat(20_000));

		for (Response response : List.of(nul, slash, longQuery, bigHeader)) {
			assertThat(response.status()).as(response.toString()).isBetween(400, 499);
			assertThat(response.header("Content-Type")).startsWith("application/problem+json");
			assertThat(response.json().path("type").asString()).startsWith(ProblemException.TYPE_BASE);
		}
	}

	@Test
	void unknownPathsAreProblemsToo() {
		assertProblem(this.api.get("/api/v1/nothing-here"), 404, "not-found");
		assertProblem(this.api.get("/api/v1/projects/nlp/storages/a/b/c"), 404, "not-found");
	}

	@Test
	void theRequestIdComesBackOnEveryProblem() {
		Response response = this.api.get("/api/v1/projects/nope", "X-Request-Id", "ci-run-42");

		assertThat(response.header("X-Request-Id")).isEqualTo("ci-run-42");
		assertThat(response.json().path("requestId").asString()).isEqualTo("ci-run-42");
	}

	private static void assertProblem(Response response, int status, String type) {
		assertThat(response.status()).as(response.toString()).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.problemType()).isEqualTo(type);
		assertThat(response.json().path("title").asString()).isNotEmpty();
		assertThat(response.json().path("detail").asString()).isNotEmpty();
		assertThat(response.body()).doesNotContain("Exception").doesNotContain("at io.");
	}

	private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return HttpClient.newBuilder()
			.connectTimeout(Duration.ofSeconds(5))
			.build()
			.send(request, HttpResponse.BodyHandlers.ofString());
	}

}
