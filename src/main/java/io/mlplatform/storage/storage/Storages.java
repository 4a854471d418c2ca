package io.mlplatform.storage.storage;

import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

public interface Storages extends JpaRepository<Storage, UUID> {

	@Query("select s from Storage s where s.projectId = :projectId and s.name = :name and s.deletedAt is null")
	Optional<Storage> findLive(UUID projectId, String name);

}
