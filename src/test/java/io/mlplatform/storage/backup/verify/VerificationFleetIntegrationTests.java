package io.mlplatform.storage.backup.verify;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.Parallel;
import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.TestBackups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Verifications with more than one service instance: the app's worker and a second one share the
 * queue without running a verification twice, a verification whose worker died is taken over once its
 * lease runs out, and schedulers ticking at once queue a due verification once. The storage is never
 * Ready here: a verification reads the bucket only, so it does not wait for the share.
 */
class VerificationFleetIntegrationTests extends IntegrationTestSupport {

	private static final String BACKUPS = "/api/v1/projects/nlp/storages/data/backups";

	@Autowired
	private Snapshots snapshots;

	@Autowired
	private VerificationWorker appWorker;

	@Autowired
	private VerificationScheduler appScheduler;

	@Autowired
	private MeterRegistry meters;

	@Autowired
	private JsonMapper json;

	@Autowired
	private PlatformTransactionManager transactionManager;

	private final List<VerificationWorker> workers = new ArrayList<>();

	@BeforeEach
	void storage() {
		createProject("nlp");
		Response created = this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		assertThat(created.status()).as(created.toString()).isEqualTo(201);
	}

	@AfterEach
	void stopWorkers() {
		this.workers.forEach(VerificationWorker::close);
	}

	private VerificationWorker secondWorker() {
		VerificationWorker worker = new VerificationWorker("second-" + UUID.randomUUID(),
				new VerificationQueue(this.db, Clock.systemUTC(), Duration.ofSeconds(30), 5), this.db, this.snapshots,
				null, this.meters, this.json, Duration.ofMillis(200), Duration.ofSeconds(1), 2);
		this.workers.add(worker);
		return worker;
	}

	private String backup(int n) {
		return TestBackups.take(this.db, this.snapshots, "nlp", "data", Map.of("f" + n + ".txt", "content " + n));
	}

	/** A verification as a worker leaves it while it runs, its lease ending at now() plus or minus something. */
	private void running(String backup, String owner, String leaseFromNow) {
		this.db.sql("""
				INSERT INTO verifications (id, project_id, storage_id, backup_id, trigger, data_fraction, cursor_start,
				  state, created_at, started_at, lease_owner, lease_until, attempt)
				SELECT gen_random_uuid(), project_id, storage_id, id, 'manual', 1.0, 0, 'Running', now(), now(), ?,
				  now() %s, 1
				FROM backups WHERE id = cast(? as uuid)""".formatted(leaseFromNow))
			.params(owner, backup)
			.update();
	}

	@Test
	void twoWorkersRunEachVerificationExactlyOnce() {
		List<String> backups = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			backups.add(backup(i));
		}
		VerificationWorker second = secondWorker();
		second.start();
		int appBefore = this.appWorker.finished();

		for (String backup : backups) {
			assertThat(this.api.post(BACKUPS + "/" + backup + ":verify", "{\"dataFraction\": 1.0}").status()).isEqualTo(202);
		}

