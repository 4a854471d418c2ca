package io.mlplatform.storage.backup;

import java.net.URI;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.cluster.ClusterMover;

/**
 * The {@code kubernetes} executor: each backup or restore that holds a slot runs as a mover in a Job in
 * its storage's namespace of its own cluster, mounting the storage's PVC, with its run token in a
 * Secret the Job owns. It starts the Job and returns: the run itself ends the job (see
 * {@link MoverRuns}), and {@link MoverJobSweep} reads what the cluster says of the Job until then.
 */
final class KubernetesExecutor {

	private static final Logger log = LoggerFactory.getLogger(KubernetesExecutor.class);

	static final String NAME = "kubernetes";

	private final MoverRuns runs;

	private final MoverJobManifests manifests;

	private final Function<String, KubernetesClient> clients;

	private final Supplier<URI> serviceUrl;

	private final JdbcClient db;

	KubernetesExecutor(MoverRuns runs, MoverJobManifests manifests, Function<String, KubernetesClient> clients,
			Supplier<URI> serviceUrl, JdbcClient db) {
		this.runs = runs;
		this.manifests = manifests;
		this.clients = clients;
		this.serviceUrl = serviceUrl;
		this.db = db;
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

	/** Starts a run of a job this worker claimed, as a Job in the storage's cluster; returns once it is created. */
	void run(Kind kind, UUID job, String owner, Target target) {
		MoverRuns.Started run = this.runs.start(kind, job, owner, NAME).orElse(null);
		if (run == null) {
			log.warn("{} {} passed to another worker before its Job was created", kind, job);
			return;
		}
		String kindName = kind.name().toLowerCase();
		String name = MoverJobManifests.name(kindName, job, run.attempt());
		// recorded before the Job exists: a replica that dies in between leaves a run the sweep times out
		this.db.sql("UPDATE mover_runs SET cluster = ?, namespace = ?, job_name = ? WHERE id = ?")
			.params(target.cluster(), target.namespace(), name, run.id())
			.update();
		if (target.pvcName() == null) {
			this.runs.settle(run.id(), "The storage's cluster reports no PVC for it yet");
			MoverJobSweep.finishedJob(this.db, run.id());
			return;
		}
		MoverJobManifests.Attempt attempt = new MoverJobManifests.Attempt(kindName, job, run.attempt(), run.id(),
				target.project(), target.storageId().toString(), target.namespace(), target.pvcName(),
				target.lastFiles(), (target.mover() != null && target.mover().serviceUrl() != null)
						? URI.create(target.mover().serviceUrl()) : this.serviceUrl.get(),
				target.mover());
		try {
			KubernetesClient client = this.clients.apply(target.cluster());
			Job created = createOrGet(client, this.manifests.job(attempt));
			try {
				client.secrets().inNamespace(target.namespace())
					.resource(this.manifests.secret(attempt, run.token(), created))
					.create();
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() != 409) {
					throw ex;
				}
			}
			log.info("{} {} runs in Job {}/{} of cluster {} as run {} (attempt {})", kind, job, target.namespace(), name,
					target.cluster(), run.id(), run.attempt());
		}
		catch (RuntimeException ex) {
			// the queue retries the job: a cluster that is down costs an attempt, never a stuck run
			log.warn("{} {}: Job {}/{} in cluster {} could not be created: {}", kind, job, target.namespace(), name,
					target.cluster(), ex.toString());
			this.runs.settle(run.id(), "Its Job could not be created in cluster " + target.cluster() + ": "
					+ (ex instanceof KubernetesClientException k ? "HTTP " + k.getCode() : ex.getClass().getSimpleName()));
			// a Job created before the failure (its Secret was refused) is deleted by the sweep after the grace
			MoverJobSweep.finishedJob(this.db, run.id());
		}
	}

	/** Creates the Job; one another replica created for the same attempt is the one (its name is the attempt's). */
	private static Job createOrGet(KubernetesClient client, Job job) {
		try {
			return client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace()).resource(job).create();
		}
		catch (KubernetesClientException ex) {
			if (ex.getCode() == 409) {
				Job existing = client.batch().v1().jobs().inNamespace(job.getMetadata().getNamespace())
					.withName(job.getMetadata().getName()).get();
				if (existing != null) {
					return existing;
				}
			}
			throw ex;
		}
	}

}
