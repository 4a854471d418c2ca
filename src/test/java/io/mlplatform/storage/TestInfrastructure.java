package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The stand-ins every integration test runs against. One PostgreSQL serves the whole test JVM (Spring
 * caches contexts across test classes, and a second server would only cost start-up time).
 */
@TestConfiguration(proxyBeanMethods = false)
public class TestInfrastructure {

	private static EmbeddedPostgresServer postgres;

	static synchronized EmbeddedPostgresServer postgres() {
		if (postgres == null) {
			try {
				postgres = EmbeddedPostgresServer.start(Files.createTempDirectory("pss-test-pg").resolve("data"), 0,
						true);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return postgres;
	}

	@Bean
	JdbcConnectionDetails embeddedPostgres() {
		return postgres().connectionDetails();
	}

}
