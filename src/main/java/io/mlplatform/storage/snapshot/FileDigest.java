package io.mlplatform.storage.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A file's sha256 and, from the same read, the CRC32C of each of its upload parts: declared on every
 * part, they make S3 refuse bytes that differ from the bytes that were hashed. CRC32C rather than a
 * second sha256: it runs in hardware, and the sha256 pass over every large file is already the
 * engine's cost for them.
 * @param size the bytes hashed, which may differ from what a stat said before
 * @param parts base64 CRC32C (big-endian) of each part, as S3's {@code x-amz-checksum-crc32c} wants it
 */
public record FileDigest(String sha256, long size, long partSize, List<String> parts) {

	public String part(int index) {
		return this.parts.get(index);
	}

	private static String encode(CRC32C crc) {
		String value = Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
		crc.reset();
		return value;
	}

	/** Reads a file once, hashing it as a whole and in parts of {@code partSize} bytes. */
	public static FileDigest of(Path file, long partSize) throws IOException {
		MessageDigest whole = Sha256.digest();
		CRC32C part = new CRC32C();
		List<String> parts = new ArrayList<>();
		byte[] buffer = new byte[1 << 20];
		long size = 0;
		long inPart = 0;
		try (InputStream in = Files.newInputStream(file)) {
			for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
				whole.update(buffer, 0, n);
				int done = 0;
				while (done < n) {
					int take = (int) Math.min(n - done, partSize - inPart);
					part.update(buffer, done, take);
					done += take;
					inPart += take;
					if (inPart == partSize) {
						parts.add(encode(part));
						inPart = 0;
					}
				}
				size += n;
			}
		}
		if (inPart > 0 || parts.isEmpty()) {
			parts.add(encode(part));
		}
		return new FileDigest(HexFormat.of().formatHex(whole.digest()), size, partSize, List.copyOf(parts));
	}

}
