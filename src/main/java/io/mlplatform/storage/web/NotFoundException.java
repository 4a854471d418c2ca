package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

public class NotFoundException extends ProblemException {

	private NotFoundException(String detail) {
		super(HttpStatus.NOT_FOUND, "not-found", "Not found", detail);
	}

	public static NotFoundException project(String project) {
		return new NotFoundException("Project '%s' does not exist.".formatted(project));
	}

	public static NotFoundException storage(String project, String storage) {
		return new NotFoundException("Storage '%s' does not exist in project '%s'.".formatted(storage, project));
	}

	public static NotFoundException cluster(String cluster) {
		return new NotFoundException("Cluster '%s' is not registered.".formatted(cluster));
	}

	public static NotFoundException path(String path) {
		return new NotFoundException("No resource at '%s'. The API lives under /api/v1; see /swagger-ui.html.".formatted(path));
	}

}
