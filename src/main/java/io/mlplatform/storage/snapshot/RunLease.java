package io.mlplatform.storage.snapshot;

/**
 * A running backup's claim on its project's content: while it holds, no collection deletes what the
 * backup relies on. Kept alive by its implementation (in the service, a timer renewing a PostgreSQL
 * row; in a mover, the heartbeats the service answers).
 */
public interface RunLease {

	/** @throws LeaseLostException if the lease ran out: the run must store nothing more */
	void check();

}
