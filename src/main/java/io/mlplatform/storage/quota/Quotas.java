package io.mlplatform.storage.quota;

import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface Quotas extends JpaRepository<Quota, UUID> {

	/**
	 * What a project's live storages take, as counted by the storages' trigger (migration V2);
	 * tombstones do not count; and what its backups keep in S3. Saturates instead of overflowing.
	 */
	@Query(value = """
			select least(q.used_bytes, 9223372036854775807)::bigint as capacityBytes, q.used_storages as storages,
				coalesce((select least(s.used_bytes, 9223372036854775807)::bigint from backup_space s
					where s.project = p.name), 0) as backupBytes
			from quotas q join projects p on p.id = q.project_id where q.project_id = :projectId""", nativeQuery = true)
	Usage usage(UUID projectId);

	interface Usage {

		long getCapacityBytes();

		long getStorages();

		/** What the project's backups keep in S3, as counted in {@code backup_space} (migration V22). */
		long getBackupBytes();

	}

}
