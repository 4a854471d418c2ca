package io.mlplatform.storage.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import no.nav.security.mock.oauth2.MockOAuth2Server;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import io.mlplatform.storage.EmbeddedPostgresServer;
import io.mlplatform.storage.MockCluster;
import io.mlplatform.storage.ProjectStorageApplication;
import io.mlplatform.storage.S3ProxyServer;
import io.mlplatform.storage.SimulatedOperator;
import io.mlplatform.storage.TcpProxy;

/**
 * Everything the load runs against, of its own: PostgreSQL, S3Proxy, the mock cluster with the simulated
 * operator and an OIDC provider, each behind a proxy a fault can cut (PostgreSQL and the cluster API:
 * {@link TcpProxy}; S3: {@link FaultyHttpProxy}); the service in this JVM, and a second instance of it
 * in a child JVM that a fault kills with -9. Nothing here is shared with other tests' contexts.
 */
final class ServiceStand implements AutoCloseable {

	static final String BUCKET = "pss-reliability";

	private final Path root;

	private final List<AutoCloseable> closing = new ArrayList<>();

	final EmbeddedPostgresServer postgres;

	final TcpProxy database;

	final S3ProxyServer s3;

	final FaultyHttpProxy s3Faults;

	final MockCluster cluster;

	final TcpProxy clusterApi;

	final SimulatedOperator operator;

	final MockOAuth2Server oidc;

	final JdbcClient db;

	private final Map<String, String> settings;

	private final String secondExecutor;

	private ConfigurableApplicationContext service;

	private Process secondInstance;

	private int secondPort;

	/** Kept after the run: what the killed instance was doing. */
	private final Path secondInstanceLog;

	/** @param secondExecutor how the second instance runs jobs ({@code local} or {@code process}); the first runs them in its JVM */
	ServiceStand(String secondExecutor) {
		try {
			this.root = Files.createTempDirectory("pss-reliability");
			this.secondInstanceLog = Files.createDirectories(Path.of("target", "reliability").toAbsolutePath())
				.resolve("second-instance-" + ProcessHandle.current().pid() + ".log");
			this.postgres = EmbeddedPostgresServer.start(this.root.resolve("postgres"), 0, true);
			this.closing.add(this.postgres::close);
			this.database = TcpProxy.start();
			this.database.forwardTo(this.postgres.port());
			this.closing.add(this.database);
			this.s3 = S3ProxyServer.start(this.root.resolve("s3"), 0);
			this.closing.add(this.s3::close);
			this.s3.createBucket(BUCKET);
			this.s3Faults = FaultyHttpProxy.start(this.s3.endpoint().getPort());
			this.closing.add(this.s3Faults);
			this.cluster = MockCluster.start(0);
			this.closing.add(this.cluster::stop);
			this.clusterApi = TcpProxy.start();
			this.clusterApi.forwardTo(Integer.parseInt(this.cluster.url().substring(this.cluster.url().lastIndexOf(':') + 1)));
			this.closing.add(this.clusterApi);
			Path kubeconfig = this.cluster.writeKubeconfig(this.root.resolve("kubeconfig"));
			Files.writeString(kubeconfig,
					Files.readString(kubeconfig).replace(this.cluster.url(), "http://127.0.0.1:" + this.clusterApi.port()));
			this.operator = SimulatedOperator.start(this.cluster.client(), Files.createDirectories(sharesRoot()),
					java.time.Duration.ofSeconds(30));
			this.closing.add(this.operator::close);
			this.oidc = new MockOAuth2Server();
			this.oidc.start(0);
			this.closing.add(this.oidc::shutdown);
			this.db = JdbcClient.create(new SimpleDriverDataSource(new org.postgresql.Driver(), this.postgres.jdbcUrl(),
					"postgres", ""));
			this.settings = settings(kubeconfig);
			this.secondExecutor = secondExecutor;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	Path sharesRoot() {
		return this.root.resolve("shares");
	}

	/** What a deployment of two replicas sets, pointed at the proxies. */
	private Map<String, String> settings(Path kubeconfig) throws IOException {
		Map<String, String> settings = new LinkedHashMap<>();
		settings.put("server.port", "0");
		settings.put("spring.datasource.url", "jdbc:postgresql://127.0.0.1:" + this.database.port() + "/postgres");
		settings.put("spring.datasource.username", "postgres");
		settings.put("spring.datasource.password", "");
		settings.put("pss.security.issuer-uri", this.oidc.issuerUrl("pss").toString());
		settings.put("pss.cluster.clusters[0].name", "local");
		settings.put("pss.cluster.clusters[0].credentials.type", "kubeconfig");
		settings.put("pss.cluster.clusters[0].credentials.path", kubeconfig.toString());
		settings.put("pss.cluster.kubeconfig-directory", Files.createDirectories(this.root.resolve("kubeconfigs")).toString());
		settings.put("pss.cluster.secrets-kubeconfig", kubeconfig.toString());
		settings.put("pss.backup.s3.endpoint", "http://127.0.0.1:" + this.s3Faults.port());
		settings.put("pss.backup.s3.path-style", "true");
		settings.put("pss.backup.s3.bucket", BUCKET);
		settings.put("pss.backup.s3.access-key-id", S3ProxyServer.ACCESS_KEY);
		settings.put("pss.backup.s3.secret-access-key", S3ProxyServer.SECRET_KEY);
		settings.put("pss.worker.mount-root", sharesRoot().toString());
		settings.put("pss.worker.executor", "local");
		settings.put("pss.worker.scheduler-enabled", "false");
		settings.put("pss.worker.poll", "500ms");
		// a killed instance's jobs are claimed again once this runs out
		settings.put("pss.worker.lease", "6s");
		settings.put("pss.worker.progress-every", "2s");
		settings.put("pss.storage.default-backup-policy.backup-before-delete", "false");
		// storages deleted while the cluster API was cut stay Deleting after it is back, until a resync finds
		// their objects gone (the informer that reconnected through the proxy never reports those deletions:
		// not yet known whether the mock API server's watch or the informer drops them); the default resync
		// is 5 min, longer than the short test
		settings.put("pss.reconciler.resync", "20s");
		settings.put("logging.level.root", "WARN");
		settings.put("logging.level.io.mlplatform", "WARN");
		return settings;
	}

	/** Starts both instances, the second in a child JVM, and waits for them. */
	ServiceStand startBoth() {
		startSecondInstance();
		startService();
		FaultsUnderLoad.awaitUpTo(java.time.Duration.ofMinutes(3), () -> !this.secondInstance.isAlive() || secondInstanceUp());
		if (!secondInstanceUp()) {
			throw new IllegalStateException("The second instance did not come up; see " + this.secondInstanceLog);
		}
		return this;
	}

	/** Starts the service in this JVM; returns its port. */
	int startService() {
		List<String> args = this.settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList();
		this.service = new SpringApplicationBuilder(ProjectStorageApplication.class).run(args.toArray(String[]::new));
		this.closing.add(this.service::close);
		return port();
	}

	/** How many resyncs this JVM's instance ran, by cluster and outcome (one every 20 s while it runs). */
	String resyncPasses() {
		StringBuilder passes = new StringBuilder();
		this.service.getBean(io.micrometer.core.instrument.MeterRegistry.class)
			.find("pss.cluster.resync")
			.timers()
			.forEach(timer -> passes.append(timer.getId().getTag("cluster")).append(' ')
				.append(timer.getId().getTag("outcome")).append(": ").append(timer.count()).append("; "));
		return passes.isEmpty() ? "none" : passes.toString();
	}

	int port() {
		return Integer.parseInt(this.service.getEnvironment().getProperty("local.server.port"));
	}

	/** The second replica: the same service in a JVM of its own, which {@link #killSecondInstance} kills with -9. */
	Process startSecondInstance() {
		try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			this.secondPort = probe.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
				ProjectStorageApplication.class.getName()));
		this.settings.forEach((key, value) -> command.add("--" + key + "=" + switch (key) {
			case "server.port" -> this.secondPort;
			case "pss.worker.executor" -> this.secondExecutor;
			default -> value;
		}));
		try {
			this.secondInstance = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(this.secondInstanceLog.toFile())
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.closing.add(this.secondInstance::destroyForcibly);
		return this.secondInstance;
	}

	boolean secondInstanceUp() {
		try {
			java.net.http.HttpResponse<Void> health = java.net.http.HttpClient.newBuilder()
				.connectTimeout(java.time.Duration.ofSeconds(2))
				.build()
				.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + this.secondPort + "/actuator/health"))
					.timeout(java.time.Duration.ofSeconds(5))
					.build(), java.net.http.HttpResponse.BodyHandlers.discarding());
			return health.statusCode() == 200;
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/** The jobs the second instance holds leases on right now. */
	List<String> secondInstanceJobs() {
		String owner = this.secondInstance.pid() + "@%";
		return this.db.sql("""
				SELECT id::text FROM backups WHERE state = 'Running' AND lease_owner LIKE ?
				UNION ALL SELECT id::text FROM restores WHERE state = 'Running' AND lease_owner LIKE ?""")
			.params(owner, owner)
			.query(String.class)
			.list();
	}

