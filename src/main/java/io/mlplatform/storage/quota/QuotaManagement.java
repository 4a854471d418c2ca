package io.mlplatform.storage.quota;

import java.time.Clock;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

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

	private final Clock clock;

	QuotaManagement(Quotas quotas, Projects projects, JsonMapper json, AuditLog audit, ClusterSync sync, Clock clock) {
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
		QuotaRequest request = this.json.treeToValue(
				MergePatch.applyToObject(this.json.valueToTree(
						new QuotaRequest(current.body().capacity(), current.body().maxStorages())), patch),
				QuotaRequest.class);
		return limit(locked, "quota.patch", request);
	}

	private Project lock(String project) {
		return this.projects.lockByName(project).orElseThrow(() -> NotFoundException.project(project));
	}

	private Current limit(Project project, String action, QuotaRequest request) {
		Violations violations = new Violations();
		Long capacityBytes = null;
		if (request.capacity() != null) {
			try {
				capacityBytes = Quantities.parseBytes(request.capacity());
			}
			catch (IllegalArgumentException ex) {
				violations.add("capacity", request.capacity(), ex.getMessage());
			}
		}
		violations.nonNegative("maxStorages", request.maxStorages());
		violations.throwIfAny();
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		QuotaRequest before = QuotaRequest.of(quota);
		quota.limit(capacityBytes, request.maxStorages(), this.clock.instant());
		this.quotas.flush();
		QuotaRequest after = QuotaRequest.of(quota);
		if (!before.equals(after)) {
			this.sync.quota(project.getId(), project.getName(), project.getNamespace(), quota.capacityBytes(),
					quota.maxStorages());
		}
		this.audit.record(project.getName(), action, "projects/" + project.getName() + "/quota",
				before.equals(after) ? "unchanged" : "updated", before, after);
		return current(project);
	}

	/** The ETag covers usage too: the representation changes when storages do. */
	private Current current(Project project) {
		Quota quota = this.quotas.findById(project.getId()).orElseThrow();
		Quotas.Usage usage = this.quotas.usage(project.getId());
		return new Current(QuotaResponse.from(quota, usage), Preconditions.etag(project.getId(), quota.version(),
				usage.getCapacityBytes(), usage.getStorages()));
	}

}
