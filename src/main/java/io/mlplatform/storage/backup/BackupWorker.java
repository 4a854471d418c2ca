package io.mlplatform.storage.backup;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import tools.jackson.core.type.TypeReference;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.backup.JobQueue.Progress;
import io.mlplatform.storage.backup.work.LeasedWorker;
import io.mlplatform.storage.cluster.ClusterMover;
import io.mlplatform.storage.web.JsonColumns;
import io.mlplatform.storage.snapshot.BackupProgress;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;

/**
 * Runs queued backups and restores: claims them from Postgres (any number of instances share the
 * queue), renews each job's lease while it runs and writes its progress at the same time (once per
 * {@code progressEvery}), applies retention after each successful backup, and runs garbage
 * collection on its own schedule on one instance at a time. Also ticks the {@link BackupScheduler}.
 */
public class BackupWorker extends LeasedWorker<BackupWorker.Running> {

	private static final Logger log = LoggerFactory.getLogger(BackupWorker.class);

	private static final int MAX_ERROR = 2000;

	private final JobQueue queue;

	private final JdbcClient db;

	private final LocalExecutor executor;

	/** The {@code process} executor, when this instance runs jobs as movers; null for {@code local}. */
	private volatile ProcessExecutor movers;

	/** The {@code kubernetes} executor, for clusters whose jobs run as Jobs; null where none is set up. */
	private volatile KubernetesExecutor jobsInClusters;

	private final Snapshots snapshots;

	private final Retention retention;

	private final BackupScheduler scheduler;

	private final WorkerProperties properties;

	private final Clock clock;

	private final JsonColumns columns;

	/** Told when a final backup before deletion ends; null where nobody listens (tests' extra workers) */
	private final Consumer<FinalBackupEnded> events;

	private final AtomicBoolean gcRunning = new AtomicBoolean();

	private volatile boolean backupsFirst = true;

	private final WorkerMetrics metrics;

	/** Garbage collections this instance ran to the end. */
	private final AtomicInteger collections = new AtomicInteger();

	BackupWorker(String owner, JobQueue queue, JdbcClient db, LocalExecutor executor, Snapshots snapshots,
			BackupScheduler scheduler, WorkerProperties properties, Clock clock, JsonColumns columns,
			Consumer<FinalBackupEnded> events) {
		this(owner, queue, db, executor, snapshots, scheduler, properties, clock, columns, events,
				WorkerMetrics.detached(db));
	}

	BackupWorker(String owner, JobQueue queue, JdbcClient db, LocalExecutor executor, Snapshots snapshots,
			BackupScheduler scheduler, WorkerProperties properties, Clock clock, JsonColumns columns,
			Consumer<FinalBackupEnded> events, WorkerMetrics metrics) {
		// one spare thread: garbage collection
		super(owner, "worker", properties.poll(), properties.progressEvery(), properties.threads(), 1);
		this.metrics = metrics;
		this.events = events;
		this.columns = columns;
		this.queue = queue;
		this.db = db;
		this.executor = executor;
		this.snapshots = snapshots;
		this.retention = new Retention(db, snapshots);
		this.scheduler = scheduler;
		this.properties = properties;
		this.clock = clock;
	}

	/** An instance's name in lease columns: which process holds a job, for people reading the table. */
	static String instanceName() {
		return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
	}

	/** Garbage collections this instance has run to the end. */
	int collections() {
		return this.collections.get();
	}

	/** Runs this instance's jobs as mover processes from now on (executor {@code process}). */
	void moveWith(ProcessExecutor movers) {
		this.movers = movers;
	}

	/** Runs the jobs of clusters with executor {@code kubernetes} as Jobs in those clusters from now on. */
	void runInClustersWith(KubernetesExecutor jobs) {
		this.jobsInClusters = jobs;
	}

	@Override
	protected void poll() {
		if (this.scheduler != null) {
			guarded("scheduling backups", this.scheduler::tick);
		}
		claimAll();
		guarded("settling deletions", this::settleFinalBackups);
		guarded("starting garbage collection", this::maybeCollectGarbage);
	}

