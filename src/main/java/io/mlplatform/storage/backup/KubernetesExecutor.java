package io.mlplatform.storage.backup;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.cluster.ClusterCalls;
import io.mlplatform.storage.cluster.ClusterMover;

/**
 * The {@code kubernetes} executor: each backup or restore that holds a slot runs as a mover in a Job in
 * its storage's namespace of its own cluster, mounting the storage's PVC, with its run token in a
 * Secret the Job owns. It writes the Job and returns: the run itself ends the job (see
 * {@link MoverRuns}), and {@link MoverJobSweep} reads what the cluster says of the Job until then.
 * <p>
 * The Job is written as the cluster package writes custom resources ({@link ClusterCalls}): the run's row
 * holds the Job as it is to be, a cluster that is down or overloaded is tried again after a growing
 * backoff by whichever replica's sweep claims the row first, and only a refusal (a 4xx) fails the
 * attempt at once. The Job and its Secret are named for the job and attempt, so a try after one whose
 * answer was lost finds them there (ours: taken as created) and an attempt never gets two Jobs.
 */
final class KubernetesExecutor {

	private static final Logger log = LoggerFactory.getLogger(KubernetesExecutor.class);

	static final String NAME = "kubernetes";

	/** Tries a sweep takes on at once. */
	private static final int BATCH = 20;

	private final MoverRuns runs;

	private final MoverJobManifests manifests;

	private final Function<String, KubernetesClient> clients;

	private final Supplier<URI> serviceUrl;

	private final JdbcClient db;

	private final ClusterCalls calls;

	private final Clock clock;

	KubernetesExecutor(MoverRuns runs, MoverJobManifests manifests, Function<String, KubernetesClient> clients,
			Supplier<URI> serviceUrl, JdbcClient db, ClusterCalls calls, Clock clock) {
		this.runs = runs;
		this.manifests = manifests;
		this.clients = clients;
		this.serviceUrl = serviceUrl;
		this.db = db;
		this.calls = calls;
		this.clock = clock;
	}

	/**
	 * Where and on what a job runs.
	 * @param pvcName the storage's PVC as its cluster reports it; null until the operator has made one
	 * @param lastFiles files of the storage's last backup (a restore: of its backup), -1 when none
	 * @param mover how the cluster's movers differ from the deployment's settings; null where they do not
	 */
	record Target(String cluster, String namespace, String project, UUID storageId, String pvcName, long lastFiles,
			ClusterMover mover) {
	}

	/** A run whose Job is to be written, with the Job as it is to be and the tries that failed so far. */
	private record Pending(UUID run, Kind kind, UUID job, int attempt, String cluster, Job manifest, int failures) {
	}

	/** An object of that name is there and is not this run's: it is never touched, and the attempt fails. */
	private static final class NotOursException extends RuntimeException {

		NotOursException(String message) {
			super(message, null, false, false);
		}

	}

	/**
	 * Starts a run of a job this worker claimed, as a Job in the storage's cluster; returns once the Job is
	 * written, or once its first try failed (then it is tried again, see {@link #retryDue()}).
	 */
	void run(Kind kind, UUID job, String owner, Target target) {
		MoverRuns.Started run = this.runs.start(kind, job, owner, NAME).orElse(null);
		if (run == null) {
			log.warn("{} {} passed to another worker before its Job was created", kind, job);
			return;
		}
		String kindName = kind.name().toLowerCase();
		String name = MoverJobManifests.name(kindName, job, run.attempt());
		Job manifest = (target.pvcName() == null) ? null : this.manifests.job(new MoverJobManifests.Attempt(kindName,
				job, run.attempt(), run.id(), target.project(), target.storageId().toString(), target.namespace(),
				target.pvcName(), target.lastFiles(), (target.mover() != null && target.mover().serviceUrl() != null)
						? URI.create(target.mover().serviceUrl()) : this.serviceUrl.get(),
				target.mover()));
		// recorded before the Job is written, claimed by this try: a replica that dies in between leaves a row
		// that another replica's sweep tries again once the claim has run out
		this.db.sql("""
				UPDATE mover_runs SET cluster = ?, namespace = ?, job_name = ?, job_manifest = cast(? as jsonb),
				  create_not_before = ?
				WHERE id = ?""")
			.params(target.cluster(), target.namespace(), name,
					(manifest == null) ? null : Serialization.asJson(manifest),
					(manifest == null) ? null : JobQueue.at(this.clock.instant().plus(this.calls.lease())), run.id())
			.update();
		if (manifest == null) {
			this.runs.settle(run.id(), "The storage's cluster reports no PVC for it yet");
			MoverJobSweep.finishedJob(this.db, run.id());
			return;
		}
		create(new Pending(run.id(), kind, job, run.attempt(), target.cluster(), manifest, 0), run.token());
	}

