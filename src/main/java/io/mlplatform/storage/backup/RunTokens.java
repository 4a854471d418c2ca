package io.mlplatform.storage.backup;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.snapshot.Sha256;

/**
 * Run tokens: {@code pssrun_} and 256 random bits, base64url. Only their sha256 is stored, so the
 * table holds nothing a mover could present; a token is shown once, to the mover it is made for.
 */
final class RunTokens {

	private static final Pattern FORMAT = Pattern.compile(MoverProtocol.TOKEN_PREFIX + "[A-Za-z0-9_-]{43}");

	private static final SecureRandom RANDOM = new SecureRandom();

	private RunTokens() {
	}

	static String newToken() {
		byte[] bytes = new byte[32];
		RANDOM.nextBytes(bytes);
		return MoverProtocol.TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}

	/** The token of an {@code Authorization: Bearer} header, or null when there is none well-formed. */
	static String fromHeader(String authorization) {
		if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			return null;
		}
		String token = authorization.substring(7).trim();
		return FORMAT.matcher(token).matches() ? token : null;
	}

	static byte[] hash(String token) {
		return Sha256.digest().digest(token.getBytes(StandardCharsets.US_ASCII));
	}

}
