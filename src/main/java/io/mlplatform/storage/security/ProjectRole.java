package io.mlplatform.storage.security;

/** What a caller may do in one project, weakest first. */
public enum ProjectRole {

	/** Not in the project: it does not exist as far as the caller can tell. */
	NONE,
	/** Reads, and triggers backups. */
	MEMBER,
	/** Manages storages, backups, restores, members and tokens. */
	OWNER,
	/** A platform admin: everything, in every project. */
	ADMIN;

	public boolean atLeast(ProjectRole other) {
		return compareTo(other) >= 0;
	}

}
