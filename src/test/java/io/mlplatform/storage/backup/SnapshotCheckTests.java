package io.mlplatform.storage.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.snapshot.CheckProgress;
import io.mlplatform.storage.snapshot.CheckResult;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.SnapshotEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verification of a snapshot by the engine, against real damage done to the bucket: each kind of damage
 * is found and named by the path of every file it touches, and nothing else is reported.
 */
class SnapshotCheckTests extends BackupTestSupport {

	private static final int SMALL_FILES = 400;

	private static final int SMALL = 6000;

	/** The small files, the two large ones and an empty one. */
	private static final int FILES = SMALL_FILES + 3;

	private static final int LARGE = 100 * 1024;

	private String storage;

	/** While set, every GET of a pack fails as a broken connection would: the bucket cannot be read. */
	private volatile boolean packReadsFail;

	@Override
	protected UnaryOperator<software.amazon.awssdk.http.SdkHttpClient> transport() {
		return before(http -> {
			if (this.packReadsFail && http.method() == software.amazon.awssdk.http.SdkHttpMethod.GET
					&& http.encodedPath().contains("/packs/")) {
				throw new UncheckedIOException(new IOException("connection reset (injected)"));
			}
		});
	}

	private String backup;

	private long treeBytes;

	@BeforeEach
	void backUpATree() {
		Path tree = folder("tree");
		for (int i = 0; i < SMALL_FILES; i++) {
			write(tree.resolve("small/" + String.format("%03d", i) + ".bin"), random(SMALL, i));
		}
		// above the tests' 64 KiB threshold: blobs of their own
		write(tree.resolve("large/one.bin"), random(LARGE, 1001));
		write(tree.resolve("large/two.bin"), random(LARGE + 1, 1002));
		// an empty file has a place like any other (a pack's range of no bytes)
		write(tree.resolve("empty"), new byte[0]);
		this.treeBytes = (long) SMALL_FILES * SMALL + LARGE + LARGE + 1;
		this.storage = UUID.randomUUID().toString();
		this.backup = UUID.randomUUID().toString();
		this.snapshots.backup(this.project, this.storage, this.backup, tree);
	}

	private CheckResult verify(double fraction, long cursor) {
		return this.snapshots.verify(this.project, this.storage, this.backup, fraction, cursor, new CheckProgress());
	}

	@Test
	void anUndamagedSnapshotVerifiesWholeAtFractionOne() {
		CheckResult result = verify(1.0, 0);

		assertThat(result.problems()).isEmpty();
		assertThat(result.damaged()).isFalse();
		assertThat(result.checkedFiles()).isEqualTo(FILES);
		assertThat(result.checkedBytes()).isEqualTo(this.treeBytes);
	}

	@Test
	void aFlippedByteInAPackIsNamedByTheFileItBelongsTo() {
		SnapshotEntry victim = entry("small/007.bin");
		String key = packKey(victim.pack());
		byte[] pack = read(key);
		pack[(int) (victim.offset() + 10)] ^= 0x01;
		this.store.put(key, pack, pack.length);

		CheckResult result = verify(1.0, 0);

		assertThat(result.problems()).containsExactly(new CheckResult.Problem("small/007.bin",
				"content sha256 mismatch in pack " + victim.pack() + " at offset " + victim.offset()));
		assertThat(result.checkedFiles()).isEqualTo(FILES);
	}

	@Test
	void aTruncatedPackNamesEveryFilePastItsNewEnd() {
		SnapshotEntry victim = entry("small/050.bin");
		String key = packKey(victim.pack());
		byte[] pack = read(key);
		int cut = (int) (long) victim.offset() + 1;
		this.store.put(key, pack, cut);
		List<SnapshotEntry> cutOff = entries().stream()
			.filter(e -> victim.pack().equals(e.pack()) && e.offset() + e.size() > cut)
			.toList();

		CheckResult result = verify(1.0, 0);

		assertThat(cutOff).isNotEmpty();
		assertThat(result.problems()).hasSize(cutOff.size());
		for (SnapshotEntry entry : cutOff) {
			assertThat(result.problems()).contains(new CheckResult.Problem(entry.path(), "pack " + victim.pack() + " is "
					+ cut + " bytes, entry needs " + entry.offset() + ".." + (entry.offset() + entry.size())));
		}
		// the rest of the pack still reads
		assertThat(result.checkedFiles()).isEqualTo(FILES - cutOff.size());
	}

	@Test
	void aDeletedBlobIsFoundWithoutReadingAnyContent() {
		SnapshotEntry victim = entry("large/two.bin");
		this.store.delete(List.of(victim.blob()));

		CheckResult result = verify(0.01, 0);

		assertThat(result.problems())
			.containsExactly(new CheckResult.Problem("large/two.bin", "blob " + victim.sha256() + " missing"));
	}

