package io.mlplatform.storage.quota;

import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface Quotas extends JpaRepository<Quota, UUID> {

	/** What a project's live storages take; tombstones do not count. Saturates instead of overflowing. */
	@Query(value = """
			select least(coalesce(sum(capacity_bytes), 0), 9223372036854775807)::bigint as capacityBytes, count(*) as storages
			from storages where project_id = :projectId and deleted_at is null""", nativeQuery = true)
	Usage usage(UUID projectId);

	interface Usage {

		long getCapacityBytes();

		long getStorages();

	}

}