		await().atMost(Duration.ofSeconds(60))
			.until(() -> count("select count(*) from verifications where state = 'Succeeded'") == backups.size());
		assertThat(count("select count(*) from verifications where attempt <> 1")).isZero();
		assertThat(this.appWorker.finished() - appBefore + second.finished()).isEqualTo(backups.size());
		// each backup holds the files of those before it (the share keeps them): each verification read all of its own
		for (int i = 0; i < backups.size(); i++) {
			assertThat(count("select count(*) from verifications where backup_id = cast(? as uuid) and files = ? "
					+ "and outcome = 'ok'", backups.get(i), i + 1)).isEqualTo(1);
		}
	}

	@Test
	void aBackupsVerificationsAreListedNewestFirstInPages() {
		String backup = backup(1);
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			Response queued = this.api.post(BACKUPS + "/" + backup + ":verify", "{}");
			await().atMost(Duration.ofSeconds(30)).until(() -> !this.api.get(queued.header("Location")).json()
				.path("state").asString().matches("Queued|Running"));
			ids.add(0, queued.json().path("id").asString());
		}

		Response first = this.api.get(BACKUPS + "/" + backup + "/verifications?pageSize=2");
		Response second = this.api.get(BACKUPS + "/" + backup + "/verifications?pageSize=2&pageToken="
				+ first.json().path("nextPageToken").asString());

		List<String> listed = new ArrayList<>();
		first.json().path("items").forEach(item -> listed.add(item.path("id").asString()));
		second.json().path("items").forEach(item -> listed.add(item.path("id").asString()));
		assertThat(listed).isEqualTo(ids);
		assertThat(second.json().has("nextPageToken")).isFalse();
		assertThat(this.api.get(BACKUPS + "/" + backup + "/verifications/" + ids.get(0)).json().path("state").asString())
			.isEqualTo("Succeeded");
	}

	@Test
	void aVerificationWhoseWorkerDiedIsTakenOverOnceItsLeaseRunsOut() {
		String backup = backup(1);
		// as a worker leaves it when it dies mid-run: Running, its lease run out, never renewed again
		running(backup, "dead", "- interval '1 second'");

		await().atMost(Duration.ofSeconds(30))
			.until(() -> count("select count(*) from verifications where state = 'Succeeded'") == 1);
		assertThat(count("select count(*) from verifications where attempt = 2 and outcome = 'ok'")).isEqualTo(1);
	}

	@Autowired
	private io.mlplatform.storage.backup.S3Store store;

	@Autowired
	private javax.sql.DataSource dataSource;

	@Autowired
	private io.mlplatform.storage.backup.BackupProperties backupProperties;

	@Test
	void aRunningVerificationIsCancelledWithinSeconds() throws Exception {
		String backup = backup(1);
		java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
		// a verification that runs until it is interrupted, as a long one over a large snapshot does
		Snapshots slow = new Snapshots(this.store, this.dataSource, this.backupProperties, Clock.systemUTC()) {
			@Override
			public io.mlplatform.storage.snapshot.CheckResult verify(String project, String storage, String id,
					double dataFraction, long cursor, io.mlplatform.storage.snapshot.CheckProgress progress) {
				running.countDown();
				try {
					Thread.sleep(60_000);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				throw new IllegalStateException("Verification interrupted");
			}
		};
		// the app's worker may not claim it: the slow one must
		this.db.sql("""
				CREATE OR REPLACE FUNCTION test_not_the_app() RETURNS trigger LANGUAGE plpgsql AS
				$$ BEGIN RAISE EXCEPTION 'not this worker'; END $$""").update();
		this.db.sql("""
				CREATE TRIGGER test_not_the_app BEFORE UPDATE ON verifications FOR EACH ROW
				WHEN (NEW.state = 'Running' AND NEW.lease_owner = '%s') EXECUTE FUNCTION test_not_the_app()"""
			.formatted(this.appWorker.owner())).update();
		try {
			VerificationWorker worker = new VerificationWorker("slow-" + UUID.randomUUID(),
					new VerificationQueue(this.db, Clock.systemUTC(), Duration.ofSeconds(30), 5), this.db, slow, null,
					this.meters, this.json, Duration.ofMillis(200), Duration.ofSeconds(1), 1);
			this.workers.add(worker);
			worker.start();
			Response queued = this.api.post(BACKUPS + "/" + backup + ":verify", "{}");
			assertThat(running.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
			double cancelled = this.meters.counter("pss.backup.verifications", "outcome", "cancelled").count();

			Response cancelling = this.api.post(queued.header("Location") + ":cancel", null);

			assertThat(cancelling.status()).as(cancelling.toString()).isEqualTo(202);
			assertThat(cancelling.json().path("state").asString()).isEqualTo("Running");
			assertThat(cancelling.json().path("cancelRequested").asBoolean()).isTrue();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> this.api.get(queued.header("Location")).json().path("state").asString().equals("Cancelled"));
			assertThat(this.api.get(queued.header("Location")).json().path("outcome").asString()).isEqualTo("cancelled");
			assertThat(this.meters.counter("pss.backup.verifications", "outcome", "cancelled").count())
				.isEqualTo(cancelled + 1);
		}
		finally {
			this.db.sql("DROP TRIGGER IF EXISTS test_not_the_app ON verifications").update();
			this.db.sql("DROP FUNCTION IF EXISTS test_not_the_app()").update();
			slow.close();
		}
	}

	@Test
	void aRunningVerificationWithALiveLeaseIsNotTakenOver() {
		String backup = backup(1);
		running(backup, "alive", "+ interval '1 hour'");
		VerificationWorker second = secondWorker();
		second.start();

		await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
		assertThat(count("select count(*) from verifications where state = 'Running' and lease_owner = 'alive'"))
			.isEqualTo(1);
	}

	@Test
	void schedulersTickingAtOnceQueueADueVerificationOnceForTheNewestBackup() {
		backup(1);
		String newest = backup(2);
		// the app's own scheduler ticks too: three schedulers race for it
		this.db.sql("UPDATE storages SET next_verify_at = now() - interval '1 minute', verify_data_fraction = 0.5")
			.update();
		VerificationScheduler first = new VerificationScheduler(this.db, new TransactionTemplate(this.transactionManager),
				Clock.systemUTC(), 10);
		VerificationScheduler second = new VerificationScheduler(this.db, new TransactionTemplate(this.transactionManager),
				Clock.systemUTC(), 10);

		Parallel.run(2, n -> (n == 0 ? first : second).tick());
		this.appScheduler.tick();

		assertThat(count("select count(*) from verifications")).isEqualTo(1);
		assertThat(count("select count(*) from verifications where trigger = 'scheduled' and data_fraction = 0.5 "
				+ "and backup_id = cast(? as uuid)", newest)).isEqualTo(1);
		assertThat(count("select count(*) from storages where next_verify_at > now()")).isEqualTo(1);
	}

	@Test
	void aStorageNeverPlannedIsPlannedNotFired() {
		backup(1);
		this.db.sql("UPDATE storages SET next_verify_at = NULL").update();
		VerificationScheduler scheduler = new VerificationScheduler(this.db,
				new TransactionTemplate(this.transactionManager), Clock.systemUTC(), 10);

		scheduler.tick();

		assertThat(count("select count(*) from verifications where trigger = 'scheduled'")).isZero();
		assertThat(count("select count(*) from storages where next_verify_at > now()")).isEqualTo(1);
	}

}
