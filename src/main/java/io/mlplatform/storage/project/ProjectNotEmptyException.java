package io.mlplatform.storage.project;

import io.mlplatform.storage.web.ConflictException;

class ProjectNotEmptyException extends ConflictException {

	private ProjectNotEmptyException(String detail) {
		super("project-not-empty", "Project has storages", detail);
	}

	static ProjectNotEmptyException of(String project, long storages) {
		return new ProjectNotEmptyException(
				"Project '%s' still has %d storage(s); delete them first (GET /api/v1/projects/%s/storages lists them)."
					.formatted(project, storages, project));
	}

}
