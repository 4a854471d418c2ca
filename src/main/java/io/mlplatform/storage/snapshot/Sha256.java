package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The sha256 that names every content, in the lower-case hex the manifest and the index hold. */
public final class Sha256 {

	private Sha256() {
	}

	public static String of(byte[] content) {
		return HexFormat.of().formatHex(digest().digest(content));
	}

	public static String of(Path file) {
		MessageDigest digest = digest();
		byte[] buffer = new byte[1 << 20];
		try (InputStream in = Files.newInputStream(file)) {
			for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
				digest.update(buffer, 0, n);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + file, ex);
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	public static MessageDigest digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
