package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import no.nav.security.mock.oauth2.MockOAuth2Server;

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

	private static MockOAuth2Server oidc;

	private static S3ProxyServer s3;

	/** The backup bucket all tests share. */
	public static final String BUCKET = "pss-test-backups";

	public static final String ISSUER = "pss";

	/** A real OIDC provider on loopback that signs the JWTs tests present. */
	public static synchronized MockOAuth2Server oidc() {
		if (oidc == null) {
			oidc = new MockOAuth2Server();
			oidc.start(0);
		}
		return oidc;
	}

	/**
	 * A signed access token as the platform's identity provider would issue it.
	 * @param expiresInSeconds negative for one that has already expired
	 */
	public static String userToken(String subject, long expiresInSeconds, String... groups) {
		return oidc().issueToken(ISSUER, subject, "project-storage-service",
				java.util.Map.of("groups", java.util.List.of(groups)), expiresInSeconds).serialize();
	}

	public static String adminToken() {
		return userToken("admin", 3600, "platform-admins");
	}

	private static MockCluster cluster;

	private static Path kubeconfig;

	/** The tests' cluster {@code local}: an in-memory Kubernetes API with our CRDs loaded. */
	public static synchronized MockCluster cluster() {
		if (cluster == null) {
			cluster = MockCluster.start(0);
			kubeconfig = cluster.writeKubeconfig(Path.of("target", "test-kubeconfig").toAbsolutePath());
		}
		return cluster;
	}

	/** Where the test cluster's kubeconfig is. */
	public static synchronized Path kubeconfig() {
		cluster();
		return kubeconfig;
	}

	/** The only directory kubeconfig files of clusters registered through the API may be in. */
	public static Path kubeconfigDirectory() {
		Path directory = Path.of("target", "test-kubeconfigs").toAbsolutePath();
		try {
			return Files.createDirectories(directory);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public static synchronized EmbeddedPostgresServer postgres() {
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

	/**
	 * One S3 server for the whole test JVM, its data in a temporary folder that goes with the JVM: the
	 * backup tests leave most of a GiB there, and a machine that runs the suite often would fill up.
	 */
	public static synchronized S3ProxyServer s3() {
		if (s3 == null) {
			try {
				Path data = Files.createTempDirectory("pss-test-s3");
				S3ProxyServer server = S3ProxyServer.start(data, 0);
				Runtime.getRuntime().addShutdownHook(new Thread(() -> {
					server.close();
					deleteQuietly(data);
				}, "pss-test-s3-cleanup"));
				s3 = server;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return s3;
	}

	/** Deletes a folder and what it holds, as far as it can: cleanup at exit must not fail the run. */
	static void deleteQuietly(Path folder) {
		try {
			SimulatedOperator.deleteRecursively(folder);
		}
		catch (IOException | UncheckedIOException ex) {
			// left for the system's temporary-file cleanup
		}
	}

	private static Path sharesRoot;

	/** Where storages' shares are folders: the simulated operator creates them, the worker backs them up. */
	public static synchronized Path sharesRoot() {
		if (sharesRoot == null) {
			try {
				Path root = Files.createTempDirectory("pss-test-shares");
				Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(root), "pss-test-shares-cleanup"));
				sharesRoot = root;
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return sharesRoot;
	}

	@Bean
	JdbcConnectionDetails embeddedPostgres() {
		return postgres().connectionDetails();
	}

}
