package io.mlplatform.storage.backup.space;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The objects of a project's part of the backup bucket, as PostgreSQL counts them (migration V22): the
 * project's backup space is the sum of their sizes, kept in {@code backup_space} by a trigger. Every
 * writer of objects tells this class what it wrote or deleted, in its own transaction, never inside a
 * request to S3; a garbage collection, which lists the bucket anyway, repairs what a crash between an
 * object's request and its row left behind ({@link #reconcile}).
 */
public final class BackupObjects {

	private BackupObjects() {
	}

	/** One object, by its full key. @param storage the storage (id) of a manifest; null for the rest */
	public record Stored(String key, String kind, String storage, long size) {

		public static Stored pack(String key, long size) {
			return new Stored(key, "pack", null, size);
		}

		public static Stored blob(String key, long size) {
			return new Stored(key, "blob", null, size);
		}

		public static Stored manifest(String key, String storage, long size) {
			return new Stored(key, "manifest", storage, size);
		}

	}

	/**
	 * Counts objects complete in the bucket, in the caller's transaction. One counted already keeps its
	 * row, grown if this says it is larger (a pack whose contents a mover records in several calls).
	 */
	public static void record(JdbcClient db, String project, Collection<Stored> objects) {
		if (objects.isEmpty()) {
			return;
		}
		// one order for every writer: two backups recording the same blob never wait on each other in a cycle
		List<Stored> sorted = objects.stream().sorted(Comparator.comparing(Stored::key)).toList();
		db.sql("""
				INSERT INTO backup_objects AS o (project, key, kind, storage, size)
				SELECT ?, k, t, s, z FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::bigint[]) AS u(k, t, s, z)
				ON CONFLICT (project, key) DO UPDATE SET size = EXCLUDED.size WHERE o.size < EXCLUDED.size""")
			.param(project)
			.param(sorted.stream().map(Stored::key).toArray(String[]::new))
			.param(sorted.stream().map(Stored::kind).toArray(String[]::new))
			.param(sorted.stream().map(Stored::storage).toArray(String[]::new))
			.param(sorted.stream().map(Stored::size).toArray(Long[]::new))
			.update();
	}

	/** The sizes counted of those of these objects that are counted, by key. */
	public static Map<String, Long> sizes(JdbcClient db, String project, Collection<String> keys) {
		Map<String, Long> sizes = new HashMap<>();
		if (!keys.isEmpty()) {
			db.sql("SELECT key, size FROM backup_objects WHERE project = ? AND key = ANY (?::varchar[])")
				.param(project)
				.param(keys.toArray(String[]::new))
				.query(rs -> {
					sizes.put(rs.getString(1), rs.getLong(2));
				});
		}
		return sizes;
	}

	/** Stops counting objects the bucket no longer holds: called once their DELETE succeeded. */
	public static void forget(JdbcClient db, String project, Collection<String> keys) {
		if (keys.isEmpty()) {
			return;
		}
		db.sql("DELETE FROM backup_objects WHERE project = ? AND key = ANY (?::varchar[])")
			.param(project)
			.param(keys.stream().sorted().toArray(String[]::new))
			.update();
	}

	/** The snapshot times known of a storage's manifests, by key. */
	public static Map<String, Instant> snapshotTimes(JdbcClient db, String project, String storage) {
		Map<String, Instant> times = new HashMap<>();
		db.sql("""
				SELECT key, snapshot_time FROM backup_objects
				WHERE project = ? AND storage = ? AND snapshot_time IS NOT NULL""")
			.params(project, storage)
			.query(rs -> {
				times.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant());
			});
		return times;
	}

	/** Keeps a manifest's snapshot time once its object is counted: it never changes. */
	public static void rememberSnapshotTime(JdbcClient db, String project, String key, Instant time) {
		db.sql("""
				UPDATE backup_objects SET snapshot_time = ?
				WHERE project = ? AND key = ? AND kind = 'manifest' AND snapshot_time IS NULL""")
			.params(time.atOffset(ZoneOffset.UTC), project, key)
			.update();
	}

	/** An object written again under its key (a manifest a pack rewrite changed): its new size. */
	public static void resize(JdbcClient db, String project, String key, long size) {
		db.sql("UPDATE backup_objects SET size = ? WHERE project = ? AND key = ?").params(size, project, key).update();
	}

	/** What the project keeps in the bucket, in bytes; 0 for one that never backed up. */
	public static long used(JdbcClient db, String project) {
		return db.sql("SELECT least(used_bytes, 9223372036854775807)::bigint FROM backup_space WHERE project = ?")
			.param(project)
			.query(Long.class)
			.optional()
			.orElse(0L);
	}

	/** An object as a listing of the bucket shows it. */
	public record Listed(String kind, String storage, long size, Instant lastModified) {
	}

	/** What a repair changed: rows added, removed, resized. */
	public record Repaired(int added, int removed, int resized) {

		public boolean any() {
			return this.added + this.removed + this.resized > 0;
		}

	}

	/**
	 * Makes the rows agree with a listing of the project's whole prefix that started at {@code listed}
	 * (the database's clock): objects listed but not counted are counted (a crash between their PUT and
	 * their record, or backups written before their space was counted: the one-off backfill); rows
	 * recorded before the listing whose object it did not show are removed (a crash between a DELETE and
	 * forgetting it); sizes are taken from the listing. Rows recorded since the listing started are left
	 * as they are: the listing may predate their objects. In the caller's transaction.
	 */
	public static Repaired reconcile(JdbcClient db, String project, Instant listed, Map<String, Listed> objects) {
		Map<String, Long> counted = new HashMap<>();
		Map<String, Boolean> recent = new HashMap<>();
		OffsetDateTime since = listed.atOffset(ZoneOffset.UTC);
		db.sql("SELECT key, size, recorded_at >= ? FROM backup_objects WHERE project = ?")
			.param(since)
			.param(project)
			.query(rs -> {
				counted.put(rs.getString(1), rs.getLong(2));
				recent.put(rs.getString(1), rs.getBoolean(3));
			});
		List<Stored> missing = new java.util.ArrayList<>();
		List<Stored> resized = new java.util.ArrayList<>();
		objects.forEach((key, object) -> {
			Long size = counted.get(key);
			Stored stored = new Stored(key, object.kind(), object.storage(), object.size());
			if (size == null) {
				missing.add(stored);
			}
			else if (size != object.size() && !recent.get(key)) {
				resized.add(stored);
			}
		});
		List<String> gone = counted.keySet()
			.stream()
			.filter(key -> !objects.containsKey(key) && !recent.get(key))
			.toList();
		record(db, project, missing);
		resized.forEach(object -> resize(db, project, object.key(), object.size()));
		forget(db, project, gone);
		return new Repaired(missing.size(), gone.size(), resized.size());
	}

}
