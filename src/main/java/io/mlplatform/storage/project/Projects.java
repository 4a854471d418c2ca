package io.mlplatform.storage.project;

import java.util.Optional;
import java.util.UUID;

import jakarta.persistence.LockModeType;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

public interface Projects extends JpaRepository<Project, UUID> {

	@Query("select p from Project p where p.name = :name")
	Optional<Project> findByName(String name);

	Optional<Project> findByNamespace(String namespace);

	/**
	 * Locks the project row for the rest of the transaction. Every write to a project's storages and
	 * the project's deletion take this lock first, which serializes quota checks and keeps a storage
	 * from being created in a project that is being deleted.
	 */
	@Lock(LockModeType.PESSIMISTIC_WRITE)
	@Query("select p from Project p where p.name = :name")
	Optional<Project> lockByName(String name);

	@Query(value = "select count(*) from storages where project_id = :projectId and deleted_at is null",
			nativeQuery = true)
	long countLiveStorages(UUID projectId);

}