	/**
	 * Tells the deletions whose final backup has ended without a worker telling them: one failed by
	 * {@link JobQueue} after its last attempt (its workers died), one cancelled while queued, or one
	 * whose worker died between ending it and telling. Any instance may: the listener acts once.
	 */
	private void settleFinalBackups() {
		if (this.events == null) {
			return;
		}
		this.db.sql("""
				SELECT s.id AS storage_id, b.id AS backup_id, b.state, b.error
				FROM storages s JOIN backups b ON b.id = s.final_backup_id
				WHERE s.final_backup_id IS NOT NULL AND s.lifecycle = 'Deleting'
				  AND b.state IN ('Succeeded', 'Failed', 'Cancelled')""")
			.query((row, n) -> new FinalBackupEnded(row.getObject("storage_id", UUID.class),
					row.getObject("backup_id", UUID.class), JobState.valueOf(row.getString("state")),
					row.getString("error")))
			.list()
			.forEach(this.events);
	}

	/** Backups and restores by turns, so that neither waits for the other's queue to drain. */
	@Override
	protected Optional<Running> claim() {
		Kind first = this.backupsFirst ? Kind.BACKUP : Kind.RESTORE;
		this.backupsFirst = !this.backupsFirst;
		Optional<Running> claimed = claim(first);
		return claimed.isPresent() ? claimed : claim(first == Kind.BACKUP ? Kind.RESTORE : Kind.BACKUP);
	}

	private Optional<Running> claim(Kind kind) {
		return this.queue.claim(kind, owner()).map(id -> new Running(kind, id, this.clock.instant()));
	}

	/** A job in this instance's hands. */
	static final class Running extends LeasedWorker.Held {

		final Kind kind;

		final Instant started;

		final LocalExecutor.Counters counters = new LocalExecutor.Counters();

		/** Totals known before the job starts (a restore's backup); -1 when not */
		final AtomicLong knownFiles = new AtomicLong(-1);

		final AtomicLong knownBytes = new AtomicLong(-1);

		/** A mover runs it: its run's heartbeats keep its lease, not this worker's. */
		volatile boolean moved;

		Running(Kind kind, UUID id, Instant started) {
			super(id);
			this.kind = kind;
			this.started = started;
		}

		@Override
		public String toString() {
			return this.kind + " " + id();
		}

	}

	@Override
	protected void work(Running job) {
		ProcessExecutor movers = this.movers;
		KubernetesExecutor jobs = this.jobsInClusters;
		Placement placement = null;
		if (movers != null || jobs != null) {
			try {
				placement = placement(job);
			}
			catch (RuntimeException ex) {
				log.warn("{} {} could not be placed: {}", job.kind, job.id(), ex.toString());
				this.queue.release(job.kind, job.id(), owner());
				return;
			}
		}
		String executor = (placement == null) ? "local" : placement.executor();
		if (KubernetesExecutor.NAME.equals(executor) && jobs != null) {
			runInJob(job, jobs, placement);
		}
		else if (!"local".equals(executor) && movers != null) {
			runMoved(job, movers, placement);
		}
		else if (job.kind == Kind.BACKUP) {
			runBackup(job);
		}
		else {
			runRestore(job);
		}
	}

	/**
	 * Where a job runs and on what: its cluster's executor (the deployment's when the cluster names none),
	 * its storage's share and PVC, and the file count a mover's memory is sized from. Null when the job's
	 * row could not be read: it goes back to the queue.
	 */
	record Placement(String executor, String cluster, String namespace, String project, UUID storageId,
			String storageName, String pvcName, long lastFiles, ClusterMover mover) {
	}

	private static final TypeReference<ClusterMover> MOVER = new TypeReference<>() {
	};

