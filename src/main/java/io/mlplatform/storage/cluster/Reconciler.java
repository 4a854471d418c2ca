package io.mlplatform.storage.cluster;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Lazy;
import org.springframework.stereotype.Component;

import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.StorageQuota;

/**
 * Drains the outbox into the clusters: one worker per cluster, woken right after a commit and by a
 * poll as a safety net. Creates a custom resource if absent, otherwise merge-patches our labels,
 * annotations and spec (never status). A cluster that fails is left alone for a growing backoff;
 * its changes wait in the outbox, so nothing is lost and no API call fails.
 */
@Component
class Reconciler implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

	private final Outbox outbox;

	private final ClusterClients clients;

	private final StatusMirror mirror;

	private final ReconcilerProperties properties;

	private final ClusterHealth health;

	private final String owner = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID();

	private final Map<String, Worker> workers = new ConcurrentHashMap<>();

	private ScheduledExecutorService executor;

	/** Calls to clusters; bounded per cluster by the batch, overall by {@code parallelism} per busy cluster. */
	private ExecutorService calls;

	private volatile boolean running;

	Reconciler(Outbox outbox, @Lazy ClusterClients clients, @Lazy StatusMirror mirror, ReconcilerProperties properties,
			ClusterHealth health) {
		this.health = health;
		this.outbox = outbox;
		this.clients = clients;
		this.mirror = mirror;
		this.properties = properties;
	}

	/** Called after a commit that queued a change for this cluster. */
	void wake(String cluster) {
		if (this.running) {
			this.workers.computeIfAbsent(cluster, Worker::new).wake();
		}
	}

	/** Backoff and failure state per cluster, for health and tests. */
	int failures(String cluster) {
		Worker worker = this.workers.get(cluster);
		return worker == null ? 0 : worker.failures;
	}

	@Override
	public void start() {
		if (!this.properties.enabled()) {
			return;
		}
		this.executor = Executors.newScheduledThreadPool(2, runnable -> {
			Thread thread = new Thread(runnable, "reconciler");
			thread.setDaemon(true);
			return thread;
		});
		this.calls = Executors.newFixedThreadPool(this.properties.parallelism(), runnable -> {
			Thread thread = new Thread(runnable, "reconciler-call");
			thread.setDaemon(true);
			return thread;
		});
		// a worker whose delayed retry was cancelled by stop() still counts itself busy: start afresh
		this.workers.clear();
		this.running = true;
		long poll = this.properties.poll().toMillis();
		this.executor.scheduleWithFixedDelay(this::poll, 0, poll, TimeUnit.MILLISECONDS);
	}

	private void poll() {
		try {
			this.outbox.clustersWithDueRows().forEach(this::wake);
		}
		catch (RuntimeException ex) {
			log.warn("Could not look for queued cluster changes: {}", ex.toString());
		}
	}

	@Override
	public void stop() {
		this.running = false;
		if (this.calls != null) {
			this.calls.shutdownNow();
		}
		if (this.executor != null) {
			this.executor.shutdownNow();
			try {
				this.executor.awaitTermination(5, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Drains one cluster's queue; never runs twice at once for the same cluster in this instance. */
	private final class Worker {

		private final String cluster;

		private final AtomicBoolean pending = new AtomicBoolean();

		private final AtomicBoolean busy = new AtomicBoolean();

		private volatile int failures;

		private volatile long retryAt;

		Worker(String cluster) {
			this.cluster = cluster;
		}

		void wake() {
			this.pending.set(true);
			if (this.busy.compareAndSet(false, true)) {
				submit(this::loop, 0);
			}
		}

		private void submit(Runnable task, long delayMillis) {
			try {
				Reconciler.this.executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
			}
			catch (java.util.concurrent.RejectedExecutionException ex) {
				this.busy.set(false); // shutting down
			}
		}

		private void loop() {
			boolean rescheduled = false;
			try {
				while (Reconciler.this.running && this.pending.getAndSet(false)) {
					long wait = this.retryAt - System.currentTimeMillis();
					if (wait > 0) {
						// backing off: come back then, with the wake-up still pending
						this.pending.set(true);
						rescheduled = true;
						submit(this::loop, wait);
						return;
					}
					if (drain()) {
						this.pending.set(true);
					}
				}
			}
			catch (RuntimeException ex) {
				log.warn("Reconciling cluster '{}' failed: {}", this.cluster, ex.toString());
			}
			finally {
				if (!rescheduled) {
					this.busy.set(false);
					if (this.pending.get() && this.busy.compareAndSet(false, true)) {
						submit(this::loop, 0);
					}
				}
			}
		}

		/** @return whether there may be more to do right away */
		private boolean drain() {
			List<OutboxRow> rows = Reconciler.this.outbox.claim(this.cluster, Reconciler.this.owner,
					Reconciler.this.properties.batchSize(), Reconciler.this.properties.lease());
			if (rows.isEmpty()) {
				return false;
			}
			KubernetesClient client;
			try {
				client = Reconciler.this.clients.client(this.cluster);
			}
			catch (RuntimeException ex) {
				// the reason may name the credentials' secret or file: the log says it, the storages do not
				log.warn("Cannot connect to cluster '{}' with its credentials: {}", this.cluster, describe(ex));
				unreachable(rows, "its credentials cannot be used; the service log says why");
				return false;
			}
			AtomicReference<String> down = new AtomicReference<>();
			CompletableFuture<?>[] calls = rows.stream()
				.map(row -> CompletableFuture.runAsync(() -> applyOne(client, row, down), Reconciler.this.calls))
				.toArray(CompletableFuture[]::new);
			CompletableFuture.allOf(calls).join();
			if (down.get() != null) {
				backOff(down.get());
				return false;
			}
			this.failures = 0;
			this.retryAt = 0;
			Reconciler.this.health.reached(this.cluster);
			Reconciler.this.mirror.watch(this.cluster, client);
			return true;
		}

		/**
		 * Applies one row; once any call found the cluster unreachable, the rows not yet tried are
		 * released untried, and the whole cluster backs off.
		 */
		private void applyOne(KubernetesClient client, OutboxRow row, AtomicReference<String> down) {
			Outbox outbox = Reconciler.this.outbox;
			String owner = Reconciler.this.owner;
			if (down.get() != null) {
				releaseUnreachable(row, down.get());
				return;
			}
			if (!outbox.renew(row, owner, Reconciler.this.properties.lease())) {
				log.debug("Lease on {} ran out and was taken over; leaving it", row);
				return;
			}
			try {
				Long generation = apply(client, row);
				outbox.applied(row, owner, generation);
				if (row.isDelete() && generation == null && row.storageId() != null) {
					outbox.tombstone(row.storageId());
				}
			}
			catch (ObjectNotReadyException ex) {
				outbox.waiting(row, owner, ex.getMessage(), Reconciler.this.properties.backoff(row.attempts() + 1));
			}
			catch (NotOurObjectException ex) {
				Reconciler.this.health.applyFailed(this.cluster, "refused");
				outbox.failed(row, owner, ex.getMessage(), true, Reconciler.this.properties.backoff(row.attempts() + 1));
				log.warn("Cluster '{}': {}", this.cluster, ex.getMessage());
			}
			catch (KubernetesClientException ex) {
				ClusterCalls.Failure failure = ClusterCalls.classify(ex);
				if (failure == ClusterCalls.Failure.CONFLICT) {
					// another writer changed this object in between: the cluster is fine, this row tries again
					Reconciler.this.health.applyFailed(this.cluster, "conflict");
					outbox.waiting(row, owner, "Conflict writing the object, trying again: " + describe(ex),
							Reconciler.this.properties.backoff(row.attempts() + 1));
					return;
				}
				if (failure == ClusterCalls.Failure.REFUSED) {
					// the cluster answered and said no: this row waits, the others go on
					Reconciler.this.health.applyFailed(this.cluster, "refused");
					outbox.failed(row, owner, describe(ex), true, Reconciler.this.properties.backoff(row.attempts() + 1));
					log.warn("Cluster '{}' refused {}: {}", this.cluster, row, describe(ex));
					return;
				}
				down.compareAndSet(null, describe(ex));
				releaseUnreachable(row, describe(ex));
			}
		}

		/** Gives the row back untried-for-now: it is due again as soon as the cluster's backoff allows. */
		private void releaseUnreachable(OutboxRow row, String reason) {
			Reconciler.this.health.applyFailed(this.cluster, "unreachable");
			Reconciler.this.outbox.failed(row, Reconciler.this.owner, unreachableError(reason), false, Duration.ZERO);
		}

		private String unreachableError(String reason) {
			return "Cluster '" + this.cluster + "' unreachable: " + reason;
		}

		/** The cluster is down or overloaded: back off as a whole (the rows were released as they failed). */
		private void backOff(String reason) {
			this.failures++;
			long backoff = Reconciler.this.properties.backoff(this.failures).toMillis();
			this.retryAt = System.currentTimeMillis() + backoff;
			Reconciler.this.health.unreachable(this.cluster, unreachableError(reason));
			if (this.failures == 1 || this.failures % 10 == 0) {
				log.warn("{} (attempt {}, next in {} ms)", unreachableError(reason), this.failures, backoff);
			}
		}

		/** Nothing could be tried: release every row and back off. */
		private void unreachable(List<OutboxRow> rows, String reason) {
			rows.forEach(row -> releaseUnreachable(row, reason));
			backOff(reason);
		}

	}

	/**
	 * Creates the object if absent, else merge-patches it when it differs from what is desired.
	 * @return metadata.generation of the object as written, or null when a deleted object is gone
	 */
	static Long apply(KubernetesClient client, OutboxRow row) {
		Resource<HasMetadata> resource = resource(client, row);
		if (row.createFirst() && !row.isDelete()) {
			try {
				return create(client, row, (ObjectNode) Serialization.unmarshal(row.body(), JsonNode.class));
			}
			catch (KubernetesClientException ex) {
				if (ex.getCode() != 409) {
					throw ex;
				}
				// it exists after all (made meanwhile, or not ours): look at it as any other change does
			}
		}
		HasMetadata existing = resource.get();
		if (row.isDelete()) {
			if (existing == null || !isOurs(existing, row)) {
				// ours is gone; an object of that name that is not ours is never deleted
				return null;
			}
			resource.delete();
			HasMetadata left = resource.get();
			return left == null || !isOurs(left, row) ? null : left.getMetadata().getGeneration();
		}
		ObjectNode desired = (ObjectNode) Serialization.unmarshal(row.body(), JsonNode.class);
		if (existing != null && !isOurs(existing, row)) {
			throw new NotOurObjectException("A " + row.kind() + " named '" + row.name() + "' exists in namespace '"
					+ row.namespace() + "' and was not created by this service for this "
					+ (row.storageId() != null ? "storage" : "project") + "; it is left alone. Rename or remove it.");
		}
		if (existing == null) {
			return create(client, row, desired);
		}
		if (existing.getMetadata().getDeletionTimestamp() != null) {
			throw new ObjectNotReadyException("The previous " + row.kind() + " '" + row.name()
					+ "' is still being deleted in the cluster; the change is applied once it is gone.");
		}
		if (matches(existing, desired)) {
			return existing.getMetadata().getGeneration();
		}
		// the spec is ours as a whole: a field we no longer set is removed, which a merge patch says with null
		ObjectNode patch = desired.deepCopy();
		removeLabelsNoLongerWanted(resource, existing, patch.path("metadata").path("labels"));
		JsonNode actualSpec = Serialization.unmarshal(Serialization.asJson(existing), JsonNode.class).path("spec");
		nullWhatIsNoLongerSet((ObjectNode) patch.get("spec"), actualSpec);
		return resource.patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString()).getMetadata().getGeneration();
	}

	/** Puts null for each field of the actual object that the desired one lacks, in nested objects too. */
	private static void nullWhatIsNoLongerSet(ObjectNode desired, JsonNode actual) {
		actual.properties().forEach(field -> {
			JsonNode wanted = desired.get(field.getKey());
			if (wanted == null) {
				desired.putNull(field.getKey());
			}
			else if (wanted.isObject() && field.getValue().isObject()) {
				nullWhatIsNoLongerSet((ObjectNode) wanted, field.getValue());
			}
		});
	}

	/**
	 * Removes the storage's labels that we wrote before (our annotation lists them) and that it no
	 * longer has; labels anyone else set stay. A JSON Patch of {@code remove} operations, before the
	 * merge patch replaces our annotation, so a failure in between leaves the list that says what is
	 * ours; each removal first tests the value it removes, so a label someone set anew since is kept
	 * (the cluster refuses the patch and the row is tried again). Not a merge patch with nulls: the mock
	 * API the tests run against stores the nulls instead of removing the keys.
	 */
	private static void removeLabelsNoLongerWanted(Resource<HasMetadata> resource, HasMetadata existing,
			JsonNode wanted) {
		Map<String, String> annotations = existing.getMetadata().getAnnotations();
		Map<String, String> labels = existing.getMetadata().getLabels();
		String written = annotations == null ? null : annotations.get(Labels.USER_LABELS);
		if (written == null || written.isEmpty() || labels == null) {
			return;
		}
		com.fasterxml.jackson.databind.node.ArrayNode operations = Serialization.jsonMapper().createArrayNode();
		for (String key : written.split(",")) {
			if (!wanted.has(key) && labels.containsKey(key)) {
				String path = "/metadata/labels/" + key.replace("~", "~0").replace("/", "~1");
				operations.addObject().put("op", "test").put("path", path).put("value", labels.get(key));
				operations.addObject().put("op", "remove").put("path", path);
			}
		}
		if (!operations.isEmpty()) {
			resource.patch(PatchContext.of(PatchType.JSON), operations.toString());
		}
	}

	private static Long create(KubernetesClient client, OutboxRow row, ObjectNode desired) {
		ObjectNode created = desired.deepCopy();
		created.put("apiVersion", Labels.GROUP + "/" + Labels.VERSION);
		created.put("kind", row.kind());
		((ObjectNode) created.get("metadata")).put("name", row.name()).put("namespace", row.namespace());
		HasMetadata object = Serialization.unmarshal(created.toString(), type(row));
		return inNamespace(client, row).resource(object).create().getMetadata().getGeneration();
	}

	/** Whether we wrote this object: for this storage (its id label), or for this project's quota. */
	static boolean isOurs(HasMetadata object, OutboxRow row) {
		Map<String, String> labels = object.getMetadata().getLabels();
		if (labels == null || !Labels.MANAGER.equals(labels.get(Labels.MANAGED_BY))) {
			return false;
		}
		return row.storageId() != null ? row.storageId().toString().equals(labels.get(Labels.STORAGE_ID))
				: row.name().equals(labels.get(Labels.PROJECT));
	}

	/** The object must not be touched: another owner's. */
	static final class NotOurObjectException extends RuntimeException {

		NotOurObjectException(String message) {
			super(message, null, false, false);
		}

	}

	/** The object cannot take this change yet; only its row waits, not the whole cluster. */
	static final class ObjectNotReadyException extends RuntimeException {

		ObjectNotReadyException(String message) {
			super(message, null, false, false);
		}

	}

	/** Whether the object already carries our labels, annotations and exactly our spec. */
	static boolean matches(HasMetadata existing, JsonNode desired) {
		JsonNode actual = Serialization.unmarshal(Serialization.asJson(existing), JsonNode.class);
		JsonNode metadata = desired.path("metadata");
		for (String field : List.of("labels", "annotations")) {
			var wanted = metadata.path(field).properties();
			for (Map.Entry<String, JsonNode> entry : wanted) {
				if (!Objects.equals(entry.getValue(), actual.path("metadata").path(field).get(entry.getKey()))) {
					return false;
				}
			}
		}
		return desired.path("spec").equals(actual.path("spec"));
	}

	private static Class<? extends HasMetadata> type(OutboxRow row) {
		return ClusterSync.STORAGE_QUOTA.equals(row.kind()) ? StorageQuota.class : ProjectStorage.class;
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static Resource<HasMetadata> resource(KubernetesClient client, OutboxRow row) {
		return (Resource) client.resources(type(row)).inNamespace(row.namespace()).withName(row.name());
	}

	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<HasMetadata, ?, Resource<HasMetadata>> inNamespace(
			KubernetesClient client, OutboxRow row) {
		return (io.fabric8.kubernetes.client.dsl.NonNamespaceOperation) client.resources(type(row)).inNamespace(row.namespace());
	}

	static String describe(RuntimeException ex) {
		String message = ex instanceof KubernetesClientException k8s && k8s.getStatus() != null
				&& k8s.getStatus().getMessage() != null ? k8s.getCode() + " " + k8s.getStatus().getMessage()
						: ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
		return message.length() > 1000 ? message.substring(0, 1000) : message;
	}

}
