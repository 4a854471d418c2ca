package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.SimulatedOperator;
import io.mlplatform.storage.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The app with its worker, the simulated operator making each storage's share a real folder under
 * the tests' shares root, and the tests' S3 server as backup bucket.
 */
abstract class WorkerTestSupport extends IntegrationTestSupport {

	protected static final Duration WAIT = Duration.ofSeconds(60);

	protected SimulatedOperator operator;

	@BeforeEach
	void startOperator() {
		this.operator = SimulatedOperator.start(TestInfrastructure.cluster().client(), TestInfrastructure.sharesRoot(),
				null);
	}

	@AfterEach
	void stopOperator() {
		this.operator.close();
	}

	protected static String storages(String project) {
		return "/api/v1/projects/" + project + "/storages";
	}

	/** Creates a storage and waits until its cluster reports it Ready (its share exists). */
	protected Path readyStorage(String project, String name, String extra) {
		Response created = this.api.post(storages(project),
				"{\"name\": \"" + name + "\", \"capacity\": \"1Gi\"" + (extra == null ? "" : ", " + extra) + "}");
		assertThat(created.status()).as(created.toString()).isEqualTo(201);
		awaitReady(project, name);
		return share(project, name);
	}

	protected void awaitReady(String project, String name) {
		await().atMost(WAIT)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> this.api.get(storages(project) + "/" + name).json().path("state").asString().equals("Ready"));
	}

	protected static Path share(String project, String storage) {
		return TestInfrastructure.sharesRoot().resolve(project).resolve(storage);
	}

	/** Polls a backup or restore until it has ended; returns it. */
	protected Response awaitEnd(String path) {
		await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
			String state = this.api.get(path).json().path("state").asString();
			return !state.equals("Queued") && !state.equals("Running");
		});
		return this.api.get(path);
	}

	/**
	 * Creates a storage from a backup (restoreFrom) and waits for its restore to end; returns the
	 * storage's restores.
	 */
	protected Response restoreIntoNew(String project, String source, String backup, String name) {
		Response created = this.api.post(storages(project), """
				{"name": "%s", "capacity": "1Gi", "restoreFrom": {"storage": "%s", "backup": "%s"}}"""
			.formatted(name, source, backup));
		assertThat(created.status()).as(created.toString()).isEqualTo(201);
		String restores = storages(project) + "/" + name + "/restores";
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
			String state = this.api.get(restores).json().path("items").path(0).path("state").asString();
			return state.equals("Succeeded") || state.equals("Failed");
		});
		return this.api.get(restores);
	}

	/** Backs a storage up through the API and waits for it to succeed; returns its id. */
	protected String backUp(String project, String storage) {
		Response queued = this.api.post(storages(project) + "/" + storage + "/backups", null);
		assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
		Response done = awaitEnd(queued.header("Location"));
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		return done.json().path("id").asString();
	}

}
