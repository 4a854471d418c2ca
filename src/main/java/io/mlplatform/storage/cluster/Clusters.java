package io.mlplatform.storage.cluster;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface Clusters extends JpaRepository<Cluster, String> {

	@Query(value = "select count(*) from storages where cluster = :name and deleted_at is null", nativeQuery = true)
	long countLiveStorages(String name);

	/**
	 * Serializes the writes of one cluster name for the rest of the transaction; its row may not exist
	 * yet, so a row lock cannot do it. Parallel creates of the same cluster then see each other's row.
	 */
	@Query(value = "select count(*) from pg_advisory_xact_lock(1886614339, hashtext(:name))", nativeQuery = true)
	long lockName(String name);

}
