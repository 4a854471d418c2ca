package io.mlplatform.storage.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.backup.Trees;
import io.mlplatform.storage.cluster.crd.Labels;
import io.mlplatform.storage.cluster.crd.ProjectStorage;

/**
 * What must hold once the faults are over and the service has recovered by itself: every accepted
 * change in PostgreSQL and in the cluster, every job ended (Succeeded, or Failed with a reason), no
 * quota exceeded, no 5xx but the documented 503 while the database was gone, and snapshots taken
 * under the faults restore byte for byte. Each departure is a finding.
 */
final class Verification {

	/** A request already waiting for a connection when the database came back may still get its 503. */
	private static final Duration DATABASE_GRACE = Duration.ofSeconds(10);

	private static final int RESTORED_SAMPLES = 3;

	private final ServiceStand stand;

	private final LoadDriver driver;

	private final List<String> findings = new ArrayList<>();

	private final Map<String, String> summary = new LinkedHashMap<>();

	Verification(ServiceStand stand, LoadDriver driver) {
		this.stand = stand;
		this.driver = driver;
	}

	List<String> findings() {
		return this.findings;
	}

	/** Counts worth printing beside the findings: jobs by state, S3 requests failed on purpose, samples restored. */
	Map<String, String> summary() {
		return this.summary;
	}

	void check(List<FaultCost> faults, long[] s3ForwardedAndFailed) {
		this.summary.put("S3 requests forwarded / failed on purpose", s3ForwardedAndFailed[0] + " / " + s3ForwardedAndFailed[1]);
		answers(faults);
		storagesInDatabase();
		storagesInCluster();
		jobs("backups");
		jobs("restores");
		quotas();
		restoresByteExact();
	}

	private void answers(List<FaultCost> faults) {
		FaultCost database = faults.stream().filter(fault -> fault.name().startsWith("PostgreSQL")).findFirst().orElse(null);
		for (LoadDriver.Incident incident : this.driver.incidents()) {
			boolean documented = incident.outcome().equals("503") && incident.retryAfter() && database != null
					&& (database.covers(incident) || database.covers(new LoadDriver.Incident(
							incident.nanoTime() - DATABASE_GRACE.toNanos(), incident.endpoint(), "", false)));
			if (!documented && !incident.outcome().equals("contract-violation")) {
				this.findings.add("%s answered %s%s".formatted(incident.endpoint(), incident.outcome(),
						incident.retryAfter() ? " with Retry-After" : ""));
			}
		}
		List<String> violations = this.driver.contractViolations();
		violations.stream().limit(3).forEach(violation -> this.findings.add("contract: " + violation));
		if (violations.size() > 3) {
			this.findings.add("contract: " + (violations.size() - 3) + " more departures");
		}
		this.driver.quotaViolations().forEach(violation -> this.findings.add("quota shown exceeded: " + violation));
	}

	private void storagesInDatabase() {
		Map<String, Long> live = liveStorages();
		int checked = 0;
		for (ExpectedProject project : this.driver.projects()) {
			for (ExpectedStorage storage : project.storages()) {
				if (!storage.certain()) {
					continue;
				}
				checked++;
				String key = project.namespace() + "/" + storage.name();
				if (storage.isDeleted() && live.containsKey(key)) {
					this.findings.add("deleted storage still in PostgreSQL: " + key + " (" + whyStillThere(project.namespace(),
							storage.name()) + ")");
				}
				else if (!storage.isDeleted() && !Long.valueOf(storage.capacityGi() * LoadDriver.GI).equals(live.get(key))) {
					this.findings.add("storage %s: expected %d Gi in PostgreSQL, found %s bytes".formatted(key,
							storage.capacityGi(), live.get(key)));
				}
			}
		}
		this.summary.put("storages checked against accepted changes", Integer.toString(checked));
		if (this.findings.stream().anyMatch(finding -> finding.startsWith("deleted storage still"))) {
			this.summary.put("this instance's cluster threads", clusterThreads());
			this.summary.put("this instance's resync passes", this.stand.resyncPasses());
		}
	}

	/** Where this instance's resync and reconciler threads are: one stuck in a call stops what it does. */
	private static String clusterThreads() {
		StringBuilder threads = new StringBuilder();
		Thread.getAllStackTraces().forEach((thread, stack) -> {
			if (thread.getName().startsWith("cluster-resync") || thread.getName().startsWith("reconciler")) {
				threads.append("<br>").append(thread.getName()).append(" (").append(thread.getState()).append("):");
				java.util.Arrays.stream(stack).limit(8).forEach(frame -> threads.append(" ").append(frame));
			}
		});
		return threads.isEmpty() ? "none" : threads.toString();
	}

