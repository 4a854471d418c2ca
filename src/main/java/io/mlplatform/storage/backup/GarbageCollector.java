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
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.space.BackupObjects;
import io.mlplatform.storage.backup.space.StorageSpace;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * Removes a project's packs and blobs that no manifest references, in two phases, so that backups
 * running all the time do not keep it from ever removing anything.
 * <p>
 * Each collection reads every manifest of the project, then, under an advisory lock that new leases
 * and large-content lookups wait for, in one transaction:
 * <ol>
 * <li>content a manifest references is no longer condemned (a backup that started before its
 * condemnation wrote a manifest that references it);</li>
 * <li>phase 1 <em>condemns</em> content no manifest references and that was not recorded within the
 * grace period ({@code condemned_at} on its index rows, and the pack in
 * {@code backup_condemned_packs}); backups that look it up from then on revive it, in the statement
 * that finds it;</li>
 * <li>phase 2 deletes the rows of condemned content once every backup and restore that started
 * before the condemnation has ended before this collection read the manifests (so their manifests
 * were read): a backup that started later found the content condemned, and revived it if it used it.
 * A pack is deleted only if none of its rows was revived.</li>
 * </ol>
 * The objects of deleted rows are deleted after commit, still under the lock: a backup that looks up a
 * large content (whose key is its sha256) waits for it, so it never uploads the key before the delete
 * of the same key and then records it. A revival either commits before the delete of its row (which
 * then skips the row, its {@code condemned_at} gone) or finds the row deleted (and stores the content
 * again). When nothing of the project runs, phase 2 deletes what phase 1 just condemned.
 * <p>
 * Objects the index does not know (left by a crash) are condemned too once older than the grace
 * period: a pack as a whole, a blob as an index row of its own, so that a backup revives it rather than
 * uploading its key again. Rows recorded before the collection started whose object is gone are
 * forgotten. One collection of a project runs at a time, on any replica (a second advisory lock).
 */
final class GarbageCollector {

	private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

	/** First key of the advisory lock that lets one collection of a project run at a time. */
	static final int COLLECTOR_LOCK_SPACE = BackupLease.LOCK_SPACE + 1;

	private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

	private final S3Store store;

	private final SnapshotLayout layout;

	private final DataSource dataSource;

	private final PackRewriter rewriter;

	GarbageCollector(S3Store store, SnapshotLayout layout, DataSource dataSource, PackRewriter rewriter) {
		this.store = store;
		this.layout = layout;
		this.dataSource = dataSource;
		this.rewriter = rewriter;
	}

	/**
	 * What a collection did.
	 * @param packs packs deleted
	 * @param blobs blobs deleted
	 * @param bytes bytes of the objects deleted
	 * @param condemned packs and blobs condemned by this collection
	 * @param pending condemned packs and blobs left for a later collection: a backup or restore that
	 * started before their condemnation still runs
	 * @param packsRewritten mostly unreferenced packs whose live contents were copied into new packs (the
	 * old ones condemned)
	 * @param bytesReclaimed what deleting the rewritten packs frees, beyond the new packs' size
	 */
	public record Result(int packs, int blobs, long bytes, int condemned, int pending, int packsRewritten,
			long bytesReclaimed) {
	}

	/** @param grace content recorded (or, unknown to the index, uploaded) more recently stays */
	Result collect(String project, Duration grace) {
		try (Connection connection = this.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			JdbcClient db = JdbcClient.create(single);
			TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(single));
			lock(db, COLLECTOR_LOCK_SPACE, project);
			try {
				return collectAlone(project, grace, db, transactions);
			}
			finally {
				unlock(db, COLLECTOR_LOCK_SPACE, project);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not collect garbage of project " + project, ex);
		}
	}

	private static void lock(JdbcClient db, int space, String project) {
		db.sql("SELECT pg_advisory_lock(?, hashtext(?))").param(space).param(project).query((rs, row) -> 1).list();
	}

	private static void unlock(JdbcClient db, int space, String project) {
		db.sql("SELECT pg_advisory_unlock(?, hashtext(?))").param(space).param(project).query((rs, row) -> 1).list();
	}

