package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.ProjectStorageStatus;

/**
 * A stand-in for the NFS operator: adds its finalizer to a new ProjectStorage, creates the share as
 * a folder under the shares root, reports it Ready with that folder as NFS path, keeps usedBytes
 * current, and on deletion removes the folder and then its finalizer.
 */
public final class SimulatedOperator implements AutoCloseable {

	public static final String FINALIZER = "storage.mlplatform.io/share";

	private final KubernetesClient client;

	private final Path sharesRoot;

	private final SharedIndexInformer<ProjectStorage> informer;

	private final ScheduledExecutorService usage = Executors.newSingleThreadScheduledExecutor(runnable -> {
		Thread thread = new Thread(runnable, "simulated-operator");
		thread.setDaemon(true);
		return thread;
	});

	private volatile boolean holdFinalizer;

	private SimulatedOperator(KubernetesClient client, Path sharesRoot) {
		this.client = client;
		this.sharesRoot = sharesRoot;
		this.informer = client.resources(ProjectStorage.class).inAnyNamespace().runnableInformer(0);
		this.informer.addEventHandler(new ResourceEventHandler<>() {
			@Override
			public void onAdd(ProjectStorage object) {
				reconcile(object);
			}

			@Override
			public void onUpdate(ProjectStorage before, ProjectStorage after) {
				reconcile(after);
			}

			@Override
			public void onDelete(ProjectStorage object, boolean finalStateUnknown) {
			}
		});
	}

	/** @param usageEvery how often usedBytes is measured again; null for never */
	public static SimulatedOperator start(KubernetesClient client, Path sharesRoot, java.time.Duration usageEvery) {
		SimulatedOperator operator = new SimulatedOperator(client, sharesRoot);
		operator.informer.run();
		if (usageEvery != null) {
			operator.usage.scheduleWithFixedDelay(operator::measure, usageEvery.toMillis(), usageEvery.toMillis(),
					TimeUnit.MILLISECONDS);
		}
		return operator;
	}

	/** While held, deleted storages keep the finalizer: deletion waits, as while a share is being wiped. */
	public void holdFinalizer(boolean hold) {
		this.holdFinalizer = hold;
		if (!hold) {
			this.informer.getStore().list().forEach(this::reconcile);
		}
	}

	private synchronized void reconcile(ProjectStorage object) {
		try {
			if (object.getMetadata().getDeletionTimestamp() != null) {
				if (!this.holdFinalizer && object.getMetadata().getFinalizers().contains(FINALIZER)) {
					deleteRecursively(share(object));
					this.client.resource(object).edit(o -> {
						o.getMetadata().getFinalizers().remove(FINALIZER);
						return o;
					});
				}
				return;
			}
			if (!object.getMetadata().getFinalizers().contains(FINALIZER)) {
				this.client.resource(object).edit(o -> {
					o.getMetadata().getFinalizers().add(FINALIZER);
					return o;
				});
				return;
			}
			ProjectStorageStatus status = object.getStatus();
			Long generation = object.getMetadata().getGeneration();
			if (status != null && "Ready".equals(status.phase()) && generation.equals(status.observedGeneration())) {
				return;
			}
			Path share = share(object);
			Files.createDirectories(share);
			report(object, share);
		}
		catch (KubernetesClientException ex) {
			if (ex.getCode() != 404) {
				requeue(object);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Tries the object again in a second, from the informer's current copy, as a controller requeues a key whose
	 * reconcile failed: a failed write (a conflict, the API server stalled or refusing) may bring no new event,
	 * and an object that never got its finalizer removed stays deleting for good.
	 */
	private void requeue(ProjectStorage object) {
		String key = object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
		try {
			this.usage.schedule(() -> {
				ProjectStorage current = this.informer.getStore().getByKey(key);
				if (current != null) {
					reconcile(current);
				}
			}, 1, TimeUnit.SECONDS);
		}
		catch (java.util.concurrent.RejectedExecutionException ex) {
			// closed
		}
	}

	private void report(ProjectStorage object, Path share) {
		Condition ready = new ConditionBuilder().withType("Ready")
			.withStatus("True")
			.withReason("Provisioned")
			.withMessage("Share is exported")
			.withObservedGeneration(object.getMetadata().getGeneration())
			.withLastTransitionTime(Instant.now().toString())
			.build();
		ProjectStorage patch = new ProjectStorage();
		patch.setMetadata(object.getMetadata());
		patch.setSpec(object.getSpec());
		patch.setStatus(new ProjectStorageStatus("Ready", object.getMetadata().getGeneration(),
				"pvc-" + object.getMetadata().getName(), new ProjectStorageStatus.Nfs("127.0.0.1", share.toString()),
				size(share), List.of(ready)));
		this.client.resource(patch).updateStatus();
	}

	private void measure() {
		for (ProjectStorage object : new ArrayList<>(this.informer.getStore().list())) {
			ProjectStorageStatus status = object.getStatus();
			if (status == null || object.getMetadata().getDeletionTimestamp() != null) {
				continue;
			}
			long used = size(share(object));
			if (status.usedBytes() == null || status.usedBytes() != used) {
				try {
					report(object, share(object));
				}
				catch (KubernetesClientException ex) {
					// changed meanwhile; measured again next round
				}
			}
		}
	}

	private Path share(ProjectStorage object) {
		return this.sharesRoot.resolve(object.getMetadata().getNamespace()).resolve(object.getMetadata().getName());
	}

	private static long size(Path share) {
		if (!Files.isDirectory(share)) {
			return 0;
		}
		try (Stream<Path> files = Files.walk(share)) {
			return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
		}
		catch (IOException | UncheckedIOException ex) {
			return 0;
		}
	}

	/** Deletes a folder and what it holds, if it exists. */
	public static void deleteRecursively(Path share) throws IOException {
		if (!Files.exists(share)) {
			return;
		}
		try (Stream<Path> files = Files.walk(share)) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(file);
			}
		}
	}

	@Override
	public void close() {
		this.usage.shutdownNow();
		this.informer.close();
	}

}
