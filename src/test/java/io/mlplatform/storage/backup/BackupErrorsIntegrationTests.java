package io.mlplatform.storage.backup;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every refusal of the backup and restore API: the status, the problem's type and field, and that
 * nothing was written (no job, no audit row).
 */
class BackupErrorsIntegrationTests extends IntegrationTestSupport {

	private static final String DATA = "/api/v1/projects/nlp/storages/data";

	@Autowired
	private Snapshots snapshots;

	private String backup;

	@BeforeEach
	void storageWithABackup() {
		// bad input is what these tests send: only the answers are held to the contract
		this.api = this.api.unvalidated();
		createProject("nlp");
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		this.backup = TestBackups.take(this.db, this.snapshots, "nlp", "data", Map.of("a/one.txt", "one", "top.txt", "top"));
		this.db.sql("DELETE FROM audit_events").update();
	}

	private void assertProblem(Response response, int status, String type, String field) {
		assertThat(response.status()).as(response.toString()).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.problemType()).isEqualTo(type);
		assertThat(response.json().path("detail").asString()).isNotBlank();
		if (field != null) {
			assertThat(response.json().path("errors").get(0).path("field").asString()).isEqualTo(field);
		}
	}

	private void assertNothingWritten() {
		assertThat(count("select count(*) from backups")).isEqualTo(1);
		assertThat(count("select count(*) from restores")).isZero();
		assertThat(count("select count(*) from audit_events")).isZero();
	}

	@Test
	void refusesABadScheduleOrTimeZoneNamingTheField() {
		Response cron = this.api.post("/api/v1/projects/nlp/storages",
				"{\"name\": \"x\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"schedule\": \"61 * * * *\"}}");
		Response zone = this.api.patch(DATA, "{\"backupPolicy\": {\"timeZone\": \"Mars/Olympus\"}}");

		assertProblem(cron, 400, "validation-failed", "backupPolicy.schedule");
		assertProblem(zone, 400, "validation-failed", "backupPolicy.timeZone");
		assertThat(count("select count(*) from storages")).isEqualTo(1);
		assertNothingWritten();
	}

	@Test
	void answersNotFoundForUnknownBackupsRestoresAndStorages() {
		assertProblem(this.api.get(DATA + "/backups/" + UUID.randomUUID()), 404, "not-found", null);
		assertProblem(this.api.get(DATA + "/backups/not-a-uuid"), 404, "not-found", null);
		assertProblem(this.api.get(DATA + "/restores/" + UUID.randomUUID()), 404, "not-found", null);
		assertProblem(this.api.post(DATA + "/backups/" + UUID.randomUUID() + ":cancel", null), 404, "not-found", null);
		assertProblem(this.api.delete(DATA + "/backups/" + UUID.randomUUID()), 404, "not-found", null);
		assertProblem(this.api.post("/api/v1/projects/nlp/storages/nope/backups", null), 404, "not-found", null);
		assertProblem(this.api.get(DATA + "/backups/" + this.backup + "/files?path=missing/"), 404, "not-found", null);
		assertProblem(this.api.get(DATA + "/backups/" + this.backup + "/files/content?path=a/missing.txt"), 404,
				"not-found", null);
		assertNothingWritten();
	}

	@Test
	void refusesBadListParameters() {
		assertProblem(this.api.get(DATA + "/backups?state=Done"), 400, "validation-failed", "state");
		assertProblem(this.api.get(DATA + "/restores?state=Expired"), 400, "validation-failed", "state");
		assertProblem(this.api.get(DATA + "/backups?pageSize=0"), 400, "validation-failed", "pageSize");
		assertProblem(this.api.get(DATA + "/backups?pageToken=garbage"), 400, "invalid-page-token", null);
		assertProblem(this.api.get(DATA + "/backups/" + this.backup + "/files?pageToken=garbage"), 400,
				"invalid-page-token", null);
	}

	@Test
	void refusesPathsThatEscapeOrNameTheWrongKindOfEntry() {
		String files = DATA + "/backups/" + this.backup + "/files";
		assertProblem(this.api.get(files + "?path=../"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "?path=a/../../etc"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "?path=top.txt"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "/content"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "/content?path=a"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "/content?path=../etc/passwd"), 400, "validation-failed", "path");
		assertProblem(this.api.get(files + "/content?path=/"), 400, "validation-failed", "path");
	}

	@Test
	void refusesBadRestoreRequests() {
		String restores = DATA + "/restores";
		assertProblem(this.api.post(restores, "{\"backup\": \"" + this.backup + "\", \"mode\": \"overwrite\"}"), 400,
				"validation-failed", "mode");
		assertProblem(this.api.post(restores, "{\"mode\": \"merge\"}"), 400, "validation-failed", "backup");
		assertProblem(this.api.post(restores, "{\"backup\": \"yesterday\"}"), 400, "validation-failed", "backup");
		assertProblem(this.api.post(restores, "{\"backup\": \"" + this.backup + "\", \"paths\": [\"../etc\"]}"), 400,
				"validation-failed", "paths[0]");
		assertProblem(this.api.post(restores, "{\"backup\": \"" + this.backup + "\", \"paths\": [\"a\", \"/abs\"]}"),
				400, "validation-failed", "paths[1]");
		assertProblem(this.api.post(restores, "{\"backup\": \"" + this.backup + "\", \"force\": true}"), 400,
				"malformed-body", null);
		assertProblem(this.api.post(restores, "{\"backup\": \"" + UUID.randomUUID() + "\"}"), 422, "unknown-backup",
				"backup");
		assertNothingWritten();
	}

	@Test
	void refusesToRestoreOrBrowseABackupThatHasNotSucceeded() {
		this.db.sql("UPDATE backups SET state = 'Failed'").update();

		assertProblem(this.api.post(DATA + "/restores", "{\"backup\": \"" + this.backup + "\"}"), 409,
				"backup-not-available", null);
		assertProblem(this.api.get(DATA + "/backups/" + this.backup + "/files"), 409, "backup-not-available", null);
		assertProblem(this.api.get(DATA + "/backups/" + this.backup + "/files/content?path=top.txt"), 409,
				"backup-not-available", null);
		assertNothingWritten();
	}

	@Test
	void refusesToDeleteOrRestoreOverARunningJobAndToCancelAFinishedOne() {
		Response queued = this.api.post(DATA + "/backups", null);
		Response restore = this.api.post(DATA + "/restores", "{\"backup\": \"" + this.backup + "\"}");
		assertThat(restore.status()).isEqualTo(202);
		this.db.sql("DELETE FROM audit_events").update();

		assertProblem(this.api.delete(queued.header("Location")), 409, "backup-active", null);
		assertProblem(this.api.post(DATA + "/restores", "{\"backup\": \"" + this.backup + "\"}"), 409,
				"restore-in-progress", null);
		assertProblem(this.api.post(DATA + "/backups/" + this.backup + ":cancel", null), 409, "job-finished", null);
		assertThat(count("select count(*) from backups")).isEqualTo(2);
		assertThat(count("select count(*) from restores")).isEqualTo(1);
		assertThat(count("select count(*) from audit_events")).isZero();
	}

	@Test
	void refusesJobsOfAStorageBeingDeleted() {
		this.db.sql("UPDATE storages SET lifecycle = 'Deleting'").update();

		assertProblem(this.api.post(DATA + "/backups", null), 409, "storage-deleting", null);
		assertProblem(this.api.post(DATA + "/restores", "{\"backup\": \"" + this.backup + "\"}"), 409,
				"storage-deleting", null);
		assertNothingWritten();
	}

	@Test
	void refusesANewStorageFromAnUnknownBackupOrTooSmallForIt() {
		Response unknown = this.api.post("/api/v1/projects/nlp/storages", """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}"""
			.formatted(UUID.randomUUID()));
		this.db.sql("UPDATE backups SET bytes = 2 * 1024 * 1024 * 1024::bigint").update();
		Response small = this.api.post("/api/v1/projects/nlp/storages", """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}"""
			.formatted(this.backup));

		assertProblem(unknown, 422, "unknown-backup", "restoreFrom.backup");
		assertProblem(small, 422, "capacity-too-small", "capacity");
		assertThat(count("select count(*) from storages")).isEqualTo(1);
		assertNothingWritten();
	}

}