	private Result collectAlone(String project, Duration grace, JdbcClient db, TransactionTemplate transactions) {
		Instant started = db.sql("SELECT now()").query(Instant.class).single();
		Instant cutoff = started.minus(grace);
		Map<String, PackRewriter.Ranges> ranges = new HashMap<>();
		Map<String, Set<String>> manifests = new HashMap<>();
		Set<String> blobs = new HashSet<>();
		Map<String, Boolean> known = StorageSpace.known(db, project);
		Map<String, Map<String, Long>> uncounted = new HashMap<>();
		mark(project, ranges, manifests, blobs, known, uncounted, cutoff);
		Set<String> packs = ranges.keySet();
		// the whole prefix, listed once: the packs and blobs to collect, and every object the backup space counts
		Map<String, S3Object> packObjects = new HashMap<>();
		Map<String, S3Object> blobObjects = new HashMap<>();
		Map<String, BackupObjects.Listed> listed = new HashMap<>();
		this.store.list(this.layout.project(project)).forEach(o -> {
			String key = o.key();
			String kind = "other";
			String storage = null;
			if (key.startsWith(this.layout.packs(project))) {
				packObjects.put(key.substring(this.layout.packs(project).length()), o);
				kind = "pack";
			}
			else if (key.startsWith(this.layout.blobs(project))) {
				blobObjects.put(key.substring(key.lastIndexOf('/') + 1), o);
				kind = "blob";
			}
			else if (key.startsWith(this.layout.snapshots(project)) && SnapshotLayout.backupOf(key) != null) {
				String path = key.substring(this.layout.snapshots(project).length());
				if (path.indexOf('/') > 0 && path.indexOf('/') == path.lastIndexOf('/')) {
					kind = "manifest";
					storage = path.substring(0, path.indexOf('/'));
				}
			}
			listed.put(key, new BackupObjects.Listed(kind, storage, o.size(), o.lastModified()));
		});
		Decision decision;
		long bytes = 0;
		lock(db, BackupLease.LOCK_SPACE, project);
		try {
			decision = transactions.execute(status -> decide(project, started, cutoff, packs, blobs,
					packObjects, blobObjects, db));
			List<String> keys = new ArrayList<>();
			for (String pack : decision.packs()) {
				keys.add(this.layout.pack(project, pack));
				S3Object object = packObjects.get(pack);
				bytes += (object != null) ? object.size() : 0;
			}
			for (String sha256 : decision.blobs()) {
				keys.add(this.layout.blob(project, sha256));
				S3Object object = blobObjects.get(sha256);
				bytes += (object != null) ? object.size() : 0;
			}
			this.store.delete(keys);
			BackupObjects.forget(db, project, keys);
			keys.forEach(listed::remove);
		}
		finally {
			unlock(db, BackupLease.LOCK_SPACE, project);
		}
		countSpace(project, started, listed, known, uncounted, db, transactions);
		if (decision.packs().size() + decision.blobs().size() + decision.condemned() + decision.forgotten() > 0) {
			log.info("Garbage collection of project {} removed {} packs and {} blobs ({} bytes), condemned {}, "
					+ "left {} condemned for backups and restores still running, and forgot {} contents whose "
					+ "objects were gone", project, decision.packs().size(), decision.blobs().size(), bytes,
					decision.condemned(), decision.pending(), decision.forgotten());
		}
		PackRewriter.Outcome rewritten = this.rewriter.rewrite(project, cutoff, ranges, manifests, packObjects, db,
				transactions);
		return new Result(decision.packs().size(), decision.blobs().size(), bytes, decision.condemned(),
				decision.pending(), rewritten.packs(), rewritten.bytesReclaimed());
	}

