package io.mlplatform.storage.backup;

import java.nio.file.Path;

/**
 * A file changed between the pass that hashed it and its upload: what was hashed is no longer what
 * would be stored, so nothing was stored under that sha256.
 */
final class ChangedContentException extends RuntimeException {

	ChangedContentException(Path file, Throwable cause) {
		super(file + " changed while it was being stored", cause);
	}

}
