package io.mlplatform.storage.backup.kubernetes;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** A mover's Job as built from the deployment's settings, before any cluster sees it. */
class MoverJobManifestsTests {

	private static MoverJobProperties properties(long runAsUser) {
		return new MoverJobProperties("registry/pss@sha256:" + "a".repeat(64), List.of("java", "-cp", "/app", "Mover"),
				"500m", DataSize.ofMegabytes(256), DataSize.ofBytes(512), DataSize.ofGigabytes(4), Duration.ofHours(24),
				Duration.ofHours(1), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofMinutes(15),
				Duration.ofSeconds(2), runAsUser, runAsUser, null, Map.of(), List.of(), DataSize.ofGigabytes(1));
	}

	@Test
	void memoryGrowsWithTheStoragesFilesInWholeMebibytesUpToTheMaximum() {
		MoverJobProperties settings = properties(65532);

		assertThat(settings.memoryBytes(-1)).isEqualTo(256L << 20);
		// 256 MiB and 512 B for each of a million files: 744.3 MiB, rounded up
		assertThat(settings.memoryBytes(1_000_000)).isEqualTo(745L << 20);
		assertThat(settings.memoryBytes(100_000_000)).isEqualTo(4L << 30);
	}

	@Test
	void requestEqualsLimitSoTheMoverIsNeverEvictedForWhatItAskedFor() {
		Job job = new MoverJobManifests(properties(65532), List.of("-XX:+UseSerialGC", "-Xmx120m"), 120L << 20)
			.job(new MoverJobManifests.Attempt("backup", UUID.randomUUID(),
				12, UUID.randomUUID(), "cv", UUID.randomUUID().toString(), "cv", "pvc-data", 1_000_000,
				URI.create("http://pss"), null));

		var resources = job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources();
		assertThat(resources.getRequests().get("memory")).isEqualTo(new Quantity(Long.toString(745L << 20)));
		assertThat(resources.getLimits()).containsOnlyKeys("memory");
		assertThat(job.getMetadata().getName()).hasSizeLessThanOrEqualTo(63).endsWith("-12");
		// the image's java gets a heap sized for the engine's settings, whatever the pod's memory
		assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
			.anyMatch(env -> env.getName().equals("JDK_JAVA_OPTIONS") && env.getValue().equals("-XX:+UseSerialGC -Xmx120m"));
	}

	@Test
	void aPodHoldsTheMoversHeapAndWhatTheJvmNeedsBesides() {
		Job job = new MoverJobManifests(properties(65532), List.of("-Xmx1024m"), 1L << 30)
			.job(new MoverJobManifests.Attempt("backup", UUID.randomUUID(), 1, UUID.randomUUID(), "cv",
					UUID.randomUUID().toString(), "cv", "pvc-data", -1, URI.create("http://pss"), null));

		assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getLimits().get("memory"))
			.isEqualTo(new Quantity(Long.toString((1L << 30) + MoverJobManifests.NON_HEAP)));
	}

	@Test
	void refusesToRunMoversAsRoot() {
		assertThatIllegalArgumentException().isThrownBy(() -> properties(0)).withMessageContaining("root");
	}

}