	/**
	 * Makes the backup space agree with this collection's listing (see {@link BackupObjects#reconcile}),
	 * counts the snapshots no commit counted in their storages' shares (written before the space was
	 * counted, or committed by a process that died before counting), and forgets the snapshots uncounted
	 * whose manifests are gone.
	 */
	private static void countSpace(String project, Instant started, Map<String, BackupObjects.Listed> listed,
			Map<String, Boolean> known, Map<String, Map<String, Long>> uncounted, JdbcClient db,
			TransactionTemplate transactions) {
		BackupObjects.Repaired repaired = transactions
			.execute(status -> BackupObjects.reconcile(db, project, started, listed));
		if (repaired.any()) {
			log.info("Garbage collection of project {} counted {} objects in its backup space that were not, and "
					+ "stopped counting {} gone and resized {}", project, repaired.added(), repaired.removed(),
					repaired.resized());
		}
		uncounted.forEach((snapshot, contents) -> transactions.executeWithoutResult(status -> StorageSpace.count(db,
				project, snapshot.substring(0, snapshot.indexOf('/')), snapshot.substring(snapshot.indexOf('/') + 1),
				contents)));
		Set<String> listedSnapshots = new HashSet<>();
		listed.forEach((key, object) -> {
			if ("manifest".equals(object.kind())) {
				listedSnapshots.add(object.storage() + "/" + SnapshotLayout.backupOf(key));
			}
		});
		StorageSpace.forgetUncounted(db, project, known.entrySet()
			.stream()
			.filter(snapshot -> !snapshot.getValue() && !listedSnapshots.contains(snapshot.getKey()))
			.map(Map.Entry::getKey)
			.toList());
	}

	private record Decision(Set<String> packs, Set<String> blobs, int condemned, int pending, int forgotten) {
	}

	/** In one transaction: what is no longer condemned, what is condemned now, what is deleted. */
	private Decision decide(String project, Instant started, Instant cutoff, Set<String> packs, Set<String> blobs,
			Map<String, S3Object> listedPacks, Map<String, S3Object> listedBlobs, JdbcClient db) {
		String[] referencedPacks = packs.toArray(String[]::new);
		Set<String> referencedBlobs = new HashSet<>();
		blobs.forEach(key -> referencedBlobs.add(key.substring(key.lastIndexOf('/') + 1)));
		String[] referencedSha256s = referencedBlobs.toArray(String[]::new);
		// a lease that expired belongs to a dead (or cut off) backup; deleting it makes that backup fail
		db.sql("DELETE FROM backup_leases WHERE project = ? AND finished_at IS NULL AND expires_at <= now()")
			.param(project)
			.update();
		db.sql("DELETE FROM backup_leases WHERE project = ? AND finished_at < ?").param(project).param(timestamp(cutoff)).update();

		// what a manifest references is not garbage, whoever condemned it
		db.sql("""
				UPDATE backup_contents SET condemned_at = NULL
				WHERE project = ? AND condemned_at IS NOT NULL
					AND (pack_id = ANY (?::varchar[]) OR (pack_id IS NULL AND sha256 = ANY (?::varchar[])))""")
			.param(project).param(referencedPacks).param(referencedSha256s)
			.update();
		db.sql("DELETE FROM backup_condemned_packs WHERE project = ? AND pack_id = ANY (?::varchar[])")
			.param(project).param(referencedPacks)
			.update();

		// rows whose object is gone (lost by an old crash or by hand): a backup must store that content again
		int forgotten = db.sql("""
				DELETE FROM backup_contents WHERE project = ? AND used_at < ? AND (
					(pack_id IS NOT NULL AND NOT (pack_id = ANY (?::varchar[])))
					OR (pack_id IS NULL AND NOT (sha256 = ANY (?::varchar[]))))""")
			.param(project)
			.param(timestamp(started))
			.param(listedPacks.keySet().toArray(String[]::new))
			.param(listedBlobs.keySet().toArray(String[]::new))
			.update();

		int condemned = condemn(project, cutoff, referencedPacks, referencedSha256s, listedPacks, listedBlobs, packs,
				referencedBlobs, db);

		// phase 2: condemned before every backup and restore whose manifest this collection may not have read
		// null when no lease matters: all that is condemned may go
		OffsetDateTime horizon = db.sql("""
				SELECT min(started_at) FROM backup_leases
				WHERE project = ? AND ((finished_at IS NULL AND expires_at > ?) OR finished_at >= ?)""")
			.param(project).param(timestamp(started)).param(timestamp(started))
			.query(OffsetDateTime.class)
			.list()
			.get(0);
		Set<String> removedBlobs = new HashSet<>(db.sql("""
				DELETE FROM backup_contents WHERE project = ? AND pack_id IS NULL
					AND condemned_at < coalesce(?::timestamptz, 'infinity')
				RETURNING sha256""")
			.param(project).param(horizon)
			.query(String.class)
			.list());
		String[] due = db.sql("""
				DELETE FROM backup_condemned_packs
				WHERE project = ? AND condemned_at < coalesce(?::timestamptz, 'infinity') RETURNING pack_id""")
			.param(project).param(horizon)
			.query(String.class)
			.list()
			.toArray(String[]::new);
		db.sql("DELETE FROM backup_contents WHERE project = ? AND pack_id = ANY (?::varchar[]) AND condemned_at IS NOT NULL")
			.param(project).param(due)
			.update();
		// a pack with a revived content stays; its other contents are unreferenced garbage within it
		Set<String> removedPacks = new HashSet<>(List.of(due));
		removedPacks.removeAll(db.sql("SELECT DISTINCT pack_id FROM backup_contents WHERE project = ? AND pack_id = ANY (?::varchar[])")
			.param(project).param(due)
			.query(String.class)
			.list());
		int pending = db.sql("""
				SELECT (SELECT count(*) FROM backup_condemned_packs WHERE project = :project)
					+ (SELECT count(*) FROM backup_contents
						WHERE project = :project AND pack_id IS NULL AND condemned_at IS NOT NULL)""")
			.param("project", project)
			.query(Integer.class)
			.single();
		return new Decision(removedPacks, removedBlobs, condemned, pending, forgotten);
	}

