package io.mlplatform.storage.backup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.snapshot.Sha256;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.SnapshotException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hand-crafted malicious manifests and requests: nothing may land outside the restore target. */
class RestoreSafetyTests extends BackupTestSupport {

	private String packedLine(String path, String pack, byte[] content) {
		return """
				{"path":"%s","type":"file","mode":"644","mtime":"2024-01-01T00:00:00Z","size":%d,"sha256":"%s","pack":"%s","offset":0}"""
			.formatted(path, content.length, Sha256.of(content), pack);
	}

	/** A real pack holding {@code content}, and a manifest of the given lines beside it. */
	private void craft(String backup, byte[] content, String... lines) throws Exception {
		this.store.put("pss/projects/" + this.project + "/packs/evil-pack", content, content.length);
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
			gzip.write(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
		}
		byte[] manifest = bytes.toByteArray();
		this.store.put("pss/projects/" + this.project + "/snapshots/s1/" + backup + ".json.gz", manifest,
				manifest.length);
	}

	private void assertRefused(String backup, Path target, List<String> paths) {
		assertThatThrownBy(() -> this.snapshots.restore(this.project, "s1", backup, target, paths, RestoreMode.MERGE))
			.isInstanceOf(SnapshotException.class)
			.hasMessageContaining("escapes the restore target");
	}

	@Test
	void refusesEntriesWithDotDot() throws Exception {
		byte[] content = "pwned".getBytes();
		Path target = folder("deep/target");
		craft("b1", content, packedLine("ok.txt", "evil-pack", content), packedLine("../escaped.txt", "evil-pack", content));

		assertRefused("b1", target, List.of());

		assertThat(target.resolve("../escaped.txt").normalize()).doesNotExist();
		assertThat(target.resolve("ok.txt")).doesNotExist();
	}

	@Test
	void refusesAbsoluteEntries() throws Exception {
		byte[] content = "pwned".getBytes();
		Path outside = this.temp.resolve("absolute.txt");
		craft("b1", content, packedLine(outside.toString(), "evil-pack", content));

		assertRefused("b1", folder("target"), List.of());

		assertThat(outside).doesNotExist();
	}

	@Test
	void refusesEntriesBelowASymlinkOfTheSnapshot() throws Exception {
		byte[] content = "pwned".getBytes();
		Path outside = folder("outside");
		craft("b1", content,
				"""
						{"path":"link","type":"symlink","mode":"777","mtime":"2024-01-01T00:00:00Z","target":"%s"}"""
					.formatted(outside),
				packedLine("link/evil.txt", "evil-pack", content));

		assertRefused("b1", folder("target"), List.of());

		assertThat(outside).isEmptyDirectory();
	}

	@Test
	void neverWritesThroughASymlinkAlreadyInTheTarget() throws Exception {
		Path source = folder("source");
		write(source.resolve("data/file.txt"), "snapshot content".getBytes());
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path outside = folder("outside");
		Path target = folder("target");
		Files.createSymbolicLink(target.resolve("data"), outside);

		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(outside).isEmptyDirectory();
		assertThat(Files.isSymbolicLink(target.resolve("data"))).isFalse();
		assertThat(target.resolve("data/file.txt")).hasContent("snapshot content");
	}

	@Test
	void refusesBlobKeysOutsideTheProjectsContent() throws Exception {
		byte[] content = "x".getBytes();
		craft("b1", content, """
				{"path":"a.bin","type":"file","mode":"644","mtime":"2024-01-01T00:00:00Z","size":1,"sha256":"%s","blob":"pss/projects/other/blobs/aa/%s"}"""
			.formatted(Sha256.of(content), Sha256.of(content)));

		assertRefused("b1", folder("target"), List.of());
	}

	@Test
	void refusesPackIdsThatAreNotPlainNames() throws Exception {
		byte[] content = "x".getBytes();
		craft("b1", content, packedLine("a.txt", "../../other/packs/p", content));

		assertRefused("b1", folder("target"), List.of());
	}

	@Test
	void refusesRequestedPathsThatEscape() throws Exception {
		Path source = folder("source");
		write(source.resolve("a.txt"), "a".getBytes());
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path target = folder("target");

		assertRefused("b1", target, List.of("../a.txt"));
		assertRefused("b1", target, List.of("/etc/passwd"));
		assertRefused("b1", target, List.of("a/./b"));
	}

	@Test
	void refusesManifestsOutOfOrder() throws Exception {
		byte[] content = "x".getBytes();
		craft("b1", content, packedLine("b.txt", "evil-pack", content), packedLine("a.txt", "evil-pack", content));

		assertThatThrownBy(() -> this.snapshots.restore(this.project, "s1", "b1", folder("target"), List.of(),
				RestoreMode.MERGE))
			.isInstanceOf(SnapshotException.class)
			.hasMessageContaining("out of order");
	}

	@Test
	void restoreReplacesAHardLinkInsteadOfWritingThroughIt() throws Exception {
		Path source = folder("source");
		write(source.resolve("small.txt"), "from the snapshot".getBytes());
		write(source.resolve("large.bin"), random(100 * 1024, 3));
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path outside = folder("outside");
		write(outside.resolve("secret.txt"), "outside the target".getBytes());
		write(outside.resolve("secret.bin"), "outside the target too".getBytes());
		Path target = folder("target");
		Files.createLink(target.resolve("small.txt"), outside.resolve("secret.txt"));
		Files.createLink(target.resolve("large.bin"), outside.resolve("secret.bin"));

		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(outside.resolve("secret.txt")).hasContent("outside the target");
		assertThat(outside.resolve("secret.bin")).hasContent("outside the target too");
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}


	@Test
	void restoreReplacesASymlinkAtAFilesPathEvenADanglingOneAndLeavesNoTemporaryFiles() throws Exception {
		Path source = folder("source");
		write(source.resolve("small.txt"), "from the snapshot".getBytes());
		write(source.resolve("new.txt"), "also from the snapshot".getBytes());
		write(source.resolve("d/plain.txt"), "restored where nothing was".getBytes());
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path outside = folder("outside");
		write(outside.resolve("secret.txt"), "outside the target".getBytes());
		Path target = folder("target");
		Files.createSymbolicLink(target.resolve("small.txt"), outside.resolve("secret.txt"));
		// a dangling link: creating the file through it would make a new file outside the target
		Files.createSymbolicLink(target.resolve("new.txt"), outside.resolve("created-through-link.txt"));

		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(outside.resolve("secret.txt")).hasContent("outside the target");
		assertThat(outside.resolve("created-through-link.txt")).doesNotExist();
		assertThat(Files.isSymbolicLink(target.resolve("new.txt"))).isFalse();
		assertThat(Trees.describe(target)).as("the files of the snapshot, and nothing else").isEqualTo(Trees.describe(source));
	}

}
