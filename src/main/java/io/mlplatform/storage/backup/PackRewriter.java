package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.space.BackupObjects;
import io.mlplatform.storage.snapshot.Sha256;
import io.mlplatform.storage.snapshot.SnapshotEngine;
import io.mlplatform.storage.snapshot.ContentLocation;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * Rewrites packs that are mostly garbage (SPEC §5): the contents manifests reference are copied, by
 * ranged reads, into new packs; the index points at the new places; every manifest that references
 * an old pack is written again, in one PUT under the same key and only over the version read, so a
 * reader sees the old or the new one whole; then, and only then, the old packs are condemned. A
 * backup or restore that started before the condemnation (and may have read an old manifest, or found
 * an old place in the index) keeps the old pack until it ends: phase 2 of a later collection deletes
 * it, or keeps it if a manifest written meanwhile still references it. Runs inside a collection, so
 * one at a time per project.
 */
final class PackRewriter {

	private static final Logger log = LoggerFactory.getLogger(PackRewriter.class);

	/** Ranges of a pack closer than this are fetched in one GET. */
	private static final long SPAN_GAP = 256 * 1024;

	private final S3Store store;

	private final SnapshotLayout layout;

	private final int packSize;

	private final double below;

	PackRewriter(S3Store store, SnapshotLayout layout, int packSize, double below) {
		this.store = store;
		this.layout = layout;
		this.packSize = packSize;
		this.below = below;
	}

	/** Packs rewritten, and the bytes their deletion will free beyond the new packs' size. */
	record Outcome(int packs, long bytesReclaimed) {

		static final Outcome NONE = new Outcome(0, 0);

	}

	/**
	 * The distinct byte ranges of one pack that manifests reference, each as {@code offset << 32 |
	 * length}: a few bytes per packed file, however many snapshots reference it.
	 */
	static final class Ranges {

		private long[] values = new long[8];

		private int size;

		/** A range beyond 32 bits (a pack over 4 GiB): such a pack is left as it is. */
		private boolean oversized;

		void add(long offset, long length) {
			if (offset >= (1L << 32) || length >= (1L << 32)) {
				this.oversized = true;
				return;
			}
			if (this.size == this.values.length) {
				compact();
				if (this.size > this.values.length / 2) {
					this.values = Arrays.copyOf(this.values, this.values.length * 2);
				}
			}
			this.values[this.size++] = (offset << 32) | length;
		}

		private void compact() {
			Arrays.sort(this.values, 0, this.size);
			int distinct = 0;
			for (int i = 0; i < this.size; i++) {
				if (distinct == 0 || this.values[distinct - 1] != this.values[i]) {
					this.values[distinct++] = this.values[i];
				}
			}
			this.size = distinct;
		}

		/** Sorted by offset, each once. */
		long[] distinct() {
			compact();
			return Arrays.copyOf(this.values, this.size);
		}

		static long offset(long range) {
			return range >>> 32;
		}

		static long length(long range) {
			return range & 0xFFFFFFFFL;
		}

	}

	/** A content copied from an old pack into a new one. */
	private record Moved(String sha256, String oldPack, long oldOffset, String newPack, long newOffset, long size) {
	}

