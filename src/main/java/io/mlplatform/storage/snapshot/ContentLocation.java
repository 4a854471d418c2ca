package io.mlplatform.storage.snapshot;

/**
 * Where one content of a project lives in the bucket: a blob of its own, or {@code size} bytes at
 * {@code offset} of a pack.
 */
public record ContentLocation(String sha256, long size, String blob, String pack, Long offset) {

	public static ContentLocation blob(String sha256, long size, String key) {
		return new ContentLocation(sha256, size, key, null, null);
	}

	public static ContentLocation packed(String sha256, long size, String pack, long offset) {
		return new ContentLocation(sha256, size, null, pack, offset);
	}

}
