package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

/** The request is valid but clashes with the current state of the resource (409). */
public class ConflictException extends ProblemException {

	protected ConflictException(String type, String title, String detail) {
		super(HttpStatus.CONFLICT, type, title, detail);
	}

	public static ConflictException alreadyExists(String kind, String name, String hint) {
		return new ConflictException("already-exists", "Already exists",
				"%s '%s' already exists with a different spec. %s".formatted(kind, name, hint));
	}

	public static ConflictException namespaceTaken(String namespace, String owner) {
		return new ConflictException("namespace-taken", "Namespace already used",
				"Namespace '%s' already belongs to project '%s'; choose another namespace.".formatted(namespace, owner));
	}

	public static ConflictException concurrentModification(String kind, String name) {
		return new ConflictException("concurrent-modification", "Concurrent modification",
				"%s '%s' was changed by another request at the same time; read it again and retry.".formatted(kind, name));
	}

}
