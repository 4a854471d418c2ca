package io.mlplatform.storage;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A CI fleet retries the same step from twenty jobs at once: the same create, apply, backup request
 * and delete, for every kind of resource. Exactly one of them takes effect (one row, one audit record
 * of the change), and every answer is one the contract documents (ApiClient checks each against it).
 */
class FleetRacesIntegrationTests extends IntegrationTestSupport {

	private static final int CLIENTS = 20;

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	private SimulatedOperator operator;

	@BeforeEach
	void operator() {
		this.operator = SimulatedOperator.start(TestInfrastructure.cluster().client(), TestInfrastructure.sharesRoot(),
				null);
	}

	@AfterEach
	void stopOperator() {
		this.operator.close();
	}

	@Test
	void projectsAreCreatedAppliedAndDeletedOnce() {
		String body = "{\"name\": \"nlp\", \"labels\": {\"team\": \"nlp\"}}";

		assertStatuses(race(i -> this.api.post("/api/v1/projects", body)), Map.of(201, 1), 200);
		assertStatuses(race(i -> this.api.put("/api/v1/projects/vision", "{\"displayName\": \"Vision\"}")),
				Map.of(201, 1), 200);
		assertStatuses(race(i -> this.api.delete("/api/v1/projects/vision")), Map.of(204, 1), 404);

		assertThat(count("select count(*) from projects")).isEqualTo(1);
		assertThat(changes("project.create")).isEqualTo(1);
		assertThat(changes("project.apply")).isEqualTo(1);
		assertThat(changes("project.delete")).isEqualTo(1);
	}

	@Test
	void storagesAreCreatedAppliedAndDeletedOnce() {
		createProject("nlp");
		String body = "{\"name\": \"data\", \"capacity\": \"1Gi\"}";

		assertStatuses(race(i -> this.api.post(STORAGES, body)), Map.of(201, 1), 200);
		assertStatuses(race(i -> this.api.put(STORAGES + "/scratch", "{\"capacity\": \"2Gi\"}")), Map.of(201, 1), 200);
		List<Response> deletes = race(i -> this.api.delete(STORAGES + "/scratch"));

		assertThat(deletes).allSatisfy(response -> assertThat(response.status()).as(response.toString()).isIn(202, 404));
		assertThat(count("select count(*) from storages where name = 'data'")).isEqualTo(1);
		assertThat(count("select count(*) from storages where name = 'scratch' and deleted_at is null")).isLessThanOrEqualTo(1);
		assertThat(changes("storage.create")).isEqualTo(1);
		assertThat(changes("storage.apply")).isEqualTo(1);
		assertThat(changes("storage.delete")).isEqualTo(1);
		// the quota counts each storage once; read once the deletion has settled, as the operator ends it whenever
		// it gets to it and a quota read before and a sum read after it would disagree
		awaitGone(STORAGES + "/scratch");
		assertThat(this.api.get("/api/v1/projects/nlp/quota").json().path("used").path("capacityBytes").asLong())
			.isEqualTo(count("select coalesce(sum(capacity_bytes), 0) from storages where deleted_at is null"));
	}

	@Test
	void aTokenNameIsTakenOnceAndRevokedOnce() {
		createProject("nlp");

		List<Response> creates = race(i -> this.api.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\"}"));
		assertStatuses(creates, Map.of(201, 1), 409);
		String id = creates.stream().filter(r -> r.status() == 201).findFirst().orElseThrow().json().path("id").asString();
		assertStatuses(race(i -> this.api.delete("/api/v1/projects/nlp/tokens/" + id)), Map.of(), 204);

