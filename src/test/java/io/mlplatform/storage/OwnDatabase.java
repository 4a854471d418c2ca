package io.mlplatform.storage;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * A database of a test context's own on the tests' PostgreSQL server, named by {@value #NAME}. The
 * contexts of a test run stay up side by side, and each one's worker claims whatever job it finds in
 * its database: a context whose jobs must run its way (as movers) keeps them where no other worker
 * looks. It has a bucket of its own as well, {@code pss-test-<name>}, or another context's garbage
 * collection would count its objects as unknown (and this one's, theirs).
 */
@TestConfiguration(proxyBeanMethods = false)
public class OwnDatabase {

	public static final String NAME = "test.own-database";

	@Bean
	@Primary
	JdbcConnectionDetails ownDatabase(@Value("${" + NAME + "}") String name) {
		if (!name.matches("[a-z][a-z0-9_]{0,30}")) {
			throw new IllegalArgumentException("Not a database name: " + name);
		}
		JdbcConnectionDetails tests = TestInfrastructure.postgres().connectionDetails();
		JdbcClient server = JdbcClient.create(new SimpleDriverDataSource(new org.postgresql.Driver(), tests.getJdbcUrl(),
				tests.getUsername(), tests.getPassword()));
		if (server.sql("SELECT count(*) FROM pg_database WHERE datname = ?").param(name).query(Long.class).single() == 0) {
			server.sql("CREATE DATABASE " + name).update();
		}
		TestInfrastructure.s3().createBucket("pss-test-" + name);
		String url = tests.getJdbcUrl().substring(0, tests.getJdbcUrl().lastIndexOf('/')) + "/" + name;
		return new JdbcConnectionDetails() {

			@Override
			public String getUsername() {
				return tests.getUsername();
			}

			@Override
			public String getPassword() {
				return tests.getPassword();
			}

			@Override
			public String getJdbcUrl() {
				return url;
			}

		};
	}

}
