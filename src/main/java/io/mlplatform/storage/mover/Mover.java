package io.mlplatform.storage.mover;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mlplatform.storage.snapshot.BackupProgress;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.EngineSettings;
import io.mlplatform.storage.snapshot.FolderScan;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;
import io.mlplatform.storage.snapshot.SnapshotEngine;

/**
 * The mover: the backup engine as a process of its own, next to the data (SPEC §5 "Where backups
 * run"). It starts no Spring context and no database pool; it needs the service's URL, its run's id
 * and the run's one-time token, claims the run, backs up or restores the folder it is given, and
 * commits. Only a commit is a success: the exit code is for people reading a pod's state.
 * <p>
 * Environment: {@value #SERVICE_URL}, {@value #RUN}, {@value #TOKEN_FILE} (or {@value #TOKEN}) and
 * {@value #PATH}, the folder backed up or restored into.
 */
public final class Mover {

	public static final String SERVICE_URL = "PSS_MOVER_SERVICE_URL";

	public static final String RUN = "PSS_MOVER_RUN";

	public static final String TOKEN_FILE = "PSS_MOVER_TOKEN_FILE";

	public static final String TOKEN = "PSS_MOVER_TOKEN";

	public static final String PATH = "PSS_MOVER_PATH";

	/** A system property a mover started by the service carries: its run, for people reading {@code ps}. */
	public static final String RUN_PROPERTY = "pss.mover.run";

	/**
	 * A file: while it exists, a backup waits once its content is stored, before its manifest. How crash
	 * tests stop a mover at a known point; unset in production.
	 */
	public static final String HOLD = "PSS_MOVER_HOLD";

	/** Exit codes. */
	static final int COMMITTED = 0;

	static final int FAILED = 1;

	static final int CANCELLED = 2;

	static final int LOST = 3;

	static final int MISCONFIGURED = 64;

	private static final Logger log = LoggerFactory.getLogger(Mover.class);

	private Mover() {
	}

	public static void main(String[] args) {
		System.exit(run(System.getenv()));
	}

	static int run(java.util.Map<String, String> env) {
		long started = ProcessStart.epochMillis();
		MoverClient service;
		Path folder;
		UUID run;
		try {
			run = UUID.fromString(required(env, RUN));
			folder = Path.of(required(env, PATH));
			String token = env.containsKey(TOKEN_FILE) ? Files.readString(Path.of(env.get(TOKEN_FILE))).trim()
					: required(env, TOKEN);
			// patient enough to outlast a replica's restart or a rollout
			service = new MoverClient(URI.create(required(env, SERVICE_URL)), run, token, Duration.ofMinutes(2));
		}
		catch (IOException | IllegalArgumentException ex) {
			log.error("The mover is not configured: {}", ex.getMessage());
			return MISCONFIGURED;
		}
		MoverProtocol.Claim claim;
		try {
			claim = service.post(":claim", null, MoverProtocol.Claim.class);
		}
		catch (io.mlplatform.storage.snapshot.LeaseLostException ex) {
			log.warn("Run {} cannot be claimed: {}", run, ex.getMessage());
			return LOST;
		}
		catch (RuntimeException ex) {
			log.error("Run {} cannot be claimed: {}", run, ex.getMessage());
			return FAILED;
		}
		log.info("Run {}: {} of storage {} in project {}, snapshot {}, on {}; claimed {} ms after the process started",
				run, claim.kind(), claim.storage(), claim.project(), claim.backup(), folder,
				sinceStart(started, System.currentTimeMillis()));
		MoverProtocol.Settings settings = claim.settings();
		RemoteObjects objects = new RemoteObjects(service, settings.partSize(), settings.multipartThreshold());
		boolean backup = "backup".equals(claim.kind());
		BackupProgress backupProgress = new BackupProgress();
		RestoreProgress restoreProgress = new RestoreProgress();
		FolderScan scan = backup ? FolderScan.start(folder, "mover-scan") : null;
		long start = System.nanoTime();
		EngineSettings engineSettings = new EngineSettings(settings.largeFileThreshold(), settings.packSize(),
				settings.readers(), settings.uploads(), settings.queueLength());
		// maxMemory leaves out one survivor space (up to a tenth of the heap with the serial collector): a
		// mover started with -Xmx of exactly moverHeap reports a little less
		if (Runtime.getRuntime().maxMemory() < engineSettings.moverHeap() / 10 * 9) {
			log.warn("Run {}: a heap of {} MiB is below the {} MiB its engine settings need; it may run out of memory",
					run, Runtime.getRuntime().maxMemory() >> 20, engineSettings.moverHeap() >> 20);
		}
		try (SnapshotEngine engine = new SnapshotEngine(engineSettings, Clock.systemUTC());
				Heartbeats lease = new Heartbeats(service,
						() -> backup ? progress(backupProgress, scan) : progress(restoreProgress), Thread.currentThread(),
						claim.heartbeatMillis(), claim.leaseMillis())) {
			RemoteSession session = new RemoteSession(service, claim, objects, lease);
			if (env.containsKey(HOLD)) {
				engine.beforeManifest = () -> hold(Path.of(env.get(HOLD)));
			}
			ObjectRef manifest = ObjectRef.manifest(claim.storage(), claim.backup());
			try {
				if (backup) {
					BackupResult result = engine.backup(session, manifest, folder, backupProgress);
					log.info("Run {} committed: {} files, {} bytes, {} uploaded, in {} ms; {} mover API calls, {} S3 requests; "
							+ "first byte to S3 {} ms after the process started, first object stored {} ms", run,
							result.files(), result.bytes(), result.bytesUploaded(), millis(start), service.calls(),
							objects.requests(), sinceStart(started, objects.firstByte()),
							sinceStart(started, objects.firstUpload()));
				}
				else {
					RestoreResult result = engine.restore(session, manifest, folder, claim.paths(),
							"replace".equals(claim.mode()) ? RestoreMode.REPLACE : RestoreMode.MERGE, restoreProgress);
					if (!lease.finish()) {
						throw new io.mlplatform.storage.snapshot.LeaseLostException("The run's lease was lost before its commit");
					}
					service.post(":commit", new MoverProtocol.Commit(null, result.files(), result.bytes(), null, null, null,
							null, null, null, null, result.removed()), null);
					log.info("Run {} committed: {} files, {} bytes restored, {} removed, in {} ms; {} mover API calls, "
							+ "{} S3 requests", run, result.files(), result.bytes(), result.removed(), millis(start),
							service.calls(), objects.requests());
				}
				return COMMITTED;
			}
			catch (RuntimeException | Error ex) {
				return ended(service, lease, run, ex);
			}
		}
		finally {
			if (scan != null) {
				scan.stop();
			}
		}
	}

