package io.mlplatform.storage.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Keyset paging: a page starts strictly after the last key of the previous one, so page 1,000 costs
 * what page 1 costs. The token is opaque to callers; it carries the last key and a fingerprint of the
 * query, so a token replayed against another filter is refused instead of silently skipping rows.
 */
public record PageRequest(int pageSize, String after, String fingerprint) {

	public static final int DEFAULT_SIZE = 50;

	public static final int MAX_SIZE = 500;

	private static final char SEPARATOR = '\n';

	/**
	 * @param query everything that shapes the result set (filters), so tokens are bound to it
	 */
	public static PageRequest of(Integer pageSize, String pageToken, String query) {
		return of(pageSize, pageToken, query, Violations::isDnsLabel);
	}

	/**
	 * @param validKey what a key this list issues looks like; a token carrying anything else is forged
	 */
	public static PageRequest of(Integer pageSize, String pageToken, String query, Predicate<String> validKey) {
		int size = pageSize == null ? DEFAULT_SIZE : pageSize;
		if (size < 1 || size > MAX_SIZE) {
			throw InvalidRequestException.field("pageSize", pageSize,
					"must be between 1 and " + MAX_SIZE + " (default " + DEFAULT_SIZE + ")");
		}
		String fingerprint = fingerprint(query);
		if (pageToken == null || pageToken.isEmpty()) {
			return new PageRequest(size, null, fingerprint);
		}
		String decoded;
		try {
			decoded = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8);
		}
		catch (IllegalArgumentException ex) {
			throw InvalidRequestException.invalidPageToken();
		}
		int split = decoded.indexOf(SEPARATOR);
		if (split < 0 || !decoded.substring(0, split).equals(fingerprint)) {
			throw InvalidRequestException.invalidPageToken();
		}
		String after = decoded.substring(split + 1);
		if (!validKey.test(after)) {
			throw InvalidRequestException.invalidPageToken();
		}
		return new PageRequest(size, after, fingerprint);
	}

	/**
	 * @param rows up to {@code pageSize + 1} rows in page order; one more than a page means there is a next page
	 */
	public <T> Page<T> toPage(List<T> rows, Function<T, String> keyOf) {
		if (rows.size() <= this.pageSize) {
			return new Page<>(rows, null);
		}
		List<T> items = List.copyOf(rows.subList(0, this.pageSize));
		return new Page<>(items, tokenAfter(keyOf.apply(items.get(items.size() - 1))));
	}

	public String tokenAfter(String lastKey) {
		return Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString((this.fingerprint + SEPARATOR + lastKey).getBytes(StandardCharsets.UTF_8));
	}

	private static String fingerprint(String query) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(query.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest, 0, 6);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
