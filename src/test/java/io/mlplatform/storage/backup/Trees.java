package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.mlplatform.storage.snapshot.Sha256;

/** A folder described exactly: every entry's type, mode, mtime and content (or link target). */
public final class Trees {

	private Trees() {
	}

	public static Map<String, String> describe(Path root) {
		Map<String, String> tree = new TreeMap<>();
		try (Stream<Path> paths = Files.walk(root)) {
			paths.filter(path -> !path.equals(root)).forEach(path -> tree.put(root.relativize(path).toString(), describeOne(path)));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return tree;
	}

	private static String describeOne(Path path) {
		try {
			if (Files.isSymbolicLink(path)) {
				return "symlink -> " + Files.readSymbolicLink(path);
			}
			String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
			String mtime = Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS).toString();
			if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
				return "dir " + mode + " " + mtime;
			}
			return "file " + mode + " " + mtime + " " + Sha256.of(Files.readAllBytes(path));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