	private Placement placement(Running job) {
		String sql = job.kind == Kind.BACKUP ? """
				SELECT coalesce(c.executor, :executor) AS executor, c.mover, b.cluster, p.namespace, p.name AS project,
				  s.id AS storage_id, s.name AS storage_name, s.pvc_name,
				  coalesce((SELECT l.files FROM backups l WHERE l.storage_id = b.storage_id AND l.state = 'Succeeded'
				    ORDER BY l.finished_at DESC LIMIT 1), -1) AS last_files
				FROM backups b JOIN storages s ON s.id = b.storage_id JOIN projects p ON p.id = b.project_id
				LEFT JOIN clusters c ON c.name = b.cluster
				WHERE b.id = :id""" : """
				SELECT coalesce(c.executor, :executor) AS executor, c.mover, r.cluster, p.namespace, p.name AS project,
				  s.id AS storage_id, s.name AS storage_name, s.pvc_name,
				  coalesce((SELECT l.files FROM backups l WHERE l.id = r.backup_id), -1) AS last_files
				FROM restores r JOIN storages s ON s.id = r.storage_id JOIN projects p ON p.id = r.project_id
				LEFT JOIN clusters c ON c.name = r.cluster
				WHERE r.id = :id""";
		return this.db.sql(sql)
			.param("executor", this.properties.executor())
			.param("id", job.id())
			.query((row, n) -> new Placement(row.getString("executor"), row.getString("cluster"),
					row.getString("namespace"), row.getString("project"), row.getObject("storage_id", UUID.class),
					row.getString("storage_name"), row.getString("pvc_name"), row.getLong("last_files"),
					this.columns.read(row, "mover", MOVER)))
			.single();
	}

	/** Hands the job to a mover process and waits for it; the run itself ends the job (see {@link MoverRuns}). */
	private void runMoved(Running job, ProcessExecutor movers, Placement placement) {
		job.moved = true;
		try {
			movers.run(job.kind, job.id(), owner(), placement.namespace(), placement.storageName());
			countEnded();
		}
		catch (RuntimeException ex) {
			// before the hand-over the job is still this worker's: back to the queue; after it, the run's
			log.warn("{} {} could not be handed to a mover: {}", job.kind, job.id(), ex.toString());
			this.queue.release(job.kind, job.id(), owner());
		}
	}

	/**
	 * Hands the job to a mover in a Job of its storage's cluster, and returns once the Job exists: this
	 * worker's thread is free for the next job, the run ends the job, and the sweep follows the Job.
	 */
	private void runInJob(Running job, KubernetesExecutor jobs, Placement placement) {
		job.moved = true;
		try {
			jobs.run(job.kind, job.id(), owner(), new KubernetesExecutor.Target(placement.cluster(),
					placement.namespace(), placement.project(), placement.storageId(), placement.pvcName(),
					placement.lastFiles(), placement.mover()));
		}
		catch (RuntimeException ex) {
			log.warn("{} {} could not be handed to a Job: {}", job.kind, job.id(), ex.toString());
			this.queue.release(job.kind, job.id(), owner());
		}
	}

	private void runBackup(Running job) {
		Backup backup = this.db.sql(Backup.SELECT + " WHERE b.id = ?").param(job.id()).query(Backup::fromRow).single();
		JobState ended;
		String error = null;
		try {
			BackupResult result = this.executor.backup(backup, job.counters);
			Progress done = new Progress(result.files(), result.files(), result.bytes(), result.bytes(),
					result.bytesUploaded(), null);
			// before the backup is reported Succeeded, so a caller who sees it finds retention applied too
			applyRetention(backup);
			ended = end(job, JobState.Succeeded, done, null) ? JobState.Succeeded : null;
			if (ended != null) {
				this.metrics.backupEnded(ended, took(job), result, result.bytesUploaded());
				log.info("Backup {} of storage {} in project {}: {} files, {} bytes, {} bytes uploaded", backup.id(),
						backup.storage(), backup.project(), result.files(), result.bytes(), result.bytesUploaded());
			}
		}
		catch (RuntimeException | Error ex) {
			error = describe(ex);
			ended = failed(job, ex, "Backup " + backup.id() + " of storage " + backup.storage());
			if (ended != null) {
				this.metrics.backupEnded(ended, took(job), null, job.counters.backup.bytesUploaded());
			}
		}
		if (ended != null && "beforeDelete".equals(backup.trigger()) && this.events != null) {
			this.events.accept(new FinalBackupEnded(backup.storageId(), backup.id(), ended,
					ended == JobState.Succeeded ? null : error));
		}
	}

