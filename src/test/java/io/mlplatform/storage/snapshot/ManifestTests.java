package io.mlplatform.storage.snapshot;

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
	void readsTheContentsAReaderWouldFindAndSkipsTheRest() {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (Manifest.Writer writer = new Manifest.Writer(bytes)) {
			writer.write(new SnapshotEntry("d", SnapshotEntry.DIR, "755", Instant.EPOCH, null, null, null, null, null, null,
					null));
			writer.write(new SnapshotEntry("d/link", SnapshotEntry.SYMLINK, "777", Instant.EPOCH, null, null, null, null,
					null, "../x", null));
			for (int i = 0; i < 2_000; i++) {
				// every tenth file the same content as another: a content counts once
				String sha256 = Sha256.of(("content " + (i % 10 == 0 ? 0 : i)).getBytes());
				writer.write(new SnapshotEntry("d/\"f\" é " + i, SnapshotEntry.FILE, "644",
						Instant.parse("2024-01-02T03:04:05.123Z"), (long) i % 10 == 0 ? 0L : i, sha256,
						(i % 7 == 0) ? "pss/projects/p/blobs/x/" + sha256 : null, (i % 7 == 0) ? null : "pack-1",
						(i % 7 == 0) ? null : (long) i, null, (long) i));
			}
		}
		java.util.Map<String, Long> expected = new java.util.HashMap<>();
		try (Manifest.Reader reader = new Manifest.Reader(new ByteArrayInputStream(bytes.toByteArray()))) {
			reader.forEachRemaining(entry -> {
				if (entry.sha256() != null) {
					expected.put(entry.sha256(), entry.size());
				}
			});
		}

		java.util.Map<String, Long> read = new java.util.HashMap<>();
		Manifest.contents(new ByteArrayInputStream(bytes.toByteArray()), read);

		assertThat(read).hasSize(1_801).isEqualTo(expected);
		ByteArrayOutputStream broken = new ByteArrayOutputStream();
		try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(broken)) {
			gzip.write("{\"path\": \"a\", \"sha256\": 12}\n".getBytes());
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		assertThatThrownBy(() -> Manifest.contents(new ByteArrayInputStream(broken.toByteArray()), new java.util.HashMap<>()))
			.isInstanceOf(java.io.UncheckedIOException.class)
			.hasMessageContaining("Malformed manifest entry");
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


	/** A tree of {@code folders} folders of 50 files each, in manifest order; files whose number is in {@code changed} have new content. */
	private static List<SnapshotEntry> tree(int folders, java.util.function.IntPredicate changed) {
		List<SnapshotEntry> entries = new ArrayList<>();
		Instant time = Instant.parse("2026-11-24T17:28:26.713478791Z");
		for (int d = 0; d < folders; d++) {
			String folder = String.format("d%03d", d);
			entries.add(new SnapshotEntry(folder, SnapshotEntry.DIR, "755", time, null, null, null, null, null, null, null));
			for (int f = 0; f < 50; f++) {
				int n = d * 50 + f;
				boolean change = changed.test(n);
				String sha256 = String.format("%064x", java.math.BigInteger.valueOf(n * 31L + (change ? 7 : 0)));
				entries.add(new SnapshotEntry(folder + "/f" + f + ".bin", SnapshotEntry.FILE, "644",
						change ? time.plusSeconds(60) : time, 16384L, sha256, null, "pack-" + (change ? 2 : 1),
						16384L * n, null, 1000L + n));
			}
		}
		return entries;
	}

	private static byte[] write(List<SnapshotEntry> entries, Manifest.Members previous, long[] copied) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (Manifest.Writer writer = new Manifest.Writer(bytes, previous)) {
			entries.forEach(writer::write);
			writer.close();
			if (copied != null) {
				copied[0] = writer.copied();
				copied[1] = writer.members();
			}
		}
		return bytes.toByteArray();
	}

	private static List<SnapshotEntry> read(byte[] manifest) {
		List<SnapshotEntry> read = new ArrayList<>();
		try (Manifest.Reader reader = new Manifest.Reader(new ByteArrayInputStream(manifest))) {
			reader.forEachRemaining(read::add);
		}
		return read;
	}

	/** The previous manifest read to its end on the read-ahead thread, its members kept for a writer. */
	private static Manifest.Members previous(byte[] manifest) {
		try (Manifest.ReadAhead ahead = new Manifest.ReadAhead(new ByteArrayInputStream(manifest), "test-members",
				1_000_000)) {
			ahead.forEachRemaining(entry -> {
			});
			return ahead.members();
		}
	}

	@Test
	void aManifestIsManySmallGzipMembersThatGunzipReadsAsOneStream() throws Exception {
		List<SnapshotEntry> entries = tree(40, n -> false);
		long[] members = new long[2];
		byte[] manifest = write(entries, null, members);

		assertThat(members[1]).as("members of about 32 entries").isBetween(30L, 130L);
		assertThat(read(manifest)).isEqualTo(entries);
		Process gunzip = new ProcessBuilder("gzip", "-dc").start();
		try (var in = gunzip.getOutputStream()) {
			in.write(manifest);
		}
		String text = new String(gunzip.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		assertThat(gunzip.waitFor()).isZero();
		assertThat(text.split("\n")).hasSize(entries.size());
		assertThat(text).startsWith("{\"path\":\"d000\",\"type\":\"dir\"").endsWith("\"inode\":2999}\n");
	}

	@Test
	void theNextManifestCopiesTheMembersWhoseEntriesDidNotChangeAndIsByteForByteWhatWritingAfreshGives() {
		List<SnapshotEntry> first = tree(60, n -> false);
		byte[] before = write(first, null, null);
		// about 1% of the files changed, spread over the tree, and one folder's files gone
		List<SnapshotEntry> second = new ArrayList<>(tree(60, n -> n % 97 == 5));
		second.removeIf(entry -> entry.path().startsWith("d007/"));

		long[] copied = new long[2];
		byte[] after = write(second, previous(before), copied);

		assertThat(after).isEqualTo(write(second, null, null));
		assertThat(read(after)).isEqualTo(second);
		assertThat(copied[0]).as("members copied of " + copied[1]).isGreaterThan(copied[1] / 2).isLessThan(copied[1]);

		// nothing changed: every member is copied
		long[] again = new long[2];
		assertThat(write(second, previous(after), again)).isEqualTo(after);
		assertThat(again[0]).isEqualTo(again[1]);
	}

	@Test
	void onlyMembersOfWholePlainLinesAreCopied() throws Exception {
		List<SnapshotEntry> entries = tree(20, n -> false);
		byte[] written = write(entries, null, null);
		String text = new String(new GzipMembers.Reader(new ByteArrayInputStream(written)).readAllBytes(),
				java.nio.charset.StandardCharsets.UTF_8);
		String[] lines = text.split("(?<=\n)");

		// one member, as manifests were written before members: same entries, nothing copied
		ByteArrayOutputStream single = new ByteArrayOutputStream();
		try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(single)) {
			out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
		}
		long[] copied = new long[2];
		assertThat(write(entries, previous(single.toByteArray()), copied)).isEqualTo(written);
		assertThat(copied[0]).isZero();

		// members of 10 lines: cut inside a line, with an unknown field, a field twice, a missing newline
		List<String> members = new ArrayList<>();
		for (int i = 0; i < lines.length; i += 10) {
			members.add(String.join("", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + 10))));
		}
		members.set(1, members.get(1) + members.get(2).substring(0, 5));
		members.set(2, members.get(2).substring(5));
		members.set(4, members.get(4).replaceFirst("\"inode\"", "\"color\":\"red\",\"inode\""));
		members.set(6, members.get(6).replaceFirst("\"inode\"", "\"mode\":\"644\",\"inode\""));
		members.set(8, members.get(8).substring(0, members.get(8).length() - 1));
		members.set(9, "\n" + members.get(9));
		ByteArrayOutputStream handMade = new ByteArrayOutputStream();
		try (GzipMembers.Compressor compressor = new GzipMembers.Compressor()) {
			for (String member : members) {
				byte[] bytes = member.getBytes(java.nio.charset.StandardCharsets.UTF_8);
				compressor.member(bytes, bytes.length, handMade);
			}
		}
		assertThat(read(handMade.toByteArray())).isEqualTo(entries);
		Manifest.Members kept = previous(handMade.toByteArray());

		// members 0, 3, 5, 7 and 10 on hold whole plain lines; the writer cuts elsewhere, so compare with the rule itself
		assertThat(kept.size()).isEqualTo(members.size() - 6);
		for (int broken : new int[] { 1, 2, 4, 6, 8, 9 }) {
			String firstPath = lines[broken * 10].substring(9, lines[broken * 10].indexOf('"', 9));
			assertThat(kept.take(firstPath)).as("member " + broken).isNull();
		}
	}

	@Test
	void keptMembersAreBoundedAndTakenInPathOrder() {
		Manifest.Members members = new Manifest.Members(100);
		List<SnapshotEntry> entries = tree(10, n -> false);
		for (int i = 0; i < entries.size(); i += 10) {
			members.add(new Manifest.Member(entries.subList(i, i + 10).toArray(new SnapshotEntry[0]), new byte[0]));
		}

		// 51 members of 10 entries were added; the oldest went beyond 100 entries
		assertThat(members.size()).isEqualTo(10);
		assertThat(members.take(entries.get(0).path())).isNull();
		String kept = entries.get(entries.size() - 60).path();
		assertThat(members.take(kept).entries()[0].path()).isEqualTo(kept);
		assertThat(members.size()).isEqualTo(5);
		assertThat(members.take(entries.get(entries.size() - 35).path())).as("not the start of a member").isNull();
		assertThat(members.size()).isEqualTo(3);
	}

	@Test
	void aManifestOfNoEntriesIsStillGzip() throws Exception {
		byte[] empty = write(List.of(), null, null);

		assertThat(read(empty)).isEmpty();
		try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new ByteArrayInputStream(empty))) {
			assertThat(in.readAllBytes()).isEmpty();
		}
	}

}
