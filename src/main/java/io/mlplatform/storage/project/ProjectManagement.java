package io.mlplatform.storage.project;

import java.time.Clock;
import java.util.function.Supplier;

import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.security.AuditLog;
import io.mlplatform.storage.security.Callers;
import io.mlplatform.storage.web.Applied;
import io.mlplatform.storage.web.ConflictException;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.web.KeysetPager;
import io.mlplatform.storage.web.LabelSelector;
import io.mlplatform.storage.web.MergePatch;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.Page;
import io.mlplatform.storage.web.PageRequest;
import io.mlplatform.storage.web.Preconditions;
import io.mlplatform.storage.web.SqlFilter;
import io.mlplatform.storage.web.Violations;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Service
public class ProjectManagement {

	private final Projects projects;

	private final KeysetPager pager;

	private final ApplicationEventPublisher events;

	private final TransactionTemplate transactions;

	private final JsonMapper json;

	private final JsonColumns columns;

	private final AuditLog audit;

	private final Clock clock;

	ProjectManagement(Projects projects, KeysetPager pager, ApplicationEventPublisher events,
			PlatformTransactionManager transactionManager, JsonMapper json, JsonColumns columns, AuditLog audit,
			Clock clock) {
		this.audit = audit;
		this.columns = columns;
		this.projects = projects;
		this.pager = pager;
		this.events = events;
		this.transactions = new TransactionTemplate(transactionManager);
		this.json = json;
		this.clock = clock;
	}

	boolean exists(String name) {
		return this.projects.findByName(name).isPresent();
	}

	Page<Project> list(LabelSelector selector, PageRequest page) {
		SqlFilter filter = new SqlFilter();
		ProjectAccess.visibleTo(Callers.current(), filter);
		selector.appendTo(filter, "labels");
		return this.pager.page("projects", filter, page, (row, n) -> Project.fromRow(row, this.columns),
				Project::getName);
	}

	/** POST: creates, or returns the existing project when the request is a replay of the same spec. */
	Applied<Project> create(ProjectRequest request) {
		Violations violations = new Violations();
		ProjectSpec spec = request.toSpec(null, violations);
		violations.throwIfAny();
		return retryOnRace(() -> {
			Project existing = this.projects.findByName(request.name()).orElse(null);
			if (existing != null) {
				if (existing.hasSpec(spec)) {
					audit("project.create", existing, "unchanged", null);
					return new Applied<>(existing, false);
				}
				throw ConflictException.alreadyExists("Project", request.name(),
						"Use PUT or PATCH to change it, or pick another name.");
			}
			Project created = insert(request.name(), spec);
			audit("project.create", created, "created", null);
			return new Applied<>(created, true);
		});
	}

	/** PUT: create or update to exactly this state. */
	Applied<Project> apply(String name, ProjectRequest request, Preconditions preconditions) {
		Violations violations = new Violations();
		ProjectSpec spec = request.toSpec(name, violations);
		violations.throwIfAny();
		return retryOnRace(() -> {
			Project existing = this.projects.lockByName(name).orElse(null);
			preconditions.checkWrite(existing == null ? null : existing.etag());
			if (existing == null) {
				Project created = insert(name, spec);
				audit("project.apply", created, "created", null);
				return new Applied<>(created, true);
			}
			ProjectRequest before = ProjectRequest.from(existing);
			existing.update(spec, this.clock.instant());
			this.projects.flush();
			audit("project.apply", existing, before, ProjectRequest.from(existing));
			return new Applied<>(existing, false);
		});
	}

	/** PATCH: JSON Merge Patch over the current state, then validated as a whole like PUT. */
	Project patch(String name, JsonNode patch, Preconditions preconditions) {
		return this.transactions.execute(status -> {
			Project existing = this.projects.lockByName(name).orElseThrow(() -> NotFoundException.project(name));
			preconditions.checkWrite(existing.etag());
			JsonNode merged = MergePatch.applyToObject(this.json.valueToTree(ProjectRequest.from(existing)), patch);
			ProjectRequest request = this.json.treeToValue(merged, ProjectRequest.class);
			Violations violations = new Violations();
			ProjectSpec spec = request.toSpec(name, violations);
			violations.throwIfAny();
			ProjectRequest before = ProjectRequest.from(existing);
			existing.update(spec, this.clock.instant());
			this.projects.flush();
			audit("project.patch", existing, before, ProjectRequest.from(existing));
			return existing;
		});
	}

	void delete(String name, Preconditions preconditions) {
		this.transactions.executeWithoutResult(status -> {
			Project existing = this.projects.lockByName(name).orElseThrow(() -> NotFoundException.project(name));
			preconditions.checkWrite(existing.etag());
			long live = this.projects.countLiveStorages(existing.getId());
			if (live > 0) {
				throw ProjectNotEmptyException.of(name, live);
			}
			this.projects.delete(existing);
			this.audit.record(name, "project.delete", "projects/" + name, "deleted", ProjectRequest.from(existing), null);
		});
	}

	private void audit(String action, Project project, String result, Object before) {
		this.audit.record(project.getName(), action, "projects/" + project.getName(), result, before,
				ProjectRequest.from(project));
	}

	private void audit(String action, Project project, ProjectRequest before, ProjectRequest after) {
		audit(action, project, before.equals(after) ? "unchanged" : "updated", before);
	}

	private Project insert(String name, ProjectSpec spec) {
		this.projects.findByNamespace(spec.namespace()).ifPresent(other -> {
			if (other.getName().equals(name)) {
				// created by a concurrent request since this one looked: run again to answer as a replay
				throw new DataIntegrityViolationException("Project '" + name + "' was created concurrently");
			}
			throw ConflictException.namespaceTaken(spec.namespace(), other.getName());
		});
		Project project = this.projects.saveAndFlush(new Project(name, spec, this.clock.instant()));
		this.events.publishEvent(new ProjectCreated(project.getId(), name));
		return project;
	}

	/**
	 * Two concurrent creates of one name both pass the existence check; the unique constraint stops
	 * the second, and running it again finds the winner and answers as a replay or a conflict would.
	 */
	private <T> T retryOnRace(Supplier<T> work) {
		try {
			return this.transactions.execute(status -> work.get());
		}
		catch (DataIntegrityViolationException ex) {
			return this.transactions.execute(status -> work.get());
		}
	}

}
