package io.mlplatform.storage;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The full app on a random port over the embedded PostgreSQL, called over real HTTP. Each test starts
 * from empty tables so assertions on what is (and is not) in the database are exact.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "logging.level.io.zonky=WARN", "logging.level.org.springframework=WARN", "logging.level.org.hibernate=WARN",
				"logging.level.org.flywaydb=WARN", "logging.level.com.zaxxer=WARN", "logging.level.org.apache=WARN",
				"logging.level.io.fabric8=WARN",
				// tests resync when they mean to; a periodic one would race their assertions
				"pss.reconciler.resync=6h",
				// tests tick the backup scheduler with a clock of their own; the worker picks jobs up quickly
				"pss.worker.scheduler-enabled=false", "pss.worker.poll=200ms",
				// deleting a storage waits for a final backup only where a test asks for one
				"pss.storage.default-backup-policy.backup-before-delete=false" })
@Import(TestInfrastructure.class)
public abstract class IntegrationTestSupport {

	@LocalServerPort
	protected int port;

	@Autowired
	protected JdbcClient db;

	protected ApiClient api;

	@DynamicPropertySource
	static void identityProvider(DynamicPropertyRegistry registry) {
		registry.add("pss.security.issuer-uri", () -> TestInfrastructure.oidc().issuerUrl(TestInfrastructure.ISSUER).toString());
		standIns(registry);
	}

	/** Everything but the identity provider: the tests' cluster, bucket and shares. */
	static void standIns(DynamicPropertyRegistry registry) {
		// the one cluster of the tests, declared the way a deployment declares its clusters
		registry.add("pss.cluster.clusters[0].name", () -> "local");
		registry.add("pss.cluster.clusters[0].credentials.type", () -> "kubeconfig");
		registry.add("pss.cluster.clusters[0].credentials.path", () -> TestInfrastructure.kubeconfig().toString());
		registry.add("pss.cluster.kubeconfig-directory", () -> TestInfrastructure.kubeconfigDirectory().toString());
		// secret credentials are read from the tests' cluster, as in production from the service's own
		registry.add("pss.cluster.secrets-kubeconfig", () -> TestInfrastructure.kubeconfig().toString());
		// the backup bucket on the tests' S3 server, and the worker on the simulated operator's shares
		registry.add("pss.backup.s3.endpoint", () -> {
			TestInfrastructure.s3().createBucket(TestInfrastructure.BUCKET);
			return TestInfrastructure.s3().endpoint().toString();
		});
		// a context with a database of its own has a bucket of its own (see OwnDatabase)
		registry.add("pss.backup.s3.bucket", () -> "pss-test-${" + OwnDatabase.NAME + ":backups}");
		registry.add("pss.backup.s3.path-style", () -> "true");
		registry.add("pss.backup.s3.access-key-id", () -> S3ProxyServer.ACCESS_KEY);
		registry.add("pss.backup.s3.secret-access-key", () -> S3ProxyServer.SECRET_KEY);
		registry.add("pss.worker.mount-root", () -> TestInfrastructure.sharesRoot().toString());
	}

	@BeforeEach
	protected void cleanDatabaseAndConnect() {
		// a change the previous test queued that the local cluster's reconciler is about to claim would land
		// in the cluster after it is cleared, and the next test's object of the same name would then not be
		// ours; one that waits behind a failing change of its object, or for a cluster that is down, does not
		// land, and is cleared with the outbox
		try {
			Awaitility.await()
				.atMost(Duration.ofSeconds(10))
				.until(() -> count("""
						select count(*) from cluster_outbox o
						where cluster = 'local' and attempts = 0 and not_before <= now()
						  and (claimed_until is null or claimed_until <= now())
						  and not exists (select 1 from cluster_outbox f where f.cluster = o.cluster and f.kind = o.kind
						    and f.namespace = o.namespace and f.name = o.name and f.attempts > 0)""") == 0);
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			// the local cluster is paused or down: nothing of it will land
		}
		// one in a reconciler's hands: let it land before clearing
		Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.until(() -> count("select count(*) from cluster_outbox where claimed_until > now()") == 0);
		// the app's worker may hold locks on job rows a moment: a deadlock with it is retried
		Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.ignoreException(org.springframework.dao.PessimisticLockingFailureException.class)
			.until(() -> this.db.sql("TRUNCATE projects, audit_events, mover_runs CASCADE").update() >= 0);
		this.db.sql("DELETE FROM clusters WHERE source = 'api'").update();
		this.db.sql("TRUNCATE cluster_outbox").update();
		// the mock API server's event loop can stall for up to 30 s when a watch closes while it sends
		// an event to it (fabric8's WatchEventsListener waits for its sender on the event loop): wait that out
		Awaitility.await()
			.atMost(Duration.ofSeconds(75))
			.ignoreException(io.fabric8.kubernetes.client.KubernetesClientException.class)
			.until(() -> {
				TestInfrastructure.cluster().clear();
				return true;
			});
		// shares are folders named after project and storage: a name reused by the next test starts empty
		Awaitility.await()
			.atMost(Duration.ofSeconds(30))
			.ignoreException(java.io.UncheckedIOException.class)
			.until(() -> deleteContents(TestInfrastructure.sharesRoot()));
		this.api = new ApiClient(this.port).as(TestInfrastructure.adminToken());
	}

	/** @return true; throws when a job still writing there got in the way */
	private static boolean deleteContents(java.nio.file.Path root) {
		try (java.util.stream.Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(root)) {
			for (java.nio.file.Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
				if (!path.equals(root)) {
					java.nio.file.Files.deleteIfExists(path);
				}
			}
		}
		catch (java.io.IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		return true;
	}

	protected long count(String sql, Object... params) {
		var statement = this.db.sql(sql);
		for (Object param : params) {
			statement = statement.param(param);
		}
		return statement.query(Long.class).single();
	}

	/**
	 * Waits until a deleted storage is gone: deletion finishes asynchronously, once its custom
	 * resource has left the cluster.
	 */
	protected void awaitGone(String path) {
		org.awaitility.Awaitility.await()
			.atMost(java.time.Duration.ofSeconds(20))
			.pollInterval(java.time.Duration.ofMillis(20))
			.until(() -> this.api.get(path).status() == 404);
	}

	protected void createProject(String name) {
		ApiClient.Response response = this.api.post("/api/v1/projects", "{\"name\": \"" + name + "\"}");
		if (response.status() != 201) {
			throw new IllegalStateException("Could not create project " + name + ": " + response);
		}
	}

}
