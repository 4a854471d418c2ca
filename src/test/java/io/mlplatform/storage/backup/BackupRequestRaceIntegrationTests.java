package io.mlplatform.storage.backup;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.Parallel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A CI fleet asks for a backup of one storage from many jobs at once, while the worker finishes the
 * backups as fast as an empty share allows: every request gets the backup that is queued or running,
 * or a new one, and each backup row is answered for.
 */
class BackupRequestRaceIntegrationTests extends WorkerTestSupport {

	private static final String BACKUPS = "/api/v1/projects/nlp/storages/data/backups";

	private static final int CLIENTS = 20;

	private static final int ROUNDS = 5;

	@BeforeEach
	void storage() {
		createProject("nlp");
		readyStorage("nlp", "data", "\"backupPolicy\": {\"retention\": {\"keepLast\": 1000}}");
		// widens the gap between a request's first insert (which may find the active backup) and what it does
		// next from microseconds to long enough for the worker to finish that backup: the race, made likely
		this.db.sql("""
				CREATE OR REPLACE FUNCTION test_slow_backup_insert() RETURNS trigger LANGUAGE plpgsql AS
				$$ BEGIN
				  IF current_setting('test.slept', true) IS DISTINCT FROM 'yes' THEN
				    PERFORM set_config('test.slept', 'yes', true);
				    PERFORM pg_sleep(0.15);
				  END IF;
				  RETURN NULL;
				END $$""").update();
		this.db.sql("""
				CREATE TRIGGER test_slow_backup_insert AFTER INSERT ON backups
				FOR EACH STATEMENT EXECUTE FUNCTION test_slow_backup_insert()""").update();
	}

	@AfterEach
	void dropTrigger() {
		this.db.sql("DROP TRIGGER IF EXISTS test_slow_backup_insert ON backups").update();
		this.db.sql("DROP FUNCTION IF EXISTS test_slow_backup_insert()").update();
	}

	@Test
	void parallelRequestsForOneStorageEachGetTheActiveOrANewBackup() {
		// each client asks again as soon as it is answered, so requests overlap the ends of backups too
		List<Response> responses = new ArrayList<>();
		Parallel.run(CLIENTS, client -> {
			List<Response> mine = new ArrayList<>();
			for (int i = 0; i < ROUNDS; i++) {
				mine.add(this.api.post(BACKUPS, null));
			}
			return mine;
		}).forEach(responses::addAll);

		Set<String> answered = new HashSet<>();
		for (Response response : responses) {
			assertThat(response.status()).as(response.toString()).isEqualTo(202);
			assertThat(response.json().path("trigger").asString()).isEqualTo("manual");
			assertThat(response.header("Location")).isEqualTo(BACKUPS + "/" + response.json().path("id").asString());
			answered.add(response.json().path("id").asString());
		}
		// every backup row was queued by one of these requests and handed to at least one of them
		assertThat(count("select count(*) from backups")).isEqualTo(answered.size());
		assertThat(count("select count(*) from audit_events where action = 'backup.create' and result = 'created'"))
			.isEqualTo(answered.size());
		assertThat(count("select count(*) from audit_events where action = 'backup.create'"))
			.isEqualTo((long) CLIENTS * ROUNDS);
		for (String id : answered) {
			Response backup = awaitEnd(BACKUPS + "/" + id);
			assertThat(backup.json().path("state").asString()).as(backup.toString()).isEqualTo("Succeeded");
		}
	}

}
