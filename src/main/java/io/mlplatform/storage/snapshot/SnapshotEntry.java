package io.mlplatform.storage.snapshot;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of a manifest: a file, folder or symlink of the snapshot and, for a file, where its content
 * lives — a blob of its own ({@code blob} is the object's key) or a range of a pack.
 * @param path relative, {@code /}-separated, never {@code .} or {@code ..}
 * @param mode permission bits, octal
 * @param inode used only to tell whether a file changed since the previous snapshot
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SnapshotEntry(String path, String type, String mode, Instant mtime, Long size, String sha256,
		String blob, String pack, Long offset, String target, Long inode) {

	public static final String FILE = "file";

	public static final String DIR = "dir";

	public static final String SYMLINK = "symlink";

	public boolean isFile() {
		return FILE.equals(this.type);
	}

	public boolean isDir() {
		return DIR.equals(this.type);
	}

	public boolean isSymlink() {
		return SYMLINK.equals(this.type);
	}

	public boolean packed() {
		return this.pack != null;
	}

	public int permissions() {
		return Integer.parseInt(this.mode, 8);
	}

	/** The same file, its content found at another place. */
	public SnapshotEntry storedAt(ContentLocation location) {
		return new SnapshotEntry(this.path, this.type, this.mode, this.mtime, this.size, location.sha256(),
				location.blob(), location.pack(), location.offset(), this.target, this.inode);
	}

	/** Where this file's content is stored. */
	public ContentLocation location() {
		return new ContentLocation(this.sha256, this.size, this.blob, this.pack, this.offset);
	}

	/** Whether a file on disk is, by its metadata, the same as this entry, so needs no reading. */
	public boolean unchanged(SnapshotEntry current) {
		return isFile() && current.isFile() && this.path.equals(current.path) && this.size.equals(current.size)
				&& this.mtime.equals(current.mtime) && this.inode != null && this.inode.equals(current.inode)
				&& this.sha256 != null;
	}

}
