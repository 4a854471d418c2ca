package io.mlplatform.storage.backup;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the movers: the engine as a process of its own, next to the data (SPEC §5).
 * @param serviceUrl the URL a mover reaches this service at; empty: this instance's own port on the
 * loopback address, which only a child process ({@code process} executor) can use
 * @param presignLifetime how long a presigned URL a mover gets stays valid
 * @param heartbeat how often a mover reports progress and renews its run's lease; a cancel reaches it
 * within this
 * @param command the mover's command line for the {@code process} executor; empty: this JVM's own
 * {@code java} with its class path (a Boot jar is started through its launcher)
 * @param javaOptions options of the mover's JVM when the command is derived: its heap is small, and the
 * engine holds fewer sealed packs at once in a small heap
 * @param stopGrace how long a mover whose run was cancelled or lost may take to stop before it is killed
 * @param environment more environment of a mover process (a proxy, {@code JAVA_TOOL_OPTIONS})
 * @param keepLogs whether a committed run's output is kept too (a benchmark reads it); a run that did not
 * commit always keeps it
 */
@ConfigurationProperties("pss.mover")
public record MoverProperties(URI serviceUrl, @DefaultValue("5m") Duration presignLifetime,
		@DefaultValue("1s") Duration heartbeat, List<String> command,
		@DefaultValue({ "-XX:+UseSerialGC", "-Xmx192m" }) List<String> javaOptions,
		@DefaultValue("30s") Duration stopGrace, Map<String, String> environment,
		@DefaultValue("false") boolean keepLogs) {

	public MoverProperties {
		if (presignLifetime.compareTo(Duration.ofSeconds(30)) < 0 || presignLifetime.compareTo(Duration.ofDays(7)) > 0) {
			throw new IllegalArgumentException("pss.mover.presign-lifetime must be between 30s and 7d (S3's limit)");
		}
		if (heartbeat.compareTo(Duration.ofMillis(200)) < 0) {
			throw new IllegalArgumentException("pss.mover.heartbeat must be at least 200ms");
		}
		command = (command == null) ? List.of() : List.copyOf(command);
		javaOptions = (javaOptions == null) ? List.of() : List.copyOf(javaOptions);
		environment = (environment == null) ? Map.of() : Map.copyOf(environment);
	}

}
