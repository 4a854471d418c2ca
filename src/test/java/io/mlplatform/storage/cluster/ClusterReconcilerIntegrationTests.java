package io.mlplatform.storage.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.MockCluster;
import io.mlplatform.storage.SimulatedOperator;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.ProjectStorageSpec;
import io.mlplatform.storage.cluster.crd.StorageQuota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The service against an in-memory Kubernetes API with our CRDs loaded. */
class ClusterReconcilerIntegrationTests extends IntegrationTestSupport {

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	private static final Duration WAIT = Duration.ofSeconds(20);

	@Autowired
	private StatusMirror mirror;

	@Autowired
	private Outbox outbox;

	@Autowired
	private Reconciler reconciler;

	@Autowired
	private ClusterClients clients;

	@Autowired
	private ClusterHealth health;

	private final MockCluster cluster = TestInfrastructure.cluster();

	private SimulatedOperator operator;

	@BeforeEach
	void project() {
		this.api.put("/api/v1/projects/nlp", "{\"namespace\": \"team-nlp\"}");
	}

	@AfterEach
	void stopOperator() {
		if (this.operator != null) {
			this.operator.close();
		}
	}

	private KubernetesClient k8s() {
		return this.cluster.client();
	}

	private ProjectStorage object(String name) {
		return k8s().resources(ProjectStorage.class).inNamespace("team-nlp").withName(name).get();
	}

	private void startOperator() throws Exception {
		this.operator = SimulatedOperator.start(k8s(), Files.createTempDirectory("shares"), null);
	}

