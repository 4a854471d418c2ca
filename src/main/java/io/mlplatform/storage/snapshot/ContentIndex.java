package io.mlplatform.storage.snapshot;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * One project's content index as a backup uses it: which contents the bucket holds already and where,
 * and what the backup stored. Two implementations: the service's, in PostgreSQL, and the mover's, over
 * the service's mover API.
 */
public interface ContentIndex {

	/** The contents a backup looks up at once, unless an index says otherwise. */
	int BATCH = 512;

	/** How many contents a backup looks up at once: one query, or one call, per batch. */
	default int batch() {
		return BATCH;
	}

	/** The stored contents among {@code sha256s}; content a collection condemned is revived by finding it. */
	Map<String, ContentLocation> find(Collection<String> sha256s);

	/**
	 * A large content, if stored. Content not found is uploaded under its sha256, the key a collection
	 * deletes: the look-up waits for a collection that is deleting objects.
	 */
	ContentLocation findBlob(String sha256);

	/**
	 * Records contents whose objects are complete in the bucket, as soon as they are (so a retry of the
	 * backup finds them). An index may hold them for a moment to send with its next look-up, at most a
	 * fraction of a second; a look-up after this call finds them either way.
	 * @throws LeaseLostException if the run's lease ran out: a collection may have removed the same keys
	 */
	void record(List<ContentLocation> contents);

	/**
	 * Records at once whatever {@link #record} holds: the manifest is about to name it.
	 * @throws LeaseLostException if the run's lease ran out
	 */
	default void flush() {
	}

}
