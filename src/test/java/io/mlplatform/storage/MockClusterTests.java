package io.mlplatform.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.ProjectStorageSpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The local run's Kubernetes API is usable from a shell, as the README promises. */
class MockClusterTests {

	@Test
	void kubectlListsProjectStoragesByNameAndShortNameAndMoversJobs() throws Exception {
		assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")) || Files.isExecutable(Path.of("/usr/local/bin/kubectl")),
				"kubectl is not installed");
		MockCluster cluster = MockCluster.start(0);
		try {
			Path kubeconfig = cluster.writeKubeconfig(Files.createTempDirectory("kube").resolve("config"));
			ProjectStorage object = new ProjectStorage();
			object.setMetadata(new ObjectMetaBuilder().withName("data").withNamespace("nlp").build());
			object.setSpec(new ProjectStorageSpec("nlp", "1Gi", 1L << 30, null, "ReadWriteMany", true, null));
			cluster.client().resource(object).create();

			cluster.client().batch().v1().jobs().inNamespace("nlp").resource(new io.fabric8.kubernetes.api.model.batch.v1.JobBuilder()
				.withNewMetadata().withName("pss-backup-1").withNamespace("nlp").endMetadata()
				.withNewSpec().withNewTemplate().withNewSpec().addNewContainer().withName("mover").withImage("pss")
				.endContainer().withRestartPolicy("Never").endSpec().endTemplate().endSpec().build()).create();

			for (String resource : new String[] { "projectstorages", "pst", "jobs" }) {
				Process kubectl = new ProcessBuilder("kubectl", "--kubeconfig", kubeconfig.toString(),
						"--request-timeout=10s", "get", resource, "-A")
					.redirectErrorStream(true)
					.start();
				String output = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
				assertThat(kubectl.waitFor(30, TimeUnit.SECONDS)).isTrue();
				assertThat(kubectl.exitValue()).as(output).isZero();
				assertThat(output).contains("nlp").contains(resource.equals("jobs") ? "pss-backup-1" : "data");
			}
		}
		finally {
			cluster.stop();
		}
	}

}
