package io.mlplatform.storage.cluster.crd;

import java.util.Map;

/** The names every object the service writes carries, so it can find (and only touch) its own. */
public final class Labels {

	public static final String GROUP = "storage.mlplatform.io";

	public static final String VERSION = "v1alpha1";

	public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

	public static final String MANAGER = "project-storage-service";

	public static final String PROJECT = GROUP + "/project";

	public static final String STORAGE_ID = GROUP + "/storage-id";

	/** Our generation of the spec in the object, so status can be matched to the storage row's generation. */
	public static final String GENERATION = GROUP + "/generation";

	/**
	 * The storage's own label keys we last wrote onto the object, comma-separated. A label removed from
	 * the storage is removed from the object only if it is listed here: labels someone else set (the
	 * operator, an admin) are never ours to strip.
	 */
	public static final String USER_LABELS = GROUP + "/user-labels";

	private Labels() {
	}

	public static Map<String, String> managed(String project, String storageId) {
		return storageId == null ? Map.of(MANAGED_BY, MANAGER, PROJECT, project)
				: Map.of(MANAGED_BY, MANAGER, PROJECT, project, STORAGE_ID, storageId);
	}

}
