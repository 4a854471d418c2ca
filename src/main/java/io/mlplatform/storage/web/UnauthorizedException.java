package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

public class UnauthorizedException extends ProblemException {

	private UnauthorizedException(String detail) {
		super(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail);
	}

	public static UnauthorizedException missing() {
		return new UnauthorizedException("Send a bearer token: an OIDC access token from the platform's identity "
				+ "provider, or a project API token (pss_…), as 'Authorization: Bearer <token>'.");
	}

	public static UnauthorizedException invalid() {
		return new UnauthorizedException(
				"The bearer token is not valid: it is expired, revoked, malformed or from another issuer.");
	}

}
