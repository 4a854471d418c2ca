package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.backup.JobQueue.Kind;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue's claims: limits on running jobs across the fleet and per cluster, and jobs whose worker
 * died (lease run out) claimed again, until they have used up their attempts. Sixteen jobs leased to
 * a worker that never ends them keep the app's own worker (limit 16) out of the way.
 */
class JobQueueIntegrationTests extends IntegrationTestSupport {

	private static final int HELD = 16;

	@Autowired
	private PlatformTransactionManager transactionManager;

	@BeforeEach
	void storagesWithJobs() {
		createProject("q");
		for (int i = 0; i < HELD + 3; i++) {
			this.api.post("/api/v1/projects/q/storages", "{\"name\": \"s" + i + "\", \"capacity\": \"1Gi\"}");
		}
		this.db.sql("UPDATE storages SET phase = 'Ready'").update();
		for (int i = 0; i < HELD + 3; i++) {
			this.db.sql("""
					INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, lease_owner,
					  lease_until, attempt)
					SELECT ?, project_id, id, cluster, 'manual', ?, now() + make_interval(secs => ?), ?, ?, ?
					FROM storages WHERE name = ?""")
				.params(UUID.randomUUID(), i < HELD ? "Running" : "Queued", i, i < HELD ? "elsewhere" : null,
						i < HELD ? OffsetDateTime.now(ZoneOffset.UTC).plusHours(1) : null, i < HELD ? 1 : 0, "s" + i)
				.update();
		}
	}

	private JobQueue queue(int maxRunning, int perCluster) {
		WorkerProperties settings = new WorkerProperties(true, false, "local", Path.of("/unused"), 1, maxRunning,
				perCluster, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(1), 2, Duration.ofDays(1),
				Duration.ofMinutes(5));
		return new JobQueue(this.db, new TransactionTemplate(this.transactionManager), Clock.systemUTC(), settings);
	}

	@Test
	void claimsNoMoreThanTheFleetMayRunOldestFirst() {
		JobQueue queue = queue(HELD + 2, 100);

		Optional<UUID> first = queue.claim(Kind.BACKUP, "t");
		Optional<UUID> second = queue.claim(Kind.BACKUP, "t");
		Optional<UUID> third = queue.claim(Kind.BACKUP, "t");

		assertThat(first).contains(idOf("s" + HELD));
		assertThat(second).contains(idOf("s" + (HELD + 1)));
		assertThat(third).isEmpty();
		assertThat(count("select count(*) from backups where state = 'Running' and lease_owner = 't' and attempt = 1"))
			.isEqualTo(2);
	}

	@Test
	void claimsNoMoreThanOneClusterMayRunButOtherClustersGoOn() {
		JobQueue queue = queue(100, HELD + 1);
		this.db.sql("UPDATE backups SET cluster = 'edge' WHERE storage_id = (SELECT id FROM storages WHERE name = ?)")
			.param("s" + (HELD + 2))
			.update();

		assertThat(queue.claim(Kind.BACKUP, "t")).contains(idOf("s" + HELD));
		// s(HELD+1) waits: its cluster runs HELD + 1 jobs now; the job in cluster edge is next
		assertThat(queue.claim(Kind.BACKUP, "t")).contains(idOf("s" + (HELD + 2)));
		assertThat(queue.claim(Kind.BACKUP, "t")).isEmpty();
	}

	@Test
	void aJobWhoseLeaseRanOutIsClaimedAgainUntilItsAttemptsAreUsedUp() {
		JobQueue queue = queue(100, 100);
		// at once, so the app's worker never sees fewer than 16 live leases: two die, two more are held
		new TransactionTemplate(this.transactionManager).executeWithoutResult(status -> {
			this.db.sql("""
					UPDATE backups SET lease_until = now() - interval '1 second',
					  attempt = CASE WHEN storage_id = (SELECT id FROM storages WHERE name = 's1') THEN 2 ELSE 1 END
					WHERE storage_id IN (SELECT id FROM storages WHERE name IN ('s0', 's1'))""").update();
			this.db.sql("""
					UPDATE backups SET state = 'Running', lease_owner = 'elsewhere', lease_until = now() + interval '1 hour'
					WHERE state = 'Queued' AND storage_id IN (SELECT id FROM storages WHERE name IN (?, ?))""")
				.params("s" + HELD, "s" + (HELD + 1))
				.update();
			this.db.sql("DELETE FROM backups WHERE state = 'Queued'").update();
		});

		assertThat(queue.claim(Kind.BACKUP, "t")).contains(idOf("s0"));
		assertThat(queue.claim(Kind.BACKUP, "t")).isEmpty();

		assertThat(count("select attempt from backups where id = ?", idOf("s0"))).isEqualTo(2);
		assertThat(this.db.sql("SELECT state || ':' || error FROM backups WHERE id = ?")
			.param(idOf("s1"))
			.query(String.class)
			.single()).startsWith("Failed:The worker running it stopped 2 times");
	}

	private UUID idOf(String storage) {
		return this.db.sql("SELECT b.id FROM backups b JOIN storages s ON s.id = b.storage_id WHERE s.name = ?")
			.param(storage)
			.query(UUID.class)
			.single();
	}

}
