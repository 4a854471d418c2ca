package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreMode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snapshot an incremental backup compares against: the storage's newest, as Postgres recorded it
 * when its manifest was stored, and as a listing of S3 finds it when that record is missing or stale.
 */
class NewestSnapshotTests extends BackupTestSupport {

	/** Listings of a storage's manifests. */
	private final AtomicInteger listings = new AtomicInteger();

	/** HEADs of manifests: how retention learnt a snapshot's time before PostgreSQL kept it. */
	private final AtomicInteger manifestHeads = new AtomicInteger();

	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return before(http -> {
			if (http.method() == SdkHttpMethod.GET && http.rawQueryParameters().containsKey("list-type")
					&& http.rawQueryParameters().getOrDefault("prefix", List.of()).toString().contains("/snapshots/")) {
				this.listings.incrementAndGet();
			}
			if (http.method() == SdkHttpMethod.HEAD && http.encodedPath().contains("/snapshots/")) {
				this.manifestHeads.incrementAndGet();
			}
		});
	}

	/**
	 * Retention runs after every backup and orders the storage's snapshots by their times: it asked S3 for
	 * each manifest's metadata, one HEAD per snapshot kept per backup. A committed snapshot's time is kept
	 * from the GET that counts it, so retention asks for none.
	 */
	@Test
	void retentionOrdersCommittedSnapshotsByTheirTimesWithoutAskingS3ForThem() throws Exception {
		Path source = source();
		for (String backup : List.of("b1", "b2", "b3", "b4")) {
			this.snapshots.backup(this.project, "s1", backup, source);
		}
		this.manifestHeads.set(0);

		assertThat(this.snapshots.forget(this.project, "s1", new RetentionPolicy(2, null, null, null),
				java.time.ZoneOffset.UTC)).containsExactlyInAnyOrder("b1", "b2");

		assertThat(this.manifestHeads.get()).isZero();
	}

	/** A snapshot written before its time was kept is asked for it once, and the answer kept. */
	@Test
	void aSnapshotWhoseTimeIsNotKnownIsAskedForItOnce() throws Exception {
		Path source = source();
		for (String backup : List.of("b1", "b2", "b3")) {
			this.snapshots.backup(this.project, "s1", backup, source);
		}
		this.db.sql("UPDATE backup_objects SET snapshot_time = NULL WHERE project = ?").param(this.project).update();
		this.manifestHeads.set(0);

		assertThat(this.snapshots.forget(this.project, "s1", new RetentionPolicy(3, null, null, null),
				java.time.ZoneOffset.UTC)).isEmpty();
		assertThat(this.manifestHeads.get()).isEqualTo(3);
		assertThat(this.snapshots.forget(this.project, "s1", new RetentionPolicy(1, null, null, null),
				java.time.ZoneOffset.UTC)).containsExactlyInAnyOrder("b1", "b2");
		assertThat(this.manifestHeads.get()).isEqualTo(3);
	}

	@Test
	void anIncrementalBackupComparesWithTheRecordedSnapshotWithoutListingManifests() throws Exception {
		Path source = source();
		this.snapshots.backup(this.project, "s1", "b1", source);
		write(source.resolve("d1/f1"), random(4000, 100));
		this.listings.set(0);

		BackupResult second = this.snapshots.backup(this.project, "s1", "b2", source);

		assertThat(this.listings.get()).isZero();
		assertThat(second.filesRead()).isEqualTo(1);
		assertThat(recorded("s1")).isEqualTo("b2");
		assertRestores("b2", source);
	}

	@Test
	void aRecordedSnapshotDeletedByHandLeavesTheNewestOneInS3ToCompareWith() throws Exception {
		Path source = source();
		this.snapshots.backup(this.project, "s1", "b1", source);
		write(source.resolve("d1/f1"), random(4000, 100));
		this.snapshots.backup(this.project, "s1", "b2", source);
		// as `aws s3 rm` does it: S3 no longer has what Postgres names
		this.store.delete(List.of(this.snapshots.manifestKey(this.project, "s1", "b2")));
		write(source.resolve("d2/f2"), random(4000, 101));

		BackupResult third = this.snapshots.backup(this.project, "s1", "b3", source);

		// compared with b1, the newest manifest left: the files changed since b1, and no others
		assertThat(this.listings.get()).isPositive();
		assertThat(third.filesRead()).isEqualTo(2);
		assertThat(recorded("s1")).isEqualTo("b3");
		assertRestores("b3", source);
	}

	@Test
	void snapshotsWrittenBeforeAnythingWasRecordedAreFoundByListing() throws Exception {
		Path source = source();
		this.snapshots.backup(this.project, "s1", "b1", source);
		this.db.sql("DELETE FROM newest_snapshots WHERE project = ?").param(this.project).update();
		write(source.resolve("d0/f3"), random(4000, 102));

		BackupResult second = this.snapshots.backup(this.project, "s1", "b2", source);

		assertThat(second.filesRead()).isEqualTo(1);
		assertThat(recorded("s1")).isEqualTo("b2");
	}

	@Test
	void deletingTheRecordedSnapshotForgetsItAndRetentionKeepsIt() throws Exception {
		Path source = source();
		this.snapshots.backup(this.project, "s1", "b1", source);
		this.snapshots.backup(this.project, "s2", "b2", source);
		this.snapshots.backup(this.project, "s2", "b3", source);

		this.snapshots.delete(this.project, "s1", "b1");
		List<String> expired = this.snapshots.forget(this.project, "s2", new RetentionPolicy(1, null, null, null),
				java.time.ZoneOffset.UTC);

		assertThat(recorded("s1")).isNull();
		assertThat(keys("snapshots/s1/")).isEmpty();
		assertThat(expired).containsExactly("b2");
		assertThat(recorded("s2")).isEqualTo("b3");
	}

	private Path source() {
		Path source = folder("source");
		for (int i = 0; i < 30; i++) {
			write(source.resolve("d" + (i % 3) + "/f" + i), random(3000 + i, i));
		}
		return source;
	}

	private String recorded(String storage) {
		return this.db.sql("SELECT backup FROM newest_snapshots WHERE project = ? AND storage = ?")
			.param(this.project)
			.param(storage)
			.query(String.class)
			.optional()
			.orElse(null);
	}

	private void assertRestores(String backup, Path source) throws Exception {
		Path target = folder("target-" + backup);
		this.snapshots.restore(this.project, "s1", backup, target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

}
