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
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.CheckProgress;
import io.mlplatform.storage.snapshot.CheckResult;
import io.mlplatform.storage.snapshot.RestoreResult;
import org.flywaydb.core.Flyway;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.unit.DataSize;

/**
 * The engine's side of {@code bench/backup.sh}. {@code s3proxy DIR PORTFILE} serves a bucket folder
 * for every tool of the run; {@code engine ENDPOINT WORKDIR STEP...} runs steps in one JVM over an
 * embedded PostgreSQL and prints one {@code RESULT} line per timed step. Steps:
 * {@code backup:[PROJECT/]STORAGE:ID:DIR}, {@code restore:[PROJECT/]STORAGE:ID:DIR} (project "bench" if none),
 * {@code verify:[PROJECT/]STORAGE:ID} (a verification of the snapshot reading all of its content),
 * {@code ceiling:DIR} (DIR's files PUT as packs and nothing else: the floor under a backup of them) and
 * {@code exec:COMMAND} (not timed).
 * Settings come from system properties {@code pss.backup.*} (readers, uploads, pack-size, checksum). Each
 * {@code RESULT} also gives the CPU seconds the step cost this JVM, its PostgreSQL and the S3 server, whose
 * pid the environment's {@code BENCH_S3PROXY_PID} names.
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
		Cpu cpu = new Cpu(work.resolve("pg"), System.getenv().getOrDefault("BENCH_S3PROXY_PID", ""));
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
					step(snapshots, store, Math.toIntExact(properties.packSize().toBytes()), args[i], cpu);
				}
			}
		}
		finally {
			postgres.close();
		}
	}

	private static void step(Snapshots snapshots, S3Store store, int packSize, String step, Cpu cpu) throws Exception {
		String[] parts = step.split(":", 4);
		// PROJECT/STORAGE, or STORAGE of project "bench"
		String[] storage = (parts.length > 1 && parts[1].contains("/")) ? parts[1].split("/", 2)
				: new String[] { "bench", (parts.length > 1) ? parts[1] : "" };
		double[] used = cpu.now();
		long start = System.nanoTime();
		switch (parts[0]) {
			case "backup" -> {
				BackupResult result = snapshots.backup(storage[0], storage[1], parts[2], Path.of(parts[3]));
				report(step, seconds(start), cpu.since(used), result.files(), result.bytes(), result.bytesUploaded());
			}
			case "restore" -> {
				RestoreResult result = snapshots.restore(storage[0], storage[1], parts[2], Path.of(parts[3]), List.of(),
						RestoreMode.REPLACE);
				report(step, seconds(start), cpu.since(used), result.files(), result.bytes(), 0);
			}
			case "verify" -> {
				// all of the content, from the ring's start: what POST …:verify {"dataFraction": 1.0} runs in the service
				CheckResult result = snapshots.verify(storage[0], storage[1], parts[2], 1.0, 0, new CheckProgress());
				if (result.damaged()) {
					throw new IllegalStateException(step + " found " + result.problems());
				}
				report(step, seconds(start), cpu.since(used), result.checkedFiles(), result.checkedBytes(), 0);
			}
			case "ceiling" -> {
				long[] sent = uploadAsPacks(store, Path.of(step.substring("ceiling:".length())), packSize);
				report(step, seconds(start), cpu.since(used), sent[0], sent[1], sent[1]);
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

	/**
	 * The floor under a backup of many small files: their bytes read in walk order and PUT as packs of
	 * the engine's size, as many at once as the engine sends, through the same client to the same server,
	 * with no hashing, index or manifest. Returns files and bytes sent.
	 */
	private static long[] uploadAsPacks(S3Store store, Path folder, int packSize) throws Exception {
		int parallel = Math.max(1, Math.min(4, Integer.getInteger("pss.backup.uploads", 8) / 2));
		java.util.concurrent.ExecutorService puts = java.util.concurrent.Executors.newFixedThreadPool(parallel);
		java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(parallel);
		List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
		long files = 0;
		long bytes = 0;
		try (java.util.stream.Stream<Path> walk = Files.walk(folder)) {
			List<Path> all = walk.filter(Files::isRegularFile).sorted().toList();
			byte[] pack = new byte[packSize];
			int filled = 0;
			for (Path file : all) {
				byte[] content = Files.readAllBytes(file);
				if (filled + content.length > packSize) {
					sent.add(send(store, puts, slots, pack, filled, sent.size()));
					pack = new byte[packSize];
					filled = 0;
				}
				System.arraycopy(content, 0, pack, filled, content.length);
				filled += content.length;
				files++;
				bytes += content.length;
			}
			sent.add(send(store, puts, slots, pack, filled, sent.size()));
			for (java.util.concurrent.Future<?> put : sent) {
				put.get();
			}
		}
		finally {
			puts.shutdownNow();
		}
		return new long[] { files, bytes };
	}

	private static java.util.concurrent.Future<?> send(S3Store store, java.util.concurrent.ExecutorService puts,
			java.util.concurrent.Semaphore slots, byte[] pack, int length, int number) throws InterruptedException {
		// at most as many packs in memory as are being sent, as the engine's packer holds them
		slots.acquire();
		return puts.submit(() -> {
			try {
				store.put("pss/ceiling/pack-" + number, pack, length);
			}
			finally {
				slots.release();
			}
		});
	}

	/** Taken before the CPU is read after a step: reading PostgreSQL's lists every process. */
	private static double seconds(long start) {
		return (System.nanoTime() - start) / 1e9;
	}

	private static void report(String step, double seconds, double[] cpu, long files, long bytes, long uploaded) {
		System.out.printf("RESULT %s seconds=%.2f files=%d bytes=%d uploaded=%d cpu=%.2f postgres=%.2f s3proxy=%.2f%n",
				step, seconds, files, bytes, uploaded, cpu[0], cpu[1], cpu[2]);
	}

	/** CPU seconds of this JVM, its PostgreSQL and the S3 server (if its pid was given). */
	private record Cpu(Path postgresData, String s3proxyPid) {

		double[] now() {
			return new double[] { ProcessCpu.self(), ProcessCpu.postgres(this.postgresData),
					this.s3proxyPid.isEmpty() ? 0 : ProcessCpu.seconds(this.s3proxyPid, false) };
		}

		double[] since(double[] before) {
			double[] now = now();
			for (int i = 0; i < now.length; i++) {
				now[i] -= before[i];
			}
			return now;
		}

	}

	private static BackupProperties properties(java.net.URI endpoint) {
		BackupProperties.S3 s3 = new BackupProperties.S3(endpoint, "us-east-1", true, S3ProxyServer.ACCESS_KEY,
				S3ProxyServer.SECRET_KEY, System.getProperty("pss.backup.s3.bucket", "pss-bench"), "pss",
				DataSize.parse(System.getProperty("pss.backup.s3.part-size", "16MB")),
				System.getProperty("pss.backup.s3.checksum", "when-required"), "none", null, Boolean.getBoolean("pss.backup.s3.payload-signing"), 8, 64,
				Duration.ofSeconds(10), Duration.ofSeconds(120),
				DataSize.parse(System.getProperty("pss.backup.s3.multipart-threshold", "200MB")));
		return new BackupProperties(s3, DataSize.ofMegabytes(8),
				DataSize.parse(System.getProperty("pss.backup.pack-size", "32MB")),
				Integer.getInteger("pss.backup.readers", 4), Integer.getInteger("pss.backup.uploads", 8),
				Integer.getInteger("pss.backup.queue-length", 4096), Duration.ofHours(6), Duration.ofHours(24));
	}

}
