package io.mlplatform.storage.project;


import org.springframework.stereotype.Component;

import io.mlplatform.storage.security.Caller;
import io.mlplatform.storage.security.Callers;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.ForbiddenException;
import io.mlplatform.storage.web.NotFoundException;
import io.mlplatform.storage.web.SqlFilter;

/**
 * Decides what the current caller may do in a project. A caller with no role in a project is told
 * it does not exist (404), exactly as for a project that does not: nothing leaks its existence.
 */
@Component
public class ProjectAccess {

	private final Projects projects;

	ProjectAccess(Projects projects) {
		this.projects = projects;
	}

	public static ProjectRole roleOf(Caller caller, Project project) {
		return caller.roleIn(project.getId(), project.getOwners(), project.getMembers());
	}

	/**
	 * @param action what the caller tries, for the 403 detail ("Creating a storage")
	 * @return the project, visible to the caller with at least the needed role
	 */
	public Project require(String name, ProjectRole needed, String action) {
		Project project = this.projects.findByName(name).orElseThrow(() -> NotFoundException.project(name));
		check(project, needed, action);
		return project;
	}

	public void check(Project project, ProjectRole needed, String action) {
		ProjectRole role = roleOf(Callers.current(), project);
		if (role == ProjectRole.NONE) {
			throw NotFoundException.project(project.getName());
		}
		if (!role.atLeast(needed)) {
			throw ForbiddenException.needs(needed.name().toLowerCase(java.util.Locale.ROOT), action);
		}
	}

	public void requireAdmin(String action) {
		if (!Callers.current().admin()) {
			throw ForbiddenException.needs("platform admin", action);
		}
	}

	/** Narrows a projects query to those the caller has a role in. */
	static void visibleTo(Caller caller, SqlFilter filter) {
		if (caller.admin()) {
			return;
		}
		if (caller.isToken()) {
			filter.and("id = " + filter.bind(caller.tokenProjectId()));
			return;
		}
		filter.and("EXISTS (SELECT 1 FROM jsonb_array_elements_text(owners || members) AS subject WHERE subject IN ("
				+ filter.bind(caller.subjects()) + "))");
	}

}
