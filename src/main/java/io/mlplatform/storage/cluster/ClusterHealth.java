package io.mlplatform.storage.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * What is known of each cluster: whether the last call reached it, when one last did, the last
 * failure, and how much waits for it in the outbox. Kept in Postgres, so every replica answers the
 * same in the API; exported as gauges (refreshed every few seconds, one query) and counted failures.
 */
@Component
class ClusterHealth implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(ClusterHealth.class);

	/** A reachable cluster's contact time is written at most this often: every drain would be a write. */
	private static final Duration CONTACT_RESOLUTION = Duration.ofSeconds(5);

	private static final Duration REFRESH = Duration.ofSeconds(5);

	/**
	 * @param reachable null until the service has tried the cluster
	 * @param pendingChanges outbox rows not yet applied
	 * @param oldestPending when the oldest of them was queued; null when none waits
	 */
	record Status(Boolean reachable, Instant lastContact, String lastError, long pendingChanges, Instant oldestPending) {

		static final Status UNKNOWN = new Status(null, null, null, 0, null);

	}

	private final JdbcClient jdbc;

	private final Clock clock;

	private final MeterRegistry meters;

	private final MultiGauge pending;

	private final MultiGauge lag;

	private final MultiGauge reachable;

	private final MultiGauge lastContact;

	private ScheduledExecutorService executor;

	private volatile boolean running;

	ClusterHealth(JdbcClient jdbc, Clock clock, MeterRegistry meters) {
		this.jdbc = jdbc;
		this.clock = clock;
		this.meters = meters;
		this.pending = MultiGauge.builder("pss.cluster.pending.changes")
			.description("Changes queued for the cluster and not yet applied (outbox rows)")
			.register(meters);
		this.lag = MultiGauge.builder("pss.cluster.reconcile.lag")
			.description("Age of the oldest change still waiting for the cluster; 0 when none waits")
			.baseUnit("seconds")
			.register(meters);
		this.reachable = MultiGauge.builder("pss.cluster.reachable")
			.description("1 when the last call reached the cluster, 0 when it failed; absent before the first")
			.register(meters);
		this.lastContact = MultiGauge.builder("pss.cluster.last.contact")
			.description("When a call last reached the cluster, in seconds since the epoch")
			.baseUnit("seconds")
			.register(meters);
	}

	/** A call reached the cluster. */
	void reached(String cluster) {
		OffsetDateTime now = now();
		this.jdbc.sql("""
				UPDATE clusters SET reachable = true, last_contact_at = ?, last_error = NULL
				WHERE name = ? AND (reachable IS NOT TRUE OR last_error IS NOT NULL OR last_contact_at IS NULL
				                    OR last_contact_at < ?)""")
			.params(now, cluster, now.minus(CONTACT_RESOLUTION))
			.update();
	}

	/** The cluster could not be reached (or its credentials not used); the error must name no credentials. */
	void unreachable(String cluster, String error) {
		this.jdbc.sql("UPDATE clusters SET reachable = false, last_error = ? WHERE name = ?")
			.params(error, cluster)
			.update();
	}

	/**
	 * A change the cluster refused, that met another writer's change (conflict), or that could not be
	 * sent (unreachable): counted per cluster and reason.
	 */
	void applyFailed(String cluster, String reason) {
		Counter.builder("pss.cluster.apply.errors")
			.description("Changes that failed to apply: refused by the cluster, conflicting with another writer, or not sent because it was unreachable")
			.tag("cluster", cluster)
			.tag("reason", reason)
			.register(this.meters)
			.increment();
	}

	/** Every registered cluster's status, by name. */
	Map<String, Status> all() {
		Map<String, Status> statuses = new TreeMap<>();
		this.jdbc.sql("""
				SELECT c.name, c.reachable, c.last_contact_at, c.last_error, count(o.id) AS pending,
				       min(o.created_at) AS oldest
				FROM clusters c LEFT JOIN cluster_outbox o ON o.cluster = c.name
				GROUP BY c.name, c.reachable, c.last_contact_at, c.last_error""").query(row -> {
			OffsetDateTime contact = row.getObject("last_contact_at", OffsetDateTime.class);
			OffsetDateTime oldest = row.getObject("oldest", OffsetDateTime.class);
			statuses.put(row.getString("name"), new Status(row.getObject("reachable", Boolean.class),
					contact == null ? null : contact.toInstant(), row.getString("last_error"), row.getLong("pending"),
					oldest == null ? null : oldest.toInstant()));
		});
		return statuses;
	}

	Status of(String cluster) {
		return all().getOrDefault(cluster, Status.UNKNOWN);
	}

	private void refreshGauges() {
		try {
			Instant now = this.clock.instant();
			List<MultiGauge.Row<?>> pendingRows = new ArrayList<>();
			List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
			List<MultiGauge.Row<?>> reachableRows = new ArrayList<>();
			List<MultiGauge.Row<?>> contactRows = new ArrayList<>();
			all().forEach((cluster, status) -> {
				Tags tags = Tags.of("cluster", cluster);
				pendingRows.add(MultiGauge.Row.of(tags, status.pendingChanges()));
				lagRows.add(MultiGauge.Row.of(tags, status.oldestPending() == null ? 0
						: Math.max(0, Duration.between(status.oldestPending(), now).toMillis() / 1000.0)));
				if (status.reachable() != null) {
					reachableRows.add(MultiGauge.Row.of(tags, status.reachable() ? 1 : 0));
				}
				if (status.lastContact() != null) {
					contactRows.add(MultiGauge.Row.of(tags, status.lastContact().toEpochMilli() / 1000.0));
				}
			});
			this.pending.register(pendingRows, true);
			this.lag.register(lagRows, true);
			this.reachable.register(reachableRows, true);
			this.lastContact.register(contactRows, true);
		}
		catch (RuntimeException ex) {
			log.warn("Could not refresh the cluster gauges: {}", ex.toString());
		}
	}

	private OffsetDateTime now() {
		return OffsetDateTime.ofInstant(this.clock.instant(), ZoneOffset.UTC);
	}

	@Override
	public void start() {
		this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, "cluster-health");
			thread.setDaemon(true);
			return thread;
		});
		this.executor.scheduleWithFixedDelay(this::refreshGauges, 0, REFRESH.toMillis(), TimeUnit.MILLISECONDS);
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (this.executor != null) {
			this.executor.shutdownNow();
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

}
