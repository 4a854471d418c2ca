package io.mlplatform.storage.snapshot;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The engine's shared pools as one run sees them. While a pool thread works for the run it carries
 * the run's name ({@code backup-reader-3 [backup <id>]}: a thread dump says which run a thread
 * works for), and {@link #stop} interrupts every such thread and makes the run's later tasks start
 * interrupted, so a cancelled run's reads and transfers fail at once instead of going on to the end
 * unseen. The pools themselves stay up for the other runs.
 */
final class RunThreads {

	private final String tag;

	/** Pool threads working for this run now; guarded by {@code this} */
	private final Set<Thread> working = new HashSet<>();

	private boolean stopped;

	/** @param run what the run is, as thread names show it: {@code backup <id>} */
	RunThreads(String run) {
		this.tag = " [" + run + "]";
	}

	/** A name for a thread of the run's own (its walker), with the run in it. */
	String name(String thread) {
		return thread + this.tag;
	}

	/** The pool, running the run's tasks as described above. */
	ExecutorService on(ExecutorService pool) {
		return new Bound(pool);
	}

	/** Interrupts the run's tasks that are running and those that start from now on. */
	synchronized void stop() {
		this.stopped = true;
		this.working.forEach(Thread::interrupt);
	}

	/** Waits until no pool thread works for the run; true if none does. */
	synchronized boolean awaitIdle(Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!this.working.isEmpty()) {
			long left = deadline - System.nanoTime();
			if (left <= 0) {
				return false;
			}
			try {
				TimeUnit.NANOSECONDS.timedWait(this, left);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}
		return true;
	}

	private synchronized void started(Thread thread) {
		this.working.add(thread);
		if (this.stopped) {
			thread.interrupt();
		}
	}

	private synchronized void ended(Thread thread) {
		this.working.remove(thread);
		// under the lock, so no stop() can interrupt it after this: the pool's next task starts clean
		Thread.interrupted();
		notifyAll();
	}

	private final class Bound extends AbstractExecutorService {

		private final ExecutorService pool;

		Bound(ExecutorService pool) {
			this.pool = pool;
		}

		@Override
		public void execute(Runnable task) {
			this.pool.execute(() -> {
				Thread thread = Thread.currentThread();
				String name = thread.getName();
				thread.setName(name + RunThreads.this.tag);
				started(thread);
				try {
					task.run();
				}
				finally {
					thread.setName(name);
					ended(thread);
				}
			});
		}

		// the shared pool's lifecycle is the engine's, not the run's

		@Override
		public void shutdown() {
		}

		@Override
		public List<Runnable> shutdownNow() {
			return List.of();
		}

		@Override
		public boolean isShutdown() {
			return this.pool.isShutdown();
		}

		@Override
		public boolean isTerminated() {
			return this.pool.isTerminated();
		}

		@Override
		public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
			return this.pool.awaitTermination(timeout, unit);
		}

	}

}
