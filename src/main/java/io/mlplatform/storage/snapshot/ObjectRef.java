package io.mlplatform.storage.snapshot;

import java.util.regex.Pattern;

/**
 * An object of one project's part of the backup bucket, named by what it holds. The engine never builds
 * a bucket key: the store it runs on does (in the service, from the run's project; a mover asks the
 * service, which builds the key itself and never takes one from the mover).
 * @param storage the storage a manifest belongs to; null for content
 */
public record ObjectRef(Kind kind, String id, String storage) {

	private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

	/** Project, storage, backup and pack ids become parts of keys: plain names only. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

	/** What an object holds; its wire name is the lower-case name. */
	public enum Kind {

		/** Many small contents, each found by offset and length. */
		PACK,

		/** One large content, named by its sha256. */
		BLOB,

		/** A snapshot's list of entries. */
		MANIFEST

	}

	public ObjectRef {
		if (kind == null) {
			throw new IllegalArgumentException("An object needs a kind");
		}
		switch (kind) {
			case BLOB -> require(id != null && SHA256.matcher(id).matches(), "Not a sha256: " + id);
			case PACK -> require(name(id), "Not a pack id: " + id);
			case MANIFEST -> require(name(id) && name(storage), "Not a snapshot: " + storage + "/" + id);
		}
		require(kind == Kind.MANIFEST || storage == null, "Only a manifest belongs to a storage");
	}

	public static ObjectRef pack(String id) {
		return new ObjectRef(Kind.PACK, id, null);
	}

	public static ObjectRef blob(String sha256) {
		return new ObjectRef(Kind.BLOB, sha256, null);
	}

	public static ObjectRef manifest(String storage, String backup) {
		return new ObjectRef(Kind.MANIFEST, backup, storage);
	}

	/** Whether a value may be a project, storage, backup or pack name in a key. */
	public static boolean name(String value) {
		return value != null && NAME.matcher(value).matches();
	}

	private static void require(boolean valid, String message) {
		if (!valid) {
			throw new IllegalArgumentException(message);
		}
	}

	@Override
	public String toString() {
		return this.kind.name().toLowerCase() + " " + (this.storage != null ? this.storage + "/" : "") + this.id;
	}

}
