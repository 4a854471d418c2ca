package io.mlplatform.storage.backup.kubernetes;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import io.mlplatform.storage.cluster.crd.Labels;

/**
 * What each cluster says of the movers' Jobs and pods, kept current by label-selected informers (only
 * objects with our labels are seen), so a sweep reads caches instead of listing every few seconds.
 */
public final class MoverJobInformers implements AutoCloseable {

	private record Watching(KubernetesClient client, SharedIndexInformer<Job> jobs, SharedIndexInformer<Pod> pods) {

		void close() {
			this.jobs.close();
			this.pods.close();
		}

	}

	private final Map<String, Watching> clusters = new ConcurrentHashMap<>();

	/** Starts watching a cluster through this client, once; a new client (a changed registration) starts anew. */
	public void watch(String cluster, KubernetesClient client) {
		Watching current = this.clusters.get(cluster);
		if (current != null && current.client() == client) {
			return;
		}
		synchronized (this.clusters) {
			current = this.clusters.get(cluster);
			if (current != null && current.client() == client) {
				return;
			}
			if (current != null) {
				current.close();
			}
			SharedIndexInformer<Job> jobs = client.batch().v1().jobs().inAnyNamespace()
				.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
				.withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
				.runnableInformer(0);
			SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace()
				.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
				.withLabel(MoverJobManifests.COMPONENT, MoverJobManifests.MOVER)
				.runnableInformer(0);
			// an unreachable cluster is retried by the informer itself
			jobs.exceptionHandler((started, failure) -> true);
			pods.exceptionHandler((started, failure) -> true);
			jobs.start();
			pods.start();
			this.clusters.put(cluster, new Watching(client, jobs, pods));
		}
	}

	/** Whether both caches of the cluster are filled: before that, a Job missing from them may exist. */
	public boolean synced(String cluster) {
		Watching watching = this.clusters.get(cluster);
		return watching != null && watching.jobs().hasSynced() && watching.pods().hasSynced();
	}

	/** The clusters watched so far. */
	public java.util.Set<String> clusters() {
		return java.util.Set.copyOf(this.clusters.keySet());
	}

	/** The movers' Jobs of a cluster, as last seen. */
	public List<Job> jobs(String cluster) {
		Watching watching = this.clusters.get(cluster);
		return (watching == null) ? List.of() : watching.jobs().getStore().list();
	}

	public Job job(String cluster, String namespace, String name) {
		Watching watching = this.clusters.get(cluster);
		return (watching == null) ? null : watching.jobs().getStore().getByKey(namespace + "/" + name);
	}

	/** The pods of one run, oldest first. */
	public List<Pod> pods(String cluster, String run) {
		Watching watching = this.clusters.get(cluster);
		if (watching == null) {
			return List.of();
		}
		return watching.pods()
			.getStore()
			.list()
			.stream()
			.filter(pod -> run.equals(pod.getMetadata().getLabels().get(MoverJobManifests.RUN)))
			.sorted(Comparator.comparing(pod -> String.valueOf(pod.getMetadata().getCreationTimestamp())))
			.toList();
	}

	@Override
	public void close() {
		this.clusters.values().forEach(Watching::close);
		this.clusters.clear();
	}

}
