package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.Sha256;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.ObjectStore;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files that change while the backup reads them: a large file rewritten between its hash pass and its
 * upload is never stored under the sha256 of what it held before.
 */
class ChangingFilesTests extends BackupTestSupport {

	/** Sent as a multipart upload. */
	private static final int LARGE = 11 * 1024 * 1024;

	/** Over the blob threshold, under the multipart one: sent in one PUT. */
	private static final int ONE_PUT = 3 * 1024 * 1024;

	private int size = LARGE;

	private Path large;

	/** How many part uploads should find the large file rewritten just before they send it. */
	private final AtomicInteger rewrites = new AtomicInteger();

	private final AtomicInteger rewritten = new AtomicInteger();

	@Override
	protected BackupProperties properties() {
		BackupProperties defaults = super.properties();
		BackupProperties.S3 s3 = defaults.s3();
		// the production default: no checksum unless the request declares one
		BackupProperties.S3 whenRequired = new BackupProperties.S3(s3.endpoint(), s3.region(), s3.pathStyle(),
				s3.accessKeyId(), s3.secretAccessKey(), s3.bucket(), s3.prefix(), s3.partSize(), "when-required",
				s3.encryption(), s3.kmsKeyId(), s3.payloadSigning(), s3.maxAttempts(), s3.maxConnections(),
				s3.connectTimeout(), s3.socketTimeout(), s3.multipartThreshold());
		return new BackupProperties(whenRequired, defaults.largeFileThreshold(), defaults.packSize(),
				defaults.readers(), defaults.uploads(), defaults.queueLength(), defaults.gcGrace(),
				defaults.abandonedUploadAge(), defaults.leaseTtl());
	}

	/** Rewrites the large file (same size, new bytes) as a part upload or the blob's PUT is about to read it. */
	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return before(http -> {
			if (http.method() == SdkHttpMethod.PUT && http.encodedPath().contains("/blobs/")
					&& this.rewrites.getAndDecrement() > 0) {
				int n = this.rewritten.incrementAndGet();
				replace(this.large, random(this.size, 1000 + n));
			}
		});
	}

	/**
	 * A rewrite that no reader sees half done, as an editor's save is: a write in place can be caught
	 * truncated to nothing by a stat, a hash and a stat that all agree, a real state that a backup may keep.
	 * Each rewrite has a file of its own: the parts of a multipart upload are sent in parallel, and two
	 * rewrites sharing one name could write into the file the other had just moved into place.
	 */
	private void replace(Path file, byte[] content) {
		// outside the folder backed up, on the same file system
		Path next = this.temp.resolve("next-" + java.util.UUID.randomUUID() + "-" + file.getFileName());
		write(next, content);
		try {
			java.nio.file.Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
	}

	private Path source() {
		Path source = folder("source");
		for (int i = 0; i < 10; i++) {
			write(source.resolve("small/f" + i), random(2000, i));
		}
		this.large = source.resolve("large.bin");
		write(this.large, random(this.size, 1));
		return source;
	}

	@Test
	void aLargeFileRewrittenDuringItsMultipartUploadIsStoredAsItsNewContent() throws Exception {
		backUpWhileTheFileIsRewrittenOnce();
	}

	@Test
	void aBlobRewrittenDuringItsSinglePutIsStoredAsItsNewContent() throws Exception {
		this.size = ONE_PUT;
		backUpWhileTheFileIsRewrittenOnce();
	}

	private void backUpWhileTheFileIsRewrittenOnce() throws Exception {
		Path source = source();
		String before = Sha256.of(this.large);
		this.rewrites.set(1);

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		String after = Sha256.of(this.large);
		assertThat(this.rewritten.get()).isEqualTo(1);
		assertThat(after).isNotEqualTo(before);
		assertThat(result.skipped()).isZero();
		assertThat(keys("blobs/")).containsExactly(
				"pss/projects/" + this.project + "/blobs/" + after.substring(0, 2) + "/" + after);
		assertThat(indexed(before)).isZero();
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "large.bin")).get()
			.extracting(SnapshotEntry::sha256).isEqualTo(after);
		assertThat(this.store.countUploads("pss/projects/" + this.project + "/")).isZero();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	@Test
	void aLargeFileThatNeverHoldsStillIsLeftOutAndReported() throws Exception {
		Path source = source();
		String before = Sha256.of(this.large);
		this.rewrites.set(Integer.MAX_VALUE);

		BackupResult result = this.snapshots.backup(this.project, "s1", "b1", source);

		assertThat(result.skipped()).isEqualTo(1);
		assertThat(result.skippedPaths()).singleElement().asString().startsWith("large.bin: ");
		assertThat(keys("blobs/")).isEmpty();
		assertThat(indexed(before)).isZero();
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "large.bin")).isEmpty();
		assertThat(this.snapshots.entry(this.project, "s1", "b1", "small/f3")).isPresent();
		assertThat(this.store.countUploads("pss/projects/" + this.project + "/")).isZero();
	}

	@Test
	void partsGrowSoThatNoFileNeedsMoreThanTenThousand() {
		long part = 16L * 1024 * 1024;
		assertThat(ObjectStore.partSize(part, 1024L * 1024 * 1024)).isEqualTo(part);
		assertThat(ObjectStore.partSize(part, 10_000 * part)).isEqualTo(part);
		for (long size : new long[] { 10_000 * part + 1, 5L << 40, (5L << 40) + 12345 }) {
			long grown = ObjectStore.partSize(part, size);
			assertThat((size + grown - 1) / grown).isLessThanOrEqualTo(ObjectStore.MAX_PARTS);
			assertThat(grown % (1024 * 1024)).isZero();
		}
	}

	private long indexed(String sha256) {
		return this.db.sql("SELECT count(*) FROM backup_contents WHERE project = ? AND sha256 = ?")
			.param(this.project).param(sha256).query(Long.class).single();
	}

}
