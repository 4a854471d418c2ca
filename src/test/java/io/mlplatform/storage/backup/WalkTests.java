package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreMode;

import static org.assertj.core.api.Assertions.assertThat;

/** What the walk meets besides plain files: files that vanish, names beyond ASCII and beyond UTF-8. */
class WalkTests extends BackupTestSupport {

	@Test
	void filesDeletedWhileTheBackupRunsAreLeftOutCountedAndReported() throws Exception {
		Path source = folder("source");
		for (int i = 0; i < 20; i++) {
			write(source.resolve("d/f" + i), random(1000, i));
		}
		write(source.resolve("large.bin"), random(200 * 1024, 1));
		this.snapshots.engine().beforeRead = path -> {
			if (path.endsWith("f7") || path.endsWith("large.bin")) {
				try {
					Files.delete(path);
				}
				catch (java.io.IOException ex) {
					throw new java.io.UncheckedIOException(ex);
				}
			}
		};

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.skipped()).isEqualTo(2);
		assertThat(result.skippedPaths()).containsExactlyInAnyOrder(
				"d/f7: it was deleted while the backup read it", "large.bin: it was deleted while the backup read it");
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		// the deletion changed the folder's mtime after the walk had read it
		Map<String, String> restored = new TreeMap<>(Trees.describe(target));
		Map<String, String> expected = new TreeMap<>(Trees.describe(source));
		restored.remove("d");
		expected.remove("d");
		assertThat(restored).isEqualTo(expected).hasSize(19);
	}

	@Test
	void aFileSwappedForALinkOrAFolderWhileTheBackupRunsIsNeverReadThroughIt() throws Exception {
		Path source = folder("source");
		Path secret = folder("elsewhere").resolve("secret");
		write(secret, "not for this storage".getBytes());
		for (int i = 0; i < 10; i++) {
			write(source.resolve("d/f" + i), random(1000, i));
		}
		this.snapshots.engine().beforeRead = path -> {
			try {
				if (path.endsWith("f3")) {
					Files.delete(path);
					Files.createSymbolicLink(path, secret);
				}
				else if (path.endsWith("f5")) {
					Files.delete(path);
					Files.createDirectory(path);
				}
			}
			catch (java.io.IOException ex) {
				throw new java.io.UncheckedIOException(ex);
			}
		};

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.skippedPaths()).containsExactlyInAnyOrder(
				"d/f3: it was replaced while the backup read it", "d/f5: it was replaced while the backup read it");
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "d/f3")).isEmpty();
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "d/f5")).isEmpty();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).hasSize(9).doesNotContainKeys("d/f3", "d/f5");
		try (var files = Files.walk(target)) {
			assertThat(files.filter(Files::isRegularFile).map(WalkTests::content))
				.noneMatch(content -> content.contains("not for this storage"));
		}
	}

	private static String content(Path file) {
		try {
			return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	@Test
	void namesBeyondAsciiRoundTrip() throws Exception {
		Path source = folder("source");
		write(source.resolve("café/naïve ü.txt"), "bonjour".getBytes());
		write(source.resolve("日本/データ.bin"), random(3000, 2));
		Files.createSymbolicLink(source.resolve("café/lien→"), Path.of("naïve ü.txt"));

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.skipped()).isZero();
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "café/naïve ü.txt")).isPresent();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void aNameThatIsNotUtf8IsReportedNotSilentlyDropped() throws Exception {
		Path source = folder("source");
		write(source.resolve("ok.txt"), "fine".getBytes());
		// Java cannot spell such a name; the shell can: bytes 0xff 0xfe are UTF-8 of nothing
		Process touch = new ProcessBuilder("sh", "-c", "printf 'x' > \"$(printf 'bad\\377\\376name.txt')\"")
			.directory(source.toFile())
			.start();
		assertThat(touch.waitFor(10, TimeUnit.SECONDS)).isTrue();
		assertThat(touch.exitValue()).isZero();
		try (var children = Files.list(source)) {
			assertThat(children.count()).isEqualTo(2);
		}

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.skipped()).isEqualTo(1);
		assertThat(result.skippedPaths()).singleElement().asString()
			.startsWith("bad\\ufffd")
			.endsWith("name.txt: its name is not valid UTF-8");
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		Map<String, String> expected = new TreeMap<>(Trees.describe(source));
		expected.keySet().removeIf(name -> name.startsWith("bad"));
		expected.remove("");
		assertThat(Trees.describe(target)).isEqualTo(expected);
	}

}
