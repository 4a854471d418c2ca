package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import io.mlplatform.storage.OwnDatabase;
import io.mlplatform.storage.TcpProxy;
import io.mlplatform.storage.mover.Mover;

/**
 * The app with executor {@code process}: every backup and restore runs as a mover process, which
 * reaches the service through a proxy a test can stop, and waits before its manifest while the test's
 * hold file exists. It has a database and a bucket of its own: the other test contexts' workers
 * (executor {@code local}) would otherwise claim these tests' jobs and run them in their own JVMs.
 */
@TestPropertySource(properties = { "pss.worker.executor=process", OwnDatabase.NAME + "=movers",
		// a large file's blob goes up in parts, as a file over the threshold does in production
		"pss.backup.s3.multipart-threshold=12MB", "pss.backup.s3.part-size=5MB",
		// small packs, so a backup stores many and a mover can be stopped between them
		"pss.backup.pack-size=1MB", "pss.mover.pack-size=1MB", "pss.mover.heartbeat=500ms" })
@Import(OwnDatabase.class)
abstract class MoverTestSupport extends WorkerTestSupport {

	/** This context's bucket (see {@link OwnDatabase}). */
	protected static final String BUCKET = "pss-test-movers";

	/** Between the movers and the service. */
	protected static final TcpProxy SERVICE = TcpProxy.start();

	/** While this file exists, a mover holds before its manifest. */
	protected static final Path HOLD = hold();

	private static Path hold() {
		try {
			Path folder = Files.createTempDirectory("pss-test-hold");
			folder.toFile().deleteOnExit();
			return folder.resolve("hold");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@DynamicPropertySource
	static void moverEnvironment(DynamicPropertyRegistry registry) {
		registry.add("pss.mover.service-url", () -> "http://127.0.0.1:" + SERVICE.port());
		registry.add("pss.mover.environment[" + Mover.HOLD + "]", HOLD::toString);
	}

	@BeforeEach
	void forwardToTheApp() {
		SERVICE.forwardTo(this.port);
	}

	@AfterEach
	void release() throws IOException {
		Files.deleteIfExists(HOLD);
	}

	/** The mover processes this JVM's app started that still run. */
	protected static List<ProcessHandle> movers() {
		return ProcessHandle.current()
			.descendants()
			.filter(process -> process.info().commandLine().orElse("").contains("-D" + Mover.RUN_PROPERTY + "="))
			.toList();
	}

}
