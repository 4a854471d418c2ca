package io.mlplatform.storage.backup.kubernetes;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;

import io.mlplatform.storage.cluster.ClusterMover;
import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.mover.Mover;

/**
 * The Job that runs one attempt of a backup or restore as a mover in the storage's namespace, and the
 * Secret that carries its run token. The queue owns retries (the Job never restarts its pod), the run
 * token is the only credential in either, and both carry our labels: the service touches no other Job.
 */
public final class MoverJobManifests {

	/** What the service writes of a run: the Job, its pod, and the token's Secret. */
	public static final String COMPONENT = Labels.GROUP + "/component";

	public static final String MOVER = "mover";

	/** The run (one attempt) an object belongs to. */
	public static final String RUN = Labels.GROUP + "/run";

	public static final String KIND = Labels.GROUP + "/job-kind";

	public static final String JOB = Labels.GROUP + "/job-id";

	public static final String ATTEMPT = Labels.GROUP + "/attempt";

	/** Where the PVC is mounted in the mover's container. */
	public static final String DATA = "/data";

	/** Where the token Secret is mounted; the token is a file there, never an environment variable. */
	public static final String TOKEN_DIRECTORY = "/var/run/pss";

	public static final String TOKEN_KEY = "token";

	public static final String CONTAINER = "mover";

	/** What a mover's JVM needs beyond its heap: classes, code, threads, the JVM's own (65 MiB measured), and margin. */
	public static final long NON_HEAP = 128L << 20;

	private final MoverJobProperties properties;

	/** The mover JVM's options, its heap sized from the engine's settings (passed in JDK_JAVA_OPTIONS). */
	private final List<String> javaOptions;

	/** The heap those options give the mover: the pod's memory is at least this and {@link #NON_HEAP}. */
	private final long heap;

	public MoverJobManifests(MoverJobProperties properties, List<String> javaOptions, long heap) {
		this.properties = properties;
		this.javaOptions = List.copyOf(javaOptions);
		this.heap = heap;
	}

	/**
	 * One attempt of a job, as the service knows it when the attempt holds a slot.
	 * @param kind {@code backup} or {@code restore}
	 * @param lastFiles files of the storage's last backup (a restore: of the backup it restores); -1 when none
	 * @param cluster how the cluster's movers differ from the deployment's settings; null where they do not
	 */
	public record Attempt(String kind, UUID job, int attempt, UUID run, String project, String storageId,
			String namespace, String pvcName, long lastFiles, URI serviceUrl, ClusterMover cluster) {

		public boolean restore() {
			return "restore".equals(this.kind);
		}

	}

	/** The Job's (and Secret's) name: the same for one attempt on every replica, so only one is ever created. */
	public static String name(String kind, UUID job, int attempt) {
		return "pss-" + kind + "-" + job + "-" + attempt;
	}

	/** The labels of every object of the attempt; equality selectors on them work everywhere. */
	public static Map<String, String> labels(Attempt attempt) {
		Map<String, String> labels = new LinkedHashMap<>(Labels.managed(attempt.project(), attempt.storageId()));
		labels.put(COMPONENT, MOVER);
		labels.put(RUN, attempt.run().toString());
		labels.put(KIND, attempt.kind());
		labels.put(JOB, attempt.job().toString());
		labels.put(ATTEMPT, Integer.toString(attempt.attempt()));
		return labels;
	}

	/** Whether an object is one the service wrote for this run: our labels and the run's. */
	public static boolean ours(HasMetadata object, UUID run) {
		Map<String, String> labels = object.getMetadata().getLabels();
		return labels != null && Labels.MANAGER.equals(labels.get(Labels.MANAGED_BY))
				&& MOVER.equals(labels.get(COMPONENT)) && run.toString().equals(labels.get(RUN));
	}

