package io.mlplatform.storage.cluster;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import static org.assertj.core.api.Assertions.assertThatNoException;

class StatusMirrorTests {

	/**
	 * A periodic task that throws is never scheduled again: a resync that meets a database outage must
	 * give up this pass only (found by bench/soak.sh: storages stuck in Deleting after the outage).
	 */
	@Test
	void aResyncPassThatCannotReachTheDatabaseEndsQuietlySoTheNextOneRuns() {
		// nothing listens on port 1: every query fails as during an outage
		DriverManagerDataSource gone = new DriverManagerDataSource("jdbc:postgresql://127.0.0.1:1/pss?connectTimeout=1");
		ReconcilerProperties properties = new ReconcilerProperties(true, Duration.ofSeconds(2), Duration.ofSeconds(20), 50,
				8, Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofMillis(200), Duration.ofSeconds(60));
		StatusMirror mirror = new StatusMirror(null, null, null, JdbcClient.create(gone),
				new DataSourceTransactionManager(gone), properties, new SimpleMeterRegistry(), null);

		assertThatNoException().isThrownBy(mirror::resyncAll);
	}

}
