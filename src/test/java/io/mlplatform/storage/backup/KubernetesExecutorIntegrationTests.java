package io.mlplatform.storage.backup;

import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import tools.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.S3ProxyServer;
import io.mlplatform.storage.SimulatedKubelet;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.backup.kubernetes.MoverJobProperties;
import io.mlplatform.storage.cluster.ClusterCalls;
import io.mlplatform.storage.cluster.ClusterClients;
import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.web.JsonColumns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups and restores through executor {@code kubernetes}: each attempt a Job in the storage's
 * namespace of the mock cluster, run by the simulated kubelet as a real mover process.
 */
class KubernetesExecutorIntegrationTests extends JobTestSupport {

	private static final String STORAGES = "/api/v1/projects/cv/storages";

	private Path share;

	private final long salt = System.nanoTime();

	@Autowired
	private JobQueue queue;

	@Autowired
	private MoverRuns moverRuns;

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private WorkerProperties workerProperties;

	@Autowired
	private MoverJobProperties jobProperties;

	@Autowired
	private ClusterClients clusterClients;

	@Autowired
	private JsonColumns columns;

	@Autowired
	private ClusterCalls clusterCalls;

	@BeforeEach
	void storage() {
		createProject("cv");
		this.share = readyStorage("cv", "data", "\"backupPolicy\": {\"retention\": {\"keepLast\": 100}}");
		for (int i = 0; i < 200; i++) {
			BackupTestSupport.write(this.share.resolve("images/" + (i % 5) + "/img-" + i + ".bin"),
					BackupTestSupport.random(3000 + i * 41, this.salt + i));
		}
		BackupTestSupport.write(this.share.resolve("models/large.bin"), BackupTestSupport.random(3 * 1024 * 1024, this.salt - 1));
	}

	private long shareBytes() throws Exception {
		try (var files = Files.walk(this.share)) {
			return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
		}
	}

	@Test
	void backsUpAndRestoresThroughJobsInTheStoragesNamespace() {
		String backup = backUp("cv", "data");

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("progress").path("files").asLong()).isEqualTo(201);
		JsonNode attempts = done.json().path("attempts");
		assertThat(attempts.size()).as(done.toString()).isEqualTo(1);
		assertThat(attempts.path(0).path("executor").asString()).isEqualTo("kubernetes");
		assertThat(attempts.path(0).path("state").asString()).isEqualTo("Committed");
		String jobName = "pss-backup-" + backup + "-1";
		assertThat(attempts.path(0).path("kubernetesJob").asString()).isEqualTo(jobName);

		Job job = this.kubelet.jobs().get(0);
		assertThat(job.getMetadata().getName()).isEqualTo(jobName);
		assertThat(job.getMetadata().getNamespace()).isEqualTo("cv");
		assertThat(job.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.MANAGER)
			.containsEntry(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
			.containsEntry(MoverJobManifests.RUN, newestRun(backup));
		PodSpec pod = job.getSpec().getTemplate().getSpec();
		assertThat(pod.getVolumes().stream().filter(v -> v.getPersistentVolumeClaim() != null).findFirst().orElseThrow()
			.getPersistentVolumeClaim().getReadOnly()).isTrue();
		assertThat(pod.getContainers().get(0).getVolumeMounts().stream().filter(m -> m.getName().equals("data"))
			.findFirst().orElseThrow().getReadOnly()).isTrue();
		// its Job, pod and Secret go once the run committed
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> moverObjects() == 0);

