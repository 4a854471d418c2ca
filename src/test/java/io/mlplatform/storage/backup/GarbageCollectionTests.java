package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class GarbageCollectionTests extends BackupTestSupport {

	private Duration grace = Duration.ZERO;

	@Override
	protected BackupProperties properties() {
		BackupProperties defaults = super.properties();
		return new BackupProperties(defaults.s3(), defaults.largeFileThreshold(), DataSize.ofKilobytes(32),
				defaults.readers(), defaults.uploads(), defaults.queueLength(), this.grace,
				defaults.abandonedUploadAge());
	}

	private Path tree(String name, int files, long seed) {
		Path folder = folder(name);
		for (int i = 0; i < files; i++) {
			write(folder.resolve("d" + (i % 5) + "/f" + i + ".bin"), random(2000 + i, seed * 100_000 + i));
		}
		write(folder.resolve("big.bin"), random(100 * 1024, seed));
		return folder;
	}

	/** Makes every content of the project look unused for a day: old enough for any grace period. */
	private void ageIndex() {
		this.db.sql("UPDATE backup_contents SET used_at = now() - interval '1 day' WHERE project = ?")
			.param(this.project)
			.update();
	}

	@Test
	void retentionThenCollectionRemovesOnlyContentNoSnapshotReferences() throws Exception {
		Path old = tree("old", 30, 1);
		this.snapshots.backup(this.project, "s1", "b1", old);
		List<String> oldObjects = keys("");
		Path current = tree("current", 30, 2);
		this.snapshots.backup(this.project, "s1", "b2", current);

		List<String> expired = this.snapshots.forget(this.project, "s1", new RetentionPolicy(1, null, null, null),
				ZoneOffset.UTC);
		GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);

		assertThat(expired).containsExactly("b1");
		assertThat(result.blobs()).isEqualTo(1);
		assertThat(result.packs()).isPositive();
		List<String> remaining = keys("");
		assertThat(remaining).noneMatch(key -> oldObjects.contains(key) && !key.contains("/snapshots/"));
		assertThat(remaining).doesNotContain("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz");
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(current));
		assertThat(this.db.sql("SELECT count(*) FROM backup_contents WHERE project = ?").param(this.project)
			.query(Long.class).single()).isEqualTo(31);
	}

	@Test
	void keepsContentUsedWithinTheGracePeriod() throws Exception {
		this.grace = Duration.ofHours(1);
		stopEngine();
		startEngine();
		this.snapshots.backup(this.project, "s1", "b1", tree("old", 10, 1));
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		List<String> content = keys("");

		GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);

		assertThat(result.packs() + result.blobs()).isZero();
		assertThat(keys("")).isEqualTo(content);
	}

	@Test
	void collectionDuringABackupNeverDeletesWhatThatBackupReferences() throws Exception {
		this.grace = Duration.ofHours(1);
		stopEngine();
		startEngine();
		// content of a forgotten snapshot, unused for a day: garbage, unless the next backup reuses it
		Path source = tree("source", 300, 3);
		this.snapshots.backup(this.project, "s1", "b1", source);
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s1/b1.json.gz"));
		this.snapshots.backup(this.project, "s2", "garbage", tree("garbage", 50, 4));
		this.store.delete(List.of("pss/projects/" + this.project + "/snapshots/s2/garbage.json.gz"));
		ageIndex();
		for (int i = 0; i < 100; i++) {
			write(source.resolve("new/n" + i + ".bin"), random(1500, 9000 + i));
		}

		AtomicBoolean backingUp = new AtomicBoolean(true);
		AtomicInteger collections = new AtomicInteger();
		AtomicInteger removed = new AtomicInteger();
		CompletableFuture<Void> collector = CompletableFuture.runAsync(() -> {
			while (backingUp.get() || collections.get() == 0) {
				GarbageCollector.Result result = this.snapshots.collectGarbage(this.project);
				removed.addAndGet(result.packs() + result.blobs());
				collections.incrementAndGet();
			}
		});
		try {
			this.snapshots.backup(this.project, "s1", "b2", source);
		}
		finally {
			backingUp.set(false);
		}
		collector.get(60, TimeUnit.SECONDS);
		GarbageCollector.Result after = this.snapshots.collectGarbage(this.project);

		assertThat(collections.get()).isPositive();
		assertThat(removed.get() + after.packs() + after.blobs()).isPositive();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

}
