package io.mlplatform.storage.backup;

import java.time.Clock;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

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

	@Bean(destroyMethod = "close")
	BackupWorker backupWorker(JdbcClient db, PlatformTransactionManager transactionManager, Snapshots snapshots,
			BackupScheduler backupScheduler, WorkerProperties properties, Clock clock, JsonColumns columns,
			ApplicationEventPublisher events, WorkerMetrics metrics) {
		JobQueue queue = new JobQueue(db, new TransactionTemplate(transactionManager), clock, properties, metrics);
		return new BackupWorker(BackupWorker.instanceName(), queue, db,
				new LocalExecutor(snapshots, properties.mountRoot()), snapshots,
				properties.schedulerEnabled() ? backupScheduler : null, properties, clock, columns,
				events::publishEvent, metrics);
	}

	@EventListener
	void startWorker(ApplicationReadyEvent event) {
		WorkerProperties properties = event.getApplicationContext().getBean(WorkerProperties.class);
		if (properties.enabled()) {
			event.getApplicationContext().getBean(BackupWorker.class).start();
		}
	}

}
