package io.mlplatform.storage.web;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.RawHttp;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A URL whose escapes do not decode to UTF-8 text is the caller's mistake wherever it is read: a 400
 * problem on every endpoint, never a 500, and nothing changes.
 */
class RequestDecodingIntegrationTests extends IntegrationTestSupport {

	private static final String BACKUPS = "/api/v1/projects/nlp/storages/imagenet/backups";

	private RawHttp raw;

	private String admin;

	@BeforeEach
	void projectWithStorage() {
		createProject("nlp");
		assertThat(this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"imagenet\", \"capacity\": \"1Gi\"}")
			.status()).isEqualTo(201);
		this.raw = new RawHttp(this.port);
		this.admin = "Bearer " + TestInfrastructure.adminToken();
	}

	@Test
	void invalidPercentEscapesInQueryParametersAreBadRequests() {
		List<String> urls = List.of("/api/v1/projects?pageSize=%ff", "/api/v1/projects?pageToken=%ff",
				"/api/v1/projects?labelSelector=%ff", "/api/v1/projects/nlp/storages?state=%",
				"/api/v1/projects/nlp/storages?labelSelector=%zz", "/api/v1/projects/nlp/storages?pageSize=%4",
				BACKUPS + "?state=%", BACKUPS + "?pageToken=%ff",
				BACKUPS + "/00000000-0000-0000-0000-000000000000/files?path=%zz",
				BACKUPS + "/00000000-0000-0000-0000-000000000000/files/content?path=%ff",
				"/api/v1/projects/nlp/storages/imagenet/restores?state=%ff", "/api/v1/audit?pageToken=%ff",
				"/api/v1/audit?project=%", "/api/v1/clusters?x=%zz",
				// a parameter nobody reads, and a name that is not text
				"/api/v1/projects/nlp?unused=%ff", "/api/v1/projects/nlp/storages?%ff=1");

		for (String url : urls) {
			assertInvalidEncoding(this.raw.get(url, "Authorization", this.admin), url);
		}
	}

	@Test
	void escapesThatAreNotUtf8AreBadRequests() {
		// overlong '/', a lone surrogate, a truncated sequence, a continuation byte alone
		for (String value : List.of("%c0%af", "%ed%a0%80", "%e2%82", "%80", "%f8%88%80%80%80")) {
			String url = "/api/v1/projects/nlp/storages?labelSelector=" + value;
			assertInvalidEncoding(this.raw.get(url, "Authorization", this.admin), url);
		}
	}

	@Test
	void badEscapesOnWritesChangeNothing() {
		RawHttp.Response post = this.raw.send("POST", "/api/v1/projects/nlp/storages?dryRun=%ff",
				"{\"name\": \"other\", \"capacity\": \"1Gi\"}".getBytes(StandardCharsets.UTF_8), "Authorization",
				this.admin, "Content-Type", "application/json");
		RawHttp.Response backup = this.raw.send("POST", BACKUPS + "?x=%", new byte[0], "Authorization", this.admin);
		RawHttp.Response delete = this.raw.send("DELETE", "/api/v1/projects/nlp/storages/imagenet?force=%zz", null,
				"Authorization", this.admin);

		assertInvalidEncoding(post, "POST");
		assertInvalidEncoding(backup, "backup");
		assertInvalidEncoding(delete, "DELETE");
		assertThat(count("select count(*) from storages where deleted_at is null and lifecycle <> 'Deleting'"))
			.isEqualTo(1);
		assertThat(count("select count(*) from backups")).isZero();
		assertThat(count("select count(*) from audit_events where action <> 'project.create' and action <> 'storage.create'"))
			.isZero();
	}

	@Test
	void badEscapesInPathSegmentsAreBadRequests() {
		for (String url : List.of("/api/v1/projects/%ff", "/api/v1/projects/%zz", "/api/v1/projects/%c0%af",
				"/api/v1/projects/nlp/storages/%", BACKUPS + "/%ed%a0%80", "/api/v1/projects/nlp/tokens/%ff")) {
			RawHttp.Response response = this.raw.get(url, "Authorization", this.admin);

			assertThat(response.status()).as(url + " " + response).isEqualTo(400);
			assertThat(response.header("Content-Type")).startsWith("application/problem+json");
			assertThat(response.body()).contains(ProblemException.TYPE_BASE);
		}
	}

	@Test
	void tooManyParametersAreAProblemToo() {
		StringBuilder query = new StringBuilder("/api/v1/projects?");
		// short enough for Tomcat's request line limit, more parameters than its count limit
		query.append("a=1&".repeat(1_100));
		RawHttp.Response response = this.raw.get(query.toString(), "Authorization", this.admin);

		assertThat(response.status()).as(response.toString()).isEqualTo(400);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.body()).contains("\"type\":\"" + ProblemException.TYPE_BASE + "bad-request\"")
			.contains("more parameters than the service accepts");
	}

	private static void assertInvalidEncoding(RawHttp.Response response, String what) {
		assertThat(response.status()).as(what + " " + response).isEqualTo(400);
		assertThat(response.header("Content-Type")).as(what).startsWith("application/problem+json");
		assertThat(response.body()).as(what)
			.contains("\"type\":\"" + ProblemException.TYPE_BASE + "invalid-encoding\"")
			.contains("\"detail\":\"The query string cannot be decoded")
			.contains("\"requestId\"");
	}

}
