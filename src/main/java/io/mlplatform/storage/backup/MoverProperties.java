package io.mlplatform.storage.backup;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import io.mlplatform.storage.snapshot.EngineSettings;

/**
 * Settings of the movers: the engine as a process of its own, next to the data (SPEC §5).
 * @param serviceUrl the URL a mover reaches this service at; empty: this instance's own port on the
 * loopback address, which only a child process ({@code process} executor) can use
 * @param presignLifetime how long a presigned URL a mover gets stays valid
 * @param heartbeat how often a mover reports progress and renews its run's lease; a cancel reaches it
 * within this
 * @param command the mover's command line for the {@code process} executor; empty: this JVM's own
 * {@code java} with its class path (a Boot jar is started through its launcher)
 * @param javaOptions options of the mover's JVM; unless they set {@code -Xmx}, its heap is what the engine's
 * settings need ({@code EngineSettings.moverHeap}), and starts small so that only what a run uses becomes
 * resident. C2 stays on although a mover lives for one run: C1 alone cost 25 MiB less and saved 0.5 CPU s on
 * 20,000 small files, but without C2's SHA-256 intrinsic hashing 1 GiB of large files took 7.0 CPU s against
 * 4.3. A configured command gets them in {@code JDK_JAVA_OPTIONS}, which a {@code java} it runs reads
 * @param stopGrace how long a mover whose run was cancelled or lost may take to stop before it is killed
 * @param environment more environment of a mover process (a proxy, {@code JAVA_TOOL_OPTIONS})
 * @param packSize a mover's packs: its heap holds two, and a Job's memory request is sized from it; half the
 * service's own by default, as restic's are
 * @param keepLogs whether a committed run's output is kept too (a benchmark reads it); a run that did not
 * commit always keeps it
 */
@ConfigurationProperties("pss.mover")
public record MoverProperties(URI serviceUrl, @DefaultValue("5m") Duration presignLifetime,
		@DefaultValue("1s") Duration heartbeat, List<String> command,
		@DefaultValue({ "-XX:+UseSerialGC", "-Xms16m" }) List<String> javaOptions,
		@DefaultValue("30s") Duration stopGrace, Map<String, String> environment,
		@DefaultValue("false") boolean keepLogs, @DefaultValue("16MB") DataSize packSize) {

	public MoverProperties {
		if (presignLifetime.compareTo(Duration.ofSeconds(30)) < 0 || presignLifetime.compareTo(Duration.ofDays(7)) > 0) {
			throw new IllegalArgumentException("pss.mover.presign-lifetime must be between 30s and 7d (S3's limit)");
		}
		if (heartbeat.compareTo(Duration.ofMillis(200)) < 0) {
			throw new IllegalArgumentException("pss.mover.heartbeat must be at least 200ms");
		}
		command = (command == null) ? List.of() : List.copyOf(command);
		javaOptions = (javaOptions == null) ? List.of() : List.copyOf(javaOptions);
		if (javaOptions.stream().anyMatch(option -> option.isBlank() || option.chars().anyMatch(Character::isWhitespace))) {
			// JDK_JAVA_OPTIONS splits at white space: one option with a space would become two
			throw new IllegalArgumentException("pss.mover.java-options must be options without white space: " + javaOptions);
		}
		environment = (environment == null) ? Map.of() : Map.copyOf(environment);
		if (packSize.toBytes() < (1L << 20) || packSize.toBytes() > (1L << 30)) {
			throw new IllegalArgumentException("pss.mover.pack-size must be between 1MB and 1GB: " + packSize);
		}
	}

	/** How a mover's engine runs: as the service's, with packs of a mover's size. */
	public EngineSettings engine(EngineSettings service) {
		return new EngineSettings(service.largeFileThreshold(), Math.toIntExact(this.packSize.toBytes()),
				service.readers(), service.uploads(), service.queueLength());
	}

	/** The mover JVM's options: as configured, with a heap sized for the engine's settings unless they set one. */
	public List<String> javaOptions(EngineSettings engine) {
		if (this.javaOptions.stream().anyMatch(option -> option.startsWith("-Xmx") || option.startsWith("-XX:MaxHeapSize")
				|| option.startsWith("-XX:MaxRAMPercentage"))) {
			return this.javaOptions;
		}
		List<String> options = new java.util.ArrayList<>(this.javaOptions);
		options.add("-Xmx" + ((engine.moverHeap() + (1L << 20) - 1) >> 20) + "m");
		return List.copyOf(options);
	}

}
