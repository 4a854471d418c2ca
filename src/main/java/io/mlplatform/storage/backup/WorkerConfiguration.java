package io.mlplatform.storage.backup;

import java.net.URI;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.backup.kubernetes.MoverJobInformers;
import io.mlplatform.storage.backup.kubernetes.MoverJobManifests;
import io.mlplatform.storage.backup.kubernetes.MoverJobProperties;
import io.mlplatform.storage.cluster.ClusterCalls;
import io.mlplatform.storage.cluster.ClusterClients;
import io.mlplatform.storage.snapshot.EngineSettings;
import io.mlplatform.storage.web.JsonColumns;

@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

	/** Storages whose schedules fall due together are queued this many per transaction. */
	private static final int SCHEDULER_BATCH = 1000;

	@Bean
	BackupScheduler backupScheduler(JdbcClient db, PlatformTransactionManager transactionManager, Clock clock) {
		return new BackupScheduler(db, new TransactionTemplate(transactionManager), clock, SCHEDULER_BATCH);
	}

	@Bean
	WorkerMetrics workerMetrics(MeterRegistry meters, JdbcClient db, Clock clock) {
		return new WorkerMetrics(meters, db, clock);
	}

	@Bean
	JobQueue jobQueue(JdbcClient db, PlatformTransactionManager transactionManager, Clock clock,
			WorkerProperties properties, WorkerMetrics metrics) {
		return new JobQueue(db, new TransactionTemplate(transactionManager), clock, properties, metrics);
	}

	/** Every instance answers every mover, whichever instance started its run. */
	@Bean
	MoverRuns moverRuns(JdbcClient db, PlatformTransactionManager transactionManager, JobQueue jobQueue,
			Snapshots snapshots, S3Store backupStore, BackupProperties backup, MoverProperties properties,
			WorkerProperties worker, WorkerMetrics metrics, Clock clock, JsonColumns columns) {
		return new MoverRuns(db, new TransactionTemplate(transactionManager), jobQueue, snapshots, backupStore, backup,
				properties, worker, metrics, clock, columns);
	}

	@Bean(destroyMethod = "close")
	BackupWorker backupWorker(JdbcClient db, JobQueue jobQueue, Snapshots snapshots, BackupScheduler backupScheduler,
			WorkerProperties properties, Clock clock, JsonColumns columns, ApplicationEventPublisher events,
			WorkerMetrics metrics) {
		return new BackupWorker(BackupWorker.instanceName(), jobQueue, db,
				new LocalExecutor(snapshots, properties.mountRoot()), snapshots,
				properties.schedulerEnabled() ? backupScheduler : null, properties, clock, columns,
				events::publishEvent, metrics);
	}

	/** Follows the runs in Kubernetes Jobs on every instance whose worker runs; idle without such runs. */
	@Bean(destroyMethod = "close")
	MoverJobSweep moverJobSweep(JdbcClient db, MoverRuns moverRuns, ClusterClients clusterClients,
			MoverJobProperties properties, WorkerProperties worker, Clock clock) {
		return new MoverJobSweep(db, moverRuns, new MoverJobInformers(), clusterClients::client, properties, worker,
				clock);
	}

	/** This instance's own port, where a child mover reaches it unless another URL is configured. */
	private final AtomicInteger port = new AtomicInteger();

	@EventListener
	void rememberPort(WebServerInitializedEvent event) {
		if (event.getApplicationContext().getServerNamespace() == null) {
			this.port.set(event.getWebServer().getPort());
		}
	}

	@EventListener
	void startWorker(ApplicationReadyEvent event) {
		ApplicationContext context = event.getApplicationContext();
		WorkerProperties properties = context.getBean(WorkerProperties.class);
		BackupWorker worker = context.getBean(BackupWorker.class);
		MoverProperties movers = context.getBean(MoverProperties.class);
		EngineSettings engine = movers.engine(context.getBean(BackupProperties.class).engine());
		Supplier<URI> url = (movers.serviceUrl() != null && !movers.serviceUrl().toString().isBlank())
				? movers::serviceUrl : () -> URI.create("http://127.0.0.1:" + this.port.get());
		// any cluster may name its own executor: both kinds of mover are ready whatever the default
		worker.moveWith(new ProcessExecutor(context.getBean(MoverRuns.class), movers,
				new LocalExecutor(context.getBean(Snapshots.class), properties.mountRoot()), url,
				context.getBean(JdbcClient.class), engine));
		KubernetesExecutor jobs = new KubernetesExecutor(context.getBean(MoverRuns.class),
				new MoverJobManifests(context.getBean(MoverJobProperties.class), movers.javaOptions(engine),
						engine.moverHeap()),
				context.getBean(ClusterClients.class)::client, url, context.getBean(JdbcClient.class),
				context.getBean(ClusterCalls.class), context.getBean(Clock.class));
		worker.runInClustersWith(jobs);
		if (properties.enabled()) {
			worker.start();
			context.getBean(MoverJobSweep.class).start(jobs);
		}
	}

}