	@Test
	void aCreatedStorageAppearsAsACustomResourceWithItsSpecAndLabels() {
		Response created = this.api.post(STORAGES,
				"{\"name\": \"imagenet\", \"capacity\": \"500Gi\", \"labels\": {\"team\": \"nlp\"}}");
		String id = created.json().path("id").asString();

		await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> object("imagenet") != null);
		ProjectStorage object = object("imagenet");
		assertThat(object.getSpec().project()).isEqualTo("nlp");
		assertThat(object.getSpec().capacity()).isEqualTo("500Gi");
		assertThat(object.getSpec().capacityBytes()).isEqualTo(500L << 30);
		assertThat(object.getSpec().accessMode()).isEqualTo("ReadWriteMany");
		assertThat(object.getSpec().backupEnabled()).isTrue();
		assertThat(object.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, "project-storage-service")
			.containsEntry(Labels.PROJECT, "nlp")
			.containsEntry(Labels.STORAGE_ID, id)
			.containsEntry("team", "nlp");
		assertThat(object.getStatus()).isNull();
		await().atMost(WAIT).until(() -> "Synced".equals(
				this.api.get(STORAGES + "/imagenet").json().path("status").path("syncState").asString()));
		assertThat(count("select count(*) from cluster_outbox")).isZero();
		// the status changed since creation: a cached copy is stale, a write based on it is not
		assertThat(this.api.get(STORAGES + "/imagenet", "If-None-Match", created.etag()).status()).isEqualTo(200);
		assertThat(this.api.patch(STORAGES + "/imagenet", "{\"labels\": {\"team\": \"nlp\", \"x\": \"y\"}}", "If-Match",
				created.etag()).status()).isEqualTo(200);
	}

	@Test
	void aLabelRemovedFromTheStorageLeavesTheObjectButLabelsOthersSetStay() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\", \"labels\": {\"team\": \"nlp\", \"tier\": \"hot\"}}");
		await().atMost(WAIT).until(() -> object("data") != null && "Synced".equals(syncState("data")));
		k8s().resources(ProjectStorage.class).inNamespace("team-nlp").withName("data").edit(object -> {
			object.getMetadata().getLabels().put("nfs.example.com/pool", "a");
			return object;
		});

		this.api.patch(STORAGES + "/data", "{\"labels\": {\"tier\": null, \"owner\": \"ml\"}}");

		await().atMost(WAIT).until(() -> object("data").getMetadata().getLabels().containsKey("owner"));
		assertThat(object("data").getMetadata().getLabels()).doesNotContainKey("tier")
			.containsEntry("team", "nlp")
			.containsEntry("nfs.example.com/pool", "a")
			.containsEntry(Labels.MANAGED_BY, "project-storage-service");

		this.api.patch(STORAGES + "/data", "{\"labels\": null}");

		await().atMost(WAIT).until(() -> !object("data").getMetadata().getLabels().containsKey("owner"));
		assertThat(this.mirror.resync("local")).isZero();
		assertThat(object("data").getMetadata().getLabels()).doesNotContainKeys("team", "tier")
			.containsEntry("nfs.example.com/pool", "a")
			.containsEntry(Labels.STORAGE_ID, this.api.get(STORAGES + "/data").json().path("id").asString());
	}

	@Test
	void aStorageKeepsTheDefaultClassItWasCreatedWithWhenItsClusterChangesItsDefault() throws Exception {
		Path kubeconfig = TestInfrastructure.kubeconfigDirectory().resolve("second.kubeconfig");
		Files.copy(TestInfrastructure.kubeconfig(), kubeconfig, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
		String second = """
				{"name": "second", "credentials": {"type": "kubeconfig", "path": "%s"}, "defaultStorageClass": "%s"}""";
		this.api.post("/api/v1/clusters", second.formatted(kubeconfig, "nfs-fast"));
		String request = "{\"name\": \"a\", \"capacity\": \"1Gi\", \"cluster\": \"second\"}";
		Response created = this.api.post(STORAGES, request);
		assertThat(created.json().path("storageClass").asString()).isEqualTo("nfs-fast");
		await().atMost(WAIT).until(() -> object("a") != null && "Synced".equals(syncState("a")));

		assertThat(this.api.put("/api/v1/clusters/second", second.formatted(kubeconfig, "nfs-slow")).status()).isEqualTo(200);
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"1Gi\", \"cluster\": \"second\"}");
		await().atMost(WAIT).until(() -> object("b") != null && "Synced".equals(syncState("b")));

		assertThat(this.mirror.resync("second")).isZero();
		assertThat(object("a").getSpec().storageClassName()).isEqualTo("nfs-fast");
		assertThat(object("b").getSpec().storageClassName()).isEqualTo("nfs-slow");
		assertThat(this.api.get(STORAGES + "/a").json().path("storageClass").asString()).isEqualTo("nfs-fast");
		assertThat(this.api.get(STORAGES + "/b").json().path("storageClass").asString()).isEqualTo("nfs-slow");
		// naming no class still means the storage's own: a replayed POST and a PUT change nothing
		assertThat(this.api.post(STORAGES, request).status()).isEqualTo(200);
		assertThat(this.api.put(STORAGES + "/a", request).status()).isEqualTo(200);
		assertThat(this.api.put(STORAGES + "/a", request.replace("}", ", \"storageClass\": \"nfs-slow\"}")).problemType())
			.isEqualTo("immutable-field");
		assertThat(count("select count(*) from cluster_outbox")).isZero();
	}

	@Test
	void aResizeUpdatesTheSpecAndBumpsTheGeneration() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"100Gi\"}");
		await().atMost(WAIT).until(() -> object("data") != null);
		long before = object("data").getMetadata().getGeneration();

		this.api.patch(STORAGES + "/data", "{\"capacity\": \"200Gi\"}");

		await().atMost(WAIT).until(() -> "200Gi".equals(object("data").getSpec().capacity()));
		assertThat(object("data").getMetadata().getGeneration()).isEqualTo(before + 1);
		assertThat(object("data").getMetadata().getAnnotations()).containsEntry(Labels.GENERATION, "2");
	}

	@Test
	void statusWrittenByTheOperatorShowsInTheApi() throws Exception {
		startOperator();
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"100Gi\"}");

		await().atMost(WAIT).until(() -> "Ready".equals(this.api.get(STORAGES + "/data").json().path("state").asString()));
		Response ready = this.api.get(STORAGES + "/data");
		assertThat(ready.json().path("status").path("phase").asString()).isEqualTo("Ready");
		assertThat(ready.json().path("status").path("pvcName").asString()).isEqualTo("pvc-data");
		assertThat(ready.json().path("status").path("nfs").path("path").asString()).endsWith("team-nlp/data");
		assertThat(ready.json().path("status").path("conditions").get(0).path("type").asString()).isEqualTo("Ready");

		// a resize is Pending until the operator has acted on the new generation
		this.api.patch(STORAGES + "/data", "{\"capacity\": \"200Gi\"}");
		await().atMost(WAIT).until(() -> "Ready".equals(this.api.get(STORAGES + "/data").json().path("state").asString()));
		assertThat(count("select observed_generation from storages where name = 'data'")).isEqualTo(2);
	}

	/**
	 * Another replica's informer may deliver a status the row has long moved past: it must not win,
	 * neither within one object nor once the object was deleted and created again (whose generation
	 * starts over, but whose resourceVersion is newer).
	 */
	@Test
	void aLaggingInformerCannotWriteAnOlderStatusOverANewerOne() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> object("data") != null && "Synced".equals(syncState("data")));
		ProjectStorage provisioning = reportStatus("data", "Provisioning", 1L);
		this.api.patch(STORAGES + "/data", "{\"capacity\": \"2Gi\"}");
		await().atMost(WAIT).until(() -> object("data").getMetadata().getGeneration() == 2);
		reportStatus("data", "Ready", 2L);
		await().atMost(WAIT).until(() -> "Ready".equals(this.api.get(STORAGES + "/data").json().path("state").asString()));

		this.mirror.mirror(provisioning);

		Response after = this.api.get(STORAGES + "/data");
		assertThat(after.json().path("state").asString()).isEqualTo("Ready");
		assertThat(after.json().path("status").path("phase").asString()).isEqualTo("Ready");
		assertThat(count("select observed_generation from storages where name = 'data'")).isEqualTo(2);

		// deleted by hand and written again by the resync: generation 1 of a new object is the newer status
		ProjectStorage ready = object("data");
		k8s().resource(ready).delete();
		await().atMost(WAIT).until(() -> object("data") == null);
		this.mirror.resync("local");
		await().atMost(WAIT).until(() -> object("data") != null);
		reportStatus("data", "Provisioning", 1L);
		await().atMost(WAIT).until(() -> "Provisioning".equals(this.api.get(STORAGES + "/data").json().path("status").path("phase").asString()));

		this.mirror.mirror(ready);

		assertThat(this.api.get(STORAGES + "/data").json().path("status").path("phase").asString()).isEqualTo("Provisioning");
	}

	/** Writes status the way an operator does, and returns the object as it then is. */
	private ProjectStorage reportStatus(String name, String phase, Long observedGeneration) {
		ProjectStorage object = object(name);
		object.setStatus(new io.mlplatform.storage.cluster.crd.ProjectStorageStatus(phase, observedGeneration, "pvc-" + name,
				null, 0L, List.of()));
		return k8s().resource(object).updateStatus();
	}

	@Test
	void usedBytesFollowWhatIsWrittenIntoTheShare() throws Exception {
		this.operator = SimulatedOperator.start(k8s(), Files.createTempDirectory("shares"), Duration.ofMillis(100));
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> "Ready".equals(this.api.get(STORAGES + "/data").json().path("state").asString()));
		java.nio.file.Path share = java.nio.file.Path
			.of(this.api.get(STORAGES + "/data").json().path("status").path("nfs").path("path").asString());

		Files.write(share.resolve("weights.bin"), new byte[12_345]);

		await().atMost(WAIT).until(() -> this.api.get(STORAGES + "/data").json().path("status").path("usedBytes").asLong() == 12_345);
	}

	@Test
	void aClusterThatIsDownFailsNoCallAndGetsEverythingOnceBack() {
		List<String> names = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			names.add("s" + i);
		}
		this.cluster.stop();
		try {
			for (String name : names) {
				assertThat(this.api.post(STORAGES, "{\"name\": \"" + name + "\", \"capacity\": \"1Gi\"}").status())
					.isEqualTo(201);
				assertThat(this.api.patch(STORAGES + "/" + name, "{\"capacity\": \"2Gi\"}").status()).isEqualTo(200);
			}
			await().atMost(WAIT).until(() -> count("select count(*) from storages where last_error is not null") > 0);
			Response pending = this.api.get(STORAGES + "/s0");
			assertThat(pending.json().path("status").path("syncState").asString()).isEqualTo("Pending");
		}
		finally {
			this.cluster.restart();
		}

		await().atMost(Duration.ofSeconds(90)).until(() -> count("select count(*) from cluster_outbox") == 0);
		for (String name : names) {
			ProjectStorage object = object(name);
			assertThat(object).as(name).isNotNull();
			assertThat(object.getSpec().capacity()).isEqualTo("2Gi");
		}
		assertThat(count("select count(*) from storages where sync_state <> 'Synced' or last_error is not null"))
			.isZero();
	}

	@Test
	void aCustomResourceDeletedOrEditedByHandComesBackOnResync() {
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> object("a") != null && object("b") != null
				&& count("select count(*) from cluster_outbox") == 0);
		k8s().resource(object("a")).delete();
		k8s().resources(ProjectStorage.class)
			.inNamespace("team-nlp")
			.withName("b")
			.edit(o -> {
				o.setSpec(new ProjectStorageSpec("nlp", "5Gi", 5L << 30, null, "ReadWriteMany", true, null));
				return o;
			});
		await().atMost(WAIT).until(() -> object("a") == null);

		assertThat(this.mirror.resync("local")).isEqualTo(2);

		await().atMost(WAIT).until(() -> object("a") != null && "1Gi".equals(object("b").getSpec().capacity()));
		assertThat(count("select count(*) from storages where deleted_at is null")).isEqualTo(2);
	}

	@Test
	void objectsWithOurLabelsButNoStorageAreReportedNotDeleted() {
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> object("a") != null && count("select count(*) from cluster_outbox") == 0);
		this.db.sql("DELETE FROM storages").update();

		this.mirror.resync("local");

		assertThat(object("a")).isNotNull();
	}

	@Test
	void deletionWaitsForTheOperatorsFinalizerThenFreesTheName() throws Exception {
		startOperator();
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> "Ready".equals(this.api.get(STORAGES + "/data").json().path("state").asString()));
		this.operator.holdFinalizer(true);

		Response deleting = this.api.delete(STORAGES + "/data");

		assertThat(deleting.status()).isEqualTo(202);
		assertThat(deleting.json().path("state").asString()).isEqualTo("Deleting");
		await().atMost(WAIT).until(() -> object("data") != null && object("data").getMetadata().getDeletionTimestamp() != null);
		assertThat(this.api.get(STORAGES + "/data").json().path("state").asString()).isEqualTo("Deleting");
		assertThat(this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}").status()).isEqualTo(409);

		this.operator.holdFinalizer(false);

		await().atMost(WAIT).until(() -> this.api.get(STORAGES + "/data").status() == 404);
		assertThat(object("data")).isNull();
		assertThat(count("select count(*) from storages where name = 'data' and lifecycle = 'Deleted'")).isEqualTo(1);
		assertThat(this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}").status()).isEqualTo(201);
	}

	@Test
	void twoInstancesNeverClaimTheSameOutboxRow() throws Exception {
		int rows = 400;
		for (int i = 0; i < rows; i++) {
			this.db.sql("""
					INSERT INTO cluster_outbox (cluster, kind, namespace, name, action, body, not_before, created_at)
					VALUES ('twin', 'ProjectStorage', 'ns', ?, 'apply', '{}', now(), now())""").param("o" + i).update();
		}
		List<Long> claimed = Collections.synchronizedList(new ArrayList<>());
		ExecutorService instances = Executors.newFixedThreadPool(4);
		List<Future<?>> running = new ArrayList<>();
		for (int instance = 0; instance < 4; instance++) {
			String owner = "instance-" + instance;
			running.add(instances.submit(() -> {
				while (count("select count(*) from cluster_outbox where cluster = 'twin'") > 0) {
					for (OutboxRow row : this.outbox.claim("twin", owner, 7, Duration.ofMinutes(1))) {
						claimed.add(row.id());
						this.outbox.applied(row, owner, null);
					}
				}
			}));
		}
		for (Future<?> future : running) {
			future.get();
		}
		instances.shutdown();

		Set<Long> distinct = new HashSet<>(claimed);
		assertThat(claimed).hasSize(distinct.size());
		assertThat(distinct).hasSize(rows);
	}

	@Test
	void anObjectOfTheSameNameThatIsNotOursIsNeitherTakenOverNorDeleted() {
		k8s().resources(ProjectStorage.class).inNamespace("team-nlp").resource(Serialization.unmarshal("""
				apiVersion: storage.mlplatform.io/v1alpha1
				kind: ProjectStorage
				metadata: {name: shared, namespace: team-nlp, labels: {owner: someone-else}}
				spec: {project: other, capacity: 1Gi, capacityBytes: 1073741824, accessMode: ReadWriteOnce}
				""", ProjectStorage.class)).create();

		this.api.post(STORAGES, "{\"name\": \"shared\", \"capacity\": \"5Gi\"}");

		await().atMost(WAIT).until(() -> "Error".equals(syncState("shared")));
		assertThat(this.api.get(STORAGES + "/shared").json().path("status").path("lastError").asString())
			.contains("not created by this service");
		assertThat(object("shared").getSpec().project()).isEqualTo("other");
		assertThat(object("shared").getMetadata().getLabels()).doesNotContainKey(Labels.MANAGED_BY);

		// the delete replaces the refused apply instead of queuing behind it, and leaves the stranger alone
		assertThat(this.api.delete(STORAGES + "/shared").status()).isEqualTo(202);

		await().atMost(WAIT).until(() -> this.api.get(STORAGES + "/shared").status() == 404);
		assertThat(object("shared").getSpec().capacity()).isEqualTo("1Gi");
		assertThat(count("select count(*) from cluster_outbox")).isZero();
	}

	@Test
	void anObjectStillBeingDeletedHoldsBackOnlyItsOwnChanges() {
		this.api.post(STORAGES, "{\"name\": \"stuck\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> object("stuck") != null && "Synced".equals(syncState("stuck")));
		// deleted by hand while something holds a finalizer on it
		k8s().resources(ProjectStorage.class).inNamespace("team-nlp").withName("stuck").edit(object -> {
			object.getMetadata().setFinalizers(List.of("example.com/hold"));
			return object;
		});
		k8s().resources(ProjectStorage.class).inNamespace("team-nlp").withName("stuck").delete();
		await().atMost(WAIT).until(() -> object("stuck").getMetadata().getDeletionTimestamp() != null);

		this.api.patch(STORAGES + "/stuck", "{\"capacity\": \"2Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"other\", \"capacity\": \"1Gi\"}");

		await().atMost(WAIT).until(() -> object("other") != null && "Synced".equals(syncState("other")));
		await().atMost(WAIT).until(() -> this.api.get(STORAGES + "/stuck").json().path("status").path("lastError")
			.asString("").contains("still being deleted"));
		assertThat(syncState("stuck")).isEqualTo("Pending");
		assertThat(this.reconciler.failures("local")).as("the cluster as a whole is fine").isZero();

		k8s().resources(ProjectStorage.class).inNamespace("team-nlp").withName("stuck").edit(object -> {
			object.getMetadata().setFinalizers(List.of());
			return object;
		});

		await().atMost(WAIT).until(() -> object("stuck") != null && object("stuck").getMetadata().getDeletionTimestamp() == null
				&& "2Gi".equals(object("stuck").getSpec().capacity()));
		await().atMost(WAIT).until(() -> "Synced".equals(syncState("stuck")));
	}

	@Test
	void aRowWhoseLeaseRanOutIsNeitherAppliedNorReportedByItsFirstClaimer() {
		long id = this.db.sql("""
				INSERT INTO cluster_outbox (cluster, kind, namespace, name, action, body, not_before, created_at,
				                            claimed_by, claimed_until)
				VALUES ('twin', 'ProjectStorage', 'ns', 'o', 'apply', '{}', now(), now(), 'first', now() - interval '1 second')
				RETURNING id""").query(Long.class).single();
		OutboxRow lost = new OutboxRow(id, "twin", "ProjectStorage", "ns", "o", null, "apply", "{}", 0, false);

		// the service's own reconciler may hold the row for a moment (it cannot reach 'twin', lets go, and
		// leaves its own "unreachable" error on the row): only what the lost claimer writes is checked
		List<OutboxRow> taken = new ArrayList<>();
		try {
			await().atMost(WAIT).until(() -> taken.addAll(this.outbox.claim("twin", "second", 10, Duration.ofMinutes(1))));

			assertThat(taken).extracting(OutboxRow::id).containsExactly(id);
			assertThat(this.outbox.renew(lost, "first", Duration.ofMinutes(1))).isFalse();
			this.outbox.failed(lost, "first", "late failure", true, Duration.ofMinutes(5));
			assertThat(count("""
					select count(*) from cluster_outbox where id = ? and claimed_by = 'second' and attempts = 0
					  and last_error is distinct from 'late failure' and not_before < now() + interval '1 minute'""", id))
				.isEqualTo(1);
			assertThat(this.outbox.renew(taken.get(0), "second", Duration.ofMinutes(1))).isTrue();
			this.outbox.applied(taken.get(0), "second", null);
			assertThat(count("select count(*) from cluster_outbox where id = ?", id)).isZero();
		}
		finally {
			// never leave a leased row behind: the next test waits for leases to end
			this.db.sql("DELETE FROM cluster_outbox WHERE id = ?").param(id).update();
		}
	}

	private String syncState(String storage) {
		return this.api.get(STORAGES + "/" + storage).json().path("status").path("syncState").asString();
	}

	/**
	 * Two service instances: two reconcilers with their own owners draining one database into one
	 * cluster while changes pour in. Each records what it applied; no change may be applied by both.
	 */
	@Test
	void twoReconcilersOnOneDatabaseApplyEveryChangeOnceAndTheClusterEndsAsPostgresSays() throws Exception {
		ReconcilerProperties fast = new ReconcilerProperties(true, Duration.ofMillis(20), Duration.ofHours(6), 5, 4,
				Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofMillis(50), Duration.ofSeconds(1));
		List<Long> appliedByA = Collections.synchronizedList(new ArrayList<>());
		List<Long> appliedByB = Collections.synchronizedList(new ArrayList<>());
		Reconciler a = new Reconciler(recording(appliedByA), this.clients, this.mirror, fast, this.health);
		Reconciler b = new Reconciler(recording(appliedByB), this.clients, this.mirror, fast, this.health);
		this.reconciler.stop();
		try {
			a.start();
			b.start();
			for (int i = 0; i < 40; i++) {
				this.api.post(STORAGES, "{\"name\": \"s" + i + "\", \"capacity\": \"1Gi\"}");
				if (i % 2 == 0) {
					this.api.patch(STORAGES + "/s" + (i / 2), "{\"capacity\": \"" + (2 + i) + "Gi\"}");
				}
			}

			await().atMost(Duration.ofSeconds(60)).until(() -> count("select count(*) from cluster_outbox") == 0);
		}
		finally {
			a.stop();
			b.stop();
			this.reconciler.start();
		}

		List<Long> all = new ArrayList<>(appliedByA);
		all.addAll(appliedByB);
		assertThat(all).doesNotHaveDuplicates().isNotEmpty();
		assertThat(appliedByA).as("both instances took work").isNotEmpty();
		assertThat(appliedByB).as("both instances took work").isNotEmpty();
		for (int i = 0; i < 40; i++) {
			long bytes = count("select capacity_bytes from storages where name = ?", "s" + i);
			assertThat(object("s" + i).getSpec().capacityBytes()).as("s" + i).isEqualTo(bytes);
		}
	}

	private Outbox recording(List<Long> applied) {
		return new Outbox(this.db, java.time.Clock.systemUTC()) {
			@Override
			public void applied(OutboxRow row, String owner, Long clusterGeneration) {
				applied.add(row.id());
				super.applied(row, owner, clusterGeneration);
			}
		};
	}

	@Test
	void theProjectsQuotaFollowsItsStoragesIntoTheirClusterAsAStorageQuota() {
		this.api.put("/api/v1/projects/nlp/quota", "{\"capacity\": \"2Ti\", \"maxStorages\": 20}");
		assertThat(count("select count(*) from cluster_outbox")).as("no storage, no cluster to write to").isZero();

		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");

		await().atMost(WAIT).until(() -> quota() != null);
		assertThat(quota().getSpec().capacity()).isEqualTo("2Ti");
		assertThat(quota().getSpec().maxStorages()).isEqualTo(20);
		assertThat(quota().getMetadata().getLabels()).containsEntry(Labels.PROJECT, "nlp")
			.containsEntry(Labels.MANAGED_BY, "project-storage-service");

		this.api.patch("/api/v1/projects/nlp/quota", "{\"maxStorages\": 30}");

		await().atMost(WAIT).until(() -> Integer.valueOf(30).equals(quota().getSpec().maxStorages()));
	}

	@Test
	void aClustersCapIsWrittenIntoTheStorageQuotaOfThatClusterOnly() {
		this.api.post("/api/v1/clusters", "{\"name\": \"gpu-west\", \"credentials\": {\"type\": \"inCluster\"}}");
		this.api.put("/api/v1/projects/nlp/quota", """
				{"maxStorages": 20, "clusters": {"local": {"capacity": "1Ti", "maxStorages": 5}, "gpu-west": {"capacity": "10Ti"}}}""");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\", \"cluster\": \"local\"}");
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"1Gi\", \"cluster\": \"gpu-west\"}");

		await().atMost(WAIT).until(() -> quota() != null && count("select count(*) from cluster_outbox where cluster = 'local'") == 0);
		assertThat(quota().getSpec().maxStorages()).isEqualTo(20);
		assertThat(quota().getSpec().cluster())
			.isEqualTo(new io.mlplatform.storage.cluster.crd.StorageQuotaSpec.Cluster("local", "1Ti", 1L << 40, 5));
		assertThat(this.db.sql("""
				select body -> 'spec' -> 'cluster' ->> 'capacity' from cluster_outbox
				where cluster = 'gpu-west' and kind = 'StorageQuota'""").query(String.class).single()).isEqualTo("10Ti");

		this.api.patch("/api/v1/projects/nlp/quota", "{\"clusters\": {\"local\": {\"capacity\": null}}}");

		await().atMost(WAIT).until(() -> quota().getSpec().cluster().capacity() == null);
		assertThat(quota().getSpec().cluster().capacityBytes()).isNull();
		assertThat(quota().getSpec().cluster().maxStorages()).isEqualTo(5);

		this.api.patch("/api/v1/projects/nlp/quota", "{\"clusters\": {\"local\": null}}");

		await().atMost(WAIT).until(() -> quota().getSpec().cluster() == null
				&& count("select count(*) from cluster_outbox where cluster = 'local'") == 0);
		assertThat(this.mirror.resync("local")).as("in step").isZero();
	}

	@Test
	void aStorageQuotaDeletedOrEditedByHandComesBackOnResync() {
		this.api.put("/api/v1/projects/nlp/quota", "{\"capacity\": \"2Ti\", \"maxStorages\": 20}");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");
		await().atMost(WAIT).until(() -> quota() != null && count("select count(*) from cluster_outbox") == 0);
		assertThat(this.mirror.resync("local")).as("in step").isZero();

		k8s().resource(quota()).delete();
		await().atMost(WAIT).until(() -> quota() == null);

		assertThat(this.mirror.resync("local")).isEqualTo(1);

		// applied and settled: a resync skips what is still pending in the outbox
		await().atMost(WAIT).until(() -> quota() != null && count("select count(*) from cluster_outbox") == 0);
		assertThat(quota().getSpec().capacity()).isEqualTo("2Ti");

		k8s().resources(StorageQuota.class).inNamespace("team-nlp").withName("nlp").edit(object -> {
			object.setSpec(new io.mlplatform.storage.cluster.crd.StorageQuotaSpec("nlp", "9Ti", 9L << 40, 99, null));
			return object;
		});

		assertThat(this.mirror.resync("local")).isEqualTo(1);

		await().atMost(WAIT).until(() -> "2Ti".equals(quota().getSpec().capacity()));
		assertThat(quota().getSpec().maxStorages()).isEqualTo(20);
		assertThat(quota().getSpec().capacityBytes()).isEqualTo(2L << 40);
	}

	private StorageQuota quota() {
		return k8s().resources(StorageQuota.class).inNamespace("team-nlp").withName("nlp").get();
	}

}