	public Job job(Attempt attempt) {
		ClusterMover cluster = (attempt.cluster() == null) ? new ClusterMover(null, null, null, null, null, null)
				: attempt.cluster();
		String image = (cluster.image() != null) ? cluster.image() : this.properties.image();
		String priorityClassName = (cluster.priorityClassName() != null) ? cluster.priorityClassName()
				: this.properties.priorityClassName();
		Map<String, String> nodeSelector = (cluster.nodeSelector() != null) ? cluster.nodeSelector()
				: this.properties.nodeSelector();
		long runAsUser = (cluster.runAsUser() != null) ? cluster.runAsUser() : this.properties.runAsUser();
		long runAsGroup = (cluster.runAsGroup() != null) ? cluster.runAsGroup() : this.properties.runAsGroup();
		String name = name(attempt.kind(), attempt.job(), attempt.attempt());
		Map<String, String> labels = labels(attempt);
		String memory = Long.toString(Math.max(this.properties.memoryBytes(attempt.lastFiles()), this.heap + NON_HEAP));
		List<Toleration> tolerations = this.properties.tolerations()
			.stream()
			.map(t -> new TolerationBuilder().withKey(t.key()).withOperator(t.operator()).withValue(t.value())
				.withEffect(t.effect()).build())
			.toList();
		return new JobBuilder().withNewMetadata()
			.withName(name)
			.withNamespace(attempt.namespace())
			.withLabels(labels)
			.endMetadata()
			.withNewSpec()
			// the queue owns retries: a failed pod is an attempt that failed, never one Kubernetes repeats
			.withBackoffLimit(0)
			.withActiveDeadlineSeconds(this.properties.activeDeadline().toSeconds())
			.withTtlSecondsAfterFinished((int) this.properties.ttlAfterFinished().toSeconds())
			.withNewTemplate()
			.withNewMetadata()
			.withLabels(labels)
			// the cluster autoscaler evicting a mover to shrink a node would throw away its work
			.addToAnnotations("cluster-autoscaler.kubernetes.io/safe-to-evict", "false")
			.endMetadata()
			.withNewSpec()
			.withRestartPolicy("Never")
			.withAutomountServiceAccountToken(false)
			.withEnableServiceLinks(false)
			.withPriorityClassName(priorityClassName)
			.withNodeSelector(nodeSelector.isEmpty() ? null : nodeSelector)
			.withTolerations(tolerations.isEmpty() ? null : tolerations)
			.withNewSecurityContext()
			.withRunAsNonRoot(true)
			.withRunAsUser(runAsUser)
			.withRunAsGroup(runAsGroup)
			.withFsGroup(runAsGroup)
			// never a recursive chown of a volume with millions of files
			.withFsGroupChangePolicy("OnRootMismatch")
			.withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
			.endSecurityContext()
			.addNewContainer()
			.withName(CONTAINER)
			.withImage(image)
			.withCommand(this.properties.command())
			.withEnv(new EnvVar(Mover.SERVICE_URL, attempt.serviceUrl().toString(), null),
					new EnvVar(Mover.RUN, attempt.run().toString(), null),
					new EnvVar(Mover.TOKEN_FILE, TOKEN_DIRECTORY + "/" + TOKEN_KEY, null),
					new EnvVar(Mover.PATH, DATA, null),
					// read by the image's java: a heap sized for the engine's settings, whatever the pod's memory
					new EnvVar("JDK_JAVA_OPTIONS", String.join(" ", this.javaOptions), null))
			.withNewResources()
			.addToRequests("cpu", new Quantity(this.properties.cpuRequest()))
			.addToRequests("memory", new Quantity(memory))
			.addToLimits("memory", new Quantity(memory))
			.endResources()
			.withNewSecurityContext()
			.withAllowPrivilegeEscalation(false)
			.withReadOnlyRootFilesystem(true)
			.withRunAsNonRoot(true)
			.withNewCapabilities().withDrop("ALL").endCapabilities()
			.endSecurityContext()
			.withTerminationMessagePolicy("FallbackToLogsOnError")
			.addNewVolumeMount().withName("data").withMountPath(DATA).withReadOnly(!attempt.restore()).endVolumeMount()
			.addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
			.addNewVolumeMount().withName("token").withMountPath(TOKEN_DIRECTORY).withReadOnly(true).endVolumeMount()
			.endContainer()
			.addNewVolume()
			.withName("data")
			.withNewPersistentVolumeClaim(attempt.pvcName(), !attempt.restore())
			.endVolume()
			.addNewVolume()
			.withName("tmp")
			.withNewEmptyDir()
			.withSizeLimit(new Quantity(Long.toString(this.properties.tmpSizeLimit().toBytes())))
			.endEmptyDir()
			.endVolume()
			.addNewVolume()
			.withName("token")
			.withNewSecret()
			.withSecretName(name)
			.addNewItem().withKey(TOKEN_KEY).withPath(TOKEN_KEY).endItem()
			.withDefaultMode(0440)
			.endSecret()
			.endVolume()
			.endSpec()
			.endTemplate()
			.endSpec()
			.build();
	}

	/** The run token's Secret, with its Job's name and labels, owned by the Job so that it goes when the Job goes. */
	public static Secret secret(Job created, String token) {
		return new SecretBuilder().withNewMetadata()
			.withName(created.getMetadata().getName())
			.withNamespace(created.getMetadata().getNamespace())
			.withLabels(created.getMetadata().getLabels())
			.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1")
				.withKind("Job")
				.withName(created.getMetadata().getName())
				.withUid(created.getMetadata().getUid())
				.withController(true)
				.withBlockOwnerDeletion(false)
				.build())
			.endMetadata()
			.withType("Opaque")
			.withImmutable(true)
			.addToData(TOKEN_KEY, Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)))
			.build();
	}

}
