package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import io.mlplatform.storage.OwnDatabase;
import io.mlplatform.storage.SimulatedKubelet;
import io.mlplatform.storage.TcpProxy;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.mover.Mover;

import static org.awaitility.Awaitility.await;

/**
 * The app with executor {@code kubernetes}: every backup and restore runs as a Job in the tests' mock
 * cluster, which the simulated kubelet runs as a mover process on the storage's share. Short timeouts
 * (pending, grace, stall; a test holds a mover for a few seconds at most, far below the stall timeout,
 * unless it means to stall it), two attempts per job and two jobs at once in the cluster, a short backoff
 * for writes into the cluster, so tests see each path quickly. A database and bucket of its own (see {@link OwnDatabase}), as the other contexts' workers
 * would run these jobs their way.
 */
@TestPropertySource(properties = { "pss.worker.executor=kubernetes", OwnDatabase.NAME + "=jobs",
		"pss.backup.pack-size=1MB", "pss.mover.heartbeat=500ms", "pss.worker.max-attempts=2",
		"pss.worker.max-running-per-cluster=2", "pss.mover.job.pending-timeout=3s", "pss.mover.job.sweep-every=250ms",
		"pss.mover.job.stop-grace=2s", "pss.mover.job.ttl-after-finished=0s", "pss.mover.job.stall-timeout=10s",
		// a Job whose writing failed is tried again well within the pending timeout
		"pss.reconciler.backoff-min=50ms" })
@Import(OwnDatabase.class)
abstract class JobTestSupport extends WorkerTestSupport {

	/** Between the movers and the service: the URL their Jobs are given. */
	protected static final TcpProxy SERVICE = TcpProxy.start();

	@DynamicPropertySource
	static void serviceUrl(DynamicPropertyRegistry registry) {
		registry.add("pss.mover.service-url", () -> "http://127.0.0.1:" + SERVICE.port());
	}

	/** While this file exists, a mover holds before its manifest. */
	protected static final Path HOLD = hold();

	protected SimulatedKubelet kubelet;

	private static Path hold() {
		try {
			Path folder = Files.createTempDirectory("pss-test-job-hold");
			folder.toFile().deleteOnExit();
			return folder.resolve("hold");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@BeforeEach
	void startKubelet() {
		SERVICE.forwardTo(this.port);
		this.kubelet = SimulatedKubelet.start(TestInfrastructure.cluster().client(), TestInfrastructure.sharesRoot(),
				Map.of(Mover.HOLD, HOLD.toString()));
		this.kubelet.clear();
	}

	@AfterEach
	void stopKubelet() throws IOException {
		Files.deleteIfExists(HOLD);
		this.kubelet.close();
		this.kubelet.clear();
	}

	/** The newest attempt's run of a job. */
	protected String newestRun(String job) {
		return this.db.sql("select id from mover_runs where job_id = cast(? as uuid) order by attempt desc limit 1")
			.param(job).query(String.class).optional().orElse(null);
	}

	/** Queues a backup that holds before its manifest; returns its id once its mover holds there. */
	protected String heldBackup(String project, String storage) throws IOException {
		Files.createFile(HOLD);
		var queued = this.api.post(storages(project) + "/" + storage + "/backups", null);
		if (queued.status() != 202) {
			throw new IllegalStateException(queued.toString());
		}
		String backup = queued.json().path("id").asString();
		await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
			String run = newestRun(backup);
			return run != null && this.kubelet.output(run).contains("Holding before the manifest");
		});
		return backup;
	}

}
