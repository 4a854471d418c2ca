package io.mlplatform.storage.backup.work;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mlplatform.storage.snapshot.SnapshotEngine;

/**
 * The loop of a worker that takes jobs from a queue in PostgreSQL under leases (backups and restores,
 * verifications): every {@code poll} it claims jobs until {@code threads} run here, every {@code heartbeat}
 * it renews each running job's lease with its progress, and it interrupts a job whose cancel was asked for
 * or whose lease another instance took. The queue (its table, its claim, renew and finish statements) is the
 * subclass's; any number of instances share it, since the claim is theirs ({@code FOR UPDATE SKIP LOCKED}).
 * @param <J> a job in this instance's hands
 */
public abstract class LeasedWorker<J extends LeasedWorker.Held> implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(LeasedWorker.class);

	private final String owner;

	private final Duration poll;

	private final Duration heartbeat;

	private final int threads;

	private final ScheduledExecutorService control;

	private final ExecutorService pool;

	private final Map<UUID, J> running = new ConcurrentHashMap<>();

	private final AtomicBoolean stopping = new AtomicBoolean();

	private final AtomicInteger finished = new AtomicInteger();

	/** Whether this instance claims jobs: set once by {@link #start()}. */
	private volatile boolean started;

	/**
	 * @param name what the worker's threads are called after
	 * @param threads jobs at once
	 * @param spareThreads threads of the pool beyond the jobs', for work of the subclass's own
	 * ({@link #execute(Runnable)})
	 */
	protected LeasedWorker(String owner, String name, Duration poll, Duration heartbeat, int threads,
			int spareThreads) {
		this.owner = owner;
		this.poll = poll;
		this.heartbeat = heartbeat;
		this.threads = threads;
		this.control = Executors.newSingleThreadScheduledExecutor(SnapshotEngine.daemon(name + "-control"));
		this.pool = Executors.newFixedThreadPool(threads + spareThreads, SnapshotEngine.daemon(name + "-job"));
	}

	/** This instance's name in lease columns. */
	public String owner() {
		return this.owner;
	}

	/** Jobs this instance has brought to an end (any final state). */
	public int finished() {
		return this.finished.get();
	}

	/** Counts a job as ended that another process ended while this instance waited for it (a mover). */
	protected final void countEnded() {
		this.finished.incrementAndGet();
	}

	protected final boolean stopping() {
		return this.stopping.get();
	}

	public final void start() {
		this.started = true;
		this.control.scheduleWithFixedDelay(this::poll, 0, this.poll.toMillis(), TimeUnit.MILLISECONDS);
		this.control.scheduleWithFixedDelay(this::heartbeat, this.heartbeat.toMillis(), this.heartbeat.toMillis(),
				TimeUnit.MILLISECONDS);
	}

	/** Looks at the queue now rather than at the next poll: called after a job was queued here. */
	public final void wake() {
		// an instance whose worker is off claims nothing, not even what it queued
		if (this.started && !this.stopping.get()) {
			try {
				this.control.execute(this::claimAll);
			}
			catch (RejectedExecutionException ex) {
				// shutting down
			}
		}
	}

	/** What one poll does: claiming; a subclass adds its own around {@link #claimAll()}. */
	protected void poll() {
		claimAll();
	}

	/** Claims jobs until {@code threads} run here or the queue has none for this instance. */
	protected final void claimAll() {
		guarded("claiming jobs", () -> {
			while (!this.stopping.get() && this.running.size() < this.threads) {
				Optional<J> claimed = claim();
				if (claimed.isEmpty()) {
					return;
				}
				J job = claimed.get();
				this.running.put(job.id(), job);
				this.pool.execute(() -> run(job));
			}
		});
	}

	/** Claims the next job under this instance's lease, if the queue has one. */
	protected abstract Optional<J> claim();

	/** Runs a claimed job to its end, on a thread of the pool; an interrupt tells it to stop. */
	protected abstract void work(J job);

	/**
	 * Renews a job's lease and writes its progress.
	 * @return empty when the lease was lost, else whether a cancel was asked for; null when its lease is renewed
	 * elsewhere (a mover's run renews its own)
	 */
	protected abstract Optional<Boolean> renew(J job);

	/** More of a heartbeat: leases of the subclass's own. */
	protected void heartbeatMore() {
	}

	/** Runs work of the subclass's own on a spare thread of the pool. */
	protected final void execute(Runnable work) {
		this.pool.execute(work);
	}

	/** Runs a step of a poll or heartbeat: a failure is logged, and the next poll tries again. */
	protected final void guarded(String what, Runnable work) {
		try {
			work.run();
		}
		catch (RuntimeException ex) {
			log.warn("Worker {} failed {}: {}", this.owner, what, ex.toString());
		}
	}

	private void run(J job) {
		job.thread = Thread.currentThread();
		try {
			work(job);
		}
		finally {
			job.thread = null;
			Thread.interrupted(); // a late cancel must not leak into the pool's next job
			this.running.remove(job.id());
			wake();
		}
	}

	private void heartbeat() {
		for (J job : this.running.values()) {
			if (job.lost || job.ended) {
				continue;
			}
			try {
				Optional<Boolean> renewed = renew(job);
				if (renewed == null) {
					continue;
				}
				if (renewed.isEmpty()) {
					job.lost = true;
					job.interrupt();
				}
				else if (renewed.get() && !job.cancelled) {
					job.cancelled = true;
					job.interrupt();
				}
			}
			catch (RuntimeException ex) {
				log.warn("Worker {} could not renew the lease of {}: {}", this.owner, job, ex.toString());
			}
		}
		heartbeatMore();
	}

	/**
	 * Ends a job in its queue, unless its lease passed to another instance meanwhile.
	 * @param finish the queue's statement: whether it ended the job
	 */
	protected final boolean end(J job, String what, BooleanSupplier finish) {
		job.ended = true;
		boolean ended = finish.getAsBoolean();
		if (ended) {
			this.finished.incrementAndGet();
		}
		else {
			log.warn("{} ended here, but its lease had passed to another worker", what);
		}
		return ended;
	}

	/**
	 * What a job that threw comes to: nothing when its lease was lost (another instance has it), the cancel
	 * when one was asked for, back to the queue when this instance is stopping, else the failure. An
	 * {@link Error} is thrown on once the job is settled.
	 * @return what {@code cancel} or {@code fail} returned; null when the job did not end here
	 */
	protected final <S> S failed(J job, Throwable ex, String what, Supplier<S> cancel, Runnable release,
			Supplier<S> fail) {
		S ended = null;
		if (job.lost) {
			log.warn("{} lost its lease while running; another worker has it now", what);
		}
		else if (job.cancelled) {
			ended = cancel.get();
		}
		else if (this.stopping.get()) {
			release.run();
		}
		else {
			log.warn("{} failed: {}", what, ex.toString());
			ended = fail.get();
		}
		if (ex instanceof Error error && !(ex instanceof AssertionError)) {
			throw error;
		}
		return ended;
	}

	/** Stops claiming, hands running jobs back to the queue for another instance, and stops. */
	@Override
	public void close() {
		this.stopping.set(true);
		this.control.shutdownNow();
		this.running.values().forEach(Held::interrupt);
		this.pool.shutdown();
		try {
			if (!this.pool.awaitTermination(10, TimeUnit.SECONDS)) {
				this.pool.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** A job in this instance's hands, and what its heartbeat learnt of it. */
	public abstract static class Held {

		private final UUID id;

		volatile Thread thread;

		volatile boolean cancelled;

		volatile boolean lost;

		/** Its row has its final state: the heartbeat leaves it alone. */
		volatile boolean ended;

		protected Held(UUID id) {
			this.id = id;
		}

		public final UUID id() {
			return this.id;
		}

		/** Whether its cancel was asked for: it stops and ends Cancelled. */
		public final boolean cancelled() {
			return this.cancelled;
		}

		/** Whether its lease passed to another instance: it stops and changes nothing. */
		public final boolean lost() {
			return this.lost;
		}

		final void interrupt() {
			Thread current = this.thread;
			if (current != null) {
				current.interrupt();
			}
		}

	}

}
