package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the scheduled worker that runs backups and restores.
 * @param enabled whether this instance claims and runs jobs (off: jobs only queue up)
 * @param schedulerEnabled whether this instance turns due schedules into queued backups
 * @param executor where a job reads and writes a storage's files (SPEC §5), for clusters whose registration
 * names none: {@code local}, the engine in this JVM; {@code process}, a mover process started by this
 * instance; {@code kubernetes}, a mover in a Job in the storage's namespace of its cluster
 * @param mountRoot {@code local} and {@code process}: every storage's share is the folder
 * {@code <mount-root>/<namespace>/<storage>}
 * @param threads jobs this instance runs at once
 * @param maxRunning jobs running at once across all instances
 * @param maxRunningPerCluster jobs running at once in one cluster, across all instances
 * @param poll how often the queue is checked besides the wake-up after a local commit
 * @param lease how long a claimed job belongs to its worker without a renewal; renewed every {@code progressEvery}
 * @param progressEvery how often a running job's progress is written and its lease renewed (at most once a second)
 * @param maxAttempts claims of one job; a job whose worker died this often is failed instead of claimed again
 * @param gcEvery how often garbage collection runs (on one instance at a time)
 * @param downloadLinkLifetime lifetime of the presigned URL a file download redirects to
 */
@ConfigurationProperties("pss.worker")
public record WorkerProperties(@DefaultValue("true") boolean enabled, @DefaultValue("true") boolean schedulerEnabled,
		@DefaultValue("local") String executor, @DefaultValue("/mnt/shares") Path mountRoot,
		@DefaultValue("4") int threads, @DefaultValue("16") int maxRunning, @DefaultValue("8") int maxRunningPerCluster,
		@DefaultValue("2s") Duration poll, @DefaultValue("30s") Duration lease, @DefaultValue("1s") Duration progressEvery,
		@DefaultValue("5") int maxAttempts, @DefaultValue("1h") Duration gcEvery,
		@DefaultValue("5m") Duration downloadLinkLifetime) {

	public WorkerProperties {
		if (!"local".equals(executor) && !"process".equals(executor) && !"kubernetes".equals(executor)) {
			throw new IllegalArgumentException("pss.worker.executor must be 'local', 'process' or 'kubernetes': " + executor);
		}
		if (threads < 1 || maxRunning < 1 || maxRunningPerCluster < 1 || maxAttempts < 1) {
			throw new IllegalArgumentException("pss.worker.threads, max-running, max-running-per-cluster and max-attempts must be at least 1");
		}
		if (progressEvery.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(progressEvery.multipliedBy(3)) < 0) {
			throw new IllegalArgumentException("pss.worker.progress-every must be at least 1s and the lease at least three times it");
		}
	}

}