	/**
	 * Phase 1: condemns the blobs and packs that no manifest references and that were not recorded
	 * within the grace period, and the objects older than that the index does not know. Timed by the
	 * clock after the advisory lock was taken: later than the start of every lease taken before.
	 */
	private int condemn(String project, Instant cutoff, String[] referencedPacks, String[] referencedSha256s,
			Map<String, S3Object> listedPacks, Map<String, S3Object> listedBlobs, Set<String> packs,
			Set<String> referencedBlobs, JdbcClient db) {
		int blobsCondemned = db.sql("""
				UPDATE backup_contents SET condemned_at = clock_timestamp()
				WHERE project = ? AND pack_id IS NULL AND condemned_at IS NULL AND used_at < ?
					AND NOT (sha256 = ANY (?::varchar[]))""")
			.param(project).param(timestamp(cutoff)).param(referencedSha256s)
			.update();
		// only packs condemned now: a content revived in a pack condemned before must stay revived
		String[] packsCondemned = db.sql("""
				INSERT INTO backup_condemned_packs (project, pack_id, condemned_at)
				SELECT ?, pack_id, clock_timestamp() FROM backup_contents
				WHERE project = ? AND pack_id IS NOT NULL AND NOT (pack_id = ANY (?::varchar[]))
				GROUP BY pack_id HAVING max(used_at) < ?
				ON CONFLICT DO NOTHING
				RETURNING pack_id""")
			.param(project).param(project).param(referencedPacks).param(timestamp(cutoff))
			.query(String.class)
			.list()
			.toArray(String[]::new);
		db.sql("""
				UPDATE backup_contents SET condemned_at = clock_timestamp()
				WHERE project = ? AND pack_id = ANY (?::varchar[]) AND condemned_at IS NULL""")
			.param(project).param(packsCondemned)
			.update();
		// objects nobody references that the index does not know either, once past the grace period
		Set<String> knownPacks = new HashSet<>(db.sql(
				"SELECT DISTINCT pack_id FROM backup_contents WHERE project = ? AND pack_id IS NOT NULL")
			.param(project).query(String.class).list());
		int orphans = 0;
		for (String pack : unknown(listedPacks, packs, knownPacks, cutoff)) {
			orphans += db.sql("""
					INSERT INTO backup_condemned_packs (project, pack_id, condemned_at)
					VALUES (?, ?, clock_timestamp()) ON CONFLICT DO NOTHING""")
				.param(project).param(pack)
				.update();
		}
		Set<String> knownBlobs = new HashSet<>(db.sql(
				"SELECT sha256 FROM backup_contents WHERE project = ? AND pack_id IS NULL")
			.param(project).query(String.class).list());
		for (String sha256 : unknown(listedBlobs, referencedBlobs, knownBlobs, cutoff)) {
			if (!SHA256.matcher(sha256).matches()) {
				log.warn("Garbage collection of project {} leaves {} alone: not a blob this service writes", project,
						listedBlobs.get(sha256).key());
				continue;
			}
			// as a condemned row: a backup that needs this content revives it instead of uploading its key
			orphans += db.sql("""
					INSERT INTO backup_contents (project, sha256, size, used_at, condemned_at)
					VALUES (?, ?, ?, ?, clock_timestamp()) ON CONFLICT DO NOTHING""")
				.param(project).param(sha256).param(listedBlobs.get(sha256).size())
				.param(timestamp(listedBlobs.get(sha256).lastModified()))
				.update();
		}
		return blobsCondemned + packsCondemned.length + orphans;
	}