	List<String> runningJobs() {
		return this.db.sql("""
				SELECT id::text FROM backups WHERE state = 'Running'
				UNION ALL SELECT id::text FROM restores WHERE state = 'Running'""").query(String.class).list();
	}

	/** Whether none of these backups or restores is Queued or Running any more. */
	boolean ended(List<String> jobs) {
		if (jobs.isEmpty()) {
			return true;
		}
		return this.db.sql("""
				SELECT (SELECT count(*) FROM backups WHERE state IN ('Queued', 'Running') AND id::text IN (:ids))
				     + (SELECT count(*) FROM restores WHERE state IN ('Queued', 'Running') AND id::text IN (:ids))""")
			.param("ids", jobs)
			.query(Long.class)
			.single() == 0;
	}

	/** A mover process that one of the instances started and that is running now. */
	java.util.Optional<ProcessHandle> runningMover() {
		return ProcessHandle.current()
			.descendants()
			.filter(process -> process.info().commandLine().orElse("").contains("io.mlplatform.storage.mover.Mover"))
			.findFirst();
	}

	void killSecondInstance() {
		this.secondInstance.destroyForcibly(); // SIGKILL: no shutdown hook, no lease handed back
		try {
			this.secondInstance.waitFor();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	String adminToken() {
		return this.oidc.issueToken("pss", "reliability", "project-storage-service",
				Map.of("groups", List.of("platform-admins")), 3600).serialize();
	}

	@Override
	public void close() {
		for (int i = this.closing.size() - 1; i >= 0; i--) {
			try {
				this.closing.get(i).close();
			}
			catch (Exception ex) {
				// the rest still goes
			}
		}
		try {
			SimulatedOperator.deleteRecursively(this.root);
		}
		catch (IOException | UncheckedIOException ex) {
			// left for the system's temporary-file cleanup
		}
	}

}
