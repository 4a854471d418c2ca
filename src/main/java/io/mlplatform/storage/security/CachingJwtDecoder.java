package io.mlplatform.storage.security;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * Remembers tokens it has verified until they expire. Clients send the same access token for its
 * whole lifetime, and verifying its signature on every call cost the hot read path half its
 * throughput. JWTs cannot be revoked before they expire, so a cached one is exactly as valid as a
 * freshly verified one; only tokens that passed every validator are kept.
 */
class CachingJwtDecoder implements JwtDecoder {

	private static final int MAX_ENTRIES = 10_000;

	private final JwtDecoder delegate;

	private final Clock clock;

	private final Map<String, Jwt> verified = new ConcurrentHashMap<>();

	CachingJwtDecoder(JwtDecoder delegate, Clock clock) {
		this.delegate = delegate;
		this.clock = clock;
	}

	@Override
	public Jwt decode(String token) {
		Jwt cached = this.verified.get(token);
		Instant now = this.clock.instant();
		if (cached != null && cached.getExpiresAt() != null && cached.getExpiresAt().isAfter(now)) {
			return cached;
		}
		if (cached != null) {
			this.verified.remove(token);
		}
		Jwt jwt = this.delegate.decode(token);
		if (jwt.getExpiresAt() != null) {
			if (this.verified.size() >= MAX_ENTRIES) {
				// crude but bounded: a full cache starts over rather than grow with the number of tokens
				this.verified.clear();
			}
			this.verified.put(token, jwt);
		}
		return jwt;
	}

}
