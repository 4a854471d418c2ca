package io.mlplatform.storage.backup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestTests {

	@Test
	void readsBackEveryEntryItWrote() {
		List<SnapshotEntry> written = List.of(
				new SnapshotEntry("a", SnapshotEntry.DIR, "755", Instant.parse("2024-01-02T03:04:05Z"), null, null, null,
						null, null, null, null),
				new SnapshotEntry("a/\"quoted\" \\ é\n", SnapshotEntry.FILE, "644",
						Instant.parse("2024-01-02T03:04:05.120Z"), 12L, "ab".repeat(32), null, "pack-1", 4096L, null, 7L),
				new SnapshotEntry("a/big", SnapshotEntry.FILE, "600", Instant.parse("1969-12-31T23:59:59.999999999Z"),
						1L << 40, "cd".repeat(32), "pss/projects/p/blobs/cd/x", null, null, null, 8L),
				new SnapshotEntry("a/link", SnapshotEntry.SYMLINK, "777", Instant.parse("+12024-01-02T03:04:05Z"), null,
						null, null, null, null, "../b", null));
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (Manifest.Writer writer = new Manifest.Writer(bytes)) {
			written.forEach(writer::write);
		}

		List<SnapshotEntry> read = new ArrayList<>();
		try (Manifest.Reader reader = new Manifest.Reader(new ByteArrayInputStream(bytes.toByteArray()))) {
			reader.forEachRemaining(read::add);
		}

		assertThat(read).isEqualTo(written);
	}

	@Test
	void parsesTimesAsTheGeneralParserDoes() {
		for (String time : List.of("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.1Z", "2024-02-29T23:59:59.123456Z",
				"2026-11-24T06:02:51.229751187Z", "0001-01-01T00:00:00Z")) {
			assertThat(Manifest.Reader.instant(time)).isEqualTo(Instant.parse(time));
		}
		assertThatThrownBy(() -> Manifest.Reader.instant("2024-02-30T03:04:05Z"))
			.isInstanceOf(java.time.DateTimeException.class);
		assertThatThrownBy(() -> Manifest.Reader.instant("2024-01-02T03:04:05.x2Z"))
			.isInstanceOf(java.time.DateTimeException.class);
	}

	@Test
	void writesTimesAsInstantToStringDoes() {
		List<Instant> times = new ArrayList<>(List.of(Instant.parse("2024-01-02T03:04:05Z"),
				Instant.parse("2024-01-02T03:04:05.100Z"), Instant.parse("2024-01-02T03:04:05.000100Z"),
				Instant.parse("2024-01-02T03:04:05.000000001Z"), Instant.parse("1969-12-31T23:59:59.999999999Z"),
				Instant.parse("1970-01-01T00:00:00Z"), Instant.parse("2000-02-29T12:00:00.5Z"),
				Instant.parse("9999-12-31T23:59:59.999Z"), Instant.parse("9999-12-31T23:59:59.999999999Z"),
				Instant.parse("1000-01-01T00:00:00Z"), Instant.parse("0999-12-31T23:59:59.999999999Z"),
				Instant.parse("0999-12-31T23:59:59Z"),
				Instant.parse("+10000-01-01T00:00:00Z"), Instant.parse("-0001-06-01T00:00:00Z"), Instant.EPOCH,
				Instant.MIN, Instant.MAX));
		java.util.Random random = new java.util.Random(42);
		for (int i = 0; i < 10_000; i++) {
			times.add(Instant.ofEpochSecond(random.nextLong(-62_135_596_800L, 253_402_300_800L),
					switch (i % 4) {
						case 0 -> 0;
						case 1 -> random.nextInt(1000) * 1_000_000;
						case 2 -> random.nextInt(1_000_000) * 1000;
						default -> random.nextInt(1_000_000_000);
					}));
		}
		for (Instant time : times) {
			String written = Manifest.Writer.instant(new StringBuilder(), time).toString();
			assertThat(written).isEqualTo(time.toString());
			// and the reader's fast path gives the same instant back
			assertThat(Manifest.Reader.instant(written)).isEqualTo(time);
		}
	}

	private static byte[] manifestOf(int files) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (Manifest.Writer writer = new Manifest.Writer(bytes)) {
			for (int i = 0; i < files; i++) {
				writer.write(new SnapshotEntry(String.format("f%05d", i), SnapshotEntry.FILE, "644",
						Instant.parse("2024-01-02T03:04:05Z"), (long) i, "ab".repeat(32), null, "pack-1", (long) i, null,
						(long) i));
			}
		}
		return bytes.toByteArray();
	}

	@Test
	void readingAheadGivesTheSameEntriesAcrossItsBatchesAndPeeksWithoutConsuming() {
		byte[] manifest = manifestOf(1_300);
		List<SnapshotEntry> expected = new ArrayList<>();
		try (Manifest.Reader reader = new Manifest.Reader(new ByteArrayInputStream(manifest))) {
			reader.forEachRemaining(expected::add);
		}

		List<SnapshotEntry> read = new ArrayList<>();
		try (Manifest.ReadAhead ahead = new Manifest.ReadAhead(new ByteArrayInputStream(manifest), "test-read-ahead")) {
			while (ahead.hasNext()) {
				SnapshotEntry peeked = ahead.peek();
				assertThat(ahead.peek()).isSameAs(peeked);
				assertThat(ahead.next()).isSameAs(peeked);
				read.add(peeked);
			}
			assertThat(ahead.peek()).isNull();
		}

		assertThat(read).hasSize(1_300).isEqualTo(expected);
	}

	/** @return how many entries came before the malformed one failed the read */
	private static int readUntilFailure(Manifest.Entries entries) {
		int read = 0;
		try (entries) {
			while (entries.hasNext()) {
				entries.next();
				read++;
			}
		}
		catch (java.io.UncheckedIOException ex) {
			assertThat(ex).hasMessageContaining("Malformed manifest entry");
			return read;
		}
		throw new AssertionError("the malformed entry was not reported");
	}

	@Test
	void readingAheadThrowsAMalformedEntryWhereItStandsAndClosingStopsItsThread() throws Exception {
		byte[] good = manifestOf(600);
		ByteArrayOutputStream broken = new ByteArrayOutputStream();
		try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(good));
				java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(broken)) {
			out.write(in.readAllBytes());
			out.write("{\"path\": 12}\n".getBytes());
		}

		int plain = readUntilFailure(new Manifest.Reader(new ByteArrayInputStream(broken.toByteArray())));
		int ahead = readUntilFailure(new Manifest.ReadAhead(new ByteArrayInputStream(broken.toByteArray()), "test-read-ahead-broken"));

		assertThat(plain).isGreaterThan(512);
		assertThat(ahead).as("entries before the failure, as a plain reader gives them").isEqualTo(plain);

		// a reader closed before the end: its parser thread, blocked on the full queue, ends
		Manifest.ReadAhead abandoned = new Manifest.ReadAhead(new ByteArrayInputStream(manifestOf(20_000)), "test-read-ahead-closed");
		abandoned.next();
		abandoned.close();
		assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName))
			.doesNotContain("test-read-ahead-closed", "test-read-ahead-broken");
	}

}
