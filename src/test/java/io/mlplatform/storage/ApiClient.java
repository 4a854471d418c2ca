package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real HTTP calls to the running app, with timeouts so a broken server fails a test instead of hanging it.
 * Every exchange is checked against {@code openapi.yaml} ({@link ContractValidator}): answers always,
 * requests unless the test means to send a bad one ({@link #unvalidated()}).
 */
public final class ApiClient {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final String base;

	private final String bearer;

	private final boolean validateRequests;

	public ApiClient(int port) {
		this("http://localhost:" + port, null, true);
	}

	private ApiClient(String base, String bearer, boolean validateRequests) {
		this.base = base;
		this.bearer = bearer;
		this.validateRequests = validateRequests;
	}

	/** The same client presenting this bearer token; null for an anonymous one. */
	public ApiClient as(String bearerToken) {
		return new ApiClient(this.base, bearerToken, this.validateRequests);
	}

	/** The same client for requests the contract does not allow, on purpose; the answers are still checked. */
	public ApiClient unvalidated() {
		return new ApiClient(this.base, this.bearer, false);
	}

	public record Response(int status, java.net.http.HttpHeaders headers, String body) {

		public JsonNode json() {
			return this.body.isEmpty() ? JSON.missingNode() : JSON.readTree(this.body);
		}

		public String header(String name) {
			Optional<String> value = this.headers.firstValue(name);
			return value.orElse(null);
		}

		public String etag() {
			return header("ETag");
		}

		public String problemType() {
			return json().path("type").asString().replace("https://storage.mlplatform.io/problems/", "");
		}

		@Override
		public String toString() {
			return this.status + " " + this.body;
		}

	}

	public Response get(String path, String... headers) {
		return send("GET", path, null, null, headers);
	}

	public Response post(String path, String json, String... headers) {
		return send("POST", path, json, "application/json", headers);
	}

	public Response put(String path, String json, String... headers) {
		return send("PUT", path, json, "application/json", headers);
	}

	public Response patch(String path, String json, String... headers) {
		return send("PATCH", path, json, "application/merge-patch+json", headers);
	}

	public Response delete(String path, String... headers) {
		return send("DELETE", path, null, null, headers);
	}

	public Response send(String method, String path, String body, String contentType, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.base + path))
			.timeout(Duration.ofSeconds(30))
			.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
		if (contentType != null) {
			request.header("Content-Type", contentType);
		}
		if (this.bearer != null) {
			request.header("Authorization", "Bearer " + this.bearer);
		}
		for (int i = 0; i + 1 < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		try {
			HttpRequest built = request.build();
			HttpResponse<String> response = this.http.send(built, HttpResponse.BodyHandlers.ofString());
			ContractValidator.get()
				.check(method, path, built.headers().map(), body, response.statusCode(), response.headers().map(),
						response.body(), this.validateRequests);
			return new Response(response.statusCode(), response.headers(), response.body());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
