package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

import io.mlplatform.storage.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark's CPU accounting reads {@code /proc} right, or reports nothing rather than a wrong figure. */
class ProcessCpuTests {

	@Test
	void thisJvmsCpuGrowsWithWorkDone() {
		double before = ProcessCpu.self();
		// spins for 300 ms of this thread's own CPU, not of wall time: on 2 shared cores a busy machine gives
		// a thread much less CPU than the wall time it spins
		java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
		long until = threads.getCurrentThreadCpuTime() + TimeUnit.MILLISECONDS.toNanos(300);
		long spin = 0;
		while (threads.getCurrentThreadCpuTime() < until) {
			spin++;
		}
		assertThat(spin).isPositive();
		assertThat(ProcessCpu.self() - before).isGreaterThanOrEqualTo(0.2);
	}

	@Test
	void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields(@TempDir Path folder) throws Exception {
		// the kernel names a process after its executable, and /proc/PID/stat does not escape that name
		Path shell = Files.copy(Path.of("/bin/sh"), folder.resolve("busy) (1"), StandardCopyOption.COPY_ATTRIBUTES);
		Process busy = new ProcessBuilder(shell.toString(), "-c", "while :; do :; done").start();
		try {
			// until it has run a while, however busy the machine is
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
			while (ProcessCpu.seconds(String.valueOf(busy.pid()), false) < 0.1 && System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			assertThat(Files.readString(Path.of("/proc", String.valueOf(busy.pid()), "stat"))).contains("(busy) (1)");
			assertThat(ProcessCpu.seconds(String.valueOf(busy.pid()), false)).isBetween(0.1, 5.0);
		}
		finally {
			busy.destroyForcibly().waitFor();
		}
	}

	@Test
	void postgresCountsTheWorkOfItsBackends(@TempDir Path folder) throws Exception {
		EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(folder.resolve("pg"), 0, true);
		try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "");
				Statement statement = connection.createStatement()) {
			// a server just started may not have used one clock tick yet (0.0 was read once on a quiet machine):
			// that it is found shows in the difference below, which nothing else could account for
			double before = ProcessCpu.postgres(folder.resolve("pg"));
			assertThat(before).isNotNegative();
			try (ResultSet rows = statement.executeQuery("SELECT sum(length(md5(i::text))) FROM generate_series(1, 2000000) i")) {
				assertThat(rows.next()).isTrue();
			}
			assertThat(ProcessCpu.postgres(folder.resolve("pg")) - before).isGreaterThanOrEqualTo(0.2);
		}
		finally {
			postgres.close();
		}
	}

	@Test
	void aProcessOrServerThatIsNotThereCountsNothing(@TempDir Path folder) {
		assertThat(ProcessCpu.seconds("999999999", true)).isZero();
		assertThat(ProcessCpu.postgres(folder)).isZero();
	}

}
