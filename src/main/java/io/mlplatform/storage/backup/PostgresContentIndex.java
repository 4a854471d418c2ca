package io.mlplatform.storage.backup;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.space.BackupObjects;
import io.mlplatform.storage.backup.space.TextList;
import io.mlplatform.storage.snapshot.ContentIndex;
import io.mlplatform.storage.snapshot.ContentLocation;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * A project's content index in Postgres, as one run under a lease uses it: which contents the bucket
 * already holds and where. Content
 * a collection condemned is revived by the lookup that finds it (see {@link GarbageCollector}): the
 * row update either precedes the collection's delete of that row, which then keeps the content, or
 * finds the row gone, and the content is stored again.
 */
final class PostgresContentIndex implements ContentIndex {

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final SnapshotLayout layout;

	private final String project;

	/** The run's {@link BackupLease}: content is recorded only while it holds. */
	private final UUID lease;

	PostgresContentIndex(JdbcClient db, TransactionTemplate transactions, SnapshotLayout layout, String project,
			UUID lease) {
		this.db = db;
		this.transactions = transactions;
		this.layout = layout;
		this.project = project;
		this.lease = lease;
	}

	/**
	 * The stored contents among {@code sha256s}, condemned ones revived. Content not found goes into a
	 * new pack, whose key no collection can be deleting.
	 */
	@Override
	public Map<String, ContentLocation> find(Collection<String> sha256s) {
		String project = this.project;
		Map<String, ContentLocation> found = new HashMap<>();
		if (sha256s.isEmpty()) {
			return found;
		}
		// the outer query sees the rows as before the update: condemned ones come from the update only. The
		// hashes are sent once (a look-up of 1,000 is 65 KB to encode and parse) and read twice.
		this.db.sql("""
				WITH wanted AS (SELECT %s AS sha256s),
				revived AS (
					UPDATE backup_contents SET condemned_at = NULL, used_at = now()
					WHERE project = ? AND sha256 = ANY ((SELECT sha256s FROM wanted)::text[]) AND condemned_at IS NOT NULL
					RETURNING sha256, size, pack_id, pack_offset)
				SELECT sha256, size, pack_id, pack_offset FROM revived
				UNION ALL
				SELECT sha256, size, pack_id, pack_offset FROM backup_contents
				WHERE project = ? AND sha256 = ANY ((SELECT sha256s FROM wanted)::text[]) AND condemned_at IS NULL"""
			.formatted(TextList.ARRAY))
			.params(TextList.of(sha256s), project, project)
			.query((rs, row) -> {
				String sha256 = rs.getString(1);
				long size = rs.getLong(2);
				String pack = rs.getString(3);
				return (pack != null) ? ContentLocation.packed(sha256, size, pack, rs.getLong(4))
						: ContentLocation.blob(sha256, size, this.layout.blob(project, sha256));
			})
			.list()
			.forEach(location -> found.put(location.sha256(), location));
		return found;
	}

	/**
	 * A large content, if stored, revived if condemned. Content not found is uploaded under its
	 * sha256, the key a collection deletes: the lookup waits (on the advisory lock) for a collection
	 * that is deleting objects, so an upload after it never lands before a delete of the same key.
	 */
	@Override
	public ContentLocation findBlob(String sha256) {
		return this.transactions.execute(status -> {
			BackupLease.lockShared(this.db, this.project);
			return find(List.of(sha256)).get(sha256);
		});
	}

	/**
	 * Records contents whose objects are complete in the bucket; one that is already known keeps its
	 * place, and is no longer condemned. Only under a live lease: a backup whose lease expired may have uploaded into a collection
	 * that removes the same keys, and must not point the index at them.
	 */
	@Override
	public void record(List<ContentLocation> contents) {
		record(contents, objects(contents));
	}

	/**
	 * The objects holding {@code contents}, with their sizes: a pack holds its contents back to back from
	 * offset 0 (and a backup records all of a pack's contents at once), so it ends where its last one does.
	 */
	private List<BackupObjects.Stored> objects(List<ContentLocation> contents) {
		Map<String, BackupObjects.Stored> objects = new HashMap<>();
		for (ContentLocation content : contents) {
			if (content.pack() != null) {
				objects.merge(this.layout.pack(this.project, content.pack()),
						BackupObjects.Stored.pack(this.layout.pack(this.project, content.pack()),
								content.offset() + content.size()),
						(one, other) -> (one.size() >= other.size()) ? one : other);
			}
			else {
				String key = this.layout.blob(this.project, content.sha256());
				objects.put(key, BackupObjects.Stored.blob(key, content.size()));
			}
		}
		return List.copyOf(objects.values());
	}

	/**
	 * As {@link #record(List)}, counting the objects that hold the contents into the project's backup
	 * space in the same transaction: {@code objects} with the sizes the bucket gave (a mover's record).
	 */
	void record(List<ContentLocation> contents, List<BackupObjects.Stored> objects) {
		if (contents.isEmpty()) {
			return;
		}
		List<ContentLocation> stored = contents.stream().sorted(java.util.Comparator.comparing(ContentLocation::sha256)).toList();
		// a deadlock with another backup recording the same contents costs one attempt, not the backup
		for (int attempt = 1;; attempt++) {
			try {
				boolean recorded = Boolean.TRUE.equals(this.transactions.execute(status -> recordOnce(stored, objects)));
				if (!recorded) {
					throw BackupLease.lost(this.lease);
				}
				return;
			}
			catch (TransientDataAccessException ex) {
				if (attempt == 5) {
					throw ex;
				}
			}
		}
	}

	private boolean recordOnce(List<ContentLocation> stored, List<BackupObjects.Stored> objects) {
		int recorded = this.db.sql("""
				WITH lease AS (SELECT 1 FROM backup_leases
					WHERE id = ? AND finished_at IS NULL AND expires_at > now() FOR SHARE)
				INSERT INTO backup_contents (project, sha256, size, pack_id, pack_offset, used_at)
				SELECT ?, s, z, p, o, now() FROM unnest(%s, ?::bigint[], %s, ?::bigint[]) AS t(s, z, p, o)
				WHERE EXISTS (SELECT 1 FROM lease)
				ON CONFLICT (project, sha256) DO UPDATE SET used_at = now(), condemned_at = NULL"""
			.formatted(TextList.ARRAY, TextList.ARRAY))
			.param(this.lease)
			.param(this.project)
			.param(TextList.of(stored.stream().map(ContentLocation::sha256).toArray(String[]::new)))
			.param(stored.stream().map(ContentLocation::size).toArray(Long[]::new))
			.param(TextList.of(stored.stream().map(ContentLocation::pack).toArray(String[]::new)))
			.param(stored.stream().map(ContentLocation::offset).toArray(Long[]::new))
			.update();
		if (recorded == 0) {
			return false;
		}
		BackupObjects.record(this.db, this.project, objects);
		return true;
	}

}
