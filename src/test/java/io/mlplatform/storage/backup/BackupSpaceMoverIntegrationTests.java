package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backup space when backups run as mover processes: the service counts what a mover records and
 * commits through the mover API, with the sizes the bucket gives, and the figures still equal the bucket.
 */
class BackupSpaceMoverIntegrationTests extends MoverTestSupport {

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private S3Store store;

	@Test
	void figuresOfBackupsRunByMoversEqualWhatTheBucketHolds() throws Exception {
		long salt = System.nanoTime();
		String project = "mspace-" + Long.toString(salt % 1_000_000_000L, 36);
		createProject(project);
		Path a = readyStorage(project, "a", "\"backupPolicy\": {\"retention\": {\"keepLast\": 1}}");
		Path b = readyStorage(project, "b", null);
		// small packs (1 MB here): a mover records a pack's contents in more than one call
		for (int i = 0; i < 120; i++) {
			BackupTestSupport.write(a.resolve("small/f" + i), BackupTestSupport.random(20_000 + i, salt + i));
		}
		BackupTestSupport.write(a.resolve("large.bin"), BackupTestSupport.random(13 * 1024 * 1024, salt - 1));
		BackupTestSupport.write(b.resolve("large-copy.bin"), BackupTestSupport.random(13 * 1024 * 1024, salt - 1));
		BackupTestSupport.write(b.resolve("f0-copy"), BackupTestSupport.random(20_000, salt));

		backUp(project, "a");
		backUp(project, "b");
		BucketSpace.assertMatches(this.api, this.store, this.snapshots.layout(), project);

		for (int i = 0; i < 100; i++) {
			Files.delete(a.resolve("small/f" + i));
		}
		backUp(project, "a");
		BucketSpace.assertMatches(this.api, this.store, this.snapshots.layout(), project);

		this.snapshots.collectGarbage(project, Duration.ZERO);
		this.snapshots.collectGarbage(project, Duration.ZERO);
		BucketSpace.assertMatches(this.api, this.store, this.snapshots.layout(), project);
		// a's first snapshot is forgotten (keepLast 1): f0 is only b's now, the large file still shared
		long shared = this.api.get(storages(project) + "/b/backup-space").json().path("sharedBytes").asLong();
		assertThat(shared).isEqualTo(13 * 1024 * 1024);
	}

}
