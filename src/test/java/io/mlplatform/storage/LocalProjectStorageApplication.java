package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import no.nav.security.mock.oauth2.MockOAuth2Server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;

/**
 * The local run ({@code mvn spring-boot:test-run}): the real service on embedded stand-ins (PostgreSQL,
 * an OIDC provider, an in-memory Kubernetes API with a simulated NFS operator whose shares are
 * folders under {@code .local/shares/}), with its data under {@code .local/} so it survives a restart,
 * and {@code .local/sandbox.env} telling a shell how to reach everything behind it.
 */
public class LocalProjectStorageApplication {

	private static final Duration ADMIN_TOKEN_LIFETIME = Duration.ofDays(30);

	static MockOAuth2Server oidc;

	static MockCluster cluster;

	static SimulatedOperator operator;

	static S3ProxyServer s3;

	static SimulatedKubelet kubelet;

	private static final String BUCKET = "pss-backups";

	/** Where the local run keeps its data: {@code .local} of the working folder, or {@code LOCAL_ROOT}. */
	static Path root() {
		String root = System.getProperty("LOCAL_ROOT", System.getenv("LOCAL_ROOT"));
		return (root != null) ? Path.of(root).toAbsolutePath() : Path.of(System.getProperty("user.dir"), ".local").toAbsolutePath();
	}

	public static void main(String[] args) throws java.io.IOException {
		// the identity provider must be up before the app reads its issuer
		oidc = new MockOAuth2Server();
		oidc.start(Integer.getInteger("LOCAL_OIDC_PORT", 0));
		System.setProperty("pss.security.issuer-uri", oidc.issuerUrl("pss").toString());
		Path root = root();
		// the backup bucket, on disk under .local/s3 so snapshots survive a restart; up before the engine binds its settings
		s3 = S3ProxyServer.start(root.resolve("s3"), Integer.getInteger("LOCAL_S3_PORT", 0));
		s3.createBucket(BUCKET);
		System.setProperty("pss.backup.s3.endpoint", s3.endpoint().toString());
		System.setProperty("pss.backup.s3.path-style", "true");
		System.setProperty("pss.backup.s3.bucket", BUCKET);
		System.setProperty("pss.backup.s3.access-key-id", S3ProxyServer.ACCESS_KEY);
		System.setProperty("pss.backup.s3.secret-access-key", S3ProxyServer.SECRET_KEY);
		// the in-memory Kubernetes API is cluster "local", declared like a deployment declares clusters;
		// it keeps nothing across restarts, and the first resync writes every storage into it again
		cluster = MockCluster.start(Integer.parseInt(System.getenv().getOrDefault("LOCAL_K8S_PORT", "0")));
		Path kubeconfig = cluster.writeKubeconfig(root.resolve("kubeconfig"));
		System.setProperty("pss.cluster.clusters[0].name", "local");
		System.setProperty("pss.cluster.clusters[0].credentials.type", "kubeconfig");
		System.setProperty("pss.cluster.clusters[0].credentials.path", kubeconfig.toString());
		System.setProperty("pss.cluster.clusters[0].default-storage-class", "local-nfs");
		// clusters registered through the API read kubeconfigs from .local/kubeconfigs, and secret
		// credentials from the in-memory API, as a deployment reads them from its own cluster
		System.setProperty("pss.cluster.kubeconfig-directory",
				java.nio.file.Files.createDirectories(root.resolve("kubeconfigs")).toString());
		System.setProperty("pss.cluster.secrets-kubeconfig", kubeconfig.toString());
		// how often the operator walks each share for its usedBytes (a benchmark makes it rare: the walk is work)
		operator = SimulatedOperator.start(cluster.client(), root.resolve("shares"),
				Duration.parse(System.getProperty("LOCAL_USAGE_EVERY", "PT10S")));
		// each backup and restore is a Job in the storage's namespace of the in-memory cluster (kubectl get jobs -A),
		// which the simulated kubelet runs as a mover process on the share the simulated operator made for the
		// storage's PVC: through the mover API and presigned URLs, as a deployment runs them. -Dpss.worker.executor=
		// process runs movers as the service's own child processes instead, local the engine in its JVM.
		System.setProperty("pss.worker.mount-root", root.resolve("shares").toString());
		if (System.getProperty("pss.worker.executor") == null) {
			System.setProperty("pss.worker.executor", "kubernetes");
		}
		kubelet = SimulatedKubelet.start(cluster.client(), root.resolve("shares"), Map.of());
		SpringApplication.from(ProjectStorageApplication::main).with(LocalStandIns.class).run(args);
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class LocalStandIns {

		private static final Logger log = LoggerFactory.getLogger(LocalStandIns.class);

		private final Path root = root();

		@Bean(destroyMethod = "close")
		EmbeddedPostgresServer localPostgres(Environment environment) {
			int port = environment.getProperty("LOCAL_PG_PORT", Integer.class, 54329);
			return EmbeddedPostgresServer.start(this.root.resolve("postgres"), port, false);
		}

		@Bean
		JdbcConnectionDetails localDatabase(EmbeddedPostgresServer localPostgres) {
			return localPostgres.connectionDetails();
		}

		@EventListener
		void writeSandboxEnv(ApplicationReadyEvent event) {
			Environment environment = event.getApplicationContext().getEnvironment();
			EmbeddedPostgresServer postgres = event.getApplicationContext().getBean(EmbeddedPostgresServer.class);
			String port = environment.getProperty("local.server.port", "8080");
			// a platform admin's token from the local identity provider, valid while this run's keys are
			String token = oidc.issueToken("pss", "local-admin", "project-storage-service",
					Map.of("groups", List.of("platform-admins")), ADMIN_TOKEN_LIFETIME.toSeconds()).serialize();
			String env = """
					# Written by the local run (mvn spring-boot:test-run); source it: . .local/sandbox.env
					# PSS_TOKEN: a platform admin's bearer token, valid until this local run stops
					export PSS_TOKEN=%s
					export PSS_OIDC_ISSUER=%s
					export PSS_URL=http://localhost:%s
					export PGHOST=localhost
					export PGPORT=%d
					export PGUSER=postgres
					export PGDATABASE=postgres
					export DATABASE_URL=%s
					# the in-memory Kubernetes API (cluster "local"): kubectl get projectstorages -A
					export KUBECONFIG=%s
					# where the simulated operator creates each storage's share: <namespace>/<storage>
					export PSS_SHARES_ROOT=%s
					# the backup bucket (S3Proxy, data under .local/s3); aws s3 --endpoint-url "$PSS_S3_ENDPOINT" ls "s3://$PSS_S3_BUCKET"
					export PSS_S3_ENDPOINT=%s
					export PSS_S3_BUCKET=%s
					export AWS_ACCESS_KEY_ID=%s
					export AWS_SECRET_ACCESS_KEY=%s
										""".formatted(token, oidc.issuerUrl("pss"), port, postgres.port(), postgres.jdbcUrl(),
					this.root.resolve("kubeconfig"), this.root.resolve("shares"), s3.endpoint(), BUCKET,
					S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY);
			try {
				Files.createDirectories(this.root);
				Files.writeString(this.root.resolve("sandbox.env"), env);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			log.info("Local run ready at http://localhost:{} (Swagger UI: /swagger-ui.html); shell settings in {}", port,
					this.root.resolve("sandbox.env"));
		}

	}

}
