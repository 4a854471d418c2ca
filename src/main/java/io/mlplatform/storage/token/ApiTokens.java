package io.mlplatform.storage.token;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Transactional;

interface ApiTokens extends JpaRepository<ApiToken, UUID> {

	@Query("select t from ApiToken t where t.projectId = :projectId order by t.name")
	List<ApiToken> findByProject(UUID projectId);

	@Query("select t from ApiToken t where t.projectId = :projectId and t.id = :id")
	Optional<ApiToken> findInProject(UUID projectId, UUID id);

	/**
	 * Revokes in one statement, so that parallel revocations queue on the row instead of failing on
	 * its version; {@code clearAutomatically} so a read after it sees the revocation.
	 * @return 1 if this call revoked it, 0 if it already was
	 */
	@Modifying(clearAutomatically = true)
	@Query(value = "update api_tokens set revoked_at = :now, version = version + 1 where id = :id and revoked_at is null",
			nativeQuery = true)
	int revoke(UUID id, Instant now);

	/** Throttled to one write a minute per token: use is recorded for people, not for accounting. */
	@Transactional
	@Modifying
	@Query(value = "update api_tokens set last_used_at = :now where id = :id "
			+ "and (last_used_at is null or last_used_at < cast(:now as timestamptz) - interval '1 minute')", nativeQuery = true)
	void markUsed(UUID id, Instant now);

}
