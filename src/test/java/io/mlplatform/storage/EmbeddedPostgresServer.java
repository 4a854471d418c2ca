package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;

/** A real PostgreSQL from embedded binaries: the tests' and the local run's database. */
public final class EmbeddedPostgresServer {

	private final EmbeddedPostgres postgres;

	private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
		this.postgres = postgres;
	}

	/**
	 * @param dataDirectory kept between starts unless {@code clean}
	 * @param port 0 for any free port
	 */
	public static EmbeddedPostgresServer start(Path dataDirectory, int port, boolean clean) {
		try {
			Files.createDirectories(dataDirectory.getParent());
			stopLeftover(dataDirectory);
			EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
				.setDataDirectory(dataDirectory)
				.setCleanDataDirectory(clean)
				.setPGStartupWait(Duration.ofSeconds(60))
				// sized for a 2-core machine running tests and benchmarks side by side
				.setServerConfig("max_connections", "200")
				.setServerConfig("shared_buffers", "256MB")
				// the database fits in memory, as on any SSD-backed server (the usual setting there): with the default
				// 4 a backup's look-ups of 1,000 hashes scanned the whole content index of 80,000 rows instead of its
				// primary key while it was small, 15 ms a look-up against 5 ms
				.setServerConfig("random_page_cost", "1.1")
				.setServerConfig("fsync", clean ? "off" : "on")
				.setServerConfig("synchronous_commit", clean ? "off" : "on");
			if (port > 0) {
				builder.setPort(port);
			}
			return new EmbeddedPostgresServer(builder.start());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start embedded PostgreSQL in " + dataDirectory, ex);
		}
	}

	/**
	 * A JVM killed with -9 leaves its postgres child running on the data directory; the next start
	 * would fail on the lock, so the leftover is stopped first.
	 */
	private static void stopLeftover(Path dataDirectory) throws IOException {
		Path pidFile = dataDirectory.resolve("postmaster.pid");
		if (!Files.exists(pidFile)) {
			return;
		}
		List<String> lines = Files.readAllLines(pidFile);
		if (lines.isEmpty()) {
			return;
		}
		try {
			long pid = Long.parseLong(lines.get(0).trim());
			ProcessHandle.of(pid)
				.filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
				.ifPresent(p -> {
					p.destroy();
					p.onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
				});
		}
		catch (NumberFormatException ex) {
			// not a pid file we understand; postgres will report what is wrong
		}
	}

	public int port() {
		return this.postgres.getPort();
	}

	public String jdbcUrl() {
		return "jdbc:postgresql://localhost:" + port() + "/postgres";
	}

	public JdbcConnectionDetails connectionDetails() {
		String url = jdbcUrl();
		return new JdbcConnectionDetails() {

			@Override
			public String getUsername() {
				return "postgres";
			}

			@Override
			public String getPassword() {
				return "";
			}

			@Override
			public String getJdbcUrl() {
				return url;
			}

		};
	}

	public void close() {
		try {
			this.postgres.close();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
