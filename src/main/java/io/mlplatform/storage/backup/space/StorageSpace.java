package io.mlplatform.storage.backup.space;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What each storage's snapshots keep in the backup bucket (migration V22): per storage, how many of its
 * snapshots reference each content. A snapshot is counted once, from its manifest, and uncounted once;
 * both are idempotent (a retry, or a collection counting what a commit counted meanwhile, changes
 * nothing), so the figures never count a snapshot twice.
 */
public final class StorageSpace {

	/**
	 * Contents per statement: a snapshot of millions of files is counted in statements of bounded size. Each
	 * statement's hashes are sent as one {@link TextList} of 65 bytes a hash; at 4,000 it stays under half a
	 * G1 region of 1 MB (a heap of 512 MB or more), so it is not a humongous object, each of which started a
	 * concurrent collection cycle (10,000 did: `-Xlog:gc`, 2026-12-05).
	 */
	private static final int CHUNK = 4_000;

	private StorageSpace() {
	}

	/**
	 * A storage's share of its project's backup space.
	 * @param exclusiveBytes contents only this storage's snapshots reference, and its manifests: what
	 * deleting all of its backups would free once garbage is collected
	 * @param sharedBytes contents its snapshots reference that other storages' snapshots reference too
	 * @param snapshots its snapshots counted
	 */
	public record Space(long exclusiveBytes, long sharedBytes, long snapshots) {
	}

	/**
	 * Counts a committed snapshot's contents, by sha256 with their sizes, unless it was counted (or
	 * uncounted) before. In the caller's transaction; false if it changed nothing.
	 */
	public static boolean count(JdbcClient db, String project, String storage, String backup,
			Map<String, Long> contents) {
		if (!firstSeen(db, project, storage, backup, true)) {
			return false;
		}
		// sorted, so that two counts of one storage lock its rows in one order: the hashes alone, in their
		// natural order (sorting 20,000 map entries with a comparator was a third of a commit's CPU)
		String[] sorted = contents.keySet().toArray(String[]::new);
		Arrays.sort(sorted);
		for (int from = 0; from < sorted.length; from += CHUNK) {
			String[] sha256s = Arrays.copyOfRange(sorted, from, Math.min(sorted.length, from + CHUNK));
			Long[] sizes = new Long[sha256s.length];
			for (int i = 0; i < sha256s.length; i++) {
				sizes[i] = contents.get(sha256s[i]);
			}
			db.sql("""
					INSERT INTO storage_contents AS c (project, storage, sha256, size, snapshots)
					SELECT ?, ?, s, z, 1 FROM unnest(%s, ?::bigint[]) AS u(s, z)
					ON CONFLICT (project, storage, sha256) DO UPDATE SET snapshots = c.snapshots + 1"""
				.formatted(TextList.ARRAY))
				.params(project, storage, TextList.of(sha256s), sizes)
				.update();
		}
		return true;
	}

	/**
	 * Uncounts a snapshot whose manifest is about to be deleted, if it was counted; it stays known as
	 * uncounted, so that it is never counted again. In the caller's transaction.
	 */
	public static boolean uncount(JdbcClient db, String project, String storage, String backup,
			Map<String, Long> contents) {
		// never counted: it stays uncounted (a collection that read its manifest never counts it)
		if (firstSeen(db, project, storage, backup, false)) {
			return false;
		}
		int uncounted = db.sql("""
				UPDATE counted_snapshots SET counted = false
				WHERE project = ? AND storage = ? AND backup = ? AND counted""")
			.params(project, storage, backup)
			.update();
		if (uncounted == 0) {
			return false;
		}
		List<String> sorted = contents.keySet().stream().sorted().toList();
		for (int from = 0; from < sorted.size(); from += CHUNK) {
			byte[] sha256s = TextList.of(sorted.subList(from, Math.min(sorted.size(), from + CHUNK)));
			db.sql("""
					DELETE FROM storage_contents
					WHERE project = ? AND storage = ? AND sha256 = ANY (%s) AND snapshots = 1"""
				.formatted(TextList.ARRAY))
				.params(project, storage, sha256s)
				.update();
			db.sql("""
					UPDATE storage_contents SET snapshots = snapshots - 1
					WHERE project = ? AND storage = ? AND sha256 = ANY (%s)"""
				.formatted(TextList.ARRAY))
				.params(project, storage, sha256s)
				.update();
		}
		return true;
	}

	/** Records a snapshot as counted or not, unless it is known: whether it was not. */
	private static boolean firstSeen(JdbcClient db, String project, String storage, String backup, boolean counted) {
		return db.sql("""
				INSERT INTO counted_snapshots (project, storage, backup, counted) VALUES (?, ?, ?, ?)
				ON CONFLICT DO NOTHING""")
			.params(project, storage, backup, counted)
			.update() == 1;
	}

	/** The snapshots counted or uncounted of a project, by storage, backup: what a collection knows already. */
	public static Map<String, Boolean> known(JdbcClient db, String project) {
		Map<String, Boolean> known = new java.util.HashMap<>();
		db.sql("SELECT storage, backup, counted FROM counted_snapshots WHERE project = ?")
			.param(project)
			.query(rs -> {
				known.put(rs.getString(1) + "/" + rs.getString(2), rs.getBoolean(3));
			});
		return known;
	}

	/** Forgets that snapshots were uncounted once no listing shows their manifests any more. */
	public static void forgetUncounted(JdbcClient db, String project, java.util.Collection<String> storageSlashBackup) {
		if (storageSlashBackup.isEmpty()) {
			return;
		}
		db.sql("""
				DELETE FROM counted_snapshots
				WHERE project = ? AND NOT counted AND (storage || '/' || backup) = ANY (?::varchar[])""")
			.params(project, storageSlashBackup.toArray(String[]::new))
			.update();
	}

	/** One storage's share; zeros for a storage without counted snapshots. */
	public static Space of(JdbcClient db, String project, String storage) {
		return db.sql("""
				SELECT
					coalesce(sum(c.size) FILTER (WHERE NOT EXISTS (SELECT 1 FROM storage_contents o
						WHERE o.project = c.project AND o.sha256 = c.sha256 AND o.storage <> c.storage)), 0)
					+ (SELECT coalesce(sum(size), 0) FROM backup_objects
						WHERE project = :project AND storage = :storage),
					coalesce(sum(c.size) FILTER (WHERE EXISTS (SELECT 1 FROM storage_contents o
						WHERE o.project = c.project AND o.sha256 = c.sha256 AND o.storage <> c.storage)), 0),
					(SELECT count(*) FROM counted_snapshots WHERE project = :project AND storage = :storage AND counted)
				FROM storage_contents c WHERE c.project = :project AND c.storage = :storage""")
			.param("project", project)
			.param("storage", storage)
			.query((rs, row) -> new Space(rs.getLong(1), rs.getLong(2), rs.getLong(3)))
			.single();
	}

}
