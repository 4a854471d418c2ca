package io.mlplatform.storage.backup;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.mover.Mover;
import io.mlplatform.storage.mover.MoverClassPath;
import io.mlplatform.storage.snapshot.EngineSettings;
import io.mlplatform.storage.snapshot.SnapshotEngine;

/**
 * The {@code process} executor: each backup or restore runs as a mover, a child process of this
 * instance on the storage's share under the mount root, that reaches the service only through the
 * mover API and S3 only through presigned URLs. The child outlives this instance (a restart does not
 * end its run: any replica answers its heartbeats); a run it leaves without an end is settled when it
 * exits, and the job goes on to its next attempt.
 */
final class ProcessExecutor {

	private static final Logger log = LoggerFactory.getLogger(ProcessExecutor.class);

	/** What a mover keeps of this instance's environment: where programs and temporary files are, and the locale. */
	static final Set<String> INHERITED = Set.of("PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ");

	private final MoverRuns runs;

	private final MoverProperties properties;

	private final LocalExecutor shares;

	private final Supplier<URI> serviceUrl;

	private final JdbcClient db;

	/** The engine's settings, which a mover's heap is sized from. */
	private final EngineSettings engine;

	/** Where each mover's output goes, one file per run, kept when the run did not commit. */
	private final Path logs;

