package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

public class PreconditionFailedException extends ProblemException {

	private PreconditionFailedException(String detail) {
		super(HttpStatus.PRECONDITION_FAILED, "precondition-failed", "Precondition failed", detail);
	}

	public static PreconditionFailedException stale(String current) {
		return new PreconditionFailedException(
				"If-Match does not match the current version (ETag %s); GET the resource and retry with its ETag."
					.formatted(current));
	}

	public static PreconditionFailedException missing() {
		return new PreconditionFailedException(
				"If-Match was given but the resource does not exist; drop If-Match to create it.");
	}

	public static PreconditionFailedException exists(String current) {
		return new PreconditionFailedException(
				"If-None-Match: * asks to create only, but the resource exists (ETag %s).".formatted(current));
	}

}
