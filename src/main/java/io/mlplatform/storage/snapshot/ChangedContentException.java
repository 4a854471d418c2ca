package io.mlplatform.storage.snapshot;

import java.nio.file.Path;

/**
 * A file changed between the pass that hashed it and its upload: what was hashed is no longer what
 * would be stored, so nothing was stored under that sha256.
 */
public final class ChangedContentException extends RuntimeException {

	public ChangedContentException(Path file, Throwable cause) {
		super(file + " changed while it was being stored", cause);
	}

}