	private static OffsetDateTime timestamp(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	/** Listed objects that no manifest references, unknown to the index, last written before the cutoff. */
	private static List<String> unknown(Map<String, S3Object> listed, Set<String> referenced, Set<String> known,
			Instant cutoff) {
		List<String> unknown = new ArrayList<>();
		listed.forEach((name, object) -> {
			if (!referenced.contains(name) && !known.contains(name) && object.lastModified().isBefore(cutoff)) {
				unknown.add(name);
			}
		});
		return unknown;
	}

	/**
	 * Every pack (with the ranges of it) and blob that a manifest of the project, of any storage,
	 * references, and the packs each manifest references.
	 */
	private void mark(String project, Map<String, PackRewriter.Ranges> packs, Map<String, Set<String>> manifests,
			Set<String> blobs, Map<String, Boolean> known, Map<String, Map<String, Long>> uncounted, Instant cutoff) {
		for (S3Object manifest : this.store.list(this.layout.snapshots(project)).toList()) {
			if (SnapshotLayout.backupOf(manifest.key()) == null) {
				continue;
			}
			Set<String> referenced = manifests.computeIfAbsent(manifest.key(), key -> new HashSet<>());
			// a snapshot no commit counted in its storage's share, past the grace period of one being committed
			String snapshot = manifest.key().substring(this.layout.snapshots(project).length());
			snapshot = snapshot.substring(0, snapshot.length() - ".json.gz".length());
			Map<String, Long> contents = (!known.containsKey(snapshot) && snapshot.indexOf('/') > 0
					&& snapshot.indexOf('/') == snapshot.lastIndexOf('/') && manifest.lastModified().isBefore(cutoff))
							? new HashMap<>() : null;
			try (Manifest.Reader entries = new Manifest.Reader(this.store.get(manifest.key()))) {
				while (entries.hasNext()) {
					SnapshotEntry entry = entries.next();
					if (contents != null && entry.sha256() != null) {
						contents.put(entry.sha256(), entry.size());
					}
					if (entry.pack() != null) {
						packs.computeIfAbsent(entry.pack(), pack -> new PackRewriter.Ranges()).add(entry.offset(), entry.size());
						referenced.add(entry.pack());
					}
					else if (entry.blob() != null) {
						blobs.add(entry.blob());
					}
				}
			}
			catch (NoSuchKeyException ex) {
				// retention deleted it since the listing: it protects nothing any more
				manifests.remove(manifest.key());
				contents = null;
			}
			catch (UncheckedIOException ex) {
				throw new UncheckedIOException("Could not read " + manifest.key(), (IOException) ex.getCause());
			}
			if (contents != null) {
				uncounted.put(snapshot, contents);
			}
		}
	}

}
