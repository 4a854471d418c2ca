package io.mlplatform.storage.cluster;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.cluster.crd.ProjectStorage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Not part of the suite (the name does not end in Tests): {@code mvn test -Dtest=ClusterResyncBenchmark}.
 * Times a full resync of 10,000 storages against the in-memory Kubernetes API: once into an empty
 * cluster (every object created through the outbox) and once into a cluster already in step (one
 * list, compare, nothing queued). Storages are inserted with SQL, as 100 projects of 100 each.
 */
class ClusterResyncBenchmark extends IntegrationTestSupport {

	private static final int PROJECTS = 100;

	private static final int PER_PROJECT = 100;

	@Autowired
	private StatusMirror mirror;

	@Test
	void fullResyncOf10000Storages() throws Exception {
		this.db.sql("""
				INSERT INTO projects (id, name, namespace, created_at, updated_at, version)
				SELECT gen_random_uuid(), 'p-' || lpad(p::text, 3, '0'), 'p-' || lpad(p::text, 3, '0'), now(), now(), 0
				FROM generate_series(1, ?) p""").param(PROJECTS).update();
		this.db.sql("""
				INSERT INTO quotas (project_id, updated_at, version) SELECT id, now(), 0 FROM projects""").update();
		this.db.sql("""
				INSERT INTO storages (id, project_id, name, cluster, capacity_bytes, access_mode, backup_enabled,
				    backup_schedule, backup_time_zone, backup_before_delete, lifecycle, generation, phase, sync_state,
				    created_at, updated_at, version)
				SELECT gen_random_uuid(), p.id, 's-' || lpad(s::text, 4, '0'), 'local', 1073741824, 'ReadWriteMany', true,
				    '0 2 * * *', 'UTC', true, 'Active', 1, 'Pending', 'Pending', now(), now(), 0
				FROM projects p, generate_series(1, ?) s""").param(PER_PROJECT).update();
		int total = PROJECTS * PER_PROJECT;

		long start = System.nanoTime();
		int queued = this.mirror.resync("local");
		long compared = System.nanoTime();
		await().atMost(Duration.ofMinutes(10))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> count("select count(*) from cluster_outbox") == 0);
		long applied = System.nanoTime();
		assertThat(queued).isEqualTo(total);
		assertThat(TestInfrastructure.cluster().client().resources(ProjectStorage.class).inAnyNamespace().list().getItems())
			.hasSize(total);

		long again = System.nanoTime();
		int drifted = this.mirror.resync("local");
		long inStep = System.nanoTime();
		assertThat(drifted).isZero();

		// the ceiling: the same number of objects created straight into the mock API by 8 threads, with
		// no database, outbox or comparison in between (after clearing what the resync created)
		TestInfrastructure.cluster().clear();
		java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8);
		long rawStart = System.nanoTime();
		java.util.List<java.util.concurrent.Future<?>> creates = new java.util.ArrayList<>();
		for (int i = 0; i < total; i++) {
			String name = "raw-" + i;
			creates.add(threads.submit(() -> TestInfrastructure.cluster()
				.client()
				.resources(ProjectStorage.class)
				.inNamespace("raw")
				.resource(io.fabric8.kubernetes.client.utils.Serialization.unmarshal("""
						{"apiVersion": "storage.mlplatform.io/v1alpha1", "kind": "ProjectStorage",
						 "metadata": {"name": "%s", "namespace": "raw"},
						 "spec": {"project": "raw", "capacity": "1Gi", "capacityBytes": 1073741824, "accessMode": "ReadWriteMany"}}"""
					.formatted(name), ProjectStorage.class))
				.create()));
		}
		for (java.util.concurrent.Future<?> create : creates) {
			create.get();
		}
		long rawEnd = System.nanoTime();
		threads.shutdown();

		System.out.printf("%n| full resync of %,d storages | compare and queue | until all applied |%n", total);
		System.out.printf("|---|---:|---:|%n");
		System.out.printf("| into an empty cluster (all created) | %.1f s | %.1f s |%n", (compared - start) / 1e9,
				(applied - start) / 1e9);
		System.out.printf("| into a cluster in step (nothing to do) | %.1f s | %.1f s |%n", (inStep - again) / 1e9,
				(inStep - again) / 1e9);
		System.out.printf("| ceiling: %,d plain creates into the mock API, 8 threads | | %.1f s |%n%n", total,
				(rawEnd - rawStart) / 1e9);
	}

}
