package io.mlplatform.storage.backup.kubernetes;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Deployment-wide settings of the movers' Jobs (executor {@code kubernetes}, SPEC §5).
 * @param image the image the service itself runs (pin it by digest in production)
 * @param command how the image starts the mover instead of the service: from its own layout in {@code /app/mover}
 * (a lean class path, and the collector its AOT cache was trained with, in {@code java.args}) with the cache the
 * image's build trained ({@code docker/mover-build.sh}); a java that cannot use the cache says so and runs without
 * @param cpuRequest the mover's CPU request; no CPU limit, so it is never throttled below what a node has free
 * @param memoryBase memory of a mover whatever it moves (JVM, buffers, packs in flight)
 * @param memoryPerFile memory per file of the storage's last backup (the engine holds the previous manifest's
 * entries and the new one's while it walks)
 * @param memoryMax the most a mover asks for; request and limit are equal, so the pod is never evicted for
 * using what it asked for
 * @param activeDeadline how long a Job may run at all before Kubernetes stops it (DeadlineExceeded)
 * @param ttlAfterFinished how long a finished Job (and its pod, with its logs) is kept before it is deleted
 * @param pendingTimeout how long a Job may take to be written and its pod to run (a cluster API that is down,
 * scheduling, image pull) before its attempt fails
 * @param stopGrace how long a mover may go on after its run was cancelled before its attempt ends and its Job is
 * deleted, and a Job whose run ended otherwise (lost, failed) before it is deleted
 * @param stallTimeout how long a running mover may report no progress (files, bytes, totals) before its
 * attempt fails as stalled (a hung NFS mount, a deadlock): it goes on heartbeating, so its lease never runs out
 * @param sweepEvery how often runs in Jobs are checked against their Jobs and pods
 * @param runAsUser and {@code runAsGroup}: the mover's user and group (an NFS export with root squash maps root
 * to nobody; pick the owner of the shares)
 * @param priorityClassName optional priority class of the movers' pods
 * @param nodeSelector where movers' pods may run
 * @param tolerations taints movers' pods tolerate
 * @param tmpSizeLimit the size of the pod's {@code /tmp} (the root filesystem is read-only)
 */
@ConfigurationProperties("pss.mover.job")
public record MoverJobProperties(@DefaultValue("ghcr.io/mlplatform/project-storage-service:latest") String image,
		@DefaultValue({ "java", "@/app/mover/java.args", "-XX:AOTCache=/app/mover/mover.aot",
				"-XX:MaxRAMPercentage=70", "-Djava.io.tmpdir=/tmp", "io.mlplatform.storage.mover.Mover" }) List<String> command,
		@DefaultValue("500m") String cpuRequest, @DefaultValue("256MB") DataSize memoryBase,
		@DefaultValue("512B") DataSize memoryPerFile, @DefaultValue("4GB") DataSize memoryMax,
		@DefaultValue("24h") Duration activeDeadline, @DefaultValue("1h") Duration ttlAfterFinished,
		@DefaultValue("10m") Duration pendingTimeout, @DefaultValue("30s") Duration stopGrace,
		@DefaultValue("15m") Duration stallTimeout,
		@DefaultValue("2s") Duration sweepEvery, @DefaultValue("65532") long runAsUser,
		@DefaultValue("65532") long runAsGroup, String priorityClassName, Map<String, String> nodeSelector,
		List<Toleration> tolerations, @DefaultValue("1GB") DataSize tmpSizeLimit) {

	/** A taint the movers' pods tolerate, as in a pod spec. */
	public record Toleration(String key, @DefaultValue("Equal") String operator, String value, String effect) {
	}

	public MoverJobProperties {
		if (image == null || image.isBlank() || command == null || command.isEmpty()) {
			throw new IllegalArgumentException("pss.mover.job.image and command must be set");
		}
		if (memoryBase.toBytes() <= 0 || memoryMax.compareTo(memoryBase) < 0 || memoryPerFile.toBytes() < 0) {
			throw new IllegalArgumentException("pss.mover.job.memory-base must be positive and at most memory-max");
		}
		if (activeDeadline.toSeconds() < 1 || pendingTimeout.toSeconds() < 1 || stallTimeout.toSeconds() < 1
				|| sweepEvery.toMillis() < 100
				|| ttlAfterFinished.isNegative() || stopGrace.isNegative()) {
			throw new IllegalArgumentException(
					"pss.mover.job.active-deadline, pending-timeout and stall-timeout must be at least 1s, sweep-every at least 100ms");
		}
		if (runAsUser < 1 || runAsGroup < 1) {
			throw new IllegalArgumentException("pss.mover.job.run-as-user and run-as-group must not be root (0)");
		}
		command = List.copyOf(command);
		nodeSelector = (nodeSelector == null) ? Map.of() : Map.copyOf(nodeSelector);
		tolerations = (tolerations == null) ? List.of() : List.copyOf(tolerations);
	}

	/** Memory request and limit of a mover for a storage whose last backup had this many files (-1: unknown). */
	public long memoryBytes(long files) {
		long perFiles = Math.max(0, files) * this.memoryPerFile.toBytes();
		long wanted = this.memoryBase.toBytes() + perFiles;
		// whole MiB, as people read them
		long mib = 1024 * 1024;
		return Math.min(this.memoryMax.toBytes(), (wanted + mib - 1) / mib * mib);
	}

}
