package io.mlplatform.storage.token;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The token format: {@code pss_<id>_<secret>}, id and secret base64url. The id finds the row; the
 * secret is compared by hash. The prefix lets secret scanners recognise a leaked token.
 */
final class TokenSecrets {

	static final String PREFIX = "pss_";

	private static final Pattern FORMAT = Pattern.compile("pss_([A-Za-z0-9_-]{22})_([A-Za-z0-9_-]{43})");

	private static final SecureRandom RANDOM = new SecureRandom();

	private TokenSecrets() {
	}

	record Parsed(UUID id, String secret) {
	}

	static String newSecret() {
		byte[] bytes = new byte[32];
		RANDOM.nextBytes(bytes);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}

	static String format(UUID id, String secret) {
		ByteBuffer buffer = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
		return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array()) + "_" + secret;
	}

	/** @return null when the text is not a well-formed token */
	static Parsed parse(String token) {
		Matcher m = FORMAT.matcher(token);
		if (!m.matches()) {
			return null;
		}
		ByteBuffer buffer = ByteBuffer.wrap(Base64.getUrlDecoder().decode(m.group(1)));
		return new Parsed(new UUID(buffer.getLong(), buffer.getLong()), m.group(2));
	}

	static String hash(String secret) {
		try {
			return HexFormat.of()
				.formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII)));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	static boolean matches(String secret, String expectedHash) {
		return MessageDigest.isEqual(hash(secret).getBytes(StandardCharsets.US_ASCII),
				expectedHash.getBytes(StandardCharsets.US_ASCII));
	}

}
