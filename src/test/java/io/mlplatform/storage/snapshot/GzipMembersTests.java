package io.mlplatform.storage.snapshot;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GzipMembersTests {

	private static byte[] members(String... contents) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (GzipMembers.Compressor compressor = new GzipMembers.Compressor()) {
			for (String content : contents) {
				byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
				compressor.member(bytes, bytes.length, out);
			}
		}
		return out.toByteArray();
	}

	private static String read(InputStream in) throws IOException {
		try (GzipMembers.Reader reader = new GzipMembers.Reader(in)) {
			return new String(reader.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

	/** One byte per read and never anything "available": what broke the JDK's reader at a member's end. */
	private static InputStream trickling(byte[] bytes) {
		return new InputStream() {

			private int at;

			@Override
			public int read() {
				return (this.at < bytes.length) ? (bytes[this.at++] & 0xff) : -1;
			}

			@Override
			public int read(byte[] b, int off, int len) {
				if (this.at == bytes.length) {
					return -1;
				}
				b[off] = bytes[this.at++];
				return 1;
			}

			@Override
			public int available() {
				return 0;
			}

		};
	}

	@Test
	void everyMemberIsReadToTheEndOfTheInputHoweverItArrives() throws IOException {
		byte[] gzip = members("first line\n", "", "second line\n", "x".repeat(100_000) + "\n");

		String expected = "first line\nsecond line\n" + "x".repeat(100_000) + "\n";
		assertThat(read(new ByteArrayInputStream(gzip))).isEqualTo(expected);
		assertThat(read(trickling(gzip))).isEqualTo(expected);
		// and what the JDK and gzip(1) read from the same bytes
		try (GZIPInputStream jdk = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
			assertThat(new String(jdk.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(expected);
		}
	}

	@Test
	void aListenerGetsEachMemberAsItWasReadWithItsPlaceInTheUncompressedStream() throws IOException {
		byte[] first = members("ab\n");
		byte[] second = members("cde\n");
		byte[] empty = members("");
		byte[] gzip = concat(first, empty, second);
		List<Object[]> seen = new ArrayList<>();

		try (GzipMembers.Reader reader = new GzipMembers.Reader(trickling(gzip),
				(start, end, last, compressed) -> seen.add(new Object[] { start, end, last, compressed }))) {
			assertThat(reader.readAllBytes()).isEqualTo("ab\ncde\n".getBytes(StandardCharsets.UTF_8));
		}

		assertThat(seen).hasSize(3);
		assertThat(seen.get(0)).containsExactly(0L, 3L, (int) '\n', first);
		assertThat(seen.get(1)).containsExactly(3L, 3L, -1, empty);
		assertThat(seen.get(2)).containsExactly(3L, 7L, (int) '\n', second);
	}

	@Test
	void aMemberTooLargeToKeepIsReportedWithoutItsBytesAndTheNextIsKeptAgain() throws IOException {
		// random 7-bit bytes compress to about 7/8: this member is over the limit compressed too
		String large = new String(random(2 * GzipMembers.Reader.KEPT_AT_MOST), StandardCharsets.ISO_8859_1) + "\n";
		byte[] small = members("ab\n");
		byte[] gzip = concat(members(large), small);
		List<byte[]> kept = new ArrayList<>();

		try (GzipMembers.Reader reader = new GzipMembers.Reader(new ByteArrayInputStream(gzip),
				(start, end, last, compressed) -> kept.add(compressed))) {
			assertThat(reader.readAllBytes()).hasSize(large.getBytes(StandardCharsets.UTF_8).length + 3);
		}

		assertThat(kept).hasSize(2);
		assertThat(kept.get(0)).isNull();
		assertThat(kept.get(1)).isEqualTo(small);
	}

	private static byte[] random(int size) {
		byte[] bytes = new byte[size];
		new java.util.Random(7).nextBytes(bytes);
		// only characters that encode as one byte each in UTF-8, so the member's content is the test's string
		for (int i = 0; i < size; i++) {
			bytes[i] = (byte) (bytes[i] & 0x7f);
		}
		return bytes;
	}

	@Test
	void readsMembersWithTheOptionalHeaderFieldsOtherToolsWrite() throws IOException {
		ByteArrayOutputStream jdk = new ByteArrayOutputStream();
		try (GZIPOutputStream out = new GZIPOutputStream(jdk)) {
			out.write("from the JDK\n".getBytes(StandardCharsets.UTF_8));
		}
		byte[] content = "with a name, a comment, an extra field and a header CRC\n".getBytes(StandardCharsets.UTF_8);
		ByteArrayOutputStream full = new ByteArrayOutputStream();
		full.write(new byte[] { 0x1f, (byte) 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3 });
		full.write(new byte[] { 3, 0, 'a', 'b', 'c' });
		full.write("name.json\0".getBytes(StandardCharsets.ISO_8859_1));
		full.write("a comment\0".getBytes(StandardCharsets.ISO_8859_1));
		full.write(new byte[] { 0x12, 0x34 });
		full.write(deflate(content));
		full.write(trailer(content));

		assertThat(read(new ByteArrayInputStream(concat(jdk.toByteArray(), full.toByteArray()))))
			.isEqualTo("from the JDK\n" + new String(content, StandardCharsets.UTF_8));
	}

	@Test
	void aCutShortCorruptOrTrailedStreamFailsInsteadOfEndingEarly() throws IOException {
		byte[] gzip = members("one\n", "two\n");
		byte[] corrupt = gzip.clone();
		corrupt[corrupt.length - 6] ^= 1; // the last member's CRC-32

		assertThatThrownBy(() -> read(new ByteArrayInputStream(Arrays.copyOf(gzip, gzip.length - 3))))
			.isInstanceOf(EOFException.class);
		assertThatThrownBy(() -> read(new ByteArrayInputStream(Arrays.copyOf(gzip, gzip.length - 12))))
			.isInstanceOf(EOFException.class);
		assertThatThrownBy(() -> read(new ByteArrayInputStream(corrupt))).isInstanceOf(ZipException.class)
			.hasMessageContaining("CRC-32");
		assertThatThrownBy(() -> read(new ByteArrayInputStream(concat(gzip, new byte[] { 0, 0, 0 }))))
			.isInstanceOf(ZipException.class)
			.hasMessageContaining("after the last gzip member");
		assertThatThrownBy(() -> read(new ByteArrayInputStream("{\"path\":\"a\"}\n".getBytes(StandardCharsets.UTF_8))))
			.isInstanceOf(ZipException.class)
			.hasMessageContaining("Not in gzip format");
		assertThatThrownBy(() -> read(new ByteArrayInputStream(new byte[0]))).isInstanceOf(EOFException.class);
	}

	@Test
	void equalContentGivesEqualBytes() throws IOException {
		assertThat(members("same\n")).isEqualTo(members("same\n")).isNotEqualTo(members("other\n"));
	}

	private static byte[] deflate(byte[] content) {
		Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
		deflater.setInput(content);
		deflater.finish();
		byte[] buffer = new byte[content.length + 64];
		int n = deflater.deflate(buffer);
		deflater.end();
		return Arrays.copyOf(buffer, n);
	}

	private static byte[] trailer(byte[] content) {
		CRC32 crc = new CRC32();
		crc.update(content);
		long check = crc.getValue();
		int length = content.length;
		return new byte[] { (byte) check, (byte) (check >>> 8), (byte) (check >>> 16), (byte) (check >>> 24),
				(byte) length, (byte) (length >>> 8), (byte) (length >>> 16), (byte) (length >>> 24) };
	}

	private static byte[] concat(byte[]... parts) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (byte[] part : parts) {
			out.writeBytes(part);
		}
		return out.toByteArray();
	}

}
