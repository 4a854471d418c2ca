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

}