	/**
	 * Tries again the Jobs whose writing failed and is due, each claimed for one try (FOR UPDATE SKIP
	 * LOCKED, then a lease) so that one replica at a time tries it. A try has no token: it gives the run
	 * a new one unless the Secret already holds the current one.
	 */
	void retryDue() {
		var now = JobQueue.at(this.clock.instant());
		List<Pending> due = this.db.sql("""
				UPDATE mover_runs SET create_not_before = :claimedUntil
				WHERE id IN (
				    SELECT id FROM mover_runs
				    WHERE state = 'Created' AND job_name IS NOT NULL AND job_created_at IS NULL
				      AND create_not_before <= :now
				    ORDER BY create_not_before LIMIT :batch
				    FOR UPDATE SKIP LOCKED)
				RETURNING id, kind, job_id, attempt, cluster, job_manifest::text AS manifest, create_attempts""")
			.param("claimedUntil", now.plus(this.calls.lease()))
			.param("now", now)
			.param("batch", BATCH)
			.query((row, n) -> new Pending(row.getObject("id", UUID.class),
					Kind.valueOf(row.getString("kind").toUpperCase()), row.getObject("job_id", UUID.class),
					row.getInt("attempt"), row.getString("cluster"),
					Serialization.unmarshal(row.getString("manifest"), Job.class), row.getInt("create_attempts")))
			.list();
		due.forEach(pending -> create(pending, null));
	}

	/**
	 * One try at writing a run's Job and Secret: both there and ours, it is done; the cluster unreachable or
	 * overloaded, the row waits for its backoff; a refusal fails the attempt with the cluster's answer.
	 * @param token the run's token as its hash is stored; null when this try does not know it
	 */
	private void create(Pending pending, String token) {
		Job job = pending.manifest();
		String namespace = job.getMetadata().getNamespace();
		String name = job.getMetadata().getName();
		String step = "Job";
		try {
			KubernetesClient client = this.clients.apply(pending.cluster());
			Job created = createOrFindOurs(client, job, pending.run());
			step = "Secret";
			if (!deliverToken(client, created, pending.run(), token)) {
				log.info("{} {}: run {} ended before its Job {}/{} was complete; the sweep deletes what is left",
						pending.kind(), pending.job(), pending.run(), namespace, name);
				return;
			}
			this.db.sql("""
					UPDATE mover_runs SET job_created_at = now(), job_manifest = NULL, create_error = NULL,
					  create_not_before = NULL
					WHERE id = ? AND job_created_at IS NULL""")
				.param(pending.run())
				.update();
			this.calls.reached(pending.cluster());
			log.info("{} {} runs in Job {}/{} of cluster {} as run {} (attempt {}){}", pending.kind(), pending.job(),
					namespace, name, pending.cluster(), pending.run(), pending.attempt(),
					pending.failures() == 0 ? "" : ", written after " + pending.failures() + " failed tries");
		}
		catch (NotOursException ex) {
			refused(pending, ex.getMessage());
		}
		catch (RuntimeException ex) {
			ClusterCalls.Failure failure = ClusterCalls.classify(ex);
			// what the cluster said of a Secret may quote it: its status code only
			String error = step + ": " + (step.equals("Secret") && ex instanceof KubernetesClientException k8s
					? "HTTP " + k8s.getCode() : ClusterCalls.describe(ex));
			this.calls.failed(pending.cluster(), failure, error);
			if (failure == ClusterCalls.Failure.REFUSED) {
				refused(pending, error);
				return;
			}
			int failures = pending.failures() + 1;
			Duration wait = this.calls.backoff(failures);
			this.db.sql("""
					UPDATE mover_runs SET create_attempts = ?, create_error = ?, create_not_before = ?
					WHERE id = ? AND job_created_at IS NULL""")
				.params(failures, error, JobQueue.at(this.clock.instant().plus(wait)), pending.run())
				.update();
			log.warn("{} {}: Job {}/{} in cluster {} could not be written ({} failed tries), trying again in {} ms: {}",
					pending.kind(), pending.job(), namespace, name, pending.cluster(), failures, wait.toMillis(), error);
		}
	}

