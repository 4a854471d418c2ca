package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mlplatform.storage.S3ProxyServer;
import io.mlplatform.storage.TestInfrastructure;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.unit.DataSize;

/**
 * The engine over the shared test PostgreSQL and S3 server, without a Spring context: each test gets
 * its own project (so its own part of the bucket and of the content index) and temporary folders.
 */
abstract class BackupTestSupport {

	private static HikariDataSource dataSource;

	protected JdbcClient db;

	protected S3Store store;

	protected Snapshots snapshots;

	protected String project;

	@TempDir
	protected Path temp;

	static synchronized HikariDataSource dataSource() {
		if (dataSource == null) {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(TestInfrastructure.postgres().jdbcUrl());
			config.setUsername("postgres");
			config.setMaximumPoolSize(10);
			dataSource = new HikariDataSource(config);
			Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
		}
		return dataSource;
	}

	@BeforeEach
	void startEngine() {
		this.db = JdbcClient.create(dataSource());
		this.project = "p-" + UUID.randomUUID().toString().substring(0, 8);
		this.store = new S3Store(properties().s3(), transport());
		this.store.createBucketIfMissing();
		this.snapshots = new Snapshots(this.store, dataSource(), properties(), clock());
	}

	@AfterEach
	void stopEngine() {
		this.snapshots.close();
		this.store.close();
	}

	/**
	 * Small thresholds, so that a few KiB of test files exercise packs and blobs; a blob of up to 8 MB is
	 * one PUT, a larger one a multipart upload of 5 MB parts.
	 */
	protected BackupProperties properties() {
		// a child JVM (CrashSafetyTests) is told the parent's server rather than starting its own
		String endpoint = System.getProperty("pss.test.s3-endpoint");
		BackupProperties.S3 settings = new BackupProperties.S3(
				(endpoint != null) ? URI.create(endpoint) : TestInfrastructure.s3().endpoint(), "us-east-1", true,
				S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, TestInfrastructure.BUCKET, "pss",
				DataSize.ofBytes(5 * 1024 * 1024), "when-supported", "none", null, false, 4, 16, Duration.ofSeconds(5),
				Duration.ofSeconds(30), DataSize.ofMegabytes(8));
		return new BackupProperties(settings, DataSize.ofKilobytes(64), DataSize.ofKilobytes(256), 3, 4, 64,
				Duration.ofHours(6), Duration.ofHours(24));
	}

	protected Clock clock() {
		return Clock.systemUTC();
	}

	protected UnaryOperator<SdkHttpClient> transport() {
		return UnaryOperator.identity();
	}

	/** A transport that lets {@code before} act on each request, on the sending thread, before it is sent. */
	protected static UnaryOperator<SdkHttpClient> before(Consumer<SdkHttpRequest> before) {
		return delegate -> new SdkHttpClient() {

			@Override
			public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
				before.accept(request.httpRequest());
				return delegate.prepareRequest(request);
			}

			@Override
			public void close() {
				delegate.close();
			}

		};
	}

	protected Path folder(String name) {
		try {
			return Files.createDirectories(this.temp.resolve(name));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	protected static void write(Path file, byte[] content) {
		try {
			Files.createDirectories(file.getParent());
			Files.write(file, content);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	protected static byte[] random(int size, long seed) {
		byte[] bytes = new byte[size];
		new java.util.Random(seed).nextBytes(bytes);
		return bytes;
	}

	protected List<String> keys(String under) {
		return this.store.list("pss/projects/" + this.project + "/" + under).map(o -> o.key()).toList();
	}


}