	/** Reports how a run that did not commit ended, unless its lease is lost (the run is not this mover's then). */
	private static int ended(MoverClient service, Heartbeats lease, UUID run, Throwable ex) {
		Thread.interrupted();
		if (lease.lost() || ex instanceof io.mlplatform.storage.snapshot.LeaseLostException) {
			log.warn("Run {} stopped: its lease is lost ({})", run, ex.getMessage());
			return LOST;
		}
		boolean cancelled = lease.cancelled();
		String reason = cancelled ? "cancelled" : describe(ex);
		log.warn("Run {} {}: {}", run, cancelled ? "cancelled" : "failed", reason);
		try {
			service.post(":fail", new MoverProtocol.Failure(reason, cancelled), null);
		}
		catch (RuntimeException report) {
			log.warn("Run {} could not report how it ended: {}", run, report.getMessage());
		}
		return cancelled ? CANCELLED : FAILED;
	}

	private static void hold(Path file) {
		if (Files.exists(file)) {
			log.info("Holding before the manifest while {} exists", file);
		}
		while (Files.exists(file)) {
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while holding before the manifest", ex);
			}
		}
	}

	private static MoverProtocol.Progress progress(BackupProgress progress, FolderScan scan) {
		boolean known = scan != null && scan.done();
		return new MoverProtocol.Progress(progress.files(), known ? scan.files() : null, progress.bytes(),
				known ? scan.bytes() : null, progress.bytesUploaded());
	}

	private static MoverProtocol.Progress progress(RestoreProgress progress) {
		return new MoverProtocol.Progress(progress.files(), null, progress.bytes(), null, null);
	}

	/** A failure's messages, outermost first, without repeats. */
	private static String describe(Throwable ex) {
		StringBuilder message = new StringBuilder();
		for (Throwable cause = ex; cause != null && message.length() < 2000; cause = cause.getCause()) {
			String text = (cause.getMessage() != null) ? cause.getMessage() : cause.getClass().getSimpleName();
			if (message.indexOf(text) < 0) {
				message.append(message.isEmpty() ? "" : ": ").append(text);
			}
		}
		return message.toString();
	}

	/** Milliseconds from this process's start to an instant (epoch millis); -1 for none. */
	private static long sinceStart(long started, long epochMillis) {
		return (epochMillis == 0) ? -1 : epochMillis - started;
	}

	private static long millis(long start) {
		return (System.nanoTime() - start) / 1_000_000;
	}

	private static String required(java.util.Map<String, String> env, String name) {
		String value = env.get(name);
		if (value == null || value.isBlank()) {
			throw new IllegalArgumentException(name + " is not set");
		}
		return value;
	}

}