	/**
	 * @param referenced every pack's referenced ranges, as this collection's mark read them
	 * @param manifests the packs each manifest references, by manifest key
	 * @param listed the project's packs in the bucket, by pack id
	 */
	Outcome rewrite(String project, Instant cutoff, Map<String, Ranges> referenced, Map<String, Set<String>> manifests,
			Map<String, S3Object> listed, JdbcClient db, TransactionTemplate transactions) {
		if (this.below <= 0) {
			return Outcome.NONE;
		}
		Set<String> condemned = new HashSet<>(db.sql("SELECT pack_id FROM backup_condemned_packs WHERE project = ?")
			.param(project).query(String.class).list());
		Map<String, Map<Long, String>> candidates = new HashMap<>();
		referenced.forEach((pack, ranges) -> {
			S3Object object = listed.get(pack);
			if (object == null || condemned.contains(pack) || ranges.oversized) {
				return;
			}
			long[] live = ranges.distinct();
			long bytes = Arrays.stream(live).map(Ranges::length).sum();
			if (bytes < this.below * object.size()) {
				Map<Long, String> contents = contents(project, pack, live, cutoff, db);
				if (contents != null) {
					candidates.put(pack, contents);
				}
			}
		});
		if (candidates.isEmpty()) {
			return Outcome.NONE;
		}
		List<Moved> moved = new ArrayList<>();
		Map<String, Long> packsWritten = new HashMap<>();
		long written = copy(project, candidates, referenced, moved, packsWritten);
		transactions.executeWithoutResult(status -> {
			relocate(project, moved, candidates.keySet(), db);
			// the new packs count in the backup space from the transaction that points the index at them
			BackupObjects.record(db, project, packsWritten.entrySet()
				.stream()
				.map(pack -> BackupObjects.Stored.pack(this.layout.pack(project, pack.getKey()), pack.getValue()))
				.toList());
		});
		int manifestsRewritten = rewriteManifests(project, candidates.keySet(), manifests, moved, db);
		// after the manifests: a backup or restore that starts from now on reads only new places
		transactions.executeWithoutResult(status -> {
			BackupLease.lockExclusive(db, project);
			db.sql("""
					INSERT INTO backup_condemned_packs (project, pack_id, condemned_at)
					SELECT ?, p, clock_timestamp() FROM unnest(?::varchar[]) AS t(p)
					ON CONFLICT DO NOTHING""")
				.param(project).param(candidates.keySet().toArray(String[]::new))
				.update();
		});
		long old = candidates.keySet().stream().mapToLong(pack -> listed.get(pack).size()).sum();
		Outcome outcome = new Outcome(candidates.size(), old - written);
		log.info("Garbage collection of project {} rewrote {} mostly unreferenced packs ({} bytes) into {} bytes of "
				+ "new packs and {} manifests; the old packs go once no backup or restore may read them", project,
				outcome.packs(), old, written, manifestsRewritten);
		return outcome;
	}

	/**
	 * The sha256 of each referenced range of a pack, from its index rows; null if the pack is not one to
	 * rewrite: recorded within the grace period, or referenced at a place the index does not hold.
	 */
	private static Map<Long, String> contents(String project, String pack, long[] live, Instant cutoff, JdbcClient db) {
		Map<Long, String> byRange = new HashMap<>();
		boolean[] recent = new boolean[1];
		db.sql("""
				SELECT sha256, size, pack_offset, used_at FROM backup_contents
				WHERE project = ? AND pack_id = ? AND condemned_at IS NULL""")
			.param(project).param(pack)
			.query(rs -> {
				recent[0] |= !rs.getObject(4, OffsetDateTime.class).toInstant().isBefore(cutoff);
				byRange.put((rs.getLong(3) << 32) | rs.getLong(2), rs.getString(1));
			});
		if (recent[0]) {
			return null;
		}
		Map<Long, String> contents = new HashMap<>();
		for (long range : live) {
			String sha256 = byRange.get(range);
			if (sha256 == null) {
				return null;
			}
			contents.put(range, sha256);
		}
		return contents;
	}

	/** Copies the candidates' referenced contents into new packs; returns the new packs' bytes. */
	private long copy(String project, Map<String, Map<Long, String>> candidates, Map<String, Ranges> referenced,
			List<Moved> moved, Map<String, Long> packsWritten) {
		byte[] buffer = new byte[this.packSize];
		int length = 0;
		String target = UUID.randomUUID().toString();
		long written = 0;
		for (Map.Entry<String, Map<Long, String>> candidate : candidates.entrySet()) {
			String pack = candidate.getKey();
			for (long[] span : spans(referenced.get(pack).distinct())) {
				long start = Ranges.offset(span[0]);
				long end = Ranges.offset(span[span.length - 1]) + Ranges.length(span[span.length - 1]);
				byte[] bytes = read(this.layout.pack(project, pack), start, end - start);
				for (long range : span) {
					int size = (int) Ranges.length(range);
					int from = (int) (Ranges.offset(range) - start);
					String sha256 = candidate.getValue().get(range);
					byte[] content = Arrays.copyOfRange(bytes, from, from + size);
					if (!Sha256.of(content).equals(sha256)) {
						throw new IllegalStateException("Pack " + pack + " of project " + project + " holds other bytes at "
								+ Ranges.offset(range) + " than content " + sha256);
					}
					if (length + size > buffer.length && length > 0) {
						this.store.put(this.layout.pack(project, target), buffer, length);
						packsWritten.put(target, (long) length);
						written += length;
						target = UUID.randomUUID().toString();
						length = 0;
					}
					if (size > buffer.length) {
						buffer = new byte[size];
					}
					System.arraycopy(content, 0, buffer, length, size);
					moved.add(new Moved(sha256, pack, Ranges.offset(range), target, length, size));
					length += size;
				}
			}
		}
		if (length > 0) {
			this.store.put(this.layout.pack(project, target), buffer, length);
			packsWritten.put(target, (long) length);
			written += length;
		}
		return written;
	}

