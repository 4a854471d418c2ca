package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schedule in Postgres: planned when a policy is set, fired by a scheduler whose clock the test
 * sets (the app's own scheduler is off in tests), exactly once however many schedulers tick.
 */
class BackupSchedulerIntegrationTests extends IntegrationTestSupport {

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@Autowired
	private PlatformTransactionManager transactionManager;

	@BeforeEach
	void project() {
		createProject("nlp");
	}

	private BackupScheduler schedulerAt(Instant now) {
		return new BackupScheduler(this.db, new TransactionTemplate(this.transactionManager),
				Clock.fixed(now, ZoneOffset.UTC), 7);
	}

	private Instant nextRun(String storage) {
		return this.db.sql("SELECT next_backup_at FROM storages WHERE name = ? AND deleted_at IS NULL")
			.param(storage)
			.query((row, n) -> java.util.Optional.ofNullable(row.getTimestamp(1)).map(java.sql.Timestamp::toInstant))
			.single()
			.orElse(null);
	}

	/**
	 * Ticks at one instant until the due storages are queued. A tick skips a row another transaction
	 * holds (the cluster mirror writing the new storage's status, say) and the next tick takes it, as
	 * the app's scheduler does a minute later; the count of backups shows nothing was queued twice.
	 */
	private int tickUntilQueued(Instant at, int expected) {
		return tickUntil(at, queued -> queued >= expected);
	}

	/**
	 * Ticks at {@code at} until {@code done} holds, given what the ticks queued so far: a tick skips a row
	 * that another transaction holds (the cluster mirror writing a status), and the next one takes it.
	 * Returns the number of backups the ticks queued.
	 */
	private int tickUntil(Instant at, java.util.function.IntPredicate done) {
		int[] queued = { 0 };
		Awaitility.await()
			.atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> done.test(queued[0] += schedulerAt(at).tick()));
		return queued[0];
	}

	@Test
	void plansTheNextRunFromTheScheduleInItsTimeZoneAndAgainWhenThePolicyChanges() {
		Instant before = Instant.now();
		this.api.post(STORAGES, """
				{"name": "data", "capacity": "1Gi", "backupPolicy": {"schedule": "30 3 * * *", "timeZone": "Europe/Berlin"}}""");

		Instant planned = nextRun("data");
		assertThat(planned).isEqualTo(BackupScheduler.next("30 3 * * *", "Europe/Berlin", before));
		assertThat(planned.atZone(java.time.ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(3);

		this.api.patch(STORAGES + "/data", "{\"backupPolicy\": {\"schedule\": \"@hourly\"}}");
		Instant hourly = nextRun("data");
		assertThat(hourly).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(3600));
		assertThat(hourly.atZone(ZoneOffset.UTC).getMinute()).isZero();

		this.api.patch(STORAGES + "/data", "{\"labels\": {\"a\": \"b\"}}");
		assertThat(nextRun("data")).isEqualTo(hourly);

		this.api.patch(STORAGES + "/data", "{\"backupPolicy\": {\"enabled\": false}}");
		assertThat(nextRun("data")).isNull();
	}

	@Test
	void aDueScheduleQueuesOneBackupAndMovesToTheNextRun() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"schedule\": \"0 2 * * *\"}}");
		Instant due = nextRun("data");

		assertThat(schedulerAt(due.minusSeconds(1)).tick()).isZero();
		assertThat(tickUntilQueued(due.plusSeconds(5), 1)).isEqualTo(1);
		assertThat(schedulerAt(due.plusSeconds(6)).tick()).isZero();

		assertThat(count("select count(*) from backups where trigger = 'scheduled' and state = 'Queued'")).isEqualTo(1);
		assertThat(nextRun("data")).isEqualTo(due.plusSeconds(24 * 3600));
		Response listed = this.api.get(STORAGES + "/data/backups");
		assertThat(listed.json().path("items").get(0).path("trigger").asString()).isEqualTo("scheduled");
		// the next day's run finds this one still queued: no second backup of the storage waits
		int queuedNextDay = tickUntil(due.plusSeconds(24 * 3600 + 1),
				queued -> due.plusSeconds(2 * 24 * 3600).equals(nextRun("data")));
		assertThat(queuedNextDay).isZero();
		assertThat(count("select count(*) from backups")).isEqualTo(1);
	}

	@Test
	void schedulersTickingAtOnceQueueEachDueBackupExactlyOnce() throws Exception {
		for (int i = 0; i < 40; i++) {
			this.api.post(STORAGES, "{\"name\": \"s" + i + "\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"schedule\": \"0 2 * * *\"}}");
		}
		this.api.post(STORAGES, "{\"name\": \"off\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"enabled\": false}}");
		Instant due = nextRun("s0").plusSeconds(1);

		ExecutorService threads = Executors.newFixedThreadPool(4);
		List<Callable<Integer>> ticks = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			ticks.add(() -> schedulerAt(due).tick());
		}
		int queued = 0;
		for (Future<Integer> tick : threads.invokeAll(ticks)) {
			queued += tick.get();
		}
		threads.shutdown();
		queued += tickUntilQueued(due, 40 - queued);

		assertThat(queued).isEqualTo(40);
		assertThat(count("select count(*) from backups")).isEqualTo(40);
		assertThat(count("select count(distinct storage_id) from backups")).isEqualTo(40);
		assertThat(count("select count(*) from storages where next_backup_at <= ?", java.sql.Timestamp.from(due)))
			.isZero();
	}

	@Test
	void aStorageWhoseScheduleWasNeverPlannedIsPlannedNotFired() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		this.db.sql("UPDATE storages SET next_backup_at = NULL").update();
		Instant now = Instant.now();

		int fired = tickUntil(now, queued -> nextRun("data") != null);

		assertThat(fired).isZero();
		assertThat(nextRun("data")).isEqualTo(BackupScheduler.next("0 2 * * *", "UTC", now));
		assertThat(count("select count(*) from backups")).isZero();
	}

}
