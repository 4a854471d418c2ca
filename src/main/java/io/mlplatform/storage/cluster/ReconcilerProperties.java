package io.mlplatform.storage.cluster;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param enabled whether this instance writes to clusters at all (off: the outbox only fills)
 * @param poll how often each cluster's queue is looked at besides being woken after a commit; the
 *     safety net for changes committed by another instance
 * @param resync how often every storage's desired state is re-applied, repairing hand edits
 * @param batchSize outbox rows claimed at once
 * @param parallelism calls in flight to one cluster; a batch holds one row per object, so its rows
 *     can be applied in any order
 * @param lease how long a claimed row belongs to the instance that claimed it
 * @param requestTimeout connect and request timeout of calls to a cluster
 * @param backoffMin first wait after a cluster failed
 * @param backoffMax longest wait between attempts
 */
@ConfigurationProperties("pss.reconciler")
public record ReconcilerProperties(@DefaultValue("true") boolean enabled, @DefaultValue("2s") Duration poll,
		@DefaultValue("5m") Duration resync, @DefaultValue("50") int batchSize, @DefaultValue("8") int parallelism, @DefaultValue("60s") Duration lease,
		@DefaultValue("10s") Duration requestTimeout, @DefaultValue("200ms") Duration backoffMin,
		@DefaultValue("60s") Duration backoffMax) {

	Duration backoff(int failures) {
		long millis = this.backoffMin.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
		return Duration.ofMillis(Math.min(millis, this.backoffMax.toMillis()));
	}

}