	/** Sorted ranges grouped so that each group is one ranged read of the pack. */
	private static List<long[]> spans(long[] ranges) {
		List<long[]> spans = new ArrayList<>();
		int first = 0;
		for (int i = 1; i <= ranges.length; i++) {
			if (i == ranges.length || Ranges.offset(ranges[i])
					- (Ranges.offset(ranges[i - 1]) + Ranges.length(ranges[i - 1])) > SPAN_GAP) {
				spans.add(Arrays.copyOfRange(ranges, first, i));
				first = i;
			}
		}
		return spans;
	}

	private byte[] read(String key, long offset, long length) {
		for (int attempt = 1;; attempt++) {
			try (InputStream in = this.store.get(key, offset, length)) {
				byte[] bytes = in.readAllBytes();
				if (bytes.length != length) {
					throw new java.io.EOFException("Response for " + key + " ended early");
				}
				return bytes;
			}
			catch (IOException ex) {
				if (attempt == S3Store.BODY_ATTEMPTS) {
					throw new UncheckedIOException("Could not read " + key, ex);
				}
			}
		}
	}

	/** Points the index at the new places; what stays in the old packs is garbage within them. */
	private static void relocate(String project, List<Moved> moved, Set<String> oldPacks, JdbcClient db) {
		db.sql("""
				UPDATE backup_contents c SET pack_id = t.q, pack_offset = t.o
				FROM unnest(?::varchar[], ?::varchar[], ?::bigint[], ?::varchar[], ?::bigint[]) AS t(s, p, po, q, o)
				WHERE c.project = ? AND c.sha256 = t.s AND c.pack_id = t.p AND c.pack_offset = t.po
					AND c.condemned_at IS NULL""")
			.param(moved.stream().map(Moved::sha256).toArray(String[]::new))
			.param(moved.stream().map(Moved::oldPack).toArray(String[]::new))
			.param(moved.stream().map(Moved::oldOffset).toArray(Long[]::new))
			.param(moved.stream().map(Moved::newPack).toArray(String[]::new))
			.param(moved.stream().map(Moved::newOffset).toArray(Long[]::new))
			.param(project)
			.update();
		db.sql("""
				UPDATE backup_contents SET condemned_at = clock_timestamp()
				WHERE project = ? AND pack_id = ANY (?::varchar[]) AND condemned_at IS NULL""")
			.param(project).param(oldPacks.toArray(String[]::new))
			.update();
	}

	/** Writes again every manifest that references an old pack; returns how many were written. */
	private int rewriteManifests(String project, Set<String> oldPacks, Map<String, Set<String>> manifests,
			List<Moved> moved, JdbcClient db) {
		Map<String, Map<Long, Moved>> places = new HashMap<>();
		moved.forEach(m -> places.computeIfAbsent(m.oldPack(), pack -> new HashMap<>()).put(m.oldOffset(), m));
		int rewritten = 0;
		for (Map.Entry<String, Set<String>> manifest : manifests.entrySet()) {
			if (manifest.getValue().stream().anyMatch(oldPacks::contains)
					&& rewriteManifest(project, manifest.getKey(), places, db)) {
				rewritten++;
			}
		}
		return rewritten;
	}

	private boolean rewriteManifest(String project, String key, Map<String, Map<Long, Moved>> places, JdbcClient db) {
		Path file = null;
		try {
			file = Files.createTempFile("pss-manifest-", ".json.gz");
			GetObjectResponse read;
			try (ResponseInputStream<GetObjectResponse> in = this.store.get(key);
					Manifest.Reader entries = new Manifest.Reader(in);
					OutputStream out = Files.newOutputStream(file);
					Manifest.Writer writer = new Manifest.Writer(out)) {
				read = in.response();
				while (entries.hasNext()) {
					SnapshotEntry entry = entries.next();
					Moved to = (entry.pack() != null) ? places.getOrDefault(entry.pack(), Map.of()).get(entry.offset()) : null;
					writer.write((to != null && to.size() == entry.size()) ? entry.storedAt(
							ContentLocation.packed(entry.sha256(), entry.size(), to.newPack(), to.newOffset())) : entry);
				}
			}
			// retention may have deleted it meanwhile: it stays deleted
			if (!this.store.replace(key, read.eTag(), file, read.metadata())) {
				return false;
			}
			// its size in the backup space: a crash before this is repaired by the next collection's listing
			BackupObjects.resize(db, project, key, Files.size(file));
			return true;
		}
		catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException ex) {
			return false;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not rewrite " + key, ex);
		}
		finally {
			SnapshotEngine.deleteQuietly(file);
		}
	}

}