	/**
	 * What a deletion that never settled was waiting for: its lifecycle, the cluster changes still queued and its
	 * object in the cluster (one being deleted waits for its finalizers: the operator's removes the share first).
	 */
	private String whyStillThere(String namespace, String name) {
		ProjectStorage object = this.stand.cluster.client().resources(ProjectStorage.class).inNamespace(namespace)
			.withName(name).get();
		String inCluster = object == null ? "no object"
				: "object deleting since %s, finalizers %s".formatted(object.getMetadata().getDeletionTimestamp(),
						object.getMetadata().getFinalizers());
		return stateInDatabase(namespace, name) + "; in the cluster: " + inCluster + "; " + listedAsTheResyncSees(namespace,
				name);
	}

	/**
	 * What the service's resync sees of the storage: it lets a Deleting storage go only when no object with its id
	 * is in the cluster's list of objects with our labels, which a look-up by name does not show.
	 */
	private String listedAsTheResyncSees(String namespace, String name) {
		String id = this.stand.db.sql("""
				SELECT s.id::text FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.namespace = ? AND s.name = ? AND s.deleted_at IS NULL""")
			.params(namespace, name)
			.query(String.class)
			.optional()
			.orElse(null);
		List<String> listed = new ArrayList<>();
		for (ProjectStorage object : this.stand.cluster.client()
			.resources(ProjectStorage.class)
			.inAnyNamespace()
			.withLabel(Labels.MANAGED_BY, Labels.MANAGER)
			.list()
			.getItems()) {
			Map<String, String> labels = object.getMetadata().getLabels();
			if (id != null && labels != null && id.equals(labels.get(Labels.STORAGE_ID))) {
				listed.add("%s/%s deleting since %s, finalizers %s".formatted(object.getMetadata().getNamespace(),
						object.getMetadata().getName(), object.getMetadata().getDeletionTimestamp(),
						object.getMetadata().getFinalizers()));
			}
		}
		return "listed with its id (" + id + "): " + (listed.isEmpty() ? "none" : String.join(", ", listed));
	}

	private String stateInDatabase(String namespace, String name) {
		return this.stand.db.sql("""
				SELECT s.lifecycle || ', queued: ' || coalesce((SELECT string_agg(o.action || ' (' || o.attempts
				         || ' attempts' || coalesce(', ' || left(o.last_error, 80), '') || ')', '; ' ORDER BY o.id)
				       FROM cluster_outbox o WHERE o.storage_id = s.id), 'nothing')
				FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.namespace = ? AND s.name = ? AND s.deleted_at IS NULL""")
			.params(namespace, name)
			.query(String.class)
			.optional()
			.orElse("gone by now");
	}

	/** Storages not deleted, as {@code namespace/name} to capacity in bytes. */
	private Map<String, Long> liveStorages() {
		Map<String, Long> live = new HashMap<>();
		this.stand.db.sql("""
				SELECT p.namespace || '/' || s.name, s.capacity_bytes FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE s.deleted_at IS NULL""").query((row, n) -> live.put(row.getString(1), row.getLong(2))).list();
		return live;
	}

	private void storagesInCluster() {
		Map<String, Long> live = liveStorages();
		Map<String, Long> inCluster = new HashMap<>();
		for (ProjectStorage object : this.stand.cluster.client().resources(ProjectStorage.class).inAnyNamespace().list().getItems()) {
			if (object.getMetadata().getDeletionTimestamp() == null) {
				inCluster.put(object.getMetadata().getNamespace() + "/" + object.getMetadata().getName(),
						object.getSpec().capacityBytes());
			}
		}
		live.forEach((key, bytes) -> {
			if (!bytes.equals(inCluster.get(key))) {
				this.findings.add("storage %s: %d bytes in PostgreSQL, %s in the cluster".formatted(key, bytes, inCluster.get(key)));
			}
		});
		inCluster.keySet().stream().filter(key -> !live.containsKey(key))
			.forEach(key -> this.findings.add("storage in the cluster but not in PostgreSQL: " + key));
		this.summary.put("storages in PostgreSQL / in the cluster", live.size() + " / " + inCluster.size());
	}