	@Test
	void aManifestEntryPointingPastItsPacksEndIsFound() {
		SnapshotEntry victim = entry("small/099.bin");
		long packSize = read(packKey(victim.pack())).length;
		rewriteManifest(e -> e.path().equals(victim.path()) ? new SnapshotEntry(e.path(), e.type(), e.mode(),
				e.mtime(), e.size(), e.sha256(), e.blob(), e.pack(), packSize - 10, e.target(), e.inode()) : e);

		CheckResult result = verify(1.0, 0);

		assertThat(result.problems()).containsExactly(new CheckResult.Problem("small/099.bin", "pack " + victim.pack()
				+ " is " + packSize + " bytes, entry needs " + (packSize - 10) + ".." + (packSize - 10 + SMALL)));
	}

	@Test
	void aBucketThatCannotBeReadIsAnErrorNotDamage() {
		this.packReadsFail = true;

		org.assertj.core.api.Assertions.assertThatThrownBy(() -> verify(1.0, 0)).isInstanceOf(RuntimeException.class);
		// nothing was reported as damage: once the bucket answers again, the same snapshot verifies clean
		this.packReadsFail = false;
		assertThat(verify(1.0, 0).damaged()).isFalse();
	}

	@Test
	void aMissingManifestIsAProblemNotAnError() {
		this.store.delete(List.of(this.snapshots.manifestKey(this.project, this.storage, this.backup)));

		CheckResult result = verify(1.0, 0);

		assertThat(result.problems()).hasSize(1);
		assertThat(result.problems().get(0).what()).startsWith("manifest ").endsWith(" missing");
	}

	@Test
	void successiveRunsReadDifferentContentAndSoonAllOfIt() {
		// one flipped byte in the first file of every pack and every blob: a run names exactly the objects it read
		java.util.Map<String, String> objectOf = new java.util.HashMap<>();
		java.util.Map<String, SnapshotEntry> firstOf = new java.util.HashMap<>();
		for (SnapshotEntry entry : entries()) {
			String object = entry.packed() ? entry.pack() : entry.sha256();
			objectOf.put(entry.path(), object);
			firstOf.merge(object, entry, (a, b) -> !a.packed() || a.offset() <= b.offset() ? a : b);
		}
		assertThat(firstOf.size()).as("packs and blobs").isGreaterThan(4);
		for (SnapshotEntry first : firstOf.values()) {
			String key = first.packed() ? packKey(first.pack()) : first.blob();
			byte[] bytes = read(key);
			bytes[(int) (first.packed() ? (long) first.offset() : 0)] ^= 0x01;
			this.store.put(key, bytes, bytes.length);
		}

		long cursor = 0;
		List<Set<String>> read = new ArrayList<>();
		for (int run = 0; run < 4; run++) {
			CheckResult result = verify(0.3, cursor);
			Set<String> objects = new HashSet<>();
			result.problems().forEach(problem -> objects.add(objectOf.get(problem.path())));
			assertThat(result.problemCount()).isEqualTo(objects.size());
			assertThat(result.checkedBytes()).isBetween((long) (0.3 * this.treeBytes) - 1, this.treeBytes);
			read.add(objects);
			cursor = result.cursorEnd();
		}

		assertThat(read.get(1)).doesNotContainAnyElementsOf(read.get(0));
		Set<String> all = new HashSet<>();
		read.forEach(all::addAll);
		assertThat(all).isEqualTo(firstOf.keySet());
		// the same cursor reads the same content: a retried attempt checks what the first would have
		Set<String> again = new HashSet<>();
		verify(0.3, 0).problems().forEach(problem -> again.add(objectOf.get(problem.path())));
		assertThat(again).isEqualTo(read.get(0));
		assertThat(verify(1.0, 0).problemCount()).isEqualTo(firstOf.size());
	}

	private List<SnapshotEntry> entries() {
		List<SnapshotEntry> files = new ArrayList<>();
		try (InputStream in = this.store.get(this.snapshots.manifestKey(this.project, this.storage, this.backup));
				Manifest.Reader reader = new Manifest.Reader(in)) {
			reader.forEachRemaining(entry -> {
				if (entry.isFile()) {
					files.add(entry);
				}
			});
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return files;
	}

	private SnapshotEntry entry(String path) {
		return entries().stream().filter(e -> e.path().equals(path)).findFirst().orElseThrow();
	}

	private String packKey(String pack) {
		return this.snapshots.layout().pack(this.project, pack);
	}

	private byte[] read(String key) {
		try (InputStream in = this.store.get(key)) {
			return in.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void rewriteManifest(UnaryOperator<SnapshotEntry> change) {
		String key = this.snapshots.manifestKey(this.project, this.storage, this.backup);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (InputStream in = this.store.get(key); Manifest.Reader reader = new Manifest.Reader(in);
				Manifest.Writer writer = new Manifest.Writer(out)) {
			reader.forEachRemaining(entry -> writer.write(change.apply(entry)));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		byte[] bytes = out.toByteArray();
		this.store.put(key, bytes, bytes.length);
	}

}
