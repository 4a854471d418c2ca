package io.mlplatform.storage.snapshot;

import java.util.Comparator;

/**
 * The order of entries in a manifest: a depth-first walk with each folder's names sorted, which is
 * string order with {@code /} below every other character. The walk, the previous manifest and the
 * restore target can then be merged in one pass each, without holding a file list in memory.
 */
public final class PathOrder implements Comparator<String> {

	public static final PathOrder INSTANCE = new PathOrder();

	@Override
	public int compare(String a, String b) {
		int n = Math.min(a.length(), b.length());
		for (int i = 0; i < n; i++) {
			char x = a.charAt(i);
			char y = b.charAt(i);
			if (x != y) {
				if (x == '/') {
					return -1;
				}
				if (y == '/') {
					return 1;
				}
				return Character.compare(x, y);
			}
		}
		return Integer.compare(a.length(), b.length());
	}

	/** Whether {@code path} is {@code folder} itself or lies below it; the root folder is {@code ""}. */
	public static boolean within(String path, String folder) {
		return folder.isEmpty() || path.equals(folder)
				|| (path.startsWith(folder) && path.charAt(folder.length()) == '/');
	}

}
