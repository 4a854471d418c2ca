package io.mlplatform.storage.snapshot;

import java.util.List;

/**
 * What a verification found.
 * @param checkedFiles files whose content was read and its sha256 compared
 * @param checkedBytes their bytes
 * @param problems the first problems found, at most {@link SnapshotCheck#MAX_PROBLEMS}
 * @param problemCount all problems found
 * @param cursorEnd where in the ring of content the next run should start reading
 */
public record CheckResult(long checkedFiles, long checkedBytes, List<Problem> problems, long problemCount,
		long cursorEnd) {

	/** A file of the snapshot whose content cannot be restored as the manifest says, and why. */
	public record Problem(String path, String what) {
	}

	public boolean damaged() {
		return this.problemCount > 0;
	}

}
