package io.mlplatform.storage.security;

import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** The caller of the request being served. */
public final class Callers {

	private Callers() {
	}

	/** @throws IllegalStateException outside an authenticated request, which the filter chain prevents */
	public static Caller current() {
		Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
		if (authentication != null && authentication.getPrincipal() instanceof Caller caller) {
			return caller;
		}
		throw new IllegalStateException("No authenticated caller");
	}

}
