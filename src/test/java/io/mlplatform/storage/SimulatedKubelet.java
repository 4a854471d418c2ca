package io.mlplatform.storage;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.mover.Mover;

/**
 * A stand-in for the kubelet (and the Job controller) of a storage cluster: runs each Job with our
 * labels in the mock API as a child process, the mover with the Job's environment, its token read from
 * the Job's Secret into a file, and its PVC's share (the folder {@link SimulatedOperator} made for the
 * storage whose status names the PVC) where the PVC is mounted; writes the pod's and the Job's status
 * back as a cluster does: Pending, Running, Succeeded, Failed with a reason. Tests can evict a pod
 * (kill -9, reason Evicted), OOM-kill one (kill -9, OOMKilled, exit code 137), freeze one (SIGSTOP: it
 * neither heartbeats nor exits), end one at its Job's deadline (the Job controller's DeadlineExceeded:
 * it stops the pod and deletes it), leave new pods Pending as Unschedulable or unable to pull their
 * image, or refuse new pods as a quota does (no pod, a FailedCreate event on the Job). A deleted Job's
 * mover gets SIGTERM, then SIGKILL a moment later as a pod's termination grace ends. It records every
 * Job it saw, and how many ran at once.
 */
public final class SimulatedKubelet implements AutoCloseable {

	/** A system property of each mover it starts: its pod, for finding the process. */
	public static final String POD_PROPERTY = "pss.test.pod";

	private final KubernetesClient client;

	private final Path sharesRoot;

	private final Map<String, String> extraEnvironment;

	private final SharedIndexInformer<Job> informer;

	private final ExecutorService pods = Executors.newCachedThreadPool(runnable -> {
		Thread thread = new Thread(runnable, "simulated-kubelet");
		thread.setDaemon(true);
		return thread;
	});

	/** Running movers by their run id. */
	private final Map<String, Running> running = new ConcurrentHashMap<>();

	private final List<Job> seen = new CopyOnWriteArrayList<>();

	private final Set<String> handled = ConcurrentHashMap.newKeySet();

	/** Jobs whose pods were left Pending: they stop counting when they are deleted. */
	private final Set<String> pending = ConcurrentHashMap.newKeySet();

	/** Jobs started and not yet finished (their pod pending or running). */
	private final AtomicInteger active = new AtomicInteger();

	private final AtomicInteger mostActive = new AtomicInteger();

	private volatile String unschedulable;

	private volatile String imagePullError;

	private volatile String podsForbidden;

	/** Runs whose Job's deadline a test made pass. */
	private final Set<String> pastDeadline = ConcurrentHashMap.newKeySet();

	/** How long a stopped pod's container has to exit after SIGTERM before SIGKILL. */
	private static final Duration TERMINATION_GRACE = Duration.ofSeconds(1);

	private final Path logs;

	private record Running(Process process, String namespace, String pod, String job, Path log) {
	}

	/** Why a test ended a mover, as a kubelet would report it. */
	private final Map<String, String> killedAs = new ConcurrentHashMap<>();

