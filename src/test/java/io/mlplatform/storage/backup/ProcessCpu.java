package io.mlplatform.storage.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of the processes behind a benchmark step, from {@code /proc} (Linux only): the engine's
 * JVM, the PostgreSQL serving it and the S3 server. On 2 cores shared by all three, a step's wall time
 * follows their sum, so the benchmark prints it beside each time.
 */
final class ProcessCpu {

	/** Clock ticks per second of {@code /proc}'s times: 100 on every Linux kernel built with USER_HZ 100. */
	private static final double TICKS = Long.getLong("bench.clock-ticks", 100);

	private ProcessCpu() {
	}

	/** Seconds of CPU this JVM used so far, in every thread (the JIT compiler and GC included). */
	static double self() {
		return seconds("self", false);
	}

	/**
	 * Seconds of CPU a process used so far, or 0 if it is not there.
	 * @param children whether to add what its exited children used, once it has waited for them
	 */
	static double seconds(String pid, boolean children) {
		try {
			String[] fields = fields(Path.of("/proc", pid, "stat"));
			long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
			if (children) {
				ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
			}
			return ticks / TICKS;
		}
		catch (IOException | RuntimeException ex) {
			return 0;
		}
	}

	/**
	 * Seconds of CPU a PostgreSQL server used so far: the postmaster, the backends it has reaped and
	 * those still running (a pool's connections live as long as the pool).
	 */
	static double postgres(Path dataDirectory) {
		String postmaster;
		try {
			postmaster = Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).trim();
		}
		catch (IOException | RuntimeException ex) {
			return 0;
		}
		double total = seconds(postmaster, true);
		try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
			for (Path process : (Iterable<Path>) processes::iterator) {
				String name = process.getFileName().toString();
				if (!name.chars().allMatch(Character::isDigit)) {
					continue;
				}
				try {
					if (fields(process.resolve("stat"))[1].equals(postmaster)) {
						total += seconds(name, false);
					}
				}
				catch (IOException | RuntimeException ex) {
					// the backend ended while the list was read: its time is in the postmaster's now
				}
			}
		}
		catch (IOException ex) {
			return total;
		}
		return total;
	}

	/** The fields of a {@code stat} file after the command name, which may hold spaces: state is [0], ppid [1]. */
	private static String[] fields(Path stat) throws IOException {
		String line = Files.readString(stat);
		return line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
	}

}
