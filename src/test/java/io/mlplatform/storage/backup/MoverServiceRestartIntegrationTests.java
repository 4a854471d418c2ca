package io.mlplatform.storage.backup;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.test.context.TestPropertySource;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.OwnDatabase;
import io.mlplatform.storage.ProjectStorageApplication;
import io.mlplatform.storage.SimulatedKubelet;
import io.mlplatform.storage.TcpProxy;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.mover.Mover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A service replica that started a mover is killed with kill -9 while the mover runs, and another
 * replica (this test's app) answers the mover from then on: the run goes on and commits in its first
 * attempt, whether the mover is the replica's child process (executor {@code process}) or runs in a
 * Job it created (executor {@code kubernetes}, the Job run by the simulated kubelet). The killed
 * replica is a real process of its own, the whole service, on this context's database; this context's
 * worker is off, so only that replica starts movers.
 */
@TestPropertySource(properties = { "pss.worker.enabled=false", OwnDatabase.NAME + "=restarts",
		"pss.mover.heartbeat=500ms", "pss.mover.job.sweep-every=250ms" })
@Import(OwnDatabase.class)
class MoverServiceRestartIntegrationTests extends WorkerTestSupport {

	/** Where the movers reach "the service": the replica that started them, then this one. */
	private static final TcpProxy SERVICE = TcpProxy.start();

	private static final Duration START = Duration.ofSeconds(120);

	@Autowired
	private Environment environment;

	@Autowired
	private JdbcConnectionDetails database;

	/** This instance's follower of runs in Jobs: every replica runs one, whichever replica created the Job. */
	@Autowired
	private MoverJobSweep sweep;

	private SimulatedKubelet kubelet;

	private Process replica;

	private Path hold;

	@AfterEach
	void stopProcesses() throws IOException {
		if (this.replica != null) {
			this.replica.destroyForcibly();
		}
		if (this.kubelet != null) {
			this.kubelet.close();
			this.kubelet.clear();
		}
		// a mover outlives the replica that started it: it is no descendant of this JVM then
		ProcessHandle.allProcesses()
			.filter(process -> process.info().commandLine().orElse("").contains("-D" + Mover.RUN_PROPERTY + "="))
			.filter(this::runsOf)
			.forEach(ProcessHandle::destroyForcibly);
		if (this.hold != null) {
			Files.deleteIfExists(this.hold);
		}
	}

	private boolean runsOf(ProcessHandle process) {
		return this.db.sql("select count(*) from mover_runs where cast(id as text) = ?")
			.param(process.info().commandLine().orElse("").replaceAll(".*-D" + Mover.RUN_PROPERTY + "=(\\S+).*", "$1"))
			.query(Long.class)
			.single() > 0;
	}

	@Test
	void aMoverWhoseReplicaWasKilledCommitsThroughAnother() throws Exception {
		Response queued = backupThroughAReplica("rs", "process");
		String backup = queued.json().path("id").asString();
		Path tmp = replicaTmp();
		// the replica's worker claims it and starts a mover, which stores every content and holds before its manifest
		await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> holding(backup, tmp).isPresent());
		String run = holding(backup, tmp).orElseThrow();
		ProcessHandle mover = mover(run).orElseThrow();

		killReplica();
		assertThat(mover.isAlive()).as("the mover outlives the replica that started it").isTrue();
		answerHere();

		Response done = awaitEnd(queued.header("Location"));
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(1);
		assertThat(this.db.sql("select state from mover_runs where job_id = cast(? as uuid)").param(backup)
			.query(String.class).list()).containsExactly("Committed");
		await().atMost(Duration.ofSeconds(10)).until(() -> !mover.isAlive());
	}

	@Test
	void aJobWhoseReplicaWasKilledCommitsThroughAnotherThatThenDeletesIt() throws Exception {
		// the Jobs' kubelet, and this instance following runs in Jobs as every replica does (its worker is off)
		this.hold = Files.createTempDirectory("pss-test-restart").resolve("hold");
		this.kubelet = SimulatedKubelet.start(TestInfrastructure.cluster().client(), TestInfrastructure.sharesRoot(),
				Map.of(Mover.HOLD, this.hold.toString()));
		this.kubelet.clear();
		this.sweep.start(null);
		Response queued = backupThroughAReplica("rk", "kubernetes");
		String backup = queued.json().path("id").asString();
		// the replica claims it and creates its Job; the kubelet runs the mover, which holds before its manifest
		await().atMost(START).pollInterval(Duration.ofMillis(100)).until(() -> {
			Optional<String> run = this.db.sql("select cast(id as text) from mover_runs where job_id = cast(? as uuid)")
				.param(backup).query(String.class).optional();
			return run.isPresent() && this.kubelet.output(run.get()).contains("Holding before the manifest");
		});

		killReplica();
		answerHere();

		Response done = awaitEnd(queued.header("Location"));
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(1);
		assertThat(done.json().path("attempts").path(0).path("kubernetesJob").asString())
			.isEqualTo("pss-backup-" + backup + "-1");
		assertThat(this.kubelet.jobs()).hasSize(1);
		// this instance follows the Job it did not create: once its pod has ended, it deletes the Job and
		// its Secret and gives back the cluster's slot
		var cluster = TestInfrastructure.cluster().client();
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
			.until(() -> cluster.batch().v1().jobs().inNamespace("rk").list().getItems().isEmpty()
					&& cluster.secrets().inNamespace("rk").withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
						.list().getItems().isEmpty()
					&& count("select count(*) from mover_runs where job_finished_at is not null") == 1);
	}

	/**
	 * A storage of 200 small files in a new project, and a replica of the service that runs jobs with this
	 * executor, on this context's database, as the service its movers reach; queues a backup of the storage
	 * whose mover will hold before its manifest.
	 */
	private Response backupThroughAReplica(String project, String executor) throws IOException {
		createProject(project);
		Path share = readyStorage(project, "data", null);
		for (int i = 0; i < 200; i++) {
			BackupTestSupport.write(share.resolve("d" + (i % 10) + "/f" + i + ".bin"), BackupTestSupport.random(2048 + i, i));
		}
		if (this.hold == null) {
			this.hold = Files.createTempDirectory("pss-test-restart").resolve("hold");
		}
		Files.createFile(this.hold);
		int replicaPort = freePort();
		this.replica = startReplica(replicaPort, replicaTmp(), executor);
		awaitReady(replicaPort);
		SERVICE.forwardTo(replicaPort);
		Response queued = this.api.post(storages(project) + "/data/backups", null);
		assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
		return queued;
	}

	private static Path replicaTmp() throws IOException {
		return Files.createDirectories(TestInfrastructure.sharesRoot().resolve("restart-replica-tmp"));
	}

	/** SIGKILL: no shutdown, no hand-back; the movers' service is gone for a few of their heartbeats. */
	private void killReplica() throws InterruptedException {
		this.replica.destroyForcibly();
		assertThat(this.replica.waitFor(30, TimeUnit.SECONDS)).isTrue();
		Thread.sleep(2000);
	}

	/** The movers reach this instance from now on, and stop holding. */
	private void answerHere() throws IOException {
		SERVICE.forwardTo(this.port);
		Files.delete(this.hold);
	}

	/** The run of the job's mover once it holds before its manifest. */
	private Optional<String> holding(String backup, Path tmp) throws IOException {
		Optional<String> run = this.db.sql("select cast(id as text) from mover_runs where job_id = cast(? as uuid)")
			.param(backup).query(String.class).optional();
		if (run.isEmpty()) {
			return run;
		}
		Path log = tmp.resolve("pss-movers").resolve(run.get() + ".log");
		return (Files.exists(log) && Files.readString(log).contains("Holding before the manifest")) ? run
				: Optional.empty();
	}

	private static Optional<ProcessHandle> mover(String run) {
		return ProcessHandle.allProcesses()
			.filter(process -> process.info().commandLine().orElse("").contains("-D" + Mover.RUN_PROPERTY + "=" + run))
			.findFirst();
	}

	/** The whole service in a JVM of its own, as a replica beside this test's, on the same database and bucket. */
	private Process startReplica(int port, Path tmp, String executor) throws IOException {
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xmx384m", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp, "-cp",
				System.getProperty("java.class.path"), ProjectStorageApplication.class.getName()));
		for (String key : List.of("pss.security.issuer-uri", "pss.cluster.clusters[0].name",
				"pss.cluster.clusters[0].credentials.type", "pss.cluster.clusters[0].credentials.path",
				"pss.cluster.kubeconfig-directory", "pss.cluster.secrets-kubeconfig", "pss.backup.s3.endpoint",
				"pss.backup.s3.bucket", "pss.backup.s3.path-style", "pss.backup.s3.access-key-id",
				"pss.backup.s3.secret-access-key", "pss.worker.mount-root", "pss.reconciler.resync",
				"pss.worker.poll", "pss.mover.heartbeat")) {
			command.add("--" + key + "=" + this.environment.getRequiredProperty(key));
		}
		command.addAll(List.of("--spring.datasource.url=" + this.database.getJdbcUrl(),
				"--spring.datasource.username=" + this.database.getUsername(),
				"--spring.datasource.password=" + this.database.getPassword(), "--server.port=" + port,
				"--pss.worker.executor=" + executor, "--pss.worker.scheduler-enabled=false",
				"--pss.mover.job.sweep-every=250ms",
				"--pss.mover.service-url=http://127.0.0.1:" + SERVICE.port(),
				"--pss.mover.environment[" + Mover.HOLD + "]=" + this.hold, "--logging.level.root=WARN"));
		return new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(TestInfrastructure.sharesRoot().resolve("restart-replica.log").toFile())
			.start();
	}

	private void awaitReady(int port) {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		await().atMost(START).pollInterval(Duration.ofMillis(250)).until(() -> {
			assertThat(this.replica.isAlive()).as("the replica is starting (its log: restart-replica.log)").isTrue();
			try {
				return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
					.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
			}
			catch (IOException ex) {
				return false;
			}
		});
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