	private void jobs(String table) {
		Map<String, Long> states = new LinkedHashMap<>();
		this.stand.db.sql("SELECT state, count(*) FROM " + table + " GROUP BY state ORDER BY state")
			.query((row, n) -> states.put(row.getString(1), row.getLong(2)))
			.list();
		this.summary.put(table + " by state", states.toString());
		long stuck = states.getOrDefault("Queued", 0L) + states.getOrDefault("Running", 0L);
		if (stuck > 0) {
			this.findings.add(stuck + " " + table + " still Queued or Running after recovery");
		}
		long silent = this.stand.db.sql("SELECT count(*) FROM " + table + " WHERE state = 'Failed' AND coalesce(error, '') = ''")
			.query(Long.class)
			.single();
		if (silent > 0) {
			this.findings.add(silent + " " + table + " Failed without a reason");
		}
		// a deleted storage's jobs go with it
		List<String> accepted = this.driver.projects().stream().flatMap(project -> project.storages().stream())
			.filter(storage -> storage.certain() && !storage.isDeleted())
			.flatMap(storage -> (table.equals("backups") ? storage.backups() : storage.restores()).stream())
			.distinct() // a backup asked for while one is queued answers with that one
			.toList();
		long recorded = accepted.isEmpty() ? 0 : this.stand.db.sql("SELECT count(*) FROM " + table + " WHERE id::text IN (:ids)")
			.param("ids", accepted)
			.query(Long.class)
			.single();
		if (recorded != accepted.size()) {
			this.findings.add("%d %s accepted, %d of them in PostgreSQL".formatted(accepted.size(), table, recorded));
		}
		this.summary.put(table + " accepted with 202 for storages still there", Integer.toString(accepted.size()));
		Map<String, Long> reasons = new LinkedHashMap<>();
		this.stand.db.sql("SELECT left(error, 120), count(*) FROM " + table
				+ " WHERE state = 'Failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 3")
			.query((row, n) -> reasons.put(row.getString(1), row.getLong(2)))
			.list();
		if (!reasons.isEmpty()) {
			this.summary.put(table + " failed, commonest reasons", reasons.toString());
		}
	}

	private void quotas() {
		this.stand.db.sql("""
				SELECT p.name, q.capacity_bytes, q.max_storages, coalesce(sum(s.capacity_bytes), 0), count(s.id)
				FROM projects p JOIN quotas q ON q.project_id = p.id
				LEFT JOIN storages s ON s.project_id = p.id AND s.deleted_at IS NULL
				GROUP BY p.name, q.capacity_bytes, q.max_storages""").query((row, n) -> {
			long limit = row.getLong(2);
			if (limit > 0 && row.getLong(4) > limit || row.getLong(5) > row.getLong(3)) {
				this.findings.add("project %s over its quota: %d bytes in %d storages".formatted(row.getString(1),
						row.getLong(4), row.getLong(5)));
			}
			return null;
		}).list();
	}

	/**
	 * A few snapshots taken under the faults, each restored into a new storage: every file restored is
	 * the file in the share, byte for byte (the load only ever adds files, so the share holds all of them).
	 */
	private void restoresByteExact() {
		ApiClient api = this.driver.client();
		List<String[]> samples = this.stand.db.sql("""
				SELECT p.name, p.namespace, s.name, b.id::text FROM backups b JOIN storages s ON s.id = b.storage_id
				JOIN projects p ON p.id = b.project_id
				WHERE b.state = 'Succeeded' AND s.deleted_at IS NULL ORDER BY b.finished_at DESC LIMIT ?""")
			.param(RESTORED_SAMPLES)
			.query((row, n) -> new String[] { row.getString(1), row.getString(2), row.getString(3), row.getString(4) })
			.list();
		int restored = 0;
		for (String[] sample : samples) {
			FaultsUnderLoad.progress("restoring backup " + sample[3] + " into a new storage");
			String storages = "/api/v1/projects/" + sample[0] + "/storages";
			api.put("/api/v1/projects/" + sample[0] + "/quota", "{}");
			String copy = "copy-" + (++restored);
			Response created = api.post(storages, """
					{"name": "%s", "capacity": "1Gi", "restoreFrom": {"storage": "%s", "backup": "%s"}}"""
				.formatted(copy, sample[2], sample[3]));
			if (created.status() != 201) {
				this.findings.add("restoring backup %s into a new storage: %s".formatted(sample[3], created));
				continue;
			}
			boolean ended = FaultsUnderLoad.awaitUpTo(Duration.ofMinutes(2), () -> List.of("Succeeded", "Failed")
				.contains(api.get(storages + "/" + copy + "/restores").json().path("items").path(0).path("state").asString()));
			Response restore = api.get(storages + "/" + copy + "/restores");
			if (!ended || !"Succeeded".equals(restore.json().path("items").path(0).path("state").asString())) {
				this.findings.add("restore of backup %s did not succeed: %s".formatted(sample[3], restore));
				continue;
			}
			Path share = this.stand.sharesRoot().resolve(sample[1]).resolve(sample[2]);
			Map<String, String> original = Trees.describe(share);
			Map<String, String> copied = Trees.describe(this.stand.sharesRoot().resolve(sample[1]).resolve(copy));
			if (copied.isEmpty() && Files.exists(share) && !original.isEmpty()) {
				this.findings.add("backup %s restored nothing".formatted(sample[3]));
			}
			copied.forEach((file, description) -> {
				if (!description.equals(original.get(file))) {
					this.findings.add("backup %s restored %s as %s, the share has %s".formatted(sample[3], file,
							description, original.get(file)));
				}
			});
		}
		this.summary.put("snapshots restored into new storages and compared byte for byte", Integer.toString(restored));
	}

}
