package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backups and restores through executor {@code process}: each one a mover, a child process that reaches
 * the service through the mover API and S3 through presigned URLs only.
 */
class MoverIntegrationTests extends MoverTestSupport {

	private static final String STORAGES = "/api/v1/projects/cv/storages";

	private Path share;

	@BeforeEach
	void storage() throws Exception {
		createProject("cv");
		this.share = readyStorage("cv", "data", "\"backupPolicy\": {\"retention\": {\"keepLast\": 100}}");
		for (int i = 0; i < 300; i++) {
			BackupTestSupport.write(this.share.resolve("images/" + (i % 7) + "/img-" + i + ".bin"),
					BackupTestSupport.random(100 + i * 37, i));
		}
		BackupTestSupport.write(this.share.resolve("models/large.bin"), BackupTestSupport.random(21 * 1024 * 1024, 7));
		BackupTestSupport.write(this.share.resolve("models/medium.bin"), BackupTestSupport.random(9 * 1024 * 1024, 8));
		BackupTestSupport.write(this.share.resolve("empty"), new byte[0]);
		BackupTestSupport.write(this.share.resolve("secret.txt"), "only mine".getBytes());
		Files.setPosixFilePermissions(this.share.resolve("secret.txt"), PosixFilePermissions.fromString("rw-------"));
		Files.createDirectories(this.share.resolve("empty-folder"));
		Files.createSymbolicLink(this.share.resolve("latest"), Path.of("models/large.bin"));
	}

	@Test
	void backsUpAndRestoresThroughAMoverProcessByteForByte() {
		String backup = backUp("cv", "data");

		Response done = this.api.get(STORAGES + "/data/backups/" + backup);
		assertThat(done.json().path("progress").path("files").asLong()).isEqualTo(304);
		assertThat(done.json().path("progress").path("filesTotal").asLong()).isEqualTo(304);
		assertThat(done.json().path("attempt").asInt()).isEqualTo(1);
		// one run, committed, its token spent
		assertThat(count("select count(*) from mover_runs where job_id = cast(? as uuid) and state = 'Committed'",
				backup)).isEqualTo(1);

		Response copy = this.api.post(STORAGES, """
				{"name": "copy", "capacity": "1Gi", "restoreFrom": {"storage": "data", "backup": "%s"}}""".formatted(backup));
		assertThat(copy.status()).as(copy.toString()).isEqualTo(201);
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
			String state = this.api.get(STORAGES + "/copy/restores").json().path("items").path(0).path("state").asString();
			return state.equals("Succeeded") || state.equals("Failed");
		});
		Response restore = this.api.get(STORAGES + "/copy/restores");
		assertThat(restore.json().path("items").path(0).path("state").asString()).as(restore.toString())
			.isEqualTo("Succeeded");
		assertThat(Trees.describe(share("cv", "copy"))).isEqualTo(Trees.describe(this.share));
		String restoreId = restore.json().path("items").path(0).path("id").asString();
		assertThat(count("select count(*) from mover_runs where job_id = cast(? as uuid) and state = 'Committed'",
				restoreId)).isEqualTo(1);
	}

	@Test
	void anIncrementalBackupThroughAMoverUploadsOnlyWhatChanged() throws Exception {
		String first = backUp("cv", "data");
		long firstUploaded = this.api.get(STORAGES + "/data/backups/" + first).json().path("bytesUploaded").asLong();
		BackupTestSupport.write(this.share.resolve("images/0/new.bin"), BackupTestSupport.random(5000, 99));

		String second = backUp("cv", "data");

		long secondUploaded = this.api.get(STORAGES + "/data/backups/" + second).json().path("bytesUploaded").asLong();
		assertThat(firstUploaded).isGreaterThan(30L * 1024 * 1024);
		// the new file, and the manifest
		assertThat(secondUploaded).isLessThan(firstUploaded / 100);
		Map<String, String> before = Trees.describe(this.share);
		this.api.post(STORAGES + "/data/restores", "{\"backup\": \"" + second + "\", \"mode\": \"replace\"}");
		Files.delete(this.share.resolve("images/0/new.bin"));
		await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> this.api.get(STORAGES + "/data/restores")
			.json().path("items").path(0).path("state").asString().equals("Succeeded"));
		assertThat(Trees.describe(this.share)).isEqualTo(before);
	}

}
