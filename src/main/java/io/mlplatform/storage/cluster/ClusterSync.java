package io.mlplatform.storage.cluster;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.fabric8.kubernetes.client.utils.Serialization;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorageSpec;
import io.mlplatform.storage.web.Quantities;

/**
 * Queues desired state for the clusters in the caller's transaction: an outbox row commits or rolls
 * back with the change it carries, and the cluster's reconciler is woken once it has committed.
 * Nothing here talks to a cluster.
 */
@Component
public class ClusterSync {

	static final String PROJECT_STORAGE = "ProjectStorage";

	static final String STORAGE_QUOTA = "StorageQuota";

	private final JdbcClient jdbc;

	private final Reconciler reconciler;

	private final Clock clock;

	ClusterSync(JdbcClient jdbc, Reconciler reconciler, Clock clock) {
		this.jdbc = jdbc;
		this.reconciler = reconciler;
		this.clock = clock;
	}

	/** Queues the storage's custom resource and marks the storage Pending until it is applied. */
	@Transactional(propagation = Propagation.MANDATORY)
	public void apply(DesiredStorage storage) {
		apply(storage, false);
	}

	/**
	 * As {@link #apply(DesiredStorage)} for a storage whose object is not expected in the cluster (a new
	 * storage, or one the resync just listed as missing): the reconciler creates it without looking
	 * first, and looks only if the cluster says it exists.
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void create(DesiredStorage storage) {
		apply(storage, true);
	}

	private void apply(DesiredStorage storage, boolean createFirst) {
		long seq = enqueue(storage.cluster(), PROJECT_STORAGE, storage.namespace(), storage.name(), storage.id(),
				"apply", Serialization.asJson(body(storage)), createFirst);
		this.jdbc.sql("UPDATE storages SET sync_state = 'Pending', sync_seq = ? WHERE id = ?")
			.params(seq, storage.id())
			.update();
		// the project's first storage in a cluster brings the project's limits into that cluster
		this.jdbc.sql(DesiredQuota.SELECT + """
				 WHERE p.name = ? AND NOT EXISTS (SELECT 1 FROM storages s WHERE s.project_id = p.id AND s.cluster = c.name
				                                  AND s.deleted_at IS NULL AND s.id <> ?)""")
			.params(storage.cluster(), storage.project(), storage.id())
			.query(DesiredQuota::fromRow)
			.optional()
			.filter(DesiredQuota::hasLimits)
			.ifPresent(this::quotaIn);
	}

	/**
	 * Queues the deletion of the storage's custom resource; the storage becomes a tombstone when the
	 * cluster no longer has it (after the operator's finalizer let it go).
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void delete(UUID storageId, String cluster, String namespace, String name) {
		long seq = enqueue(cluster, PROJECT_STORAGE, namespace, name, storageId, "delete", null, false);
		this.jdbc.sql("UPDATE storages SET sync_state = 'Pending', sync_seq = ? WHERE id = ?")
			.params(seq, storageId)
			.update();
	}

	/**
	 * Queues a project's limits as a {@code StorageQuota} in its namespace, in every cluster the
	 * project has storages in, each with the project's cap in that cluster.
	 */
	@Transactional(propagation = Propagation.MANDATORY)
	public void quota(UUID projectId) {
		for (String cluster : this.jdbc
			.sql("SELECT DISTINCT cluster FROM storages WHERE project_id = ? AND deleted_at IS NULL")
			.param(projectId)
			.query(String.class)
			.list()) {
			this.jdbc.sql(DesiredQuota.SELECT + " WHERE p.id = ?")
				.params(cluster, projectId)
				.query(DesiredQuota::fromRow)
				.optional()
				.ifPresent(this::quotaIn);
		}
	}

	/** Queues a project's limits into one cluster, as the resync does when the object drifted. */
	@Transactional(propagation = Propagation.MANDATORY)
	void quotaIn(DesiredQuota quota) {
		enqueue(quota.cluster(), STORAGE_QUOTA, quota.namespace(), quota.project(), null, "apply", quota.body(), false);
	}

	/**
	 * What a merge patch carries: our labels, our generation, and the spec. Never status. The storage
	 * class is the storage's own, the cluster's default having been resolved when it was created.
	 */
	Map<String, Object> body(DesiredStorage storage) {
		String storageClass = storage.storageClass();
		ProjectStorageSpec.RestoreFrom restore = storage.restoreBackup() == null ? null
				: new ProjectStorageSpec.RestoreFrom(storage.restoreStorage(), storage.restoreBackup(),
						storage.restorePaths());
		Map<String, Object> metadata = new LinkedHashMap<>();
		Map<String, String> labels = new java.util.TreeMap<>(storage.labels());
		labels.putAll(Labels.managed(storage.project(), storage.id().toString()));
		metadata.put("labels", labels);
		metadata.put("annotations", Map.of(Labels.GENERATION, Long.toString(storage.generation()), Labels.USER_LABELS,
				String.join(",", new java.util.TreeSet<>(storage.labels().keySet()))));
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("metadata", metadata);
		body.put("spec", new ProjectStorageSpec(storage.project(), Quantities.format(storage.capacityBytes()),
				storage.capacityBytes(), storageClass, storage.accessMode(), storage.backupEnabled(), restore));
		return body;
	}

	private long enqueue(String cluster, String kind, String namespace, String name, UUID storageId, String action,
			String body, boolean createFirst) {
		OffsetDateTime now = OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC);
		// every row carries the object's whole desired state, so a newer one replaces what still waits:
		// a row the cluster refused cannot hold back the change that fixes it (or the delete); a row in
		// an instance's hands stays, and this one is applied after it
		this.jdbc.sql("""
				DELETE FROM cluster_outbox WHERE cluster = ? AND kind = ? AND namespace = ? AND name = ?
				  AND (claimed_until IS NULL OR claimed_until < ?)""")
			.params(cluster, kind, namespace, name, now)
			.update();
		long seq = this.jdbc.sql("""
				INSERT INTO cluster_outbox (cluster, kind, namespace, name, storage_id, action, body, not_before, created_at,
				                            create_first)
				VALUES (?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ?) RETURNING id""")
			.params(cluster, kind, namespace, name, storageId, action, body, now, now, createFirst)
			.query(Long.class)
			.single();
		wakeAfterCommit(cluster);
		return seq;
	}

	private void wakeAfterCommit(String cluster) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
			@Override
			public void afterCommit() {
				ClusterSync.this.reconciler.wake(cluster);
			}
		});
	}

}
