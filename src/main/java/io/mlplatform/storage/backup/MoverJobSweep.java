package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.backup.kubernetes.JobVerdict;
import io.mlplatform.storage.backup.kubernetes.MoverJobEvents;
import io.mlplatform.storage.backup.kubernetes.MoverJobInformers;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.backup.kubernetes.MoverJobProperties;

/**
 * Follows the runs that execute as Kubernetes Jobs, on every replica (each step is idempotent): writes
 * again the Jobs whose writing failed and is due (see {@link KubernetesExecutor#retryDue()}), keeps
 * the job's lease of a run whose pod waits to start (the mover renews it once it runs), fails an
 * attempt whose pod ended without a commit with the pod's reason (Evicted, OOMKilled, …) or whose pod
 * did not run within the pending timeout with the scheduler's message (or the cluster's newest warning
 * event where the pod's status says nothing), ends Cancelled the attempt of a mover that did not stop
 * within the grace after a cancel, and deletes the Jobs (their pods
 * go with them) and Secrets of ended runs: at once after a commit, after the grace for one still running after its run
 * ended (cancelled, lost), after the TTL for a failed one (so its logs can be read). Only objects with
 * our labels are ever deleted, and only those of runs this database knows.
 */
final class MoverJobSweep implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(MoverJobSweep.class);

	private final JdbcClient db;

	private final MoverRuns runs;

	private final MoverJobInformers informers;

	private final Function<String, KubernetesClient> clients;

	private final MoverJobProperties properties;

	private final WorkerProperties worker;

	private final Clock clock;

	private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
		Thread thread = new Thread(runnable, "mover-job-sweep");
		thread.setDaemon(true);
		return thread;
	});

	MoverJobSweep(JdbcClient db, MoverRuns runs, MoverJobInformers informers,
			Function<String, KubernetesClient> clients, MoverJobProperties properties, WorkerProperties worker,
			Clock clock) {
		this.db = db;
		this.runs = runs;
		this.informers = informers;
		this.clients = clients;
		this.properties = properties;
		this.worker = worker;
		this.clock = clock;
	}

	/** Writes the Jobs whose first try failed, through this executor, on every sweep. */
	private volatile KubernetesExecutor creations;

	void start(KubernetesExecutor creations) {
		this.creations = creations;
		long every = this.properties.sweepEvery().toMillis();
		this.executor.scheduleWithFixedDelay(() -> {
			try {
				sweep();
			}
			catch (RuntimeException ex) {
				log.warn("Sweeping movers' Jobs failed: {}", ex.toString());
			}
		}, every, every, TimeUnit.MILLISECONDS);
	}

	/** A run in a Job, with what its job says. */
	private record Active(UUID id, Kind kind, UUID job, int attempt, String state, String cluster, String namespace,
			String jobName, Instant createdAt, boolean cancelRequested, String progress, boolean jobCreated,
			String createError) {
	}

	/** A running mover's progress as this instance last saw it change. */
	private record Seen(String progress, Instant since) {
	}

	/** Runs' progress by run, for the stall timeout; an instance that restarts starts counting anew. */
	private final Map<UUID, Seen> progress = new HashMap<>();

	/** When this instance first saw a cancel asked of a running mover, by run; counted anew after a restart. */
	private final Map<UUID, Instant> cancels = new HashMap<>();

	void sweep() {
		KubernetesExecutor creations = this.creations;
		if (creations != null) {
			try {
				creations.retryDue();
			}
			catch (RuntimeException ex) {
				log.warn("Writing the movers' Jobs that are due again failed: {}", ex.toString());
			}
		}
		// the clusters with runs in Jobs, or with Jobs of ended runs that may still run
		for (String cluster : this.db.sql("""
				SELECT DISTINCT cluster FROM mover_runs
				WHERE executor = 'kubernetes' AND cluster IS NOT NULL
				  AND (state IN ('Created', 'Running') OR job_finished_at IS NULL)""").query(String.class).list()) {
			try {
				this.informers.watch(cluster, this.clients.apply(cluster));
			}
			catch (RuntimeException ex) {
				log.warn("Cannot watch the movers' Jobs in cluster {}: {}", cluster, ex.toString());
			}
		}
		List<Active> active = this.db.sql("""
				SELECT r.id, r.kind, r.job_id, r.attempt, r.state, r.cluster, r.namespace, r.job_name, r.created_at,
				  r.job_created_at IS NOT NULL AS job_created, r.create_error,
				  coalesce(b.cancel_requested, x.cancel_requested, false) AS cancel_requested,
				  concat_ws('/', coalesce(b.files, x.files, -1), coalesce(b.files_total, x.files_total, -1),
				    coalesce(b.bytes, x.bytes, -1), coalesce(b.bytes_total, x.bytes_total, -1),
				    coalesce(b.bytes_uploaded, -1)) AS progress
				FROM mover_runs r
				LEFT JOIN backups b ON r.kind = 'backup' AND b.id = r.job_id
				LEFT JOIN restores x ON r.kind = 'restore' AND x.id = r.job_id
				WHERE r.executor = 'kubernetes' AND r.state IN ('Created', 'Running') AND r.job_name IS NOT NULL""")
			.query((row, n) -> new Active(row.getObject("id", UUID.class),
					Kind.valueOf(row.getString("kind").toUpperCase()), row.getObject("job_id", UUID.class),
					row.getInt("attempt"), row.getString("state"), row.getString("cluster"), row.getString("namespace"),
					row.getString("job_name"), row.getObject("created_at", OffsetDateTime.class).toInstant(),
					row.getBoolean("cancel_requested"), row.getString("progress"), row.getBoolean("job_created"),
					row.getString("create_error")))
			.list();
		this.progress.keySet().retainAll(active.stream().map(Active::id).toList());
		this.cancels.keySet().retainAll(active.stream().map(Active::id).toList());
		for (Active run : active) {
			try {
				follow(run);
			}
			catch (RuntimeException ex) {
				log.warn("Following run {} in Job {}/{} of cluster {} failed: {}", run.id(), run.namespace(),
						run.jobName(), run.cluster(), ex.toString());
			}
		}
		for (String cluster : this.informers.clusters()) {
			if (!this.informers.synced(cluster)) {
				continue;
			}
			try {
				release(cluster);
				cleanUp(cluster);
			}
			catch (RuntimeException ex) {
				log.warn("Cleaning up movers' Jobs in cluster {} failed: {}", cluster, ex.toString());
			}
		}
	}

	/**
	 * Gives back the slot of each ended run whose pod has ended too (or whose Job is gone): until then a
	 * mover may still be running there, exiting after its commit or stopping after a cancel.
	 */
	private void release(String cluster) {
		record Unfinished(UUID id, String namespace, String jobName) {
		}
		List<Unfinished> unfinished = this.db.sql("""
				SELECT id, namespace, job_name FROM mover_runs
				WHERE executor = 'kubernetes' AND cluster = ? AND job_finished_at IS NULL
				  AND state IN ('Committed', 'Failed')""")
			.param(cluster)
			.query((row, n) -> new Unfinished(row.getObject("id", UUID.class), row.getString("namespace"),
					row.getString("job_name")))
			.list();
		for (Unfinished run : unfinished) {
			Job job = (run.jobName() == null) ? null : this.informers.job(cluster, run.namespace(), run.jobName());
			List<Pod> pods = this.informers.pods(cluster, run.id().toString());
			boolean podsEnded = !pods.isEmpty() && pods.stream().allMatch(MoverJobSweep::ended);
			// a deleted Job's pod may take its grace period to stop: gone or ended, then the slot is free
			if (podsEnded || (job == null && pods.isEmpty()) || (job != null && finished(job))) {
				finishedJob(this.db, run.id());
			}
		}
	}

	/** Records that a run's Job runs no mover any more: its slot is free. */
	static void finishedJob(JdbcClient db, UUID run) {
		db.sql("UPDATE mover_runs SET job_finished_at = now() WHERE id = ? AND job_finished_at IS NULL").param(run).update();
	}

	private static boolean ended(Pod pod) {
		String phase = (pod.getStatus() == null) ? null : pod.getStatus().getPhase();
		return "Succeeded".equals(phase) || "Failed".equals(phase);
	}

	private static boolean finished(Job job) {
		return job.getStatus() != null && job.getStatus().getConditions() != null
				&& job.getStatus().getConditions().stream().anyMatch(c -> "True".equals(c.getStatus())
						&& ("Complete".equals(c.getType()) || "Failed".equals(c.getType())));
	}

	private void follow(Active run) {
		JobVerdict verdict = this.informers.synced(run.cluster())
				? JobVerdict.of(this.informers.job(run.cluster(), run.namespace(), run.jobName()),
						this.informers.pods(run.cluster(), run.id().toString()))
				: new JobVerdict(JobVerdict.State.PENDING, "Its cluster's Jobs could not be read");
		if (verdict.ended()) {
			// a run that committed meanwhile is left as it is: settle ends only a run still open
			this.runs.settle(run.id(), verdict.reason());
			return;
		}
		if (!"Created".equals(run.state())) {
			if (!run.cancelRequested() || !cancelIgnored(run)) {
				stalled(run);
			}
			return;
		}
		Duration waiting = Duration.between(run.createdAt(), this.clock.instant());
		if (run.cancelRequested() && verdict.state() == JobVerdict.State.PENDING) {
			this.runs.settle(run.id(), "Cancelled before its mover started");
		}
		else if (verdict.state() == JobVerdict.State.RUNNING || waiting.compareTo(this.properties.pendingTimeout()) < 0) {
			renew(run);
		}
		else if (!run.jobCreated()) {
			this.runs.settle(run.id(), "Its Job could not be created in cluster " + run.cluster() + " within "
					+ this.properties.pendingTimeout().toSeconds() + "s: "
					+ (run.createError() != null ? run.createError() : "no try has ended yet"));
		}
		else {
			this.runs.settle(run.id(), "Its pod did not run within " + this.properties.pendingTimeout().toSeconds()
					+ "s: " + whyPending(run, verdict));
		}
	}

	/**
	 * Why a pod did not run, as its status says, or else as the cluster's events of its Job and pod do
	 * (a pod the Job controller could not create for a quota or an admission policy, a volume that did not
	 * mount): read once, when the pending timeout is reached, never watched.
	 */
	private String whyPending(Active run, JobVerdict verdict) {
		if (!verdict.unexplained()) {
			return verdict.reason();
		}
		try {
			List<String> objects = new java.util.ArrayList<>();
			objects.add(run.jobName());
			this.informers.pods(run.cluster(), run.id().toString()).forEach(pod -> objects.add(pod.getMetadata().getName()));
			String warning = MoverJobEvents.newestWarning(this.clients.apply(run.cluster()), run.namespace(), objects);
			return (warning != null) ? warning : verdict.reason();
		}
		catch (RuntimeException ex) {
			log.warn("Reading the events of Job {}/{} in cluster {} failed: {}", run.namespace(), run.jobName(),
					run.cluster(), ex.toString());
			return verdict.reason();
		}
	}

	/**
	 * Ends the attempt of a mover still running {@code stopGrace} after this instance saw its cancel (its
	 * heartbeats go unanswered, or it cannot stop), and deletes its Job: the run ends Cancelled.
	 * @return whether it did
	 */
	private boolean cancelIgnored(Active run) {
		Instant now = this.clock.instant();
		Instant seen = this.cancels.computeIfAbsent(run.id(), id -> now);
		if (Duration.between(seen, now).compareTo(this.properties.stopGrace()) < 0) {
			return false;
		}
		this.cancels.remove(run.id());
		this.runs.settle(run.id(), "Cancelled: its mover did not stop within " + this.properties.stopGrace().toSeconds()
				+ "s of the cancel");
		Job job = this.informers.job(run.cluster(), run.namespace(), run.jobName());
		if (job != null) {
			// the grace is over already: not a second one
			delete(this.clients.apply(run.cluster()), run.cluster(), job, run.id());
		}
		return true;
	}

	/**
	 * Fails the attempt of a mover that heartbeats but moves nothing (a hung mount): its lease alone would
	 * keep it forever. Its mover learns it at its next heartbeat; a Job that goes on is deleted after the grace.
	 */
	private void stalled(Active run) {
		Instant now = this.clock.instant();
		Seen seen = this.progress.get(run.id());
		if (seen == null || !seen.progress().equals(run.progress())) {
			this.progress.put(run.id(), new Seen(run.progress(), now));
		}
		else if (Duration.between(seen.since(), now).compareTo(this.properties.stallTimeout()) >= 0) {
			this.runs.settle(run.id(), "Stalled: no progress for " + this.properties.stallTimeout().toSeconds() + "s");
			this.progress.remove(run.id());
		}
	}

	/** Keeps the slot of a run whose mover has not started yet: until it claims, nobody else renews it. */
	private void renew(Active run) {
		this.db.sql("""
				UPDATE %s SET lease_until = ? WHERE id = ? AND state = 'Running' AND lease_owner = ?""".formatted(run.kind().table))
			.params(JobQueue.at(this.clock.instant().plus(this.worker.lease())), run.job(), MoverRuns.OWNER + run.id())
			.update();
	}

	/** A Job's run as this database knows it. */
	private record Ended(String state, Instant endedAt) {
	}

	private void cleanUp(String cluster) {
		List<Job> jobs = this.informers.jobs(cluster);
		if (jobs.isEmpty()) {
			return;
		}
		Map<UUID, Ended> ended = new HashMap<>();
		UUID[] ids = jobs.stream().map(MoverJobSweep::runOf).filter(java.util.Objects::nonNull).toArray(UUID[]::new);
		this.db.sql("SELECT id, state, ended_at FROM mover_runs WHERE id = ANY(?)")
			.param(ids)
			.query((row, n) -> ended.put(row.getObject("id", UUID.class), new Ended(row.getString("state"),
					row.getObject("ended_at", OffsetDateTime.class) == null ? null
							: row.getObject("ended_at", OffsetDateTime.class).toInstant())))
			.list();
		Instant now = this.clock.instant();
		KubernetesClient client = null;
		for (Job job : jobs) {
			UUID run = runOf(job);
			Ended state = (run == null) ? null : ended.get(run);
			// a Job of a run this database does not know is not ours to judge (another deployment's, or a race)
			if (state == null || state.endedAt() == null) {
				continue;
			}
			boolean finished = finished(job);
			Duration since = Duration.between(state.endedAt(), now);
			List<Pod> pods = this.informers.pods(cluster, run.toString());
			boolean podsEnded = !pods.isEmpty() && pods.stream().allMatch(MoverJobSweep::ended);
			// a committed run's mover exits at once: its Job goes when it has (its logs are of no interest);
			// one still running after the grace (cancelled, lost, stuck) goes anyway; a failed one after the TTL
			boolean remove = ("Committed".equals(state.state()) && (finished || podsEnded))
					|| (!finished && !podsEnded && since.compareTo(this.properties.stopGrace()) >= 0)
					|| ((finished || podsEnded) && since.compareTo(this.properties.ttlAfterFinished()) >= 0);
			if (remove) {
				client = (client == null) ? this.clients.apply(cluster) : client;
				delete(client, cluster, job, run);
			}
		}
	}

	private static UUID runOf(HasMetadata object) {
		String run = object.getMetadata().getLabels() == null ? null
				: object.getMetadata().getLabels().get(MoverJobManifests.RUN);
		try {
			return (run == null) ? null : UUID.fromString(run);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	/** Deletes a run's Job and its Secret: each only if it carries our labels and the run's. */
	private void delete(KubernetesClient client, String cluster, Job job, UUID run) {
		String namespace = job.getMetadata().getNamespace();
		String name = job.getMetadata().getName();
		try {
			if (MoverJobManifests.ours(job, run)) {
				client.batch().v1().jobs().inNamespace(namespace).withName(name)
					.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
					.delete();
			}
			// its pods go with it (the cluster's garbage collector; the service only reads pods); its Secret
			// too, but a cluster whose collector lags must not keep a token of an ended run around
			Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
			if (secret != null && MoverJobManifests.ours(secret, run)) {
				client.secrets().inNamespace(namespace).withName(name).delete();
			}
			// its slot is free once the Job is seen gone (see release): a deleted pod may take a while to stop
			log.info("Deleted Job {}/{} of ended run {}", namespace, name, run);
		}
		catch (KubernetesClientException ex) {
			log.warn("Deleting Job {}/{} of ended run {} failed; tried again next sweep: {}", namespace, name, run,
					ex.toString());
		}
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
		this.informers.close();
	}

}
