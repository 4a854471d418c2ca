package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Removes a project's packs and blobs that no manifest references.
 * <p>
 * A running backup may rely on any content of the index (it reuses what is stored, including content
 * only an expired snapshot still referenced), so a collection removes nothing while a backup of the
 * project holds a live {@link BackupLease}, nor while one finished after the collection started to
 * read the manifests (its manifest may be missing from what was read). Those facts are checked under
 * an advisory lock that new leases wait for, held until the objects are deleted: a backup starting
 * meanwhile finds the index without the removed contents and stores them again. Index rows go first,
 * in the transaction that decided, then the objects, so the index never points at a missing object;
 * objects the index does not know (left by a crash, or by a collection that failed after its commit)
 * are removed once older than the grace period, and rows whose object is gone are forgotten.
 */
final class GarbageCollector {

	private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

	private final S3Store store;

	private final SnapshotLayout layout;

	private final DataSource dataSource;

	GarbageCollector(S3Store store, SnapshotLayout layout, DataSource dataSource) {
		this.store = store;
		this.layout = layout;
		this.dataSource = dataSource;
	}

	/**
	 * What a collection removed.
	 * @param busy whether it removed nothing because a backup of the project was running
	 */
	public record Result(int packs, int blobs, long bytes, boolean busy) {

		public Result(int packs, int blobs, long bytes) {
			this(packs, blobs, bytes, false);
		}

	}

