package io.mlplatform.storage.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import java.util.function.Supplier;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/**
 * Conditional requests (RFC 9110 §13): {@code If-Match} guards updates against lost writes,
 * {@code If-None-Match: *} turns PUT into create-only, {@code If-None-Match} on GET saves a body.
 */
public record Preconditions(String ifMatch, String ifNoneMatch) {

	public static final Preconditions NONE = new Preconditions(null, null);

	/**
	 * A strong ETag: it changes with every change of the row, and includes the id so a resource
	 * deleted and created again under the same name never matches an old tag.
	 */
	public static String etag(UUID id, long version, Object... more) {
		return "\"" + digest(id + ":" + version + ":" + Arrays.toString(more), 22) + "\"";
	}

	/**
	 * Appends a fingerprint of state the service changes on its own (status mirrored from a cluster)
	 * after a '.': a GET with If-None-Match sees such a change, while If-Match, which guards writes
	 * of the desired state, compares only the part before the '.', so a status update in between
	 * does not make a write fail.
	 */
	public static String withStatus(String etag, Object... status) {
		return etag.substring(0, etag.length() - 1) + "." + digest(Arrays.toString(status), 8) + "\"";
	}

	private static String digest(String value, int length) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			digest.update(value.getBytes(StandardCharsets.UTF_8));
			return Base64.getUrlEncoder().withoutPadding().encodeToString(digest.digest()).substring(0, length);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Checks a write against the resource's current ETag.
	 * @param current the current ETag, or null when the resource does not exist
	 */
	public void checkWrite(String current) {
		if (this.ifMatch != null) {
			if (current == null) {
				throw PreconditionFailedException.missing();
			}
			if (!matches(this.ifMatch, current, false)) {
				throw PreconditionFailedException.stale(current);
			}
		}
		if (this.ifNoneMatch != null && current != null && matches(this.ifNoneMatch, current, true)) {
			throw PreconditionFailedException.exists(current);
		}
	}

	/**
	 * A GET's answer: 304 with the tag when {@code If-None-Match} matches it, otherwise 200 with the tag
	 * and the body, which is only built then.
	 */
	public static <T> ResponseEntity<T> read(String ifNoneMatch, String etag, Supplier<T> body) {
		if (new Preconditions(null, ifNoneMatch).notModified(etag)) {
			return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
		}
		return ResponseEntity.ok().eTag(etag).body(body.get());
	}

	/** @return true when a GET may answer 304 Not Modified */
	public boolean notModified(String current) {
		return this.ifNoneMatch != null && matches(this.ifNoneMatch, current, true);
	}

	/** The tag without its status fingerprint (see {@link #withStatus}). */
	private static String writePart(String tag) {
		int dot = tag.indexOf('.');
		return dot < 0 ? tag : tag.substring(0, dot) + "\"";
	}

	private static boolean matches(String header, String current, boolean weak) {
		for (String candidate : header.split(",")) {
			String tag = candidate.trim();
			if (tag.equals("*")) {
				return true;
			}
			if (tag.startsWith("W/")) {
				if (!weak) {
					continue;
				}
				tag = tag.substring(2);
			}
			if (weak ? tag.equals(current) : writePart(tag).equals(writePart(current))) {
				return true;
			}
		}
		return false;
	}

}
