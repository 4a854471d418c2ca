package io.mlplatform.storage.cluster;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.ProjectStorageStatus;
import io.mlplatform.storage.cluster.crd.StorageQuota;

/**
 * Reads clusters back: a label-selected informer per cluster mirrors each ProjectStorage's status
 * into its storage row and turns a storage whose object is gone into a tombstone; a periodic resync
 * compares every cluster with Postgres and queues what drifted. Objects with our labels but no
 * storage are reported (metric {@code pss.cluster.orphans} and a log line), never deleted.
 */
@Component
class StatusMirror implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(StatusMirror.class);

	private record Watching(KubernetesClient client, SharedIndexInformer<ProjectStorage> informer) {
	}

	private final Map<String, Watching> informers = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> orphans = new ConcurrentHashMap<>();

	private final ClusterClients clients;

	private final ClusterSync sync;

	private final Outbox outbox;

	private final JdbcClient jdbc;

	private final TransactionTemplate transactions;

	private final ReconcilerProperties properties;

	private final MeterRegistry meters;

	private final ClusterHealth health;

	private ScheduledExecutorService executor;

	/** Runs each cluster's resync, so that one stuck in a call can be given up on (see {@link #resyncAll}). */
	private final ExecutorService calls;

	/** The least time a resync is given before it counts as stuck. */
	private static final Duration MIN_DEADLINE = Duration.ofMinutes(2);

	private volatile boolean running;

	StatusMirror(ClusterClients clients, ClusterSync sync, Outbox outbox, JdbcClient jdbc,
			PlatformTransactionManager transactionManager, ReconcilerProperties properties, MeterRegistry meters,
			ClusterHealth health) {
		this.health = health;
		this.clients = clients;
		this.sync = sync;
		this.outbox = outbox;
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactionManager);
		this.properties = properties;
		this.meters = meters;
		this.calls = Executors.newCachedThreadPool(runnable -> {
			Thread thread = new Thread(runnable, "cluster-resync-call");
			thread.setDaemon(true);
			return thread;
		});
	}

	@Override
	public void start() {
		if (!this.properties.enabled()) {
			return;
		}
		this.running = true;
		this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, "cluster-resync");
			thread.setDaemon(true);
			return thread;
		});
		// right after start, then periodically: a restarted service catches up on what it missed
		long resync = this.properties.resync().toMillis();
		this.executor.scheduleWithFixedDelay(this::resyncAll, Math.min(resync, 1000), resync, TimeUnit.MILLISECONDS);
	}

	@Override
	public void stop() {
		this.running = false;
		// a resync in flight is interrupted with the scheduler's thread, which cancels its call (resyncAll); the
		// pool's idle threads end by themselves, and it stays usable for a start after this stop
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
		this.informers.values().forEach(watching -> watching.informer().close());
		this.informers.clear();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Starts mirroring a cluster's status, once; the informer reconnects on its own when the cluster was down. */
	void watch(String cluster, KubernetesClient client) {
		if (!this.running) {
			return;
		}
		// a changed registration rebuilds the client, and closing the old one closed its informer
		Watching current = this.informers.get(cluster);
		if (current != null && current.client() == client) {
			return;
		}
		synchronized (this.informers) {
			current = this.informers.get(cluster);
			if (current != null && current.client() == client) {
				return;
			}
			if (current != null) {
				current.informer().close();
			}
			SharedIndexInformer<ProjectStorage> informer = client.resources(ProjectStorage.class)
				.inAnyNamespace()
				.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
				.runnableInformer(0);
			informer.exceptionHandler((started, failure) -> true);
			informer.addEventHandler(new ResourceEventHandler<>() {
				@Override
				public void onAdd(ProjectStorage object) {
					mirror(object);
				}

				@Override
				public void onUpdate(ProjectStorage before, ProjectStorage after) {
					mirror(after);
				}

				@Override
				public void onDelete(ProjectStorage object, boolean finalStateUnknown) {
					UUID id = storageId(object);
					if (id != null) {
						StatusMirror.this.outbox.tombstone(id);
					}
				}
			});
			informer.start();
			this.informers.put(cluster, new Watching(client, informer));
		}
	}

	/** Copies what the operator reports; only the status columns of the storage row change. */
	void mirror(ProjectStorage object) {
		UUID id = storageId(object);
		ProjectStorageStatus status = object.getStatus();
		if (id == null || status == null) {
			return;
		}
		Long generation = object.getMetadata().getGeneration();
		// the operator has acted on the spec in the object, and that spec is our generation N
		boolean current = status.observedGeneration() != null && status.observedGeneration().equals(generation);
		Long ours = ourGeneration(object);
		List<Map<String, Object>> conditions = new ArrayList<>();
		if (status.conditions() != null) {
			for (Condition condition : status.conditions()) {
				Map<String, Object> entry = new HashMap<>();
				entry.put("type", condition.getType());
				entry.put("status", condition.getStatus());
				entry.put("reason", condition.getReason());
				entry.put("message", condition.getMessage());
				entry.put("lastTransitionTime", condition.getLastTransitionTime());
				conditions.add(entry);
			}
		}
		BigDecimal resourceVersion = comparableResourceVersion(object.getMetadata().getResourceVersion());
		// another replica's informer may be behind this one's (or ahead): the row takes a status only if
		// it is not older than the one it holds, decided in the UPDATE itself so concurrent writers agree
		this.jdbc.sql("""
				UPDATE storages SET phase = COALESCE(?, phase), pvc_name = ?, nfs_server = ?, nfs_path = ?,
				    used_bytes = ?, conditions = cast(? as jsonb),
				    observed_generation = CASE WHEN ? THEN ? ELSE observed_generation END,
				    status_uid = ?, status_generation = ?, status_observed_generation = ?, status_resource_version = ?
				WHERE id = ? AND deleted_at IS NULL
				  AND CASE WHEN status_resource_version IS NOT NULL AND cast(? AS numeric) IS NOT NULL
				           THEN cast(? AS numeric) >= status_resource_version
				           ELSE status_uid IS DISTINCT FROM ?
				                OR (COALESCE(?, 0), COALESCE(?, 0)) >= (COALESCE(status_generation, 0), COALESCE(status_observed_generation, 0))
				      END""")
			.params(status.phase(), status.pvcName(), status.nfs() == null ? null : status.nfs().server(),
					status.nfs() == null ? null : status.nfs().path(), status.usedBytes(),
					Serialization.asJson(conditions), current && ours != null, ours, object.getMetadata().getUid(),
					generation, status.observedGeneration(), resourceVersion, id, resourceVersion, resourceVersion,
					object.getMetadata().getUid(), generation, status.observedGeneration())
			.update();
	}

	/**
	 * A resourceVersion as a number, when it is one. Kubernetes 1.35 made resource versions comparable
	 * (KEP-5504): a positive integer without leading zeros, larger for every later write of the same
	 * resource. Anything else stays opaque (null) and is never compared.
	 */
	static BigDecimal comparableResourceVersion(String resourceVersion) {
		if (resourceVersion == null || resourceVersion.length() > 40 || !RESOURCE_VERSION.matcher(resourceVersion).matches()) {
			return null;
		}
		return new BigDecimal(resourceVersion);
	}

	private static final Pattern RESOURCE_VERSION = Pattern.compile("[1-9][0-9]*");

	/**
	 * One periodic pass. Nothing may escape it: a scheduled task that throws is never run again, and the
	 * soak found this instance's resync dead after a database outage, leaving storages whose deletion the
	 * informer missed (while the cluster API was gone) in Deleting for good.
	 */
	void resyncAll() {
		List<String> clusters;
		try {
			clusters = clusters();
		}
		catch (RuntimeException ex) {
			log.warn("Resync could not list clusters, next in {}: {}", this.properties.resync(), ex.toString());
			return;
		}
		// a resync not over when the next one is due is stuck: fabric8's client can wait for ever for the answer
		// to a request whose connection was reset (fabric8io/kubernetes-client#6909, #7299), and a resync stuck
		// in one would be the last: storages whose deletion the informer missed would stay Deleting
		Duration deadline = deadline();
		for (String cluster : clusters) {
			long start = System.nanoTime();
			Future<Integer> run = this.calls.submit(() -> resync(cluster));
			try {
				run.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
				passed(cluster, "done", start);
			}
			catch (TimeoutException ex) {
				run.cancel(true);
				log.warn("Resync of cluster '{}' did not end within {}; interrupted, next in {}", cluster, deadline,
						this.properties.resync());
				unreachable(cluster, "Resync did not end within " + deadline);
				passed(cluster, "stuck", start);
			}
			catch (ExecutionException ex) {
				String why = (ex.getCause() instanceof RuntimeException failure) ? Reconciler.describe(failure)
						: String.valueOf(ex.getCause());
				log.warn("Resync of cluster '{}' failed, next in {}: {}", cluster, this.properties.resync(), why);
				unreachable(cluster, "Resync failed: " + why);
				passed(cluster, "failed", start);
			}
			catch (InterruptedException ex) {
				run.cancel(true);
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/** Times a cluster's resync by outcome: a count that stops growing is a resync that no longer runs. */
	private void passed(String cluster, String outcome, long start) {
		Timer.builder("pss.cluster.resync")
			.description("Passes of the periodic resync by outcome: done, failed, or stuck (given up on at its deadline)")
			.tag("cluster", cluster)
			.tag("outcome", outcome)
			.register(this.meters)
			.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
	}

	/**
	 * Records a failed resync in the cluster's health. A resync that failed because PostgreSQL was gone
	 * fails this write too, and the failure must not leave {@link #resyncAll}: the scheduler would
	 * never run it again, and storages whose deletion the informer missed would stay Deleting for good.
	 */
	private void unreachable(String cluster, String why) {
		try {
			this.health.unreachable(cluster, why);
		}
		catch (RuntimeException ex) {
			log.warn("Could not record cluster '{}' as unreachable: {}", cluster, ex.toString());
		}
	}

	/** The clusters with storages. */
	List<String> clusters() {
		return this.jdbc.sql("SELECT DISTINCT cluster FROM storages WHERE deleted_at IS NULL").query(String.class).list();
	}

	/** How long one cluster's resync may take before it counts as stuck: until the next is due, 2 min at least. */
	Duration deadline() {
		return this.properties.resync().compareTo(MIN_DEADLINE) > 0 ? this.properties.resync() : MIN_DEADLINE;
	}

	/**
	 * Compares one cluster with Postgres in one list call per kind and queues a change for every
	 * storage and project quota whose object is missing or differs; tombstones storages being deleted
	 * whose object is gone.
	 * @return how many changes were queued
	 */
	int resync(String cluster) {
		KubernetesClient client = this.clients.client(cluster);
		Map<UUID, ProjectStorage> objects = new HashMap<>();
		List<ProjectStorage> listed = client.resources(ProjectStorage.class)
			.inAnyNamespace()
			.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
			.list()
			.getItems();
		this.health.reached(cluster);
		for (ProjectStorage object : listed) {
			UUID id = storageId(object);
			if (id != null) {
				objects.put(id, object);
			}
		}
		Set<UUID> pending = new HashSet<>(this.jdbc
			.sql("SELECT DISTINCT storage_id FROM cluster_outbox WHERE cluster = ? AND storage_id IS NOT NULL")
			.param(cluster)
			.query(UUID.class)
			.list());
		Set<UUID> known = new HashSet<>();
		List<UUID> drifted = new ArrayList<>();
		Set<UUID> missing = new HashSet<>();
		List<DesiredStorage> deletedMaybe = new ArrayList<>();
		this.jdbc.sql(DESIRED + " WHERE s.cluster = ? AND s.deleted_at IS NULL").param(cluster).query(row -> {
			DesiredStorage desired = desired(row);
			known.add(desired.id());
			ProjectStorage object = objects.get(desired.id());
			if (pending.contains(desired.id())) {
				return;
			}
			if ("Deleting".equals(row.getString("lifecycle"))) {
				if (object == null) {
					deletedMaybe.add(desired);
				}
				return;
			}
			JsonNode body = Serialization.unmarshal(Serialization.asJson(this.sync.body(desired)), JsonNode.class);
			if (object == null) {
				missing.add(desired.id());
			}
			if (object == null || !Reconciler.matches(object, body)) {
				drifted.add(desired.id());
			}
		});
		// the list was taken before the rows were read: an object created and deleted in between is
		// only absent from the list, so each one is looked up again before its storage is let go
		for (DesiredStorage desired : deletedMaybe) {
			ProjectStorage object = client.resources(ProjectStorage.class)
				.inNamespace(desired.namespace())
				.withName(desired.name())
				.get();
			if (object == null || !desired.id().equals(storageId(object))) {
				this.outbox.tombstone(desired.id());
			}
		}
		for (int from = 0; from < drifted.size(); from += REQUEUE_CHUNK) {
			requeue(drifted.subList(from, Math.min(from + REQUEUE_CHUNK, drifted.size())), missing);
		}
		int orphaned = 0;
		for (Map.Entry<UUID, ProjectStorage> entry : objects.entrySet()) {
			if (!known.contains(entry.getKey())) {
				orphaned++;
				log.warn("Cluster '{}' has ProjectStorage {}/{} with our labels but no storage (id {}); left in place",
						cluster, entry.getValue().getMetadata().getNamespace(), entry.getValue().getMetadata().getName(),
						entry.getKey());
			}
		}
		this.orphans.computeIfAbsent(cluster, name -> {
			AtomicInteger gauge = new AtomicInteger();
			Gauge.builder("pss.cluster.orphans", gauge, AtomicInteger::get)
				.description("Objects with our labels and no storage row")
				.tag("cluster", name)
				.register(this.meters);
			return gauge;
		}).set(orphaned);
		int quotas = resyncQuotas(cluster, client);
		if (!drifted.isEmpty() || quotas > 0) {
			log.info("Resync of cluster '{}' queued {} drifted storages and {} quotas", cluster, drifted.size(), quotas);
		}
		watch(cluster, client);
		return drifted.size() + quotas;
	}

	private static final String DESIRED_QUOTA = DesiredQuota.SELECT + """
			 WHERE EXISTS (SELECT 1 FROM storages s WHERE s.project_id = p.id AND s.cluster = c.name AND s.deleted_at IS NULL)""";

	/**
	 * The StorageQuota of every project with storages in the cluster, compared like the storages: one
	 * that is missing or edited by hand is queued again.
	 * @return how many were queued
	 */
	private int resyncQuotas(String cluster, KubernetesClient client) {
		Map<String, StorageQuota> objects = new HashMap<>();
		for (StorageQuota object : client.resources(StorageQuota.class)
			.inAnyNamespace()
			.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
			.list()
			.getItems()) {
			objects.put(object.getMetadata().getNamespace() + "/" + object.getMetadata().getName(), object);
		}
		Set<String> pending = new HashSet<>(this.jdbc.sql("""
				SELECT namespace || '/' || name FROM cluster_outbox WHERE cluster = ? AND kind = 'StorageQuota'""")
			.param(cluster)
			.query(String.class)
			.list());
		List<UUID> drifted = new ArrayList<>();
		for (DesiredQuota desired : this.jdbc.sql(DESIRED_QUOTA).param(cluster).query(DesiredQuota::fromRow).list()) {
			String key = desired.namespace() + "/" + desired.project();
			StorageQuota object = objects.get(key);
			if (pending.contains(key) || (object == null && !desired.hasLimits())) {
				continue;
			}
			if (object == null || !Reconciler.matches(object, Serialization.unmarshal(desired.body(), JsonNode.class))) {
				drifted.add(desired.projectId());
			}
		}
		if (!drifted.isEmpty()) {
			// read again under the projects' row locks, which every quota change takes: no newer limits are overtaken
			this.transactions.executeWithoutResult(status -> this.jdbc
				.sql(DESIRED_QUOTA + " AND p.id = ANY(?) ORDER BY p.id FOR UPDATE OF p")
				.params(cluster, drifted.toArray(UUID[]::new))
				.query(DesiredQuota::fromRow)
				.list()
				.forEach(this.sync::quotaIn));
		}
		return drifted.size();
	}

	/** Storages re-queued per transaction: few round trips, short row locks. */
	private static final int REQUEUE_CHUNK = 500;

	/**
	 * Queues the storages' desired state as it is now, read under their row locks, so a change made
	 * meanwhile cannot be overtaken by an older state.
	 */
	private void requeue(List<UUID> ids, Set<UUID> missing) {
		this.transactions.executeWithoutResult(status -> this.jdbc
			.sql(DESIRED + " WHERE s.id = ANY(?) AND s.lifecycle = 'Active' ORDER BY s.id FOR UPDATE OF s")
			.param(ids.toArray(UUID[]::new))
			.query((row, n) -> desired(row))
			.list()
			.forEach(desired -> {
				if (missing.contains(desired.id())) {
					this.sync.create(desired);
				}
				else {
					this.sync.apply(desired);
				}
			}));
	}

	private static final String DESIRED = """
			SELECT s.id, s.name, s.cluster, s.capacity_bytes, s.storage_class, s.access_mode, s.labels::text AS labels, s.backup_enabled,
			       s.restore_from::text AS restore_from, s.generation, s.lifecycle, p.name AS project, p.namespace
			FROM storages s JOIN projects p ON p.id = s.project_id""";

	private static DesiredStorage desired(ResultSet row) throws SQLException {
		JsonNode restore = row.getString("restore_from") == null ? null
				: Serialization.unmarshal(row.getString("restore_from"), JsonNode.class);
		List<String> paths = null;
		if (restore != null && restore.path("paths").isArray()) {
			paths = new ArrayList<>();
			for (JsonNode path : restore.path("paths")) {
				paths.add(path.asText());
			}
		}
		return new DesiredStorage(row.getObject("id", UUID.class), row.getString("project"),
				row.getString("namespace"), row.getString("name"), row.getString("cluster"),
				row.getLong("capacity_bytes"), row.getString("storage_class"), row.getString("access_mode"),
				labels(row.getString("labels")), row.getBoolean("backup_enabled"), restore == null ? null : restore.path("storage").asText(null),
				restore == null ? null : restore.path("backup").asText(null), paths, row.getLong("generation"));
	}

	private static Map<String, String> labels(String json) {
		Map<String, String> labels = new java.util.TreeMap<>();
		Serialization.unmarshal(json, JsonNode.class).properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
		return labels;
	}

	private static UUID storageId(ProjectStorage object) {
		Map<String, String> labels = object.getMetadata().getLabels();
		String id = labels == null ? null : labels.get(Labels.STORAGE_ID);
		try {
			return id == null ? null : UUID.fromString(id);
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private static Long ourGeneration(ProjectStorage object) {
		Map<String, String> annotations = object.getMetadata().getAnnotations();
		String value = annotations == null ? null : annotations.get(Labels.GENERATION);
		try {
			return value == null ? null : Long.valueOf(value);
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

}
