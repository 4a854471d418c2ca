package io.mlplatform.storage.snapshot;

/** The keys of SPEC §5, in one place: what the README documents for recovery by hand. */
public final class SnapshotLayout {

	private final String prefix;

	public SnapshotLayout(String prefix) {
		this.prefix = (prefix == null || prefix.isBlank()) ? "" : prefix + "/";
	}

	/** The prefix every key starts with, {@code ""} or ending in {@code /}. */
	public String prefix() {
		return this.prefix;
	}

	public String project(String project) {
		return this.prefix + "projects/" + project + "/";
	}

	public String blob(String project, String sha256) {
		return project(project) + "blobs/" + sha256.substring(0, 2) + "/" + sha256;
	}

	public String blobs(String project) {
		return project(project) + "blobs/";
	}

	public String pack(String project, String pack) {
		return packs(project) + pack;
	}

	public String packs(String project) {
		return project(project) + "packs/";
	}

	public String snapshots(String project) {
		return project(project) + "snapshots/";
	}

	public String snapshots(String project, String storage) {
		return snapshots(project) + storage + "/";
	}

	public String manifest(String project, String storage, String backup) {
		return snapshots(project, storage) + backup + ".json.gz";
	}

	/** The key of an object of a project. */
	public String key(String project, ObjectRef object) {
		if (!ObjectRef.name(project)) {
			throw new IllegalArgumentException("Invalid project name: " + project);
		}
		return switch (object.kind()) {
			case PACK -> pack(project, object.id());
			case BLOB -> blob(project, object.id());
			case MANIFEST -> manifest(project, object.storage(), object.id());
		};
	}

	/** The backup id of a manifest key under {@link #snapshots(String, String)}. */
	public static String backupOf(String manifestKey) {
		String name = manifestKey.substring(manifestKey.lastIndexOf('/') + 1);
		return name.endsWith(".json.gz") ? name.substring(0, name.length() - ".json.gz".length()) : null;
	}

}
