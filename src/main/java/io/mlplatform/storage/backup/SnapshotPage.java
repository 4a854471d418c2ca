package io.mlplatform.storage.backup;

import java.util.List;

import io.mlplatform.storage.snapshot.SnapshotEntry;

/** Entries of one folder of a snapshot; {@code next} is the {@code after} of the next page, null on the last. */
public record SnapshotPage(List<SnapshotEntry> entries, String next) {
}
