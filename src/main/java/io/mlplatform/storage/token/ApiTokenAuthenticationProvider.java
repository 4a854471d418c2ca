package io.mlplatform.storage.token;

import java.time.Clock;
import java.util.Set;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.stereotype.Component;

import io.mlplatform.storage.security.Caller;
import io.mlplatform.storage.security.CallerAuthentication;

/** Authenticates {@code pss_…} bearer tokens; leaves every other bearer token to the JWT provider. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ApiTokenAuthenticationProvider implements AuthenticationProvider {

	private final ApiTokens tokens;

	private final Clock clock;

	ApiTokenAuthenticationProvider(ApiTokens tokens, Clock clock) {
		this.tokens = tokens;
		this.clock = clock;
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		String bearer = ((BearerTokenAuthenticationToken) authentication).getToken();
		if (!bearer.startsWith(TokenSecrets.PREFIX)) {
			return null;
		}
		TokenSecrets.Parsed parsed = TokenSecrets.parse(bearer);
		ApiToken token = parsed == null ? null : this.tokens.findById(parsed.id()).orElse(null);
		if (token == null || !TokenSecrets.matches(parsed.secret(), token.secretHash())
				|| !token.isValidAt(this.clock.instant())) {
			throw new BadCredentialsException("Invalid API token");
		}
		this.tokens.markUsed(token.id(), this.clock.instant());
		return new CallerAuthentication(
				new Caller("token:" + token.id(), Set.of(), false, token.projectId(), token.role()));
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
	}

}
