package io.mlplatform.storage.backup;

import java.time.Clock;
import java.util.List;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

@Configuration(proxyBeanMethods = false)
class BackupConfiguration {

	@Bean(destroyMethod = "close")
	S3Store backupStore(BackupProperties properties) {
		return new S3Store(properties.s3(), List.of());
	}

	@Bean(destroyMethod = "close")
	Snapshots snapshots(S3Store backupStore, JdbcClient db, BackupProperties properties, Clock clock) {
		return new Snapshots(backupStore, db, properties, clock);
	}

}
