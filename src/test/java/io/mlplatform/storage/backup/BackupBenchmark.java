package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mlplatform.storage.EmbeddedPostgresServer;
import io.mlplatform.storage.S3ProxyServer;
import org.flywaydb.core.Flyway;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.unit.DataSize;

/**
 * The engine's side of {@code bench/backup.sh}. {@code s3proxy DIR PORTFILE} serves a bucket folder
 * for every tool of the run; {@code engine ENDPOINT WORKDIR STEP...} runs steps in one JVM over an
 * embedded PostgreSQL and prints one {@code RESULT} line per timed step. Steps:
 * {@code backup:STORAGE:ID:DIR}, {@code restore:STORAGE:ID:DIR}, {@code exec:COMMAND} (not timed).
 * Settings come from system properties {@code pss.backup.*} (readers, uploads, pack-size, checksum).
 */
public final class BackupBenchmark {

	private BackupBenchmark() {
	}

	public static void main(String[] args) throws Exception {
		if (args[0].equals("s3proxy")) {
			S3ProxyServer server = S3ProxyServer.start(Path.of(args[1]), 0);
			Files.writeString(Path.of(args[2]), String.valueOf(server.endpoint().getPort()));
			Thread.currentThread().join();
			return;
		}
		Path work = Path.of(args[2]);
		EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(work.resolve("pg"), 0, true);
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(postgres.jdbcUrl());
		config.setUsername("postgres");
		config.setMaximumPoolSize(8);
		try (HikariDataSource dataSource = new HikariDataSource(config)) {
			Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
			BackupProperties properties = properties(java.net.URI.create(args[1]));
			try (S3Store store = new S3Store(properties.s3());
					Snapshots snapshots = new Snapshots(store, dataSource, properties,
							Clock.systemUTC())) {
				store.createBucketIfMissing();
				for (int i = 3; i < args.length; i++) {
					step(snapshots, args[i]);
				}
			}
		}
		finally {
			postgres.close();
		}
	}

	private static void step(Snapshots snapshots, String step) throws Exception {
		String[] parts = step.split(":", 4);
		long start = System.nanoTime();
		switch (parts[0]) {
			case "backup" -> {
				BackupResult result = snapshots.backup("bench", parts[1], parts[2], Path.of(parts[3]));
				report(step, start, result.files(), result.bytes(), result.bytesUploaded());
			}
			case "restore" -> {
				RestoreResult result = snapshots.restore("bench", parts[1], parts[2], Path.of(parts[3]), List.of(),
						RestoreMode.REPLACE);
				report(step, start, result.files(), result.bytes(), 0);
			}
			case "exec" -> {
				int exit = new ProcessBuilder("sh", "-c", step.substring(5)).inheritIO().start().waitFor();
				if (exit != 0) {
					throw new IllegalStateException(step + " exited with " + exit);
				}
			}
			default -> throw new IllegalArgumentException(step);
		}
	}

	private static void report(String step, long start, long files, long bytes, long uploaded) {
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("RESULT %s seconds=%.2f files=%d bytes=%d uploaded=%d%n", step, seconds, files, bytes,
				uploaded);
	}

	private static BackupProperties properties(java.net.URI endpoint) {
		BackupProperties.S3 s3 = new BackupProperties.S3(endpoint, "us-east-1", true, S3ProxyServer.ACCESS_KEY,
				S3ProxyServer.SECRET_KEY, System.getProperty("pss.backup.s3.bucket", "pss-bench"), "pss",
				DataSize.parse(System.getProperty("pss.backup.s3.part-size", "16MB")),
				System.getProperty("pss.backup.s3.checksum", "when-required"), "none", null, Boolean.getBoolean("pss.backup.s3.payload-signing"), 8, 64,
				Duration.ofSeconds(10), Duration.ofSeconds(120));
		return new BackupProperties(s3, DataSize.ofMegabytes(8),
				DataSize.parse(System.getProperty("pss.backup.pack-size", "32MB")),
				Integer.getInteger("pss.backup.readers", 4), Integer.getInteger("pss.backup.uploads", 8),
				Integer.getInteger("pss.backup.queue-length", 4096), Duration.ofHours(6), Duration.ofHours(24));
	}

}
