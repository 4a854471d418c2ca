package io.mlplatform.storage.backup;

import java.time.Clock;

import javax.sql.DataSource;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class BackupConfiguration {

	@Bean(destroyMethod = "close")
	S3Store backupStore(BackupProperties properties) {
		return new S3Store(properties.s3());
	}

	@Bean(destroyMethod = "close")
	Snapshots snapshots(S3Store backupStore, DataSource dataSource, BackupProperties properties, Clock clock) {
		return new Snapshots(backupStore, dataSource, properties, clock);
	}

}