	/** @param grace content recorded (or, unknown to the index, uploaded) more recently stays */
	Result collect(String project, Duration grace) {
		JdbcClient pooled = JdbcClient.create(this.dataSource);
		Instant started = pooled.sql("SELECT now()").query(Instant.class).single();
		Instant cutoff = started.minus(grace);
		Set<String> packs = new HashSet<>();
		Set<String> blobs = new HashSet<>();
		mark(project, packs, blobs);
		try (Connection connection = this.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			JdbcClient db = JdbcClient.create(single);
			db.sql("SELECT pg_advisory_lock(?, hashtext(?))").param(BackupLease.LOCK_SPACE).param(project)
				.query((rs, row) -> 1).list();
			try {
				return collectLocked(project, started, cutoff, packs, blobs, db,
						new TransactionTemplate(new DataSourceTransactionManager(single)));
			}
			finally {
				db.sql("SELECT pg_advisory_unlock(?, hashtext(?))").param(BackupLease.LOCK_SPACE).param(project)
					.query((rs, row) -> 1).list();
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not collect garbage of project " + project, ex);
		}
	}

	private Result collectLocked(String project, Instant started, Instant cutoff, Set<String> packs,
			Set<String> blobs, JdbcClient db, TransactionTemplate transactions) {
		// listed under the lock: no backup adds objects the index knows while it is held
		Map<String, S3Object> packObjects = new HashMap<>();
		this.store.list(this.layout.packs(project))
			.forEach(o -> packObjects.put(o.key().substring(this.layout.packs(project).length()), o));
		Map<String, S3Object> blobObjects = new HashMap<>();
		this.store.list(this.layout.blobs(project))
			.forEach(o -> blobObjects.put(o.key().substring(o.key().lastIndexOf('/') + 1), o));
		Decision decision = transactions.execute(status -> decide(project, started, cutoff, packs, blobs,
				packObjects, blobObjects, db));
		if (decision == null || decision.busy()) {
			log.debug("Garbage collection of project {} skipped: a backup of it is running", project);
			return new Result(0, 0, 0, true);
		}
		List<String> keys = new ArrayList<>();
		long bytes = 0;
		int packsRemoved = 0;
		int blobsRemoved = 0;
		for (String pack : decision.packs()) {
			S3Object object = packObjects.get(pack);
			if (object != null) {
				keys.add(object.key());
				bytes += object.size();
				packsRemoved++;
			}
		}
		for (String sha256 : decision.blobs()) {
			S3Object object = blobObjects.get(sha256);
			if (object != null) {
				keys.add(object.key());
				bytes += object.size();
				blobsRemoved++;
			}
		}
		this.store.delete(keys);
		if (packsRemoved + blobsRemoved + decision.forgotten() > 0) {
			log.info("Garbage collection removed {} packs and {} blobs ({} bytes) of project {}, and forgot {} "
					+ "contents whose objects were gone", packsRemoved, blobsRemoved, bytes, project,
					decision.forgotten());
		}
		return new Result(packsRemoved, blobsRemoved, bytes, false);
	}

	private record Decision(boolean busy, Set<String> packs, Set<String> blobs, int forgotten) {
	}

	/**
	 * In one transaction: whether a backup is running or finished since the collection started, and
	 * if not, the index rows removed (with the objects to delete after commit).
	 */
	private Decision decide(String project, Instant started, Instant cutoff, Set<String> packs, Set<String> blobs,
			Map<String, S3Object> listedPacks, Map<String, S3Object> listedBlobs, JdbcClient db) {
		// a lease that expired belongs to a dead (or cut off) backup; deleting it makes that backup fail
		db.sql("DELETE FROM backup_leases WHERE project = ? AND finished_at IS NULL AND expires_at <= now()")
			.param(project)
			.update();
		db.sql("DELETE FROM backup_leases WHERE project = ? AND finished_at < ?").param(project).param(timestamp(cutoff)).update();
		boolean busy = db.sql("""
				SELECT EXISTS (SELECT 1 FROM backup_leases
					WHERE project = ? AND (finished_at IS NULL OR finished_at >= ?))""")
			.param(project)
			.param(timestamp(started))
			.query(Boolean.class)
			.single();
		if (busy) {
			return new Decision(true, Set.of(), Set.of(), 0);
		}
		// packs no manifest references and none of whose contents was recorded within the grace period
		Set<String> removedPacks = new HashSet<>(db.sql("""
				DELETE FROM backup_contents WHERE project = ? AND pack_id IN (
					SELECT pack_id FROM backup_contents WHERE project = ? AND pack_id IS NOT NULL
						AND NOT (pack_id = ANY (?::varchar[]))
					GROUP BY pack_id HAVING max(used_at) < ?)
				RETURNING pack_id""")
			.param(project).param(project).param(packs.toArray(String[]::new)).param(timestamp(cutoff))
			.query(String.class)
			.list());
		Set<String> referencedBlobs = new HashSet<>();
		blobs.forEach(key -> referencedBlobs.add(key.substring(key.lastIndexOf('/') + 1)));
		Set<String> removedBlobs = new HashSet<>(db.sql("""
				DELETE FROM backup_contents WHERE project = ? AND pack_id IS NULL AND used_at < ?
					AND NOT (sha256 = ANY (?::varchar[]))
				RETURNING sha256""")
			.param(project).param(timestamp(cutoff)).param(referencedBlobs.toArray(String[]::new))
			.query(String.class)
			.list());
		// rows whose object is gone (lost by an old crash or by hand): a backup must store that content again
		int forgotten = db.sql("""
				DELETE FROM backup_contents WHERE project = ? AND (
					(pack_id IS NOT NULL AND NOT (pack_id = ANY (?::varchar[])))
					OR (pack_id IS NULL AND NOT (sha256 = ANY (?::varchar[]))))""")
			.param(project)
			.param(listedPacks.keySet().toArray(String[]::new))
			.param(listedBlobs.keySet().toArray(String[]::new))
			.update();
		// objects nobody references that the index does not know either, once past the grace period
		Set<String> knownPacks = new HashSet<>(db.sql(
				"SELECT DISTINCT pack_id FROM backup_contents WHERE project = ? AND pack_id IS NOT NULL")
			.param(project).query(String.class).list());
		Set<String> knownBlobs = new HashSet<>(db.sql(
				"SELECT sha256 FROM backup_contents WHERE project = ? AND pack_id IS NULL")
			.param(project).query(String.class).list());
		return new Decision(false, orphans(removedPacks, listedPacks, packs, knownPacks, cutoff),
				orphans(removedBlobs, listedBlobs, referencedBlobs, knownBlobs, cutoff), forgotten);
	}

	private static OffsetDateTime timestamp(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static Set<String> orphans(Set<String> removed, Map<String, S3Object> listed, Set<String> referenced,
			Set<String> known, Instant cutoff) {
		Set<String> doomed = new HashSet<>(removed);
		listed.forEach((name, object) -> {
			if (!referenced.contains(name) && !known.contains(name) && object.lastModified().isBefore(cutoff)) {
				doomed.add(name);
			}
		});
		return doomed;
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

}
