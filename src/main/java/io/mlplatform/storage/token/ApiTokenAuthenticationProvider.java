package io.mlplatform.storage.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import io.mlplatform.storage.security.Caller;
import io.mlplatform.storage.security.CallerAuthentication;
import io.mlplatform.storage.security.ProjectRole;
import io.mlplatform.storage.web.JsonColumns;

/** Authenticates {@code pss_…} bearer tokens; leaves every other bearer token to the JWT provider. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ApiTokenAuthenticationProvider implements AuthenticationProvider {

	private static final Duration USE_RECORDED_EVERY = Duration.ofMinutes(1);

	private final ApiTokens tokens;

	private final JdbcClient jdbc;

	private final Clock clock;

	ApiTokenAuthenticationProvider(ApiTokens tokens, JdbcClient jdbc, Clock clock) {
		this.tokens = tokens;
		this.jdbc = jdbc;
		this.clock = clock;
	}

	/** What authentication needs of a token, read in one autocommit statement on every call. */
	private record Credential(UUID id, UUID projectId, ProjectRole role, String secretHash, Instant expiresAt,
			Instant revokedAt, Instant lastUsedAt) {
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		String bearer = ((BearerTokenAuthenticationToken) authentication).getToken();
		if (!bearer.startsWith(TokenSecrets.PREFIX)) {
			return null;
		}
		TokenSecrets.Parsed parsed = TokenSecrets.parse(bearer);
		Credential token = parsed == null ? null : this.jdbc.sql("""
				SELECT id, project_id, role, secret_hash, expires_at, revoked_at, last_used_at
				FROM api_tokens WHERE id = ?""")
			.param(parsed.id())
			.query((row, n) -> new Credential(row.getObject("id", UUID.class), row.getObject("project_id", UUID.class),
					ProjectRole.valueOf(row.getString("role").toUpperCase(Locale.ROOT)), row.getString("secret_hash"),
					JsonColumns.instant(row, "expires_at"), JsonColumns.instant(row, "revoked_at"),
					JsonColumns.instant(row, "last_used_at")))
			.optional()
			.orElse(null);
		Instant now = this.clock.instant();
		if (token == null || !TokenSecrets.matches(parsed.secret(), token.secretHash()) || token.revokedAt() != null
				|| !now.isBefore(token.expiresAt())) {
			throw new BadCredentialsException("Invalid API token");
		}
		// a write on every call would serialize a busy pipeline's requests on this row; once a minute tells enough
		if (token.lastUsedAt() == null || token.lastUsedAt().isBefore(now.minus(USE_RECORDED_EVERY))) {
			this.tokens.markUsed(token.id(), now);
		}
		return new CallerAuthentication(
				new Caller("token:" + token.id(), Set.of(), false, token.projectId(), token.role()));
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
	}

}
