package io.mlplatform.storage.mover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * When this process started, to the clock tick. {@code ProcessHandle.info().startInstant()} adds the
 * process's start in ticks since boot to the boot time Linux gives in whole seconds ({@code btime}), so it
 * is off by up to a second, the same for every process of one boot: a mover's "first byte after start"
 * read 2.1 s where it was 1.1 s. Here both ends are in time since boot: {@code /proc/uptime} and the start
 * tick in {@code /proc/self/stat}.
 */
final class ProcessStart {

	/** USER_HZ, which the kernel reports process times in: 100 on every Linux architecture Java runs on. */
	private static final int TICKS_PER_SECOND = 100;

	private ProcessStart() {
	}

	/** The start of this process in epoch milliseconds, or the best the JDK knows where /proc is not there. */
	static long epochMillis() {
		try {
			String stat = Files.readString(Path.of("/proc/self/stat"));
			// the command name, in parentheses, may hold spaces: fields are counted after its closing one
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			long startTicks = Long.parseLong(fields[19]);
			double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
			long age = Math.round(uptime * 1000) - startTicks * 1000 / TICKS_PER_SECOND;
			return System.currentTimeMillis() - age;
		}
		catch (IOException | RuntimeException ex) {
			return ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli)
				.orElse(System.currentTimeMillis());
		}
	}

}
