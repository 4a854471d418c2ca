package io.mlplatform.storage;

import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.ProjectStorageSpec;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stand-in operator behaves as a controller does when a write of its own fails: it tries again. A full soak
 * found storages left Deleting for good because the operator's finalizer removal had failed once (the mock
 * API server stalls while the service's watches are cut) and nothing made it try again.
 */
class SimulatedOperatorTests {

	private MockCluster cluster;

	@BeforeEach
	void startCluster() {
		this.cluster = MockCluster.start(0);
	}

	@AfterEach
	void stopCluster() {
		this.cluster.stop();
	}

	@Test
	void aFinalizerRemovalThatFailedIsTriedAgain() throws Exception {
		try (SimulatedOperator operator = SimulatedOperator.start(this.cluster.client(),
				Files.createTempDirectory("shares"), null)) {
			ProjectStorage object = new ProjectStorage();
			object.setMetadata(new ObjectMetaBuilder().withName("data").withNamespace("nlp").build());
			object.setSpec(new ProjectStorageSpec("nlp", "1Gi", 1L << 30, null, "ReadWriteMany", true, null));
			this.cluster.client().resource(object).create();
			assertThat(within(Duration.ofSeconds(10), () -> current() != null
					&& current().getMetadata().getFinalizers().contains(SimulatedOperator.FINALIZER))).isTrue();

			// a refusal is not retried by the client itself: only the operator can try again
			this.cluster.failRequests("PATCH",
					"/apis/" + Labels.GROUP + "/" + Labels.VERSION + "/namespaces/nlp/projectstorages/data", 403,
					"the operator's token was being rotated", 1, false);
			this.cluster.client().resource(current()).delete();

			assertThat(within(Duration.ofSeconds(15), () -> current() == null)).as("the object is gone").isTrue();
			assertThat(this.cluster.disarmFaults()).as("the first removal failed").isEqualTo(1);
		}
	}

	private static boolean within(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + limit.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(50);
		}
		return true;
	}

	private ProjectStorage current() {
		return this.cluster.client().resources(ProjectStorage.class).inNamespace("nlp").withName("data").get();
	}

}
