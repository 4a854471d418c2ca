package io.mlplatform.storage.snapshot;

import java.util.Map;

/**
 * The sizes of a project's stored content, what a verification checks every manifest entry against
 * without reading it: one LIST request names a thousand objects, where a HEAD names one. The
 * service's store implements it; a mover has no such port (it never verifies).
 */
public interface ContentListing {

	/** Every pack (by pack id) or blob (by sha256) of the project, with its size in bytes. */
	Map<String, Long> sizes(ObjectRef.Kind kind);

}
