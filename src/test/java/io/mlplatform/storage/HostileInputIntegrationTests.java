package io.mlplatform.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ten thousand hostile requests across every operation of the contract, sixteen at a time, against
 * a project with a Ready storage, a backup, a restore and a token: nothing answers 5xx, every refusal
 * is a problem document, no request that could change something gets through, and neither
 * PostgreSQL nor the bucket changes. The seed is fixed, so a failure replays; {@code -Dhostile.seed}
 * tries another sequence.
 */
class HostileInputIntegrationTests extends IntegrationTestSupport {

	private static final int REQUESTS = 10_000;

	private static final int CLIENTS = 16;

	private SimulatedOperator operator;

	private final Map<String, String> pathValues = new TreeMap<>();

	@BeforeEach
	void fixture() throws Exception {
		this.operator = SimulatedOperator.start(TestInfrastructure.cluster().client(), TestInfrastructure.sharesRoot(),
				null);
		createProject("nlp");
		createProject("other");
		ok(this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}"), 201);
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> this.api.get("/api/v1/projects/nlp/storages/data").json().path("state").asString().equals("Ready"));
		Path share = TestInfrastructure.sharesRoot().resolve("nlp").resolve("data");
		Files.createDirectories(share.resolve("datasets"));
		Files.writeString(share.resolve("datasets/a.txt"), "hello");
		String backup = ok(this.api.post("/api/v1/projects/nlp/storages/data/backups", null), 202).json().path("id").asString();
		awaitEnd("/api/v1/projects/nlp/storages/data/backups/" + backup, "Succeeded");
		String restore = ok(this.api.post("/api/v1/projects/nlp/storages/data/restores", "{\"backup\": \"" + backup + "\"}"),
				202)
			.json()
			.path("id")
			.asString();
		awaitEnd("/api/v1/projects/nlp/storages/data/restores/" + restore, "Succeeded");
		String token = ok(this.api.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\", \"role\": \"owner\"}"), 201).json()
			.path("id")
			.asString();
		String foreignToken = ok(this.api.post("/api/v1/projects/other/tokens", "{\"name\": \"ci\", \"role\": \"owner\"}"),
				201)
			.json()
			.path("token")
			.asString();
		this.pathValues.putAll(Map.of("project", "nlp", "storage", "data", "backup", backup, "restore", restore, "token",
				token, "cluster", "local"));
		// nothing may change on its own from here: no status reports, no queued change left for the cluster
		this.operator.close();
		await().atMost(Duration.ofSeconds(30)).until(() -> count("select count(*) from cluster_outbox") == 0);
		this.foreignProjectToken = foreignToken;
	}

	private String foreignProjectToken;

	@AfterEach
	void stopOperator() {
		this.operator.close();
	}

	@Test
	void hostileRequestsGetProblemsAndChangeNothing() throws Exception {
		long seed = Long.getLong("hostile.seed", 17L);
		HostileRequests generator = new HostileRequests(Path.of("openapi.yaml"), this.pathValues,
				new HostileRequests.Credentials(TestInfrastructure.adminToken(),
						TestInfrastructure.userToken("mallory", 3600, "outsiders"), this.foreignProjectToken,
						TestInfrastructure.userToken("admin", -60, "platform-admins")),
				this.port, seed);
		List<HostileRequests.Hostile> requests = generator.generate(REQUESTS);
		StateSnapshot before = snapshot();

		List<String> findings = Collections.synchronizedList(new ArrayList<>());
		Map<Integer, Integer> statuses = Collections.synchronizedMap(new TreeMap<>());
		RawHttp http = new RawHttp(this.port);
		ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
		try {
			List<Future<?>> sent = new ArrayList<>();
			for (HostileRequests.Hostile request : requests) {
				sent.add(clients.submit(() -> check(request, http, findings, statuses)));
			}
			for (Future<?> future : sent) {
				future.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			clients.shutdownNow();
		}
		System.out.printf("Hostile input: %d requests over %d operations (seed %d), statuses %s%n", requests.size(),
				generator.operations().size(), seed, statuses);

		assertThat(findings).as("findings (first 40 of %d)", findings.size()).isEmpty();
		assertThat(statuses.keySet()).allMatch(status -> status < 500);
		StateSnapshot after = snapshot();
		assertThat(after.tables()).isEqualTo(before.tables());
		assertThat(after.objects()).isEqualTo(before.objects());
	}

	private static void check(HostileRequests.Hostile request, RawHttp http, List<String> findings,
			Map<Integer, Integer> statuses) {
		RawHttp.Response response;
		try {
			response = http.exchange(request.bytes());
		}
		catch (RuntimeException ex) {
			add(findings, "no answer (" + ex.getMessage() + ")", request, null);
			return;
		}
		statuses.merge(response.status(), 1, Integer::sum);
		if (response.status() >= 500) {
			add(findings, "5xx", request, response);
		}
		else if (request.mutation() && response.status() < 400) {
			add(findings, "accepted a request that had to be refused", request, response);
		}
		if (response.status() >= 400 && !request.method().equals("HEAD")) {
			String type = response.header("Content-Type");
			if (type == null || !type.startsWith("application/problem+json")
					|| !response.body().contains("\"type\":\"https://storage.mlplatform.io/problems/")) {
				add(findings, "not a problem document", request, response);
			}
		}
	}

	private static void add(List<String> findings, String what, HostileRequests.Hostile request, RawHttp.Response response) {
		if (findings.size() < 40) {
			findings.add("%s: %s %s [%s] -> %s".formatted(what, request.method(), request.target(), request.label(),
					response == null ? "-" : response.status() + " " + response.header("Content-Type") + " "
							+ HostileRequests.abbreviate(response.body().substring(0, Math.min(300, response.body().length())))));
		}
		else {
			findings.add(what);
		}
	}

	private StateSnapshot snapshot() {
		return StateSnapshot.take(this.db, TestInfrastructure.s3().endpoint(), TestInfrastructure.BUCKET);
	}

	private void awaitEnd(String path, String state) {
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
			String now = this.api.get(path).json().path("state").asString();
			return !now.equals("Queued") && !now.equals("Running");
		});
		assertThat(this.api.get(path).json().path("state").asString()).isEqualTo(state);
	}

	private static Response ok(Response response, int status) {
		assertThat(response.status()).as(response.toString()).isEqualTo(status);
		return response;
	}

}