	private SimulatedKubelet(KubernetesClient client, Path sharesRoot, Map<String, String> extraEnvironment) {
		this.client = client;
		this.sharesRoot = sharesRoot;
		this.extraEnvironment = Map.copyOf(extraEnvironment);
		try {
			this.logs = Files.createTempDirectory("pss-test-kubelet");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.informer = client.batch().v1().jobs().inAnyNamespace()
			.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
			.withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
			.runnableInformer(0);
		this.informer.addEventHandler(new ResourceEventHandler<>() {
			@Override
			public void onAdd(Job job) {
				if (SimulatedKubelet.this.handled.add(job.getMetadata().getUid())) {
					SimulatedKubelet.this.seen.add(job);
					// counted in the event thread: a Job deleted before another is created is uncounted before
					int now = SimulatedKubelet.this.active.incrementAndGet();
					SimulatedKubelet.this.mostActive.accumulateAndGet(now, Math::max);
					SimulatedKubelet.this.pods.execute(() -> run(job));
				}
			}

			@Override
			public void onUpdate(Job before, Job after) {
			}

			@Override
			public void onDelete(Job job, boolean finalStateUnknown) {
				if (SimulatedKubelet.this.pending.remove(job.getMetadata().getUid())) {
					SimulatedKubelet.this.active.decrementAndGet();
				}
				// deleting a Job deletes its pod: its container is stopped, and the garbage collector removes it
				Running mover = SimulatedKubelet.this.running.get(runOf(job));
				if (mover != null) {
					stop(mover.process());
				}
				SimulatedKubelet.this.pods.execute(() -> collectPods(job));
			}
		});
	}

	/** @param extraEnvironment more environment of every mover (a test's hold file) */
	public static SimulatedKubelet start(KubernetesClient client, Path sharesRoot, Map<String, String> extraEnvironment) {
		SimulatedKubelet kubelet = new SimulatedKubelet(client, sharesRoot, extraEnvironment);
		kubelet.informer.run();
		return kubelet;
	}

	/** New pods stay Pending as the scheduler leaves them, with this message; null schedules them again. */
	public void unschedulable(String message) {
		this.unschedulable = message;
	}

	/** New pods stay Pending, their image not pulled (ErrImagePull, then ImagePullBackOff with this message); null pulls again. */
	public void imagePullFails(String message) {
		this.imagePullError = message;
	}

	/** New Jobs get no pod: the Job controller's FailedCreate event on the Job says this; null creates pods again. */
	public void podsForbidden(String message) {
		this.podsForbidden = message;
	}

	/** Stops a run's mover (SIGSTOP) as a hung node or process is: it neither heartbeats nor exits. */
	public void freeze(String run) {
		Running mover = this.running.get(run);
		if (mover == null) {
			throw new IllegalStateException("No mover of run " + run + " is running");
		}
		signal(mover.process(), "STOP");
	}

	/** Makes a running run's Job reach its deadline now, as its activeDeadlineSeconds passing does. */
	public void exceedDeadline(String run) {
		if (!this.running.containsKey(run)) {
			throw new IllegalStateException("No mover of run " + run + " is running");
		}
		this.pastDeadline.add(run);
	}

	private static void signal(Process process, String signal) {
		try {
			new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** SIGTERM, and SIGKILL after the termination grace (a stopped process acts on SIGKILL alone). */
	private void stop(Process process) {
		process.destroy();
		try {
			this.pods.execute(() -> {
				try {
					if (!process.waitFor(TERMINATION_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
						process.destroyForcibly();
					}
				}
				catch (InterruptedException ex) {
					process.destroyForcibly();
				}
			});
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			process.destroyForcibly(); // closing
		}
	}

	/** Every Job seen, as created. */
	public List<Job> jobs() {
		return List.copyOf(this.seen);
	}

	/** The most Jobs whose pods were pending or running at once. */
	public int mostAtOnce() {
		return this.mostActive.get();
	}

	/** Kills a run's mover as the kubelet evicting its pod does: kill -9, the pod Failed with reason Evicted. */
	public void evict(String run) {
		kill(run, "Evicted");
	}

	/** Kills a run's mover as the kernel does at its memory limit: kill -9, reason OOMKilled, exit code 137. */
	public void oomKill(String run) {
		kill(run, "OOMKilled");
	}

	private void kill(String run, String as) {
		Running mover = this.running.get(run);
		if (mover == null) {
			throw new IllegalStateException("No mover of run " + run + " is running");
		}
		this.killedAs.put(run, as);
		mover.process().destroyForcibly();
	}

	/** Whether a run's mover is running, and what it printed so far. */
	public String output(String run) {
		Running mover = this.running.get(run);
		try {
			return (mover == null || !Files.exists(mover.log())) ? "" : Files.readString(mover.log());
		}
		catch (IOException ex) {
			return "";
		}
	}

	private static String runOf(Job job) {
		return job.getMetadata().getLabels().get(MoverJobManifests.RUN);
	}

	private void run(Job job) {
		String namespace = job.getMetadata().getNamespace();
		String run = runOf(job);
		boolean counted = true;
		try {
			if (this.podsForbidden != null) {
				this.pending.add(job.getMetadata().getUid());
				counted = false;
				event(job, "FailedCreate", "Error creating: pods \"" + job.getMetadata().getName()
						+ "-x\" is forbidden: " + this.podsForbidden);
				return;
			}
			Pod pod = createPod(job);
			if (this.imagePullError != null) {
				this.pending.add(job.getMetadata().getUid());
				counted = false;
				status(pod, new PodStatusBuilder().withPhase("Pending")
					.withContainerStatuses(new ContainerStatusBuilder().withName(MoverJobManifests.CONTAINER)
						.withState(new ContainerStateBuilder().withNewWaiting().withReason("ErrImagePull")
							.withMessage(this.imagePullError).endWaiting().build())
						.build())
					.build());
				Thread.sleep(300);
				status(pod, new PodStatusBuilder().withPhase("Pending")
					.withContainerStatuses(new ContainerStatusBuilder().withName(MoverJobManifests.CONTAINER)
						.withState(new ContainerStateBuilder().withNewWaiting().withReason("ImagePullBackOff")
							.withMessage("Back-off pulling image \"" + container(job).getImage() + "\": "
									+ this.imagePullError).endWaiting().build())
						.build())
					.build());
				return;
			}
			if (this.unschedulable != null) {
				this.pending.add(job.getMetadata().getUid());
				counted = false;
				status(pod, new PodStatusBuilder().withPhase("Pending")
					.withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
						.withReason("Unschedulable").withMessage(this.unschedulable).build())
					.build());
				// a Job whose pod is never scheduled stops counting when the service deletes it
				return;
			}
			Secret secret = awaitSecret(namespace, job.getMetadata().getName());
			if (secret == null) {
				status(pod, new PodStatusBuilder().withPhase("Pending")
					.withContainerStatuses(new ContainerStatusBuilder().withName(MoverJobManifests.CONTAINER)
						.withState(new ContainerStateBuilder().withNewWaiting()
							.withReason("CreateContainerConfigError").withMessage("secret not found").endWaiting().build())
						.build())
					.build());
				return;
			}
			Path token = Files.createTempFile(this.logs, "token-", "",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
			Files.write(token, Base64.getDecoder().decode(secret.getData().get(MoverJobManifests.TOKEN_KEY)));
			Container container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
			Map<String, Path> mounts = mounts(job, container, token.getParent(), token);
			Map<String, String> environment = new HashMap<>();
			for (EnvVar variable : container.getEnv()) {
				environment.put(variable.getName(), local(variable.getValue(), mounts));
			}
			environment.put(Mover.TOKEN_FILE, token.toString());
			environment.putAll(this.extraEnvironment);
			Path log = this.logs.resolve(run + ".log");
			ProcessBuilder builder = new ProcessBuilder(command(run, pod.getMetadata().getName(), container))
				.redirectErrorStream(true)
				.redirectOutput(log.toFile());
			builder.environment().keySet().retainAll(Set.of("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"));
			builder.environment().putAll(environment);
			Process process = builder.start();
			this.running.put(run, new Running(process, namespace, pod.getMetadata().getName(),
					job.getMetadata().getName(), log));
			Instant started = Instant.now();
			status(pod, new PodStatusBuilder().withPhase("Running").withStartTime(started.toString())
				.withContainerStatuses(new ContainerStatusBuilder().withName(MoverJobManifests.CONTAINER)
					.withReady(true).withState(new ContainerStateBuilder().withNewRunning()
						.withStartedAt(started.toString()).endRunning().build())
					.build())
				.build());
			jobStatus(job, 1, 0, 0, null, null);
			Long deadline = job.getSpec().getActiveDeadlineSeconds();
			long until = System.nanoTime() + (deadline == null ? Long.MAX_VALUE / 2 : deadline * 1_000_000_000L);
			while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
				if (this.pastDeadline.remove(run) || System.nanoTime() - until > 0) {
					deadlineExceeded(job, pod, process);
					break;
				}
			}
			int exit = process.waitFor();
			this.running.remove(run);
			// no mover runs here any more: uncounted before anyone can see its pod ended
			counted = false;
			this.active.decrementAndGet();
			String killed = this.killedAs.remove(run);
			if ("DeadlineExceeded".equals(killed)) {
				jobStatus(job, 0, 0, 1, "Failed", "DeadlineExceeded");
				return;
			}
			boolean succeeded = exit == 0 && killed == null;
			String containerReason = "OOMKilled".equals(killed) ? "OOMKilled" : succeeded ? "Completed" : "Error";
			String message = succeeded ? null : lastLines(log);
			status(pod, new PodStatusBuilder().withPhase(succeeded ? "Succeeded" : "Failed")
				.withReason("Evicted".equals(killed) ? "Evicted" : null)
				.withMessage("Evicted".equals(killed) ? "The node was low on resource: memory. Threshold quantity: 100Mi."
						: null)
				.withStartTime(started.toString())
				.withContainerStatuses(new ContainerStatusBuilder().withName(MoverJobManifests.CONTAINER)
					.withState(new ContainerStateBuilder().withNewTerminated()
						.withExitCode(killed != null ? 137 : exit).withReason(containerReason).withMessage(message)
						.withFinishedAt(Instant.now().toString()).endTerminated().build())
					.build())
				.build());
			jobStatus(job, 0, succeeded ? 1 : 0, succeeded ? 0 : 1, succeeded ? "Complete" : "Failed",
					succeeded ? null : "BackoffLimitExceeded");
			Files.deleteIfExists(token);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (KubernetesClientException ex) {
			// the Job or pod was deleted while it ran: nothing left to report on
		}
		finally {
			if (counted) {
				this.active.decrementAndGet();
			}
		}
	}

	/**
	 * What the Job controller does at a Job's deadline: marks the Job failing (FailureTarget, as Kubernetes
	 * 1.31 and later do), stops its pod (SIGTERM, then SIGKILL) and deletes it; the Job is Failed once the
	 * pod has stopped.
	 */
	private void deadlineExceeded(Job job, Pod pod, Process process) {
		this.killedAs.put(runOf(job), "DeadlineExceeded");
		jobStatus(job, 1, 0, 0, "FailureTarget", "DeadlineExceeded");
		stop(process);
		this.client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
	}

	/** An event about a Job, as its controller records one. */
	private void event(Job job, String reason, String message) {
		this.client.v1().events().inNamespace(job.getMetadata().getNamespace()).resource(new io.fabric8.kubernetes.api.model.EventBuilder()
			.withNewMetadata().withName(job.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
			.withNamespace(job.getMetadata().getNamespace()).endMetadata()
			.withNewInvolvedObject().withApiVersion("batch/v1").withKind("Job").withName(job.getMetadata().getName())
			.withNamespace(job.getMetadata().getNamespace()).withUid(job.getMetadata().getUid()).endInvolvedObject()
			.withType("Warning").withReason(reason).withMessage(message).withCount(1)
			.withLastTimestamp(Instant.now().toString())
			.withNewSource().withComponent("job-controller").endSource()
			.build()).create();
	}

	private static Container container(Job job) {
		return job.getSpec().getTemplate().getSpec().getContainers().get(0);
	}

	/** What a cluster's garbage collector does for a deleted Job: its pods go too. */
	private void collectPods(Job job) {
		try {
			for (Pod pod : this.client.pods().inNamespace(job.getMetadata().getNamespace())
				.withLabel("job-name", job.getMetadata().getName()).list().getItems()) {
				if (pod.getMetadata().getOwnerReferences().stream()
					.anyMatch(owner -> owner.getUid().equals(job.getMetadata().getUid()))) {
					this.client.resource(pod).delete();
				}
			}
		}
		catch (KubernetesClientException ex) {
			// the cluster's collector retries; a test clears what is left
		}
	}

	/** The mover's command: this JVM's java with this JVM's class path (the image's command is the jar's). */
	private static List<String> command(String run, String pod, Container container) {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-D" + Mover.RUN_PROPERTY + "=" + run);
		command.add("-D" + POD_PROPERTY + "=" + pod);
		// the heap within the memory limit, as -XX:MaxRAMPercentage in the image's command makes it
		long limit = container.getResources().getLimits().get("memory").getNumericalAmount().longValue();
		command.add("-Xmx" + (limit * 7 / 10 / 1024 / 1024) + "m");
		command.add("-XX:+UseSerialGC");
		command.add("-cp");
		command.add(System.getProperty("java.class.path"));
		command.add(Mover.class.getName());
		return command;
	}

	/** Where each mount path of the container is on this machine. */
	private Map<String, Path> mounts(Job job, Container container, Path tokenDirectory, Path token) {
		Map<String, Path> mounts = new HashMap<>();
		for (VolumeMount mount : container.getVolumeMounts()) {
			Volume volume = job.getSpec().getTemplate().getSpec().getVolumes().stream()
				.filter(v -> v.getName().equals(mount.getName()))
				.findFirst()
				.orElseThrow();
			if (volume.getPersistentVolumeClaim() != null) {
				mounts.put(mount.getMountPath(),
						share(job.getMetadata().getNamespace(), volume.getPersistentVolumeClaim().getClaimName()));
			}
			else if (volume.getSecret() != null) {
				mounts.put(mount.getMountPath(), tokenDirectory);
			}
		}
		return mounts;
	}

	/** The share of the storage whose status names this PVC. */
	private Path share(String namespace, String pvc) {
		for (ProjectStorage storage : this.client.resources(ProjectStorage.class).inNamespace(namespace).list().getItems()) {
			if (storage.getStatus() != null && pvc.equals(storage.getStatus().pvcName())) {
				return this.sharesRoot.resolve(namespace).resolve(storage.getMetadata().getName());
			}
		}
		throw new IllegalStateException("No storage in " + namespace + " has PVC " + pvc);
	}

	private static String local(String value, Map<String, Path> mounts) {
		for (Map.Entry<String, Path> mount : mounts.entrySet()) {
			if (value.equals(mount.getKey()) || value.startsWith(mount.getKey() + "/")) {
				return mount.getValue() + value.substring(mount.getKey().length());
			}
		}
		return value;
	}

	private Pod createPod(Job job) {
		String name = job.getMetadata().getName() + "-" + UUID.randomUUID().toString().substring(0, 5);
		Map<String, String> labels = new HashMap<>(job.getSpec().getTemplate().getMetadata().getLabels());
		labels.put("job-name", job.getMetadata().getName());
		Pod pod = new PodBuilder().withNewMetadata()
			.withName(name)
			.withNamespace(job.getMetadata().getNamespace())
			.withLabels(labels)
			.withAnnotations(job.getSpec().getTemplate().getMetadata().getAnnotations())
			.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
				.withName(job.getMetadata().getName()).withUid(job.getMetadata().getUid()).withController(true).build())
			.endMetadata()
			.withSpec(job.getSpec().getTemplate().getSpec())
			.withStatus(new PodStatusBuilder().withPhase("Pending").build())
			.build();
		return this.client.pods().inNamespace(job.getMetadata().getNamespace()).resource(pod).create();
	}

	private void status(Pod pod, PodStatus status) {
		this.client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
			.edit(current -> {
				current.setStatus(status);
				return current;
			});
	}

	private void jobStatus(Job job, int active, int succeeded, int failed, String condition, String reason) {
		this.client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
			.withName(job.getMetadata().getName())
			.edit(current -> {
				var status = new JobStatusBuilder().withActive(active).withSucceeded(succeeded).withFailed(failed);
				if (condition != null) {
					status.withConditions(new JobConditionBuilder().withType(condition).withStatus("True")
						.withReason(reason)
						.withMessage("DeadlineExceeded".equals(reason) ? "Job was active longer than specified deadline" : null)
						.build());
				}
				current.setStatus(status.build());
				return current;
			});
	}

	private Secret awaitSecret(String namespace, String name) throws InterruptedException {
		long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (System.nanoTime() < until) {
			Secret secret = this.client.secrets().inNamespace(namespace).withName(name).get();
			if (secret != null) {
				return secret;
			}
			Thread.sleep(50);
		}
		return null;
	}

	private static String lastLines(Path log) {
		try {
			List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
		}
		catch (IOException ex) {
			return null;
		}
	}

	/** Deletes every Job, pod and Secret of movers in the cluster: a test starts without any. */
	public void clear() {
		for (var type : List.<Class<? extends io.fabric8.kubernetes.api.model.HasMetadata>>of(Job.class, Pod.class,
				Secret.class)) {
			for (var object : this.client.resources(type).inAnyNamespace()
				.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
				.withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
				.list()
				.getItems()) {
				this.client.resource(object).delete();
			}
		}
	}

	@Override
	public void close() {
		this.informer.close();
		this.running.values().forEach(mover -> mover.process().destroyForcibly());
		this.pods.shutdownNow();
		try {
			this.pods.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
