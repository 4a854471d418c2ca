package io.mlplatform.storage.cluster;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A storage as its cluster should have it: what the storage feature hands over in its transaction.
 * @param labels the storage's own labels, copied onto the custom resource under ours
 * @param generation the storage's generation of this spec; the custom resource carries it so its
 *     status can be matched to it
 */
public record DesiredStorage(UUID id, String project, String namespace, String name, String cluster,
		long capacityBytes, String storageClass, String accessMode, Map<String, String> labels, boolean backupEnabled, String restoreStorage,
		String restoreBackup, List<String> restorePaths, long generation) {
}
