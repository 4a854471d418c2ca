package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Removes a project's packs and blobs that no manifest references. Content the index knows is removed
 * only while its index rows are locked and none was used since the cutoff: a backup that reuses the
 * content either touched it first (then it stays) or waits for the lock and finds it gone (then it
 * stores the content again). Objects the index does not know (left by a crash before they were
 * recorded) are removed once older than the cutoff.
 */
final class GarbageCollector {

	private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

	private final S3Store store;

	private final SnapshotLayout layout;

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	GarbageCollector(S3Store store, SnapshotLayout layout, JdbcClient db, TransactionTemplate transactions) {
		this.store = store;
		this.layout = layout;
		this.db = db;
		this.transactions = transactions;
	}

	/** What a collection removed. */
	public record Result(int packs, int blobs, long bytes) {
	}

	Result collect(String project, Instant cutoff) {
		Set<String> packs = new HashSet<>();
		Set<String> blobs = new HashSet<>();
		mark(project, packs, blobs);
		int packsRemoved = 0;
		int blobsRemoved = 0;
		long bytes = 0;
		for (S3Object object : this.store.list(this.layout.packs(project)).toList()) {
			String pack = object.key().substring(this.layout.packs(project).length());
			if (!packs.contains(pack) && sweep(project, object, cutoff, "pack_id", pack)) {
				packsRemoved++;
				bytes += object.size();
			}
		}
		for (S3Object object : this.store.list(this.layout.blobs(project)).toList()) {
			String sha256 = object.key().substring(object.key().lastIndexOf('/') + 1);
			if (!blobs.contains(object.key()) && sweep(project, object, cutoff, "sha256", sha256)) {
				blobsRemoved++;
				bytes += object.size();
			}
		}
		if (packsRemoved + blobsRemoved > 0) {
			log.info("Garbage collection removed {} packs and {} blobs ({} bytes) of project {}", packsRemoved,
					blobsRemoved, bytes, project);
		}
		return new Result(packsRemoved, blobsRemoved, bytes);
	}

	/** Every pack and blob that a manifest of the project, of any storage, references. */
	private void mark(String project, Set<String> packs, Set<String> blobs) {
		for (S3Object manifest : this.store.list(this.layout.snapshots(project)).toList()) {
			if (SnapshotLayout.backupOf(manifest.key()) == null) {
				continue;
			}
			try (Manifest.Reader entries = new Manifest.Reader(this.store.get(manifest.key()))) {
				while (entries.hasNext()) {
					SnapshotEntry entry = entries.next();
					if (entry.pack() != null) {
						packs.add(entry.pack());
					}
					else if (entry.blob() != null) {
						blobs.add(entry.blob());
					}
				}
			}
			catch (UncheckedIOException ex) {
				throw new UncheckedIOException("Could not read " + manifest.key(), (IOException) ex.getCause());
			}
		}
	}

	/**
	 * Deletes one unreferenced object unless it or its content was used since the cutoff. The object
	 * is deleted while the content's rows are locked, so no backup can start relying on it meanwhile.
	 */
	private boolean sweep(String project, S3Object object, Instant cutoff, String column, String value) {
		try {
			return sweepLocked(project, object, cutoff, column, value);
		}
		catch (TransientDataAccessException ex) {
			// a lock timeout or deadlock with a backup: the object stays for the next collection
			log.debug("Garbage collection skipped {}", object.key(), ex);
			return false;
		}
	}

	private boolean sweepLocked(String project, S3Object object, Instant cutoff, String column, String value) {
		Boolean removed = this.transactions.execute(status -> {
			List<Instant> uses = this.db
				.sql("SELECT used_at FROM backup_contents WHERE project = ? AND " + column + " = ? ORDER BY sha256 FOR UPDATE")
				.param(project)
				.param(value)
				.query(Instant.class)
				.list();
			boolean recent = uses.isEmpty() ? object.lastModified().isAfter(cutoff)
					: uses.stream().anyMatch(used -> used.isAfter(cutoff));
			if (recent) {
				return false;
			}
			this.store.delete(List.of(object.key()));
			this.db.sql("DELETE FROM backup_contents WHERE project = ? AND " + column + " = ?")
				.param(project)
				.param(value)
				.update();
			return true;
		});
		return Boolean.TRUE.equals(removed);
	}

}
