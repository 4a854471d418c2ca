package io.mlplatform.storage.backup;

/** The keys of SPEC §5, in one place: what the README documents for recovery by hand. */
final class SnapshotLayout {

	private final String prefix;

	SnapshotLayout(String prefix) {
		this.prefix = (prefix == null || prefix.isBlank()) ? "" : prefix + "/";
	}

	String project(String project) {
		return this.prefix + "projects/" + project + "/";
	}

	String blob(String project, String sha256) {
		return project(project) + "blobs/" + sha256.substring(0, 2) + "/" + sha256;
	}

	String blobs(String project) {
		return project(project) + "blobs/";
	}

	String pack(String project, String pack) {
		return packs(project) + pack;
	}

	String packs(String project) {
		return project(project) + "packs/";
	}

	String snapshots(String project) {
		return project(project) + "snapshots/";
	}

	String snapshots(String project, String storage) {
		return snapshots(project) + storage + "/";
	}

	String manifest(String project, String storage, String backup) {
		return snapshots(project, storage) + backup + ".json.gz";
	}

	/** The backup id of a manifest key under {@link #snapshots(String, String)}. */
	static String backupOf(String manifestKey) {
		String name = manifestKey.substring(manifestKey.lastIndexOf('/') + 1);
		return name.endsWith(".json.gz") ? name.substring(0, name.length() - ".json.gz".length()) : null;
	}

}