		assertThat(count("select count(*) from api_tokens")).isEqualTo(1);
		assertThat(count("select count(*) from api_tokens where revoked_at is not null")).isEqualTo(1);
		assertThat(changes("token.create")).isEqualTo(1);
		assertThat(changes("token.revoke")).isEqualTo(1);
	}

	@Test
	void quotasAndClustersAreAppliedOnce() {
		createProject("nlp");
		String cluster = "{\"name\": \"gpu-west\", \"credentials\": {\"type\": \"inCluster\"}}";

		assertStatuses(race(i -> this.api.put("/api/v1/projects/nlp/quota", "{\"capacity\": \"2Ti\", \"maxStorages\": 20}")),
				Map.of(), 200);
		assertStatuses(race(i -> this.api.post("/api/v1/clusters", cluster)), Map.of(201, 1), 200);
		assertStatuses(race(i -> this.api.put("/api/v1/clusters/gpu-east", "{\"credentials\": {\"type\": \"inCluster\"}}")),
				Map.of(201, 1), 200);
		assertStatuses(race(i -> this.api.delete("/api/v1/clusters/gpu-east")), Map.of(204, 1), 404);

		assertThat(count("select count(*) from quotas")).isEqualTo(1);
		assertThat(changes("quota.apply")).isEqualTo(1);
		assertThat(count("select count(*) from clusters where source = 'api'")).isEqualTo(1);
		assertThat(changes("cluster.create")).isEqualTo(1);
		assertThat(changes("cluster.apply")).isEqualTo(1);
		assertThat(changes("cluster.delete")).isEqualTo(1);
	}

	@Test
	void backupsAndRestoresAreQueuedCancelledAndDeletedOnce() {
		createProject("nlp");
		assertThat(this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}").status()).isEqualTo(201);
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> this.api.get(STORAGES + "/data").json().path("state").asString().equals("Ready"));
		String backups = STORAGES + "/data/backups";
		String done = this.api.post(backups, null).json().path("id").asString();
		awaitEnded(backups + "/" + done);

		// the worker takes no job of a storage whose share is not Ready: the restore stays queued through the race
		// (an empty one ran in milliseconds, and a request after its end was rightly accepted as a second restore)
		this.db.sql("UPDATE storages SET phase = 'Provisioning' WHERE name = 'data'").update();
		List<Response> restores = race(i -> this.api.post(STORAGES + "/data/restores", "{\"backup\": \"" + done + "\"}"));
		assertStatuses(restores, Map.of(202, 1), 409);
		this.db.sql("UPDATE storages SET phase = 'Ready' WHERE name = 'data'").update();
		awaitEnded(restores.stream().filter(r -> r.status() == 202).findFirst().orElseThrow().header("Location"));
		// and the queued backup below stays queued the same way
		this.db.sql("UPDATE storages SET phase = 'Provisioning' WHERE name = 'data'").update();
		List<Response> requests = race(i -> this.api.post(backups, null));
		assertStatuses(requests, Map.of(), 202);
		assertThat(requests.stream().map(r -> r.json().path("id").asString()).distinct()).hasSize(1);
		String queued = requests.get(0).json().path("id").asString();
		assertStatuses(race(i -> this.api.post(backups + "/" + queued + ":cancel", null)), Map.of(202, 1), 409);
		// deleting what is already gone is done: 204, or 404 once the row is gone
		assertThat(race(i -> this.api.delete(backups + "/" + done))).allSatisfy(
				response -> assertThat(response.status()).as(response.toString()).isIn(204, 404))
			.anySatisfy(response -> assertThat(response.status()).isEqualTo(204));

		assertThat(count("select count(*) from restores")).isEqualTo(1);
		assertThat(count("select count(*) from backups")).isEqualTo(1);
		assertThat(changes("restore.create")).isEqualTo(1);
		assertThat(changes("backup.create")).isEqualTo(2);
		assertThat(changes("backup.cancel")).isEqualTo(1);
		assertThat(changes("backup.delete")).isEqualTo(1);
	}

	private static List<Response> race(IntFunction<Response> call) {
		return Parallel.run(CLIENTS, call);
	}

	/**
	 * @param exactly statuses that exactly so many answers must have
	 * @param otherwise the status of every other answer
	 */
	private static void assertStatuses(List<Response> responses, Map<Integer, Integer> exactly, int otherwise) {
		Map<Integer, Integer> seen = new TreeMap<>();
		responses.forEach(response -> seen.merge(response.status(), 1, Integer::sum));
		Map<Integer, Integer> expected = new TreeMap<>(exactly);
		int rest = CLIENTS - exactly.values().stream().mapToInt(Integer::intValue).sum();
		if (rest > 0) {
			expected.merge(otherwise, rest, Integer::sum);
		}
		assertThat(seen).as(responses.stream().filter(r -> r.status() >= 400).findFirst().map(Response::toString).orElse(""))
			.isEqualTo(expected);
	}

	/** Audit records of an action that changed something (a replay records 'unchanged'). */
	private long changes(String action) {
		return count("select count(*) from audit_events where action = ? and result <> 'unchanged'", action);
	}

	private void awaitEnded(String path) {
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
			String state = this.api.get(path).json().path("state").asString();
			return !state.equals("Queued") && !state.equals("Running");
		});
	}

}
