package io.mlplatform.storage.snapshot;

/** A snapshot that cannot be used as asked: missing, unsafe to restore, or with corrupt content. */
public class SnapshotException extends RuntimeException {

	private SnapshotException(String message) {
		super(message);
	}

	public static SnapshotException notFound(String manifestKey) {
		return new SnapshotException("No snapshot at " + manifestKey);
	}

	/** A manifest entry or a requested path that would land outside the restore target. */
	public static SnapshotException unsafePath(String path) {
		return new SnapshotException("Refusing path that escapes the restore target: " + path);
	}

	public static SnapshotException outOfOrder(String path) {
		return new SnapshotException("Manifest entries out of order at: " + path);
	}

	public static SnapshotException contentMismatch(String path, String expected, String actual) {
		return new SnapshotException(
				"Content of " + path + " does not match its sha256 (expected " + expected + ", got " + actual + ")");
	}

}
