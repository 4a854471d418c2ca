package io.mlplatform.storage.mover;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessStartTests {

	/**
	 * The JVM records its own start when it creates itself, a little after the process's exec: the process
	 * started before it (within a tick), and not a second before, as the JDK's own start instant may have.
	 */
	@Test
	void theProcessStartedJustBeforeItsJvm() {
		long jvm = ManagementFactory.getRuntimeMXBean().getStartTime();
		long process = ProcessStart.epochMillis();

		assertThat(process).isLessThanOrEqualTo(jvm + 20).isGreaterThan(jvm - 500);
	}

}
