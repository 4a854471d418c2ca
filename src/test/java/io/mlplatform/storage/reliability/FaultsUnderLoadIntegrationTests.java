package io.mlplatform.storage.reliability;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The short version of {@code bench/soak.sh} (issue #17, parts 3 and 4) on a stand of its own: two
 * service instances (one in a child JVM), PostgreSQL and the cluster API behind proxies that cut them,
 * S3 behind one that fails and slows requests.
 */
class FaultsUnderLoadIntegrationTests {

	private static ServiceStand stand;

	@BeforeAll
	static void startStand() {
		stand = new ServiceStand("local").startBoth();
	}

	@AfterAll
	static void stopStand() {
		if (stand != null) {
			stand.close();
		}
	}

	/**
	 * A connection that breaks inside a transaction fails its rollback too, and that failure (a
	 * {@code JpaSystemException}) hid the connection failure: the request answered 500.
	 */
	@Test
	void aRequestWhoseDatabaseGoesAwayMidTransactionAnswers503AndARetrySucceeds() throws Exception {
		ApiClient api = new ApiClient(stand.port()).as(stand.adminToken());
		assertThat(api.post("/api/v1/projects", "{\"name\": \"cut\"}").status()).isEqualTo(201);
		CompletableFuture<Response> create;
		try (Connection lock = DriverManager.getConnection(stand.postgres.jdbcUrl(), "postgres", "")) {
			lock.setAutoCommit(false);
			lock.createStatement().execute("SELECT 1 FROM projects WHERE name = 'cut' FOR UPDATE");
			// creating a storage locks its project's row: the request waits inside its transaction
			create = CompletableFuture.supplyAsync(() -> api.post("/api/v1/projects/cut/storages",
					"{\"name\": \"data\", \"capacity\": \"1Gi\"}"));
			await().atMost(Duration.ofSeconds(30)).until(() -> stand.db.sql(
					"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%projects%'")
				.query(Long.class)
				.single() > 0);
			stand.database.stop();
			Response answer = create.get();
			Response meanwhile = api.get("/api/v1/projects/cut/storages");
			stand.database.resume();
			lock.rollback();

			for (Response response : new Response[] { answer, meanwhile }) {
				assertThat(response.status()).as(response.toString()).isEqualTo(503);
				assertThat(response.header("Retry-After")).isNotBlank();
				assertThat(response.header("Content-Type")).startsWith("application/problem+json");
				assertThat(response.problemType()).isEqualTo("unavailable");
			}
		}
		// nothing half-done: the storage is not there, and the client's retry creates it
		assertThat(stand.db.sql("SELECT count(*) FROM storages WHERE name = 'data'").query(Long.class).single()).isZero();
		await().atMost(Duration.ofSeconds(30)).until(() -> api.post("/api/v1/projects/cut/storages",
				"{\"name\": \"data\", \"capacity\": \"1Gi\"}").status() == 201);
		assertThat(api.delete("/api/v1/projects/cut/storages/data").status()).isEqualTo(202);
	}

	@Test
	void theServiceLosesNothingAndRecoversByItselfFromFaultsUnderLoad() {
		Report report = FaultsUnderLoad.run(new FaultsUnderLoad.Settings(Duration.ofSeconds(45), 6, 12,
				Duration.ofSeconds(8), Duration.ofSeconds(10), 0.1, 50, "local"), stand);
		System.out.println(report.markdown());

		assertThat(report.findings()).as(report.markdown()).isEmpty();
		assertThat(report.undocumentedServerErrors()).isZero();
		// every fault was injected, and the service came back from each by itself
		assertThat(report.faults()).extracting(FaultCost::name)
			.anyMatch(name -> name.startsWith("PostgreSQL"))
			.anyMatch(name -> name.startsWith("cluster API"))
			.anyMatch(name -> name.startsWith("S3"))
			.anyMatch(name -> name.startsWith("second instance"));
		assertThat(report.faults()).as(report.markdown()).allMatch(fault -> fault.secondsToRecover() >= 0, "recovered");
		// clients met the database outage, and it answered them 503 with Retry-After
		FaultCost database = report.faults().stream().filter(fault -> fault.name().startsWith("PostgreSQL")).findFirst().orElseThrow();
		assertThat(database.seenBy(report.incidents())).as(report.markdown()).isNotEmpty()
			.allMatch(incident -> incident.outcome().equals("503") && incident.retryAfter());
		assertThat(report.summary().get("snapshots restored into new storages and compared byte for byte")).isNotEqualTo("0");
	}

}
