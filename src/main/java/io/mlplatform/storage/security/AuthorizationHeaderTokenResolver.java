package io.mlplatform.storage.security;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;

/**
 * Reads {@code Authorization: Bearer <token>} with a character loop instead of the default resolver's
 * case-insensitive regex, which cost about a tenth of a GET's CPU on a 1 KB JWT. Anything but the
 * plain well-formed case (no header, another scheme, a malformed token, a token also given as an
 * {@code access_token} parameter) goes to {@link DefaultBearerTokenResolver}, so what is accepted and
 * every error raised stay exactly Spring Security's.
 */
final class AuthorizationHeaderTokenResolver implements BearerTokenResolver {

	private static final String SCHEME = "Bearer ";

	private final DefaultBearerTokenResolver general = new DefaultBearerTokenResolver();

	@Override
	public String resolve(HttpServletRequest request) {
		String header = request.getHeader(HttpHeaders.AUTHORIZATION);
		if (header != null && isWellFormedBearer(header) && !mayCarryTokenParameter(request)) {
			return header.substring(SCHEME.length());
		}
		return this.general.resolve(request);
	}

	/** RFC 6750 §2.1: {@code Bearer 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="}. */
	static boolean isWellFormedBearer(String header) {
		int length = header.length();
		if (length <= SCHEME.length() || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
			return false;
		}
		int i = SCHEME.length();
		while (i < length && isTokenCharacter(header.charAt(i))) {
			i++;
		}
		if (i == SCHEME.length()) {
			return false;
		}
		while (i < length && header.charAt(i) == '=') {
			i++;
		}
		return i == length;
	}

	private static boolean isTokenCharacter(char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
				|| c == '_' || c == '~' || c == '+' || c == '/';
	}

	/** The default resolver refuses a header token when a parameter carries one too; let it decide those. */
	private static boolean mayCarryTokenParameter(HttpServletRequest request) {
		String query = request.getQueryString();
		return (query != null && query.contains("access_token"))
				|| MediaType.APPLICATION_FORM_URLENCODED_VALUE.equals(request.getContentType());
	}

}
