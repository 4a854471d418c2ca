package io.mlplatform.storage.quota;

import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface Quotas extends JpaRepository<Quota, UUID> {

	/**
	 * What a project's live storages take, as counted by the storages' trigger (migration V2);
	 * tombstones do not count. Saturates instead of overflowing.
	 */
	@Query(value = """
			select least(used_bytes, 9223372036854775807)::bigint as capacityBytes, used_storages as storages
			from quotas where project_id = :projectId""", nativeQuery = true)
	Usage usage(UUID projectId);

	interface Usage {

		long getCapacityBytes();

		long getStorages();

	}

}