		Response restores = restoreIntoNew("cv", "data", backup, "copy");
		assertThat(restores.json().path("items").path(0).path("state").asString()).as(restores.toString())
			.isEqualTo("Succeeded");
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
		Job restoreJob = this.kubelet.jobs().get(1);
		assertThat(restoreJob.getMetadata().getName()).startsWith("pss-restore-");
		// a restore writes into its PVC
		assertThat(restoreJob.getSpec().getTemplate().getSpec().getVolumes().stream()
			.filter(v -> v.getPersistentVolumeClaim() != null).findFirst().orElseThrow()
			.getPersistentVolumeClaim().getReadOnly()).isFalse();
		this.kubelet.jobs().forEach(KubernetesExecutorIntegrationTests::assertValidAndLockedDown);
	}

	@Test
	void aClustersMoverSettingsShapeItsJobs() {
		this.db.sql("""
				update clusters set mover = cast(? as jsonb) where name = 'local'""")
			.param("""
					{"serviceUrl": "http://localhost:%d", "image": "registry.west/pss@sha256:%s",
					 "priorityClassName": "batch-low", "nodeSelector": {"node-role/storage": "true"},
					 "runAsUser": 2000, "runAsGroup": 2001}""".formatted(SERVICE.port(), "0".repeat(64)))
			.update();
		try {
			backUp("cv", "data");
		}
		finally {
			this.db.sql("update clusters set mover = null where name = 'local'").update();
		}

		Job job = this.kubelet.jobs().get(0);
		PodSpec pod = job.getSpec().getTemplate().getSpec();
		assertThat(pod.getContainers().get(0).getImage()).isEqualTo("registry.west/pss@sha256:" + "0".repeat(64));
		assertThat(pod.getContainers().get(0).getEnv()).anySatisfy(variable -> {
			assertThat(variable.getName()).isEqualTo("PSS_MOVER_SERVICE_URL");
			assertThat(variable.getValue()).isEqualTo("http://localhost:" + SERVICE.port());
		});
		assertThat(pod.getPriorityClassName()).isEqualTo("batch-low");
		assertThat(pod.getNodeSelector()).containsExactly(Map.entry("node-role/storage", "true"));
		assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(2000);
		assertThat(pod.getSecurityContext().getRunAsGroup()).isEqualTo(2001);
		assertValidAndLockedDown(job);
	}

	@Test
	void anEvictedBackupResumesInItsNextAttemptAndShowsWhyTheFirstEnded() throws Exception {
		long total = shareBytes();
		String backup = heldBackup("cv", "data");

		this.kubelet.evict(newestRun(backup));
		Files.delete(HOLD);

		Response done = awaitEnd(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(2);
		// attempt 2 reused what attempt 1 stored
		assertThat(done.json().path("bytesUploaded").asLong()).isLessThan(total / 10);
		JsonNode attempts = done.json().path("attempts");
		assertThat(attempts.size()).isEqualTo(2);
		assertThat(attempts.path(0).path("state").asString()).isEqualTo("Failed");
		assertThat(attempts.path(0).path("reason").asString())
			.startsWith("Evicted: The node was low on resource: memory.").contains("exit code 137");
		assertThat(attempts.path(1).path("state").asString()).isEqualTo("Committed");
		assertThat(this.kubelet.jobs()).extracting(job -> job.getMetadata().getName())
			.containsExactly("pss-backup-" + backup + "-1", "pss-backup-" + backup + "-2");
	}

	@Test
	void anOomKilledAttemptIsRecordedWithItsReason() throws Exception {
		String backup = heldBackup("cv", "data");

		this.kubelet.oomKill(newestRun(backup));
		Files.delete(HOLD);

		Response done = awaitEnd(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempts").path(0).path("reason").asString())
			.startsWith("OOMKilled (exit code 137)");
	}

	@Test
	void anUnschedulablePodFailsItsAttemptAfterThePendingTimeoutWithTheSchedulersMessage() {
		String message = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available.";
		this.kubelet.unschedulable(message);

		Response queued = this.api.post(STORAGES + "/data/backups", null);
		Response done = awaitEnd(queued.header("Location"));

		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Failed");
		assertThat(done.json().path("error").asString())
			.isEqualTo("Attempt 2: Its pod did not run within 3s: Unschedulable: " + message);
		JsonNode attempts = done.json().path("attempts");
		assertThat(attempts.size()).isEqualTo(2);
		for (JsonNode attempt : attempts) {
			assertThat(attempt.path("reason").asString()).isEqualTo("Its pod did not run within 3s: Unschedulable: " + message);
		}
		// Jobs that never ran are deleted after the grace
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> moverObjects() == 0);
	}

	@Test
	void aMoverThatMovesNothingFailsItsAttemptAsStalledAndTheNextOneSucceeds() throws Exception {
		String backup = heldBackup("cv", "data");
		String first = newestRun(backup);

		// the held mover heartbeats and moves nothing, as one on a hung mount does
		await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> count(
				"select count(*) from mover_runs where id = cast(? as uuid) and state = 'Failed'", first) == 1);
		Files.delete(HOLD);

		Response done = awaitEnd(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempts").path(0).path("reason").asString()).isEqualTo("Stalled: no progress for 10s");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(2);
	}

	@Test
	void aJobGoesOnAndCommitsWhileTheServiceIsAwayForAWhile() throws Exception {
		String backup = heldBackup("cv", "data");

		// several heartbeats go unanswered, as while the service restarts; the run's lease outlasts them
		SERVICE.stop();
		Thread.sleep(3000);
		SERVICE.resume();
		Files.delete(HOLD);

		Response done = awaitEnd(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).isEqualTo(1);
		assertThat(this.kubelet.jobs()).hasSize(1);
	}

	@Test
	void aCancelReachesTheMoverAndItsJobIsDeleted() throws Exception {
		String backup = heldBackup("cv", "data");
		String path = STORAGES + "/data/backups/" + backup;

		Response cancel = this.api.post(path + ":cancel", null);

		assertThat(cancel.status()).as(cancel.toString()).isIn(200, 202);
		Response done = awaitEnd(path);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Cancelled");
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> moverObjects() == 0);
		assertThat(this.kubelet.jobs()).hasSize(1);
	}

	@Test
	void twoInstancesRunTenQueuedBackupsInAtMostTwoJobsAtOnceAndOneJobPerAttempt() {
		for (int i = 0; i < 10; i++) {
			Path share = readyStorage("cv", "s" + i, null);
			BackupTestSupport.write(share.resolve("f.bin"), BackupTestSupport.random(5000 + i, this.salt + i));
		}
		// a second instance sharing the queue, creating Jobs in the same cluster
		BackupWorker second = new BackupWorker("second", this.queue, this.db,
				new LocalExecutor(this.snapshots, this.workerProperties.mountRoot()), this.snapshots, null,
				this.workerProperties, java.time.Clock.systemUTC(), this.columns, null);
		second.runInClustersWith(new KubernetesExecutor(this.moverRuns,
				new MoverJobManifests(this.jobProperties, List.of("-Xmx120m"), 120L << 20), this.clusterClients::client,
				() -> URI.create("http://127.0.0.1:" + this.port), this.db, this.clusterCalls, java.time.Clock.systemUTC()));
		second.start();
		try {
			List<String> backups = new ArrayList<>();
			for (int i = 0; i < 10; i++) {
				Response queued = this.api.post(STORAGES + "/s" + i + "/backups", null);
				assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
				backups.add(queued.header("Location"));
			}
			for (String backup : backups) {
				Response done = awaitEnd(backup);
				assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
			}
		}
		finally {
			second.close();
		}
		assertThat(this.kubelet.mostAtOnce()).isBetween(1, 2);
		long attempts = count("select count(*) from mover_runs");
		assertThat(attempts).isEqualTo(10);
		Set<String> names = new HashSet<>();
		this.kubelet.jobs().forEach(job -> names.add(job.getMetadata().getName()));
		assertThat(this.kubelet.jobs()).hasSize(10);
		assertThat(names).hasSize(10);
		// each attempt its Job: by the labels the service wrote, not only by their names
		assertThat(this.kubelet.jobs().stream().map(job -> job.getMetadata().getLabels().get(MoverJobManifests.JOB) + "/"
				+ job.getMetadata().getLabels().get(MoverJobManifests.ATTEMPT)).distinct()).hasSize(10);
	}

	@Test
	void aJobTheClusterFailedToWriteIsWrittenAgainAfterABackoffAndOnlyOnce() {
		var cluster = TestInfrastructure.cluster();
		// the first write of the Job fails before the API server wrote it, the second after (its answer is
		// lost: the Job is there), and the first write of its Secret fails too
		cluster.failRequests("POST", "/apis/batch/v1/namespaces/cv/jobs", 503, "the server is overloaded", 1, false);
		cluster.failRequests("POST", "/apis/batch/v1/namespaces/cv/jobs", 500, "the connection broke", 1, true);
		cluster.failRequests("POST", "/api/v1/namespaces/cv/secrets", 503, "the server is overloaded", 1, false);
		String backup;
		try {
			backup = backUp("cv", "data");
		}
		finally {
			assertThat(cluster.disarmFaults()).as("every fault answered a write").isEqualTo(3);
		}

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(1);
		assertThat(done.json().path("attempts").path(0).path("state").asString()).isEqualTo("Committed");
		assertThat(this.kubelet.jobs()).singleElement()
			.satisfies(job -> assertThat(job.getMetadata().getName()).isEqualTo("pss-backup-" + backup + "-1"));
		assertThat(this.db.sql("""
				select create_attempts from mover_runs
				where job_id = cast(? as uuid) and job_created_at is not null and job_manifest is null""")
			.param(backup).query(Integer.class).single()).isEqualTo(3);
		this.kubelet.jobs().forEach(KubernetesExecutorIntegrationTests::assertValidAndLockedDown);
	}

	@Test
	void aJobWhoseClustersApiIsDownIsWrittenOnceItIsBackInTheSameAttempt() {
		var cluster = TestInfrastructure.cluster();
		cluster.stop();
		Response queued;
		try {
			queued = this.api.post(STORAGES + "/data/backups", null);
			assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
			// tries fail while the API is gone, and are tried again after their backoff
			await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
				.until(() -> count("select count(*) from mover_runs where create_attempts >= 2") == 1);
		}
		finally {
			cluster.restart();
		}
		// the kubelet's connection went with the API: it connects anew, as a kubelet does
		this.kubelet.close();
		this.kubelet = SimulatedKubelet.start(cluster.client(), TestInfrastructure.sharesRoot(), Map.of());

		Response done = awaitEnd(queued.header("Location"));
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(1);
		assertThat(this.kubelet.jobs()).hasSize(1);
	}

	@Test
	void aJobTheClusterRefusesFailsItsAttemptAtOnceWithTheClustersAnswer() {
		var cluster = TestInfrastructure.cluster();
		cluster.failRequests("POST", "/apis/batch/v1/namespaces/cv/jobs", 403,
				"jobs.batch is forbidden: cannot create resource jobs in the namespace cv", 1, false);
		String backup;
		try {
			backup = backUp("cv", "data");
		}
		finally {
			assertThat(cluster.disarmFaults()).as("the refusal answered a write").isEqualTo(1);
		}

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("attempt").asInt()).as(done.toString()).isEqualTo(2);
		assertThat(done.json().path("attempts").path(0).path("reason").asString()).isEqualTo(
				"Its Job could not be created in cluster local: Job: 403 jobs.batch is forbidden: cannot create resource jobs in the namespace cv");
		assertThat(this.kubelet.jobs()).extracting(job -> job.getMetadata().getName())
			.containsExactly("pss-backup-" + backup + "-2");
	}

	@Test
	void aMoverThatDoesNotStopAfterACancelHasItsJobDeletedAfterTheGraceAndItsRunEndsCancelled() throws Exception {
		String backup = heldBackup("cv", "data");
		String path = STORAGES + "/data/backups/" + backup;
		// it neither heartbeats nor exits, as a mover on a hung node does
		this.kubelet.freeze(newestRun(backup));

		Response cancel = this.api.post(path + ":cancel", null);

		assertThat(cancel.status()).as(cancel.toString()).isIn(200, 202);
		Response done = awaitEnd(path);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Cancelled");
		assertThat(done.json().path("attempts").path(0).path("reason").asString())
			.isEqualTo("Cancelled: its mover did not stop within 2s of the cancel");
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> moverObjects() == 0);
		assertThat(this.kubelet.jobs()).hasSize(1);
	}

	@Test
	void aJobPastItsDeadlineEndsItsAttemptAsDeadlineExceededAndTheNextOneSucceeds() throws Exception {
		String backup = heldBackup("cv", "data");
		String first = newestRun(backup);

		this.kubelet.exceedDeadline(first);
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> count(
				"select count(*) from mover_runs where id = cast(? as uuid) and state = 'Failed'", first) == 1);
		Files.delete(HOLD);

		Response done = awaitEnd(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Succeeded");
		assertThat(done.json().path("attempts").path(0).path("reason").asString())
			.startsWith("Job failed: DeadlineExceeded: Job was active longer than specified deadline");
	}

	@Test
	void aPodThatCannotPullItsImageFailsItsAttemptAfterThePendingTimeoutWithThePullError() {
		String error = "rpc error: code = NotFound desc = failed to resolve reference: not found";
		this.kubelet.imagePullFails(error);

		Response queued = this.api.post(STORAGES + "/data/backups", null);
		Response done = awaitEnd(queued.header("Location"));

		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Failed");
		String image = this.kubelet.jobs().get(0).getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
		for (JsonNode attempt : done.json().path("attempts")) {
			assertThat(attempt.path("reason").asString()).isEqualTo("Its pod did not run within 3s: ImagePullBackOff: "
					+ "Back-off pulling image \"" + image + "\": " + error);
		}
	}

	@Test
	void aPodTheClusterDoesNotCreateFailsItsAttemptWithWhatTheJobControllerReported() {
		this.kubelet.podsForbidden("exceeded quota: compute, requested: memory=256Mi, used: memory=1Gi, limited: memory=1Gi");

		Response queued = this.api.post(STORAGES + "/data/backups", null);
		Response done = awaitEnd(queued.header("Location"));

		assertThat(done.json().path("state").asString()).as(done.toString()).isEqualTo("Failed");
		String backup = done.json().path("id").asString();
		// no pod says why: the Job's event does
		assertThat(done.json().path("attempts").path(0).path("reason").asString())
			.isEqualTo("Its pod did not run within 3s: FailedCreate: Error creating: pods \"pss-backup-" + backup
					+ "-1-x\" is forbidden: exceeded quota: compute, requested: memory=256Mi, used: memory=1Gi, "
					+ "limited: memory=1Gi");
	}

	/** The movers' Jobs, pods and Secrets left in the cluster. */
	private static int moverObjects() {
		var client = TestInfrastructure.cluster().client();
		return client.batch().v1().jobs().inAnyNamespace().withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
			.list().getItems().size()
				+ client.pods().inAnyNamespace().withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER).list()
					.getItems().size()
				+ client.secrets().inAnyNamespace().withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER).list()
					.getItems().size();
	}

	/**
	 * A Job as an API server would take it (every field one of the Job's schema, its names and labels
	 * valid), that retries nothing itself and runs its mover locked down, with no credential but the run
	 * token, and that in a Secret it owns.
	 */
	private static void assertValidAndLockedDown(Job job) {
		String json = Serialization.asJson(job);
		Job parsed = Serialization.unmarshal(json, Job.class);
		assertThat(unknownFields(parsed, "job")).as("fields outside the Job schema").isEmpty();
		assertThat(job.getApiVersion()).isEqualTo("batch/v1");
		assertThat(job.getMetadata().getName()).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
		job.getMetadata().getLabels().forEach((key, value) -> assertThat(value)
			.matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?").hasSizeLessThanOrEqualTo(63));
		assertThat(job.getSpec().getBackoffLimit()).isZero();
		assertThat(job.getSpec().getActiveDeadlineSeconds()).isPositive();
		assertThat(job.getSpec().getTtlSecondsAfterFinished()).isNotNull();
		assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations())
			.containsEntry("cluster-autoscaler.kubernetes.io/safe-to-evict", "false");
		PodSpec pod = job.getSpec().getTemplate().getSpec();
		assertThat(pod.getRestartPolicy()).isEqualTo("Never");
		assertThat(pod.getAutomountServiceAccountToken()).isFalse();
		assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
		assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
		assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
		Container container = pod.getContainers().get(0);
		assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
		assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
		assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
		assertThat(container.getResources().getRequests().get("memory"))
			.isEqualTo(container.getResources().getLimits().get("memory"));
		assertThat(pod.getVolumes().stream().filter(v -> v.getName().equals("tmp")).findFirst().orElseThrow()
			.getEmptyDir().getSizeLimit()).isNotNull();
		// the token is a file from the Secret, never a value in the spec; no S3 key anywhere
		assertThat(container.getEnv()).allMatch(variable -> variable.getValueFrom() == null);
		assertThat(json).doesNotContain("pssrun_").doesNotContain(S3ProxyServer.ACCESS_KEY)
			.doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContainIgnoringCase("AWS_");
		Secret secret = TestInfrastructure.cluster().client().secrets().inNamespace(job.getMetadata().getNamespace())
			.withName(job.getMetadata().getName()).get();
		if (secret != null) {
			assertThat(secret.getData()).containsOnlyKeys(MoverJobManifests.TOKEN_KEY);
			assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
				.satisfies(owner -> assertThat(owner.getName()).isEqualTo(job.getMetadata().getName()));
		}
	}

	/** Paths of fields fabric8's Job model does not know (it keeps them as additional properties). */
	private static List<String> unknownFields(Object model, String path) {
		List<String> unknown = new ArrayList<>();
		if (model == null || !model.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
			if (model instanceof Collection<?> items) {
				int i = 0;
				for (Object item : items) {
					unknown.addAll(unknownFields(item, path + "[" + i++ + "]"));
				}
			}
			else if (model instanceof Map<?, ?> map) {
				map.forEach((key, value) -> unknown.addAll(unknownFields(value, path + "." + key)));
			}
			return unknown;
		}
		try {
			for (PropertyDescriptor property : Introspector.getBeanInfo(model.getClass()).getPropertyDescriptors()) {
				Method getter = property.getReadMethod();
				if (getter == null || getter.getParameterCount() > 0 || property.getName().equals("class")) {
					continue;
				}
				Object value = getter.invoke(model);
				if (property.getName().equals("additionalProperties")) {
					if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
						extra.keySet().forEach(key -> unknown.add(path + "." + key));
					}
				}
				else if (!(value instanceof io.fabric8.kubernetes.api.model.Quantity)) {
					unknown.addAll(unknownFields(value, path + "." + property.getName()));
				}
			}
		}
		catch (ReflectiveOperationException | java.beans.IntrospectionException ex) {
			throw new IllegalStateException(ex);
		}
		return unknown;
	}

}
