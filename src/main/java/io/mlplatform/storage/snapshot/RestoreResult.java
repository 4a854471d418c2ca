package io.mlplatform.storage.snapshot;

/** What a restore wrote: files, their bytes, and what it removed in {@link RestoreMode#REPLACE}. */
public record RestoreResult(long files, long bytes, long removed) {
}
