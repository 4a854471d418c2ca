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

	public static NotFoundException backup(String storage, String backup) {
		return new NotFoundException("Backup '%s' does not exist for storage '%s'.".formatted(backup, storage));
	}

	public static NotFoundException restore(String storage, String restore) {
		return new NotFoundException("Restore '%s' does not exist for storage '%s'.".formatted(restore, storage));
	}

	public static NotFoundException verification(String backup, String verification) {
		return new NotFoundException("Verification '%s' does not exist for backup '%s'.".formatted(verification, backup));
	}

	/** A path that is not in a backup. */
	public static NotFoundException entry(String backup, String path, String what) {
		return new NotFoundException("Backup '%s' has no %s '%s'.".formatted(backup, what, path));
	}

	public static NotFoundException cluster(String cluster) {
		return new NotFoundException("Cluster '%s' is not registered.".formatted(cluster));
	}

	public static NotFoundException path(String path) {
		return new NotFoundException("No resource at '%s'. The API lives under /api/v1; see /swagger-ui.html.".formatted(path));
	}

}