	private void runRestore(Running job) {
		Restore restore = this.db.sql(Restore.SELECT + " WHERE r.id = ?")
			.param(job.id())
			.query((row, n) -> Restore.fromRow(row, this.columns))
			.single();
		if (restore.paths() == null || restore.paths().isEmpty()) {
			this.db.sql("SELECT files, bytes FROM backups WHERE id = ?").param(restore.backupId()).query((row, n) -> {
				job.knownFiles.set(row.getObject("files") == null ? -1 : row.getLong("files"));
				job.knownBytes.set(row.getObject("bytes") == null ? -1 : row.getLong("bytes"));
				return 1;
			}).optional();
		}
		try {
			RestoreResult result = this.executor.restore(restore, job.counters);
			if (end(job, JobState.Succeeded, new Progress(result.files(), result.files(), result.bytes(), result.bytes(),
					null, null), null)) {
				this.metrics.restoreEnded(JobState.Succeeded, took(job));
			}
			log.info("Restore {} of backup {} into storage {} in project {}: {} files, {} bytes", restore.id(),
					restore.backupId(), restore.storage(), restore.project(), result.files(), result.bytes());
		}
		catch (RuntimeException | Error ex) {
			JobState ended = failed(job, ex, "Restore " + restore.id() + " into storage " + restore.storage());
			if (ended != null) {
				this.metrics.restoreEnded(ended, took(job));
			}
		}
	}

	private Duration took(Running job) {
		return Duration.between(job.started, this.clock.instant());
	}

	/** @return the state the job ended in here, or null when it did not end here (lost, or handed back) */
	private JobState failed(Running job, Throwable ex, String what) {
		return failed(job, ex, what,
				() -> end(job, JobState.Cancelled, progress(job), null) ? JobState.Cancelled : null,
				() -> this.queue.release(job.kind, job.id(), owner()),
				() -> end(job, JobState.Failed, progress(job), describe(ex)) ? JobState.Failed : null);
	}

	private boolean end(Running job, JobState state, Progress progress, String error) {
		return end(job, job + " (" + state + ")",
				() -> this.queue.finish(job.kind, job.id(), owner(), state, progress, error));
	}

	/**
	 * What a job's {@code error} says of a failure: each cause's message once, at most {@code MAX_ERROR}
	 * characters. Verifications (package {@code verify}) describe theirs the same way.
	 */
	public static String describe(Throwable ex) {
		StringBuilder message = new StringBuilder();
		for (Throwable cause = ex; cause != null && message.length() < MAX_ERROR; cause = cause.getCause()) {
			String text = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
			if (message.indexOf(text) < 0) {
				message.append(message.isEmpty() ? "" : ": ").append(text);
			}
		}
		return message.length() > MAX_ERROR ? message.substring(0, MAX_ERROR) : message.toString();
	}

	/** Counters of a running job as the API shows them; totals never below what is done. */
	private Progress progress(Running job) {
		if (job.kind == Kind.RESTORE) {
			RestoreProgress counts = job.counters.restore;
			long files = counts.files();
			long bytes = counts.bytes();
			// totals are known for a whole-snapshot restore (the backup's own); a restore of some paths has none
			Long filesTotal = job.knownFiles.get() < 0 ? null : Math.max(files, job.knownFiles.get());
			Long bytesTotal = job.knownBytes.get() < 0 ? null : Math.max(bytes, job.knownBytes.get());
			return new Progress(files, filesTotal, bytes, bytesTotal, null, eta(job, bytes, bytesTotal));
		}
		BackupProgress counts = job.counters.backup;
		long files = counts.files();
		long bytes = counts.bytes();
		Long filesTotal = job.counters.scanned() ? Math.max(files, job.counters.scan.files()) : null;
		Long bytesTotal = job.counters.scanned() ? Math.max(bytes, job.counters.scan.bytes()) : null;
		return new Progress(files, filesTotal, bytes, bytesTotal, counts.bytesUploaded(), eta(job, bytes, bytesTotal));
	}

