package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

/** The caller may see the resource but not do this to it (403). */
public class ForbiddenException extends ProblemException {

	private ForbiddenException(String detail) {
		super(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", detail);
	}

	public static ForbiddenException needs(String role, String action) {
		return new ForbiddenException("%s needs the %s role; ask a project owner or a platform admin.".formatted(action, role));
	}

}
