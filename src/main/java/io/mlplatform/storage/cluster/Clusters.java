package io.mlplatform.storage.cluster;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface Clusters extends JpaRepository<Cluster, String> {

	@Query(value = "select count(*) from storages where cluster = :name and deleted_at is null", nativeQuery = true)
	long countLiveStorages(String name);

}
