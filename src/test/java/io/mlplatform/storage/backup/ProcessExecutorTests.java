package io.mlplatform.storage.backup;

import java.io.File;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessExecutorTests {

	@Test
	void aWrapperScriptGetsTheMoversJvmOptionsAndItsLeanClassPath() {
		Map<String, String> environment = new HashMap<>();
		ProcessExecutor.forWrapper(environment, List.of("-XX:+UseSerialGC", "-Xmx120m"));

		assertThat(environment).containsEntry("JDK_JAVA_OPTIONS", "-XX:+UseSerialGC -Xmx120m");
		// a java without -cp reads CLASSPATH: the mover's classes, JSON and logging, not the service's jars
		assertThat(environment.get("CLASSPATH").split(File.pathSeparator)).hasSizeLessThan(10)
			.anyMatch(entry -> entry.contains("jackson-databind"))
			.anyMatch(entry -> entry.contains("logback-classic"))
			.noneMatch(entry -> entry.contains("spring-") || entry.contains("awssdk") || entry.contains("postgresql"));
	}

}
