package io.mlplatform.storage.snapshot;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's verification on an in-memory bucket, holding few files in memory at a time: a snapshot of
 * many packs is read in groups, each a pass over the manifest, and every file is still checked once.
 */
class SnapshotCheckBatchTests {

	private static final SnapshotLayout LAYOUT = new SnapshotLayout("pss");

	private final Map<String, byte[]> packs = new HashMap<>();

	private byte[] manifest;

	private final ExecutorService reads = Executors.newFixedThreadPool(3);

	@AfterEach
	void stop() {
		this.reads.shutdownNow();
	}

	/** {@code packCount} packs of {@code perPack} files of 100 bytes each; returns the bytes of all files. */
	private long snapshot(int packCount, int perPack) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		long total = 0;
		try (Manifest.Writer writer = new Manifest.Writer(out)) {
			for (int p = 0; p < packCount; p++) {
				String pack = "pack-" + p;
				byte[] bytes = new byte[100 * perPack];
				for (int f = 0; f < perPack; f++) {
					byte[] content = new byte[100];
					new java.util.Random(p * 1000L + f).nextBytes(content);
					System.arraycopy(content, 0, bytes, f * 100, 100);
					writer.write(new SnapshotEntry(String.format("p%03d/f%03d", p, f), SnapshotEntry.FILE, "644",
							Instant.EPOCH, 100L, Sha256.of(content), null, pack, f * 100L, null, null));
					total += 100;
				}
				this.packs.put(pack, bytes);
			}
		}
		this.manifest = out.toByteArray();
		return total;
	}

	private CheckResult check(double fraction, int batchFiles) {
		return new SnapshotCheck(new MemoryStore(), kind -> {
			Map<String, Long> sizes = new HashMap<>();
			if (kind == ObjectRef.Kind.PACK) {
				this.packs.forEach((id, bytes) -> sizes.put(id, (long) bytes.length));
			}
			return sizes;
		}, LAYOUT, "p", this.reads, 2, batchFiles).check(ObjectRef.manifest("s", "b"), fraction, 0, new CheckProgress());
	}

	@Test
	void aSnapshotOfManyPacksIsCheckedInGroupsEveryFileOnce() {
		long bytes = snapshot(12, 50);

		CheckResult whole = check(1.0, 120);

		assertThat(whole.problems()).isEmpty();
		assertThat(whole.checkedFiles()).isEqualTo(600);
		assertThat(whole.checkedBytes()).isEqualTo(bytes);
		assertThat(check(1.0, Integer.MAX_VALUE).checkedFiles()).isEqualTo(600);
	}

	@Test
	void damageIsFoundWhicheverGroupItIsIn() {
		snapshot(12, 50);
		for (byte[] pack : this.packs.values()) {
			pack[4321] ^= 0x01;
		}

		CheckResult result = check(1.0, 60);

		assertThat(result.problemCount()).isEqualTo(12);
		assertThat(result.problems()).allSatisfy(problem -> assertThat(problem.path()).endsWith("/f043"));
	}

	@Test
	void aWreckedBucketListsTheFirstHundredProblemsAndCountsTheRest() {
		snapshot(12, 50);
		this.packs.replaceAll((id, bytes) -> new byte[bytes.length]);

		CheckResult result = check(1.0, 100);

		assertThat(result.problemCount()).isEqualTo(600);
		assertThat(result.problems()).hasSize(SnapshotCheck.MAX_PROBLEMS);
	}

	/** The bucket: the manifest and the packs, read whole or by range. */
	private final class MemoryStore implements ObjectStore {

		private byte[] bytes(ObjectRef object) {
			byte[] bytes = object.kind() == ObjectRef.Kind.MANIFEST ? SnapshotCheckBatchTests.this.manifest
					: SnapshotCheckBatchTests.this.packs.get(object.id());
			if (bytes == null) {
				throw new ObjectNotFoundException(object, null);
			}
			return bytes;
		}

		@Override
		public ObjectStream get(ObjectRef object) {
			return stream(bytes(object), 0, bytes(object).length);
		}

		@Override
		public ObjectStream get(ObjectRef object, long offset, long length) {
			return stream(bytes(object), (int) offset, (int) length);
		}

		private ObjectStream stream(byte[] bytes, int offset, int length) {
			return new ObjectStream(new ByteArrayInputStream(bytes, offset, length)) {

				@Override
				public String eTag() {
					return "\"1\"";
				}

				@Override
				public Long length() {
					return (long) length;
				}

				@Override
				public String contentRange() {
					return null;
				}

				@Override
				public void abort() {
				}

			};
		}

		@Override
		public void put(ObjectRef pack, byte[] bytes, int length) {
			throw new UnsupportedOperationException();
		}

		@Override
		public void putContent(ObjectRef blob, Path file, FileDigest digest, Executor parts, BooleanSupplier unchanged) {
			throw new UnsupportedOperationException();
		}

		@Override
		public void putFile(ObjectRef manifest, Path file, long size, Executor parts, Map<String, String> metadata) {
			throw new UnsupportedOperationException();
		}

		@Override
		public ObjectStream getFrom(ObjectRef object, long offset, String eTag) {
			throw new UnsupportedOperationException();
		}

		@Override
		public long partSize() {
			return 1 << 20;
		}

		@Override
		public long partSize(long size) {
			return 1 << 20;
		}

	}

}
