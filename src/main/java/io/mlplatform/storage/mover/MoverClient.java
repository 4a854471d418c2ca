package io.mlplatform.storage.mover;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.snapshot.LeaseLostException;

/**
 * The mover's calls to the service's mover API, each with the run token. A call the service could not
 * answer (a connection refused or reset, a 502, 503 or 504: a replica restarting, a rollout) is tried
 * again with backoff for up to {@code patience}: any replica answers any run. A refusal (4xx) is not.
 */
final class MoverClient {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http;

	private final URI runs;

	private final String authorization;

	private final Duration patience;

	private final AtomicLong calls = new AtomicLong();

	MoverClient(URI service, UUID run, String token, Duration patience) {
		this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1)
			.build();
		String base = service.toString().endsWith("/") ? service.toString().substring(0, service.toString().length() - 1)
				: service.toString();
		this.runs = URI.create(base + MoverProtocol.RUNS + "/" + run);
		this.authorization = "Bearer " + token;
		this.patience = patience;
	}

	/** Calls made so far, retries included: what a run costs the service. */
	long calls() {
		return this.calls.get();
	}

	/**
	 * POSTs {@code body} to the run's {@code action} ({@code :claim}, {@code /contents:lookup}, …) and
	 * reads the answer as {@code answer} (null for none).
	 * @throws LeaseLostException when the service says the run's lease is lost or the run ended
	 * @throws MoverApiException for any other refusal
	 */
	<T> T post(String action, Object body, Class<T> answer) {
		return postJson(action, json(body), answer);
	}

	/** As {@link #post(String, Object, Class)}, with the body serialized already (to know its size first). */
	<T> T postJson(String action, byte[] body, Class<T> answer) {
		HttpRequest request = HttpRequest.newBuilder(URI.create(this.runs + action))
			.timeout(Duration.ofSeconds(60))
			.header("Authorization", this.authorization)
			.header("Content-Type", "application/json")
			.header("Accept", "application/json")
			.POST(HttpRequest.BodyPublishers.ofByteArray(body))
			.build();
		long deadline = System.nanoTime() + this.patience.toNanos();
		long backoff = 100;
		while (true) {
			this.calls.incrementAndGet();
			HttpResponse<byte[]> response;
			try {
				response = this.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
			}
			catch (IOException ex) {
				if (System.nanoTime() > deadline) {
					throw new MoverApiException("The service did not answer " + action + ": " + ex);
				}
				backoff = pause(backoff);
				continue;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while calling " + action, ex);
			}
			int status = response.statusCode();
			if (status >= 200 && status < 300) {
				return (answer == null || response.body().length == 0) ? null : JSON.readValue(response.body(), answer);
			}
			if ((status == 502 || status == 503 || status == 504 || status == 429) && System.nanoTime() < deadline) {
				backoff = pause(backoff);
				continue;
			}
			throw refusal(action, status, response.body());
		}
	}

	/** A body as {@link #post(String, Object, Class)} sends it: null is an empty object. */
	static byte[] json(Object body) {
		return JSON.writeValueAsBytes(body == null ? java.util.Map.of() : body);
	}

	private static RuntimeException refusal(String action, int status, byte[] body) {
		String type = null;
		String detail = null;
		try {
			JsonNode problem = JSON.readTree(body);
			type = problem.path("type").asString(null);
			detail = problem.path("detail").asString(null);
		}
		catch (RuntimeException ex) {
			// not a problem document: the status says enough
		}
		String kind = (type == null) ? null : type.substring(type.lastIndexOf('/') + 1);
		if (status == 409 && ("lease-lost".equals(kind) || "run-ended".equals(kind))) {
			return new LeaseLostException("The service says " + action + " is refused: " + detail);
		}
		return new MoverApiException(action + " refused (" + status + (kind == null ? "" : " " + kind)
				+ "): " + detail);
	}

	private static long pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for the service", ex);
		}
		return Math.min(millis * 2, 5_000);
	}

	/** The service refused a call, or could not be reached within the client's patience. */
	static final class MoverApiException extends RuntimeException {

		MoverApiException(String message) {
			super(message);
		}

	}

}
