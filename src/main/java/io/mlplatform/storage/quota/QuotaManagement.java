package io.mlplatform.storage.quota;

import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.mlplatform.storage.cluster.ClusterRegistry;
import io.mlplatform.storage.cluster.ClusterSync;
import io.mlplatform.storage.project.Project;
import io.mlplatform.storage.project.ProjectCreated;
import io.mlplatform.storage.project.Projects;
import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.web.MergePatch;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.Quantities;
import io.mlplatform.storage.web.Violations;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Service
class QuotaManagement {

	private final Quotas quotas;

	private final Projects projects;

	private final JsonMapper json;

	private final AuditLog audit;

	private final ClusterSync sync;

	private final ClusterCaps caps;

	private final ClusterRegistry clusters;

	private final Clock clock;

	QuotaManagement(Quotas quotas, ClusterCaps caps, Projects projects, JsonMapper json, AuditLog audit,
			ClusterSync sync, ClusterRegistry clusters, Clock clock) {
		this.caps = caps;
		this.clusters = clusters;
		this.sync = sync;
		this.audit = audit;
		this.quotas = quotas;
		this.projects = projects;
		this.json = json;
		this.clock = clock;
	}

	/** Every project starts unlimited, in the transaction that creates it. */
	@EventListener
	void on(ProjectCreated event) {
		this.quotas.save(Quota.unlimited(event.projectId(), this.clock.instant()));
	}

	record Current(QuotaResponse body, String etag) {
	}

	@Transactional(readOnly = true)
	Current get(Project project) {
		return current(project);
	}

	@Transactional
	Current apply(String project, QuotaRequest request, Preconditions preconditions) {
		Project locked = lock(project);
		preconditions.checkWrite(current(locked).etag());
		return limit(locked, "quota.apply", request);
	}

	@Transactional
	Current patch(String project, JsonNode patch, Preconditions preconditions) {
		Project locked = lock(project);
		Current current = current(locked);
		preconditions.checkWrite(current.etag());
		QuotaRequest request = this.json.treeToValue(MergePatch.applyToObject(this.json.valueToTree(QuotaRequest
			.of(this.quotas.findById(locked.getId()).orElseThrow(), this.caps.of(locked.getId()))), patch), QuotaRequest.class);
		return limit(locked, "quota.patch", request);
	}

	private Project lock(String project) {
		return this.projects.lockByName(project).orElseThrow(() -> NotFoundException.project(project));
	}

	private Current limit(Project project, String action, QuotaRequest request) {
		Violations violations = new Violations();
		Long capacityBytes = bytes(violations, "capacity", request.capacity());
		Long backupCapacityBytes = bytes(violations, "backupCapacity", request.backupCapacity());
		violations.nonNegative("maxStorages", request.maxStorages());
		Map<String, ClusterCaps.Limits> wanted = caps(violations, request.clusters());
		violations.throwIfAny();
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		Map<String, ClusterCaps.Cap> capsBefore = this.caps.of(project.getId());
		// a cap is added only for a registered cluster, as a storage is; one the quota has kept since its
		// cluster was removed stays as it is, so the quota as read can always be written back
		this.clusters.requireRegistered("clusters.",
				wanted.keySet().stream().filter(cluster -> !capsBefore.containsKey(cluster)).toList());
		QuotaRequest before = QuotaRequest.of(quota, capsBefore);
		boolean capsChanged = this.caps.replace(project.getId(), wanted);
		quota.limit(capacityBytes, request.maxStorages(), backupCapacityBytes, capsChanged, this.clock.instant());
		this.quotas.flush();
		QuotaRequest after = QuotaRequest.of(quota, this.caps.of(project.getId()));
		if (!before.equals(after)) {
			this.sync.quota(project.getId());
		}
		this.audit.record(project.getName(), action, "projects/" + project.getName() + "/quota",
				before.equals(after) ? "unchanged" : "updated", before, after);
		return current(project);
	}

	/** The caps asked for, by cluster, leaving out those with neither limit: they are no caps. */
	private static Map<String, ClusterCaps.Limits> caps(Violations violations,
			Map<String, QuotaRequest.ClusterQuotaRequest> requested) {
		Map<String, ClusterCaps.Limits> caps = new TreeMap<>();
		if (requested == null) {
			return caps;
		}
		requested.forEach((cluster, cap) -> {
			if (!Violations.isDnsLabel(cluster)) {
				violations.add("clusters", cluster.length() > 80 ? cluster.substring(0, 80) + "…" : cluster,
						"keys must be names of clusters (DNS-1123 labels)");
			}
			else if (cap != null) {
				ClusterCaps.Limits limits = new ClusterCaps.Limits(
						bytes(violations, "clusters." + cluster + ".capacity", cap.capacity()), cap.maxStorages());
				violations.nonNegative("clusters." + cluster + ".maxStorages", cap.maxStorages());
				if (!limits.isEmpty()) {
					caps.put(cluster, limits);
				}
			}
		});
		return caps;
	}

	/** A Kubernetes quantity in bytes, or null when not given or invalid (then a violation says why). */
	private static Long bytes(Violations violations, String field, String quantity) {
		if (quantity == null) {
			return null;
		}
		try {
			return Quantities.parseBytes(quantity);
		}
		catch (IllegalArgumentException ex) {
			violations.add(field, quantity, ex.getMessage());
			return null;
		}
	}

	/** The ETag covers usage too: the representation changes when storages do. */
	private Current current(Project project) {
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		Quotas.Usage usage = this.quotas.usage(project.getId());
		return new Current(QuotaResponse.from(quota, usage, this.caps.of(project.getId())),
				Preconditions.etag(project.getId(), quota.version(), usage.getCapacityBytes(), usage.getStorages(),
						usage.getBackupBytes()));
	}

}
