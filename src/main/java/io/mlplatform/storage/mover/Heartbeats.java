package io.mlplatform.storage.mover;

import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mlplatform.storage.snapshot.LeaseLostException;
import io.mlplatform.storage.snapshot.RunLease;

/**
 * A run's lease as its mover keeps it: a heartbeat every {@code every} milliseconds with the run's
 * progress. The answer may say cancel or lost; either stops the run's thread (interrupted, as the
 * worker stops a job in the service's JVM). A mover that could not renew its lease for as long as the
 * lease lasts stops as well: another attempt may hold the run by then.
 */
final class Heartbeats implements RunLease, AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

	private final MoverClient service;

	private final Supplier<MoverProtocol.Progress> progress;

	private final Thread runner;

	private final long every;

	private final long lease;

	private final Thread thread;

	private volatile boolean lost;

	private volatile boolean cancelled;

	private volatile boolean closed;

	Heartbeats(MoverClient service, Supplier<MoverProtocol.Progress> progress, Thread runner, long every, long lease) {
		this.service = service;
		this.progress = progress;
		this.runner = runner;
		this.every = every;
		this.lease = lease;
		this.thread = new Thread(this::beat, "mover-heartbeat");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void beat() {
		long renewed = System.nanoTime();
		while (!this.closed) {
			try {
				Thread.sleep(this.every);
			}
			catch (InterruptedException ex) {
				return;
			}
			if (this.closed) {
				return;
			}
			try {
				String action = this.service.post(":heartbeat", this.progress.get(), MoverProtocol.Heartbeat.class).action();
				renewed = System.nanoTime();
				if (MoverProtocol.Heartbeat.CANCEL.equals(action)) {
					cancel();
				}
				else if (MoverProtocol.Heartbeat.LOST.equals(action)) {
					stop("the service says the run's lease is lost");
					return;
				}
			}
			catch (LeaseLostException ex) {
				stop(ex.getMessage());
				return;
			}
			catch (RuntimeException ex) {
				if (this.closed) {
					// interrupted by finish() or close()
					return;
				}
				log.warn("Heartbeat failed: {}", ex.getMessage());
				if (System.nanoTime() - renewed > this.lease * 1_000_000) {
					stop("no heartbeat was answered for " + this.lease + " ms");
					return;
				}
			}
		}
	}

	private synchronized void cancel() {
		if (!this.cancelled && !this.closed) {
			log.info("The run was cancelled; stopping");
			this.cancelled = true;
			this.runner.interrupt();
		}
	}

	private synchronized void stop(String why) {
		if (this.closed) {
			// the run is committing: an answer to a heartbeat sent before that says nothing of the commit
			return;
		}
		log.warn("Stopping: {}", why);
		this.lost = true;
		this.runner.interrupt();
	}

	/**
	 * Stops the heartbeats before the run's commit. The commit ends the run, so a heartbeat still on its way
	 * may be answered {@code lost}; that answer must not interrupt the commit (it did: the service committed,
	 * the mover reported its lease lost). After this, no answer stops the runner.
	 * @return false when the lease was lost before: the run must not commit
	 */
	synchronized boolean finish() {
		this.closed = true;
		this.thread.interrupt();
		return !this.lost;
	}

	@Override
	public void check() {
		if (this.lost) {
			throw new LeaseLostException("The run's lease is lost; its work stops here");
		}
	}

	boolean lost() {
		return this.lost;
	}

	boolean cancelled() {
		return this.cancelled;
	}

	@Override
	public void close() {
		finish();
	}

}
