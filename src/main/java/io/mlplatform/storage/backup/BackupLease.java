package io.mlplatform.storage.backup;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.snapshot.LeaseLostException;
import io.mlplatform.storage.snapshot.RunLease;

/**
 * A running backup's or restore's claim on its project's content, in Postgres: a collection deletes
 * content it condemned only once every lease that started before the condemnation has ended (see
 * {@link GarbageCollector}). Renewed in the background; a process that dies stops renewing and its
 * lease expires. A backup that finds its lease gone (it was paused past its expiry, and a collection
 * may have run) stores nothing more and writes no manifest. A mover's run holds one too, renewed by
 * its heartbeats through the static methods, whichever instance answers them.
 */
final class BackupLease implements RunLease, AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(BackupLease.class);

	/**
	 * First key of the advisory lock that orders lease creation (and large-content lookups) against a
	 * collection's condemnations and deletes.
	 */
	static final int LOCK_SPACE = 0x70737362;

	/** Backups record content; restores only read it. */
	enum Kind {

		BACKUP, RESTORE

	}

	private final JdbcClient db;

	private final UUID id;

	private final Duration ttl;

	private final ScheduledFuture<?> renewal;

	private volatile boolean lost;

	private boolean finished;

	private BackupLease(JdbcClient db, UUID id, Duration ttl, ScheduledExecutorService timer) {
		this.db = db;
		this.id = id;
		this.ttl = ttl;
		long every = Math.max(1, ttl.toMillis() / 3);
		this.renewal = timer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
	}

	/**
	 * Takes a lease for a backup of a project's storage, or a restore from it. Waits while a collection
	 * of the project condemns or deletes: a condemnation committed before this lease is seen by every
	 * lookup of the backup, and one committed after it is timed after this lease started.
	 */
	static BackupLease acquire(JdbcClient db, TransactionTemplate transactions, ScheduledExecutorService timer,
			String project, String storage, Kind kind, Duration ttl) {
		return new BackupLease(db, start(db, transactions, project, storage, kind, ttl), ttl, timer);
	}

	/** Takes a lease as {@link #acquire} does, for a holder that renews it itself; returns its id. */
	static UUID start(JdbcClient db, TransactionTemplate transactions, String project, String storage, Kind kind,
			Duration ttl) {
		UUID id = UUID.randomUUID();
		transactions.executeWithoutResult(status -> {
			lockShared(db, project);
			db.sql("""
					INSERT INTO backup_leases (id, project, storage, kind, expires_at)
					VALUES (?, ?, ?, ?, now() + make_interval(secs => ?))""")
				.param(id).param(project).param(storage).param(kind.name().toLowerCase())
				.param(ttl.toMillis() / 1000.0)
				.update();
		});
		return id;
	}

	/** Within a transaction: waits until no collection of the project condemns or deletes, until commit. */
	static void lockShared(JdbcClient db, String project) {
		db.sql("SELECT pg_advisory_xact_lock_shared(?, hashtext(?))").param(LOCK_SPACE).param(project)
			.query((rs, row) -> 1).list();
	}

	/** Within a transaction: what a collection holds while it condemns, until commit. */
	static void lockExclusive(JdbcClient db, String project) {
		db.sql("SELECT pg_advisory_xact_lock(?, hashtext(?))").param(LOCK_SPACE).param(project)
			.query((rs, row) -> 1).list();
	}

	UUID id() {
		return this.id;
	}

	/** Extends a lease that has not run out; false if it had. */
	static boolean renew(JdbcClient db, UUID id, Duration ttl) {
		return db.sql("""
				UPDATE backup_leases SET expires_at = now() + make_interval(secs => ?)
				WHERE id = ? AND finished_at IS NULL AND expires_at > now()""")
			.param(ttl.toMillis() / 1000.0).param(id)
			.update() == 1;
	}

	private void renew() {
		try {
			if (!renew(this.db, this.id, this.ttl)) {
				this.lost = true;
				this.renewal.cancel(false);
			}
		}
		catch (RuntimeException ex) {
			// the next renewal tries again; the lease lasts until then
			log.warn("Could not renew backup lease {}", this.id, ex);
		}
	}

	/** Fails the backup if its lease ran out: a collection may have removed content it relies on. */
	@Override
	public void check() {
		if (this.lost) {
			throw lost(this.id);
		}
	}

	static LeaseLostException lost(UUID id) {
		return new LeaseLostException("Backup lease " + id
				+ " expired before the backup finished (the process was paused or cut off from the database)");
	}

	/**
	 * Ends the lease once the manifest is stored; false if it had expired, when a collection may have
	 * removed content the manifest references.
	 */
	boolean finish() {
		this.renewal.cancel(false);
		this.finished = true;
		return finish(this.db, this.id);
	}

	/** Ends a lease; false if it had run out (or ended) before. */
	static boolean finish(JdbcClient db, UUID id) {
		return db.sql("""
				UPDATE backup_leases SET finished_at = now()
				WHERE id = ? AND finished_at IS NULL AND expires_at > now()""")
			.param(id)
			.update() == 1;
	}

	/** Releases a lease the backup did not finish (it failed). */
	@Override
	public void close() {
		if (!this.finished) {
			try {
				finish();
			}
			catch (RuntimeException ex) {
				log.warn("Could not release backup lease {}; it expires by itself", this.id, ex);
			}
		}
	}

}
