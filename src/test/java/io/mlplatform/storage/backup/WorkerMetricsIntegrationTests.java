package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker's metrics as Prometheus scrapes them: a real backup and restore move the run counters,
 * the duration histogram, bytes and files; the queue depth is what the database holds. No series
 * carries a project or storage.
 */
class WorkerMetricsIntegrationTests extends WorkerTestSupport {

	private static final String STORAGES = "/api/v1/projects/metrics/storages";

	@Test
	void aBackupAndARestoreShowInTheMetrics() {
		createProject("metrics");
		Path share = readyStorage("metrics", "data", null);
		BackupTestSupport.write(share.resolve("a.txt"), "one".getBytes());
		BackupTestSupport.write(share.resolve("b/c.bin"), BackupTestSupport.random(5000, 1));
		BackupTestSupport.write(share.resolve("b/d.bin"), BackupTestSupport.random(7000, 2));
		String storageId = this.api.get(STORAGES + "/data").json().path("id").asString();
		String before = scrape();

		String backup = backUp("metrics", "data");
		Response restore = this.api.post(STORAGES + "/data/restores", """
				{"backup": "%s", "mode": "merge"}""".formatted(backup));
		assertThat(awaitEnd(restore.header("Location")).json().path("state").asString()).isEqualTo("Succeeded");

		long uploaded = this.api.get(STORAGES + "/data/backups/" + backup).json().path("bytesUploaded").asLong();
		assertThat(uploaded).isPositive();
		// counted once the job's row has its final state, which the API showed first: wait for it
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			String after = scrape();
			assertThat(delta(before, after, "pss_backup_runs_total", "outcome=\"succeeded\"")).isEqualTo(1);
			assertThat(delta(before, after, "pss_backup_files_total", "")).isEqualTo(3);
			assertThat(delta(before, after, "pss_backup_bytes_uploaded_total", "")).isEqualTo(uploaded);
			assertThat(delta(before, after, "pss_backup_duration_seconds_count", "outcome=\"succeeded\"")).isEqualTo(1);
			assertThat(delta(before, after, "pss_restore_runs_total", "outcome=\"succeeded\"")).isEqualTo(1);
			assertThat(delta(before, after, "pss_restore_duration_seconds_count", "outcome=\"succeeded\"")).isEqualTo(1);
		});
		String scrape = scrape();
		// a histogram, so Prometheus can aggregate quantiles across replicas
		assertThat(scrape.lines()
			.filter(line -> line.startsWith("pss_backup_duration_seconds_bucket{") && line.contains("outcome=\"succeeded\""))
			.count()).isGreaterThan(10);
		assertThat(scrape.lines().filter(line -> line.startsWith("pss_backup") || line.startsWith("pss_restore")))
			.isNotEmpty()
			.noneMatch(line -> line.contains(storageId) || line.contains("metrics") || line.contains("storage="));
	}

	@Test
	void theQueueDepthIsWhatTheDatabaseHolds() {
		createProject("metrics");
		readyStorage("metrics", "data", null);
		String storageId = this.api.get(STORAGES + "/data").json().path("id").asString();
		// a backup another instance runs, and one queued behind it that no worker may claim meanwhile
		for (String row : new String[] { "'manual', 'Running', now(), 'elsewhere', now() + interval '60 seconds'",
				"'beforeDelete', 'Queued', now(), NULL, NULL" }) {
			this.db.sql("""
					INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, lease_owner, lease_until)
					SELECT ?, project_id, id, cluster, %s FROM storages WHERE id = cast(? as uuid)""".formatted(row))
				.params(UUID.randomUUID(), storageId)
				.update();
		}

		// the gauges read the database at most every few seconds
		await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
			String scrape = scrape();
			assertThat(metric(scrape, "pss_backup_queue_depth", "state=\"queued\"")).isEqualTo(1);
			assertThat(metric(scrape, "pss_backup_queue_depth", "state=\"running\"")).isEqualTo(1);
			assertThat(metric(scrape, "pss_restore_queue_depth", "state=\"queued\"")).isZero();
		});
	}

	private String scrape() {
		Response response = new ApiClient(this.port).get("/actuator/prometheus");
		assertThat(response.status()).isEqualTo(200);
		return response.body();
	}

	private static long delta(String before, String after, String name, String tags) {
		return Math.round(value(after, name, tags) - value(before, name, tags));
	}

	/** A series' value; 0 when it does not exist yet (a counter or timer registered at its first event). */
	private static double value(String scrape, String name, String tags) {
		double value = metric(scrape, name, tags);
		return Double.isNaN(value) ? 0 : value;
	}

	private static double metric(String scrape, String name, String tags) {
		String series = tags.isEmpty() ? Pattern.quote(name) + "(\\{[^}]*})?"
				: Pattern.quote(name + "{") + "[^}]*" + Pattern.quote(tags) + "[^}]*}";
		Matcher matcher = Pattern.compile("(?m)^" + series + " (?<value>\\S+)$").matcher(scrape);
		return matcher.find() ? Double.parseDouble(matcher.group("value")) : Double.NaN;
	}

}