	ProcessExecutor(MoverRuns runs, MoverProperties properties, LocalExecutor shares, Supplier<URI> serviceUrl,
			JdbcClient db, EngineSettings engine) {
		this.runs = runs;
		this.properties = properties;
		this.shares = shares;
		this.serviceUrl = serviceUrl;
		this.db = db;
		this.engine = engine;
		try {
			this.logs = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "pss-movers"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Where a mover's output goes. */
	Path log(UUID run) {
		return this.logs.resolve(run + ".log");
	}

	/**
	 * Runs a job this worker claimed as a mover process, and waits for the process. Returns when it
	 * exits, or at once when the wait is interrupted (this instance stops): the mover goes on alone.
	 * @param namespace and {@code storage} name the share the mover reads or writes
	 */
	void run(Kind kind, UUID job, String owner, String namespace, String storage) {
		MoverRuns.Started run = this.runs.start(kind, job, owner, "process").orElse(null);
		if (run == null) {
			log.warn("{} {} passed to another worker before its mover started", kind, job);
			return;
		}
		Path share;
		try {
			share = this.shares.share(namespace, storage);
			if (!Files.isDirectory(share)) {
				throw new IllegalStateException("The storage's share is not mounted at " + share);
			}
		}
		catch (RuntimeException ex) {
			this.runs.settle(run.id(), ex.getMessage());
			return;
		}
		Path token = null;
		Process process;
		try {
			token = tokenFile(run);
			ProcessBuilder builder = new ProcessBuilder(command(run.id()))
				.redirectErrorStream(true)
				.redirectOutput(log(run.id()).toFile());
			// nothing of this instance's environment (its database and S3 credentials) reaches the mover
			Map<String, String> environment = builder.environment();
			environment.keySet().retainAll(INHERITED);
			environment.putAll(this.properties.environment());
			if (!this.properties.command().isEmpty()) {
				forWrapper(environment, javaOptions(run.id()));
			}
			environment.put(Mover.SERVICE_URL, this.serviceUrl.get().toString());
			environment.put(Mover.RUN, run.id().toString());
			environment.put(Mover.TOKEN_FILE, token.toString());
			environment.put(Mover.PATH, share.toString());
			process = builder.start();
		}
		catch (IOException | RuntimeException ex) {
			SnapshotEngine.deleteQuietly(token);
			deleteTemporaries(run.id());
			this.runs.settle(run.id(), "The mover could not be started: " + ex.getMessage());
			return;
		}
		log.info("{} {} runs in mover process {} as run {}", kind, job, process.pid(), run.id());
		try {
			int exit = await(process, run.id());
			SnapshotEngine.deleteQuietly(token);
			// a mover killed (kill -9, out of memory) leaves its manifests there
			deleteTemporaries(run.id());
			if (!"Committed".equals(state(run.id()))) {
				this.runs.settle(run.id(), "The mover exited with code " + exit + " before it ended its run (its output: "
						+ log(run.id()) + ")");
			}
			else if (!this.properties.keepLogs()) {
				SnapshotEngine.deleteQuietly(log(run.id()));
			}
		}
		catch (InterruptedException ex) {
			// this instance stops: the mover goes on, and its heartbeats reach whichever replica answers
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Waits for the process to exit. A mover whose run ended without it (cancelled or lost while it was
	 * stuck) is given {@code stopGrace} to notice, then killed.
	 */
	private int await(Process process, UUID run) throws InterruptedException {
		long endedAt = 0;
		while (!process.waitFor(1, TimeUnit.SECONDS)) {
			if (endedAt == 0) {
				String state = state(run);
				if (!"Created".equals(state) && !"Running".equals(state)) {
					endedAt = System.nanoTime();
				}
			}
			else if (System.nanoTime() - endedAt > this.properties.stopGrace().toNanos()) {
				log.warn("Mover process {} of run {} did not stop after its run ended; killing it", process.pid(), run);
				process.destroyForcibly();
			}
		}
		return process.exitValue();
	}

	private String state(UUID run) {
		return this.db.sql("SELECT state FROM mover_runs WHERE id = ?").param(run).query(String.class).optional()
			.orElse("Failed");
	}

	/**
	 * The mover JVM's options: the configured ones, and a folder of its own for its temporary files (the
	 * manifests it writes and reads), which this instance removes when the process exits, however it exits.
	 */
	private List<String> javaOptions(UUID run) throws IOException {
		List<String> options = new ArrayList<>(this.properties.javaOptions(this.engine));
		options.add("-Djava.io.tmpdir=" + Files.createDirectories(temporaries(run)));
		return options;
	}

	/** Where a mover's temporary files go. */
	Path temporaries(UUID run) {
		return this.logs.resolve(run + ".tmp");
	}

	private void deleteTemporaries(UUID run) {
		Path folder = temporaries(run);
		try (java.util.stream.Stream<Path> files = Files.list(folder)) {
			files.forEach(SnapshotEngine::deleteQuietly);
		}
		catch (IOException ex) {
			// none made, or already gone
		}
		SnapshotEngine.deleteQuietly(folder);
	}

	/** The token reaches the mover in a file only its user can read, never on its command line. */
	private Path tokenFile(MoverRuns.Started run) throws IOException {
		Path file = Files.createTempFile(this.logs, "run-", ".token",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
		Files.writeString(file, run.token());
		return file;
	}

	/**
	 * The mover's command: as configured, or this JVM's {@code java} running {@link Mover} from the part of
	 * this JVM's class path it needs (through Boot's launcher when this is a Boot jar).
	 */
	List<String> command(UUID run) throws IOException {
		if (!this.properties.command().isEmpty()) {
			return this.properties.command();
		}
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		// first, so that ps shows which run a process is (its long class path comes after)
		command.add("-D" + Mover.RUN_PROPERTY + "=" + run);
		command.addAll(javaOptions(run));
		String leanClassPath = leanClassPath();
		if (leanClassPath != null) {
			command.add("-cp");
			command.add(leanClassPath);
			command.add(Mover.class.getName());
		}
		else {
			// a Boot jar: its launcher finds the mover in its nested jars
			command.add("-Dloader.main=" + Mover.class.getName());
			command.add("-cp");
			command.add(System.getProperty("java.class.path").split(File.pathSeparator)[0]);
			command.add("org.springframework.boot.loader.launch.PropertiesLauncher");
		}
		return command;
	}

	/**
	 * What a configured command (a wrapper script) passes on to the java it runs: the mover's JVM options,
	 * and, for a java started without {@code -cp}, the same lean class path the default command gives.
	 */
	static void forWrapper(Map<String, String> environment, List<String> javaOptions) {
		environment.put("JDK_JAVA_OPTIONS", String.join(" ", javaOptions));
		String classPath = leanClassPath();
		if (classPath != null) {
			environment.put("CLASSPATH", classPath);
		}
	}

	/** The mover's lean class path ({@link MoverClassPath}); null when this JVM's classes are not files. */
	static String leanClassPath() {
		return MoverClassPath.LEAN;
	}

}
