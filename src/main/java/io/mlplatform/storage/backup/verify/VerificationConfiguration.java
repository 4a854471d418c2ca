package io.mlplatform.storage.backup.verify;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.WorkerProperties;

/** Verifications run on the backup worker's settings: its lease, poll, progress interval and on/off switches. */
@Configuration(proxyBeanMethods = false)
class VerificationConfiguration {

	/** Storages whose verifications fall due together are queued this many per transaction. */
	private static final int SCHEDULER_BATCH = 1000;

	@Bean
	VerificationScheduler verificationScheduler(JdbcClient db, PlatformTransactionManager transactionManager,
			Clock clock) {
		return new VerificationScheduler(db, new TransactionTemplate(transactionManager), clock, SCHEDULER_BATCH);
	}

	@Bean
	VerificationQueue verificationQueue(JdbcClient db, Clock clock, WorkerProperties properties) {
		return new VerificationQueue(db, clock, properties.lease(), properties.maxAttempts());
	}

	/** Half the backup worker's threads (at least one): verifications read S3 beside the backups that write it. */
	@Bean(destroyMethod = "close")
	VerificationWorker verificationWorker(VerificationQueue queue, JdbcClient db, Snapshots snapshots,
			VerificationScheduler scheduler, WorkerProperties properties, MeterRegistry meters, JsonMapper json) {
		return new VerificationWorker(ManagementFactory.getRuntimeMXBean().getName() + "-"
				+ UUID.randomUUID().toString().substring(0, 8), queue, db, snapshots,
				properties.schedulerEnabled() ? scheduler : null, meters, json, properties.poll(),
				properties.progressEvery(), Math.max(1, properties.threads() / 2));
	}

	@EventListener
	void startWorker(ApplicationReadyEvent event) {
		if (event.getApplicationContext().getBean(WorkerProperties.class).enabled()) {
			event.getApplicationContext().getBean(VerificationWorker.class).start();
		}
	}

}