	/** Seconds left at the rate so far; null until there is a total and a first byte. */
	private Long eta(Running job, long bytes, Long bytesTotal) {
		long elapsed = Duration.between(job.started, this.clock.instant()).toMillis();
		if (bytesTotal == null || bytes <= 0 || elapsed <= 0) {
			return null;
		}
		return (long) Math.ceil((bytesTotal - bytes) * (double) elapsed / bytes / 1000);
	}

	@Override
	protected Optional<Boolean> renew(Running job) {
		return job.moved ? null : this.queue.renew(job.kind, job.id(), owner(), progress(job));
	}

	@Override
	protected void heartbeatMore() {
		if (this.gcRunning.get()) {
			guarded("renewing the garbage collection lease", () -> this.db.sql(
					"UPDATE worker_tasks SET lease_until = ? WHERE name = 'gc' AND lease_owner = ?")
				.params(JobQueue.at(this.clock.instant().plus(this.properties.lease())), owner())
				.update());
		}
	}

	private void applyRetention(Backup backup) {
		this.retention.apply(backup.storageId(), backup.project(), backup.id(), backup.storage());
	}

	/** Starts garbage collection when it is due and no other instance runs it. */
	private void maybeCollectGarbage() {
		if (this.gcRunning.get() || stopping()) {
			return;
		}
		Instant now = this.clock.instant();
		int leased = this.db.sql("""
				UPDATE worker_tasks SET lease_owner = :owner, lease_until = :until
				WHERE name = 'gc' AND (lease_until IS NULL OR lease_until < :now)
				  AND (last_finished_at IS NULL OR last_finished_at <= :due)""")
			.param("owner", owner())
			.param("until", JobQueue.at(now.plus(this.properties.lease())))
			.param("now", JobQueue.at(now))
			.param("due", JobQueue.at(now.minus(this.properties.gcEvery())))
			.update();
		if (leased == 1) {
			this.gcRunning.set(true);
			execute(this::collectGarbage);
		}
	}

	private void collectGarbage() {
		try {
			for (String project : this.db.sql("SELECT DISTINCT project FROM backup_contents ORDER BY project")
				.query(String.class)
				.list()) {
				if (stopping()) {
					return;
				}
				GarbageCollector.Result result = this.snapshots.collectGarbage(project);
				if (result.packs() + result.blobs() + result.condemned() + result.pending() + result.packsRewritten() > 0) {
					log.info("Garbage collection in project {} removed {} packs and {} blobs ({} bytes), condemned {} "
							+ "({} wait for backups and restores still running), rewrote {} packs ({} bytes to reclaim)",
							project, result.packs(), result.blobs(), result.bytes(), result.condemned(), result.pending(),
							result.packsRewritten(), result.bytesReclaimed());
				}
			}
			int released = this.db.sql("""
					UPDATE worker_tasks SET lease_owner = NULL, lease_until = NULL, last_finished_at = ?
					WHERE name = 'gc' AND lease_owner = ?""")
				.params(JobQueue.at(this.clock.instant()), owner())
				.update();
			// one that lost its lease meanwhile is not counted: the instance that took it over counts its own
			if (released == 1) {
				this.collections.incrementAndGet();
				this.metrics.collected();
			}
		}
		catch (RuntimeException ex) {
			log.warn("Garbage collection failed; it runs again when its lease runs out: {}", ex.toString());
		}
		finally {
			this.gcRunning.set(false);
		}
	}

}