	/** The attempt fails with the cluster's refusal; the queue decides whether another follows. */
	private void refused(Pending pending, String why) {
		log.warn("{} {}: Job {} in cluster {} was refused: {}", pending.kind(), pending.job(),
				pending.manifest().getMetadata().getName(), pending.cluster(), why);
		this.runs.settle(pending.run(), "Its Job could not be created in cluster " + pending.cluster() + ": " + why);
		// a Job written before the refusal (its Secret was refused) is deleted by the sweep after the grace
		MoverJobSweep.finishedJob(this.db, pending.run());
	}

	/** Creates the Job; one of that name already there is the one if it is this run's (an earlier try made it). */
	private static Job createOrFindOurs(KubernetesClient client, Job job, UUID run) {
		var jobs = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace());
		try {
			return jobs.resource(job).create();
		}
		catch (KubernetesClientException ex) {
			if (ex.getCode() != 409) {
				throw ex;
			}
		}
		Job existing = jobs.withName(job.getMetadata().getName()).get();
		if (existing == null) {
			throw new KubernetesClientException("The Job was there and is gone: trying again", 409, null);
		}
		if (!MoverJobManifests.ours(existing, run)) {
			throw new NotOursException("A Job named " + job.getMetadata().getName() + " exists in namespace "
					+ job.getMetadata().getNamespace() + " and is not this run's; it is left alone");
		}
		return existing;
	}

	/**
	 * Puts the run's token into its Secret. A Secret of ours already there is kept if it holds the token
	 * the run's row knows (an earlier try wrote it, its answer lost: a mover may be reading it), else it
	 * is replaced, with a new token when this try has none.
	 * @return false when the run no longer waits for its Job (ended meanwhile)
	 */
	private boolean deliverToken(KubernetesClient client, Job created, UUID run, String token) {
		var secrets = client.secrets().inNamespace(created.getMetadata().getNamespace());
		String name = created.getMetadata().getName();
		if (token != null) {
			try {
				secrets.resource(MoverJobManifests.secret(created, token)).create();
				return true;
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() != 409) {
					throw ex;
				}
			}
		}
		Secret existing = secrets.withName(name).get();
		if (existing != null) {
			if (!MoverJobManifests.ours(existing, run)) {
				throw new NotOursException("A Secret named " + name + " exists in namespace "
						+ created.getMetadata().getNamespace() + " and is not this run's; it is left alone");
			}
			if (holdsCurrentToken(existing, run)) {
				return true;
			}
			// a token the run's row no longer knows opens nothing: never left where a pod could mount it
			secrets.withName(name).delete();
		}
		String current = (token != null) ? token : newToken(run);
		if (current == null) {
			return false;
		}
		secrets.resource(MoverJobManifests.secret(created, current)).create();
		return true;
	}

	private boolean holdsCurrentToken(Secret secret, UUID run) {
		String encoded = (secret.getData() == null) ? null : secret.getData().get(MoverJobManifests.TOKEN_KEY);
		byte[] stored = this.db.sql("SELECT token_hash FROM mover_runs WHERE id = ?")
			.param(run)
			.query(byte[].class)
			.optional()
			.orElse(null);
		try {
			return encoded != null && stored != null && MessageDigest.isEqual(stored,
					RunTokens.hash(new String(Base64.getDecoder().decode(encoded), StandardCharsets.US_ASCII)));
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

	/** A new token for a run still waiting for its Job; null when it no longer does. */
	private String newToken(UUID run) {
		String token = RunTokens.newToken();
		int updated = this.db.sql("""
				UPDATE mover_runs SET token_hash = ? WHERE id = ? AND state = 'Created' AND job_created_at IS NULL""")
			.params(RunTokens.hash(token), run)
			.update();
		return (updated == 1) ? token : null;
	}

}
