package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.Sha256;
import io.mlplatform.storage.snapshot.Packer;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.RestoreResult;
import io.mlplatform.storage.snapshot.SnapshotException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotsTests extends BackupTestSupport {

	private Path sampleTree() throws Exception {
		Path source = folder("source");
		for (int i = 0; i < 40; i++) {
			write(source.resolve("data/d" + (i % 4) + "/f" + i + ".bin"), random(1000 + i * 300, i));
		}
		write(source.resolve("same-1.txt"), "same content".getBytes());
		write(source.resolve("data/same-2.txt"), "same content".getBytes());
		write(source.resolve("empty.txt"), new byte[0]);
		write(source.resolve("models/large.bin"), random(12 * 1024 * 1024 + 17, 99));
		write(source.resolve("models/medium.bin"), random(200 * 1024, 98));
		Files.createDirectories(source.resolve("empty-folder/inner"));
		Files.createSymbolicLink(source.resolve("models/latest"), Path.of("large.bin"));
		Files.createSymbolicLink(source.resolve("outside"), Path.of("/etc/hostname"));
		Files.setPosixFilePermissions(source.resolve("same-1.txt"), PosixFilePermissions.fromString("rw-------"));
		Files.setPosixFilePermissions(source.resolve("models/medium.bin"), PosixFilePermissions.fromString("rwxr-x---"));
		Files.setLastModifiedTime(source.resolve("data/d1/f1.bin"), FileTime.from(Instant.parse("2020-01-02T03:04:05.123456Z")));
		Files.setLastModifiedTime(source.resolve("empty-folder/inner"), FileTime.from(Instant.parse("2021-05-06T07:08:09Z")));
		Files.setPosixFilePermissions(source.resolve("empty-folder"), PosixFilePermissions.fromString("rwx------"));
		return source;
	}

	@Test
	void restoresExactlyWhatItBackedUp() throws Exception {
		Path source = sampleTree();

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.files()).isEqualTo(45);
		assertThat(keys("snapshots/s1/")).containsExactly("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz");
		String largeSha = Sha256.of(source.resolve("models/large.bin"));
		String mediumSha = Sha256.of(source.resolve("models/medium.bin"));
		assertThat(keys("blobs/")).containsExactlyInAnyOrder(
				"pss/projects/" + this.project + "/blobs/" + largeSha.substring(0, 2) + "/" + largeSha,
				"pss/projects/" + this.project + "/blobs/" + mediumSha.substring(0, 2) + "/" + mediumSha);
		assertThat(keys("packs/")).isNotEmpty();
		// 43 small contents of which two are the same, plus the two blobs
		assertThat(this.db.sql("SELECT count(*) FROM backup_contents WHERE project = ?").param(this.project)
			.query(Long.class).single()).isEqualTo(44);

		Path target = folder("target");
		RestoreResult restored = this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(restored.files()).isEqualTo(45);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void aPackHoldsAtMostMaxPackEntriesContentsHoweverSmallTheyAre() throws Exception {
		Path source = folder("tiny");
		int files = Packer.MAX_PACK_ENTRIES + 5;
		for (int i = 0; i < files; i++) {
			write(source.resolve("d" + (i / 1000) + "/f" + i), ("file " + i).getBytes());
		}

		this.snapshots.backup(this.project, "s1", "b1", source);

		// ~110 KB of contents would fit one pack by size; the count cap makes it two
		assertThat(keys("packs/")).hasSize(2);
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void incrementalBackupReadsOnlyChangedFilesAndStoresOnlyNewContent() throws Exception {
		Path source = sampleTree();
		this.snapshots.backup(this.project, "s1", "b1", source);
		write(source.resolve("data/d2/f2.bin"), random(5000, 1234));
		write(source.resolve("data/new.txt"), "new".getBytes());

		BackupResult second = this.snapshots.backup(this.project, "s1", "b2", source);

		assertThat(second.filesRead()).isEqualTo(2);
		assertThat(second.bytesStored()).isEqualTo(5003);
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
		Path first = folder("first");
		this.snapshots.restore(this.project, "s1", "b1", first, List.of(), RestoreMode.MERGE);
		assertThat(first.resolve("data/new.txt")).doesNotExist();
	}

	@Test
	void contentIsStoredOncePerProjectAcrossStorages() throws Exception {
		Path source = sampleTree();
		this.snapshots.backup(this.project, "s1", "b1", source);
		List<String> packs = keys("packs/");

		BackupResult other = this.snapshots.backup(this.project, "s2", "b1", source);

		assertThat(other.filesRead()).isEqualTo(45);
		assertThat(other.bytesStored()).isZero();
		assertThat(keys("packs/")).isEqualTo(packs);
	}

	@Test
	void restoresSomePathsMergingOrReplacing() throws Exception {
		Path source = sampleTree();
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path target = folder("target");
		write(target.resolve("data/d1/extra.txt"), "keep me unless replacing".getBytes());
		write(target.resolve("data/d1/f1.bin"), "overwritten".getBytes());
		write(target.resolve("other/untouched.txt"), "outside the restored paths".getBytes());

		this.snapshots.restore(this.project, "s1", "b1", target, List.of("data/d1", "models/medium.bin"),
				RestoreMode.MERGE);

		assertThat(target.resolve("data/d1/extra.txt")).exists();
		assertThat(target.resolve("data/d1/f1.bin")).hasSameBinaryContentAs(source.resolve("data/d1/f1.bin"));
		assertThat(target.resolve("models/medium.bin")).hasSameBinaryContentAs(source.resolve("models/medium.bin"));
		assertThat(target.resolve("models/large.bin")).doesNotExist();
		assertThat(target.resolve("data/d0")).doesNotExist();

		RestoreResult replaced = this.snapshots.restore(this.project, "s1", "b1", target, List.of("data/d1/"),
				RestoreMode.REPLACE);

		assertThat(replaced.removed()).isEqualTo(1);
		assertThat(target.resolve("data/d1/extra.txt")).doesNotExist();
		assertThat(target.resolve("other/untouched.txt")).exists();
		assertThat(Trees.describe(target.resolve("data/d1"))).isEqualTo(Trees.describe(source.resolve("data/d1")));
	}

	@Test
	void replacingTheWholeSnapshotRemovesEverythingElse() throws Exception {
		Path source = sampleTree();
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path target = folder("target");
		write(target.resolve("stray/file.txt"), "gone after replace".getBytes());
		Files.createSymbolicLink(target.resolve("data"), Path.of("/tmp"));

		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.REPLACE);

		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void failsARestoreWhoseContentDoesNotMatchAndNamesTheFile() throws Exception {
		Path source = folder("source");
		write(source.resolve("a/victim.txt"), "original".getBytes());
		this.snapshots.backup(this.project, "s1", "b1", source);
		String pack = keys("packs/").get(0);
		byte[] tampered = "0riginal".getBytes();
		this.store.put(pack, tampered, tampered.length);

		assertThatThrownBy(() -> this.snapshots.restore(this.project, "s1", "b1", folder("target"), List.of(),
				RestoreMode.MERGE))
			.isInstanceOf(SnapshotException.class)
			.hasMessageContaining("a/victim.txt");
		assertThat(folder("target").resolve("a/victim.txt")).doesNotExist();
	}

}
