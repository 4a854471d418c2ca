package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

import io.mlplatform.storage.TestInfrastructure;

/**
 * A Succeeded backup of a storage made without the worker: the files are written into the storage's
 * share, the engine snapshots them and the backup's row is inserted as the worker would leave it.
 * For tests whose storages are never Ready (no simulated operator), so no worker takes their jobs.
 */
public final class TestBackups {

	private TestBackups() {
	}

	/** @return the backup's id */
	public static String take(JdbcClient db, Snapshots snapshots, String project, String storage,
			Map<String, String> files) {
		String storageId = db.sql("""
				SELECT cast(s.id as text) FROM storages s JOIN projects p ON p.id = s.project_id
				WHERE p.name = ? AND s.name = ? AND s.deleted_at IS NULL""")
			.params(project, storage)
			.query(String.class)
			.single();
		Path share = TestInfrastructure.sharesRoot().resolve(project).resolve(storage);
		long bytes = 0;
		try {
			for (Map.Entry<String, String> file : files.entrySet()) {
				Path path = share.resolve(file.getKey());
				Files.createDirectories(path.getParent());
				Files.writeString(path, file.getValue());
				bytes += file.getValue().length();
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		String backup = UUID.randomUUID().toString();
		snapshots.backup(project, storageId, backup, share);
		db.sql("""
				INSERT INTO backups (id, project_id, storage_id, cluster, trigger, state, created_at, started_at,
				  finished_at, files, files_total, bytes, bytes_total)
				SELECT cast(? as uuid), project_id, id, cluster, 'manual', 'Succeeded', now(), now(), now(), ?, ?, ?, ?
				FROM storages WHERE id = cast(? as uuid)""")
			.params(backup, files.size(), files.size(), bytes, bytes, storageId)
			.update();
		return backup;
	}

}
