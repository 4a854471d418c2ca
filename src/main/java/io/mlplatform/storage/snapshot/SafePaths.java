package io.mlplatform.storage.snapshot;

import java.util.ArrayList;
import java.util.List;

/** The rule every manifest path and requested path obeys before it touches the restore target. */
public final class SafePaths {

	private SafePaths() {
	}

	/** A relative path of plain names, or else {@link SnapshotException#unsafePath}. */
	public static String check(String path) {
		if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.indexOf('\0') >= 0) {
			throw SnapshotException.unsafePath(String.valueOf(path));
		}
		for (String name : path.split("/", -1)) {
			if (name.isEmpty() || name.equals(".") || name.equals("..")) {
				throw SnapshotException.unsafePath(path);
			}
		}
		return path;
	}

	/**
	 * Requested paths, checked, sorted, without those inside another: the scopes of a restore. An empty
	 * list, or one holding {@code ""} or {@code /}, is the whole snapshot.
	 */
	public static List<String> scopes(List<String> requested) {
		List<String> checked = new ArrayList<>();
		for (String path : requested) {
			String trimmed = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
			if (trimmed.isEmpty() || trimmed.equals("/")) {
				return List.of();
			}
			checked.add(check(trimmed));
		}
		checked.sort(PathOrder.INSTANCE);
		List<String> scopes = new ArrayList<>();
		for (String path : checked) {
			if (scopes.isEmpty() || !PathOrder.within(path, scopes.get(scopes.size() - 1))) {
				scopes.add(path);
			}
		}
		return scopes;
	}

	public static boolean selected(String path, List<String> scopes) {
		if (scopes.isEmpty()) {
			return true;
		}
		for (String scope : scopes) {
			if (PathOrder.within(path, scope)) {
				return true;
			}
		}
		return false;
	}

}
