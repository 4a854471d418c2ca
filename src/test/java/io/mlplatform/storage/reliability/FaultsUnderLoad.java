package io.mlplatform.storage.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import io.mlplatform.storage.ApiClient;

/**
 * Mixed load on the service with faults injected one after another while it runs (issue #17, parts 3
 * and 4): S3 failing a share of requests and slow throughout, the second of two instances killed with
 * -9 while it runs jobs, a mover process killed mid-run (when jobs run as movers), PostgreSQL gone for
 * a while, the cluster API gone for a while. Then the load stops, everything recovers by itself, and
 * {@link Verification} checks what is left. The short test and {@code bench/soak.sh} both run this.
 */
final class FaultsUnderLoad {

	/**
	 * @param executor how the second instance runs jobs: {@code local} (in its JVM) or {@code process} (each
	 * job a mover process, one of which is killed); the first always runs them in its JVM, as issue #17 asks
	 */
	record Settings(Duration duration, int clients, int projects, Duration databaseOutage, Duration clusterOutage,
			double s3FailureRate, int s3MaxDelayMillis, String executor) {
	}

	private final Settings settings;

	private final ServiceStand stand;

	private final List<FaultCost> faults = new ArrayList<>();

	/** Waits for the service to recover from each fault, beside the schedule of the next ones. */
	private final List<CompletableFuture<Void>> recoveries = new ArrayList<>();

	private FaultsUnderLoad(Settings settings, ServiceStand stand) {
		this.settings = settings;
		this.stand = stand;
	}

	/** @param stand with the service and its second instance started */
	static Report run(Settings settings, ServiceStand stand) {
		return new FaultsUnderLoad(settings, stand).run();
	}

	private Report run() {
		LoadDriver driver = new LoadDriver(this.stand.port(), this.stand.adminToken(), this.stand.sharesRoot());
		driver.createProjects(this.settings.projects());
		long start = System.nanoTime();
		List<Thread> clients = driver.start(this.settings.clients());
		long end = start + this.settings.duration().toNanos();

		FaultCost s3 = new FaultCost("S3: %.0f%% of requests answered 500/503, up to %d ms added to the others"
			.formatted(this.settings.s3FailureRate() * 100, this.settings.s3MaxDelayMillis()));
		this.stand.s3Faults.faults(this.settings.s3FailureRate(), this.settings.s3MaxDelayMillis());
		this.faults.add(s3.started());

		sleepUntil(start, end, 0.1);
		if ("process".equals(this.settings.executor())) {
			killAMoverMidRun(at(start, end, 0.2));
		}
		sleepUntil(start, end, 0.2);
		killSecondInstanceWhileItRunsJobs(at(start, end, 0.35));
		sleepUntil(start, end, 0.4);
		cutDatabase(driver);
		sleepUntil(start, end, 0.6);
		cutClusterApi();
		sleepUntil(start, end, 0.8);
		this.stand.s3Faults.faults(0, 0);
		s3.ended();
		List<String> runningAtEnd = this.stand.runningJobs();
		recover(s3, Duration.ofMinutes(5), () -> this.stand.ended(runningAtEnd));
		sleepUntil(start, end, 1.0);
		driver.stop();
		try {
			for (Thread client : clients) {
				client.join(60_000);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		double seconds = (System.nanoTime() - start) / 1e9;

		// what recovery leaves: every job ended, every change in the cluster, every deletion done
		progress("load stopped after %.0f s; waiting for recoveries".formatted(seconds));
		this.recoveries.forEach(CompletableFuture::join);
		progress("recovered; waiting for jobs, outbox and deletions to finish");
		awaitUpTo(Duration.ofMinutes(5), () -> unfinished(this.stand) == 0);
		progress("checking");
		Verification verification = new Verification(this.stand, driver);
		verification.check(this.faults, new long[] { this.stand.s3Faults.forwarded(), this.stand.s3Faults.failed() });
		return new Report(this.settings, seconds, driver.requests(), driver.endpoints(), List.copyOf(this.faults),
				driver.incidents(), verification.findings(), verification.summary());
	}

	static void progress(String what) {
		System.out.printf("[faults-under-load %s] %s%n", java.time.LocalTime.now().withNano(0), what);
	}

	/** Marks the fault recovered once the condition holds, beside the rest of the schedule. */
	private void recover(FaultCost fault, Duration limit, BooleanSupplier condition) {
		this.recoveries.add(CompletableFuture.runAsync(() -> {
			if (awaitUpTo(limit, condition)) {
				fault.recovered();
				progress("recovered from: " + fault.name());
			}
		}));
	}

	private void killSecondInstanceWhileItRunsJobs(long until) {
		FaultCost kill = new FaultCost("second instance killed with -9 while it runs jobs");
		List<String> held = new ArrayList<>();
		awaitUpTo(Duration.ofNanos(Math.max(0, until - System.nanoTime())), () -> {
			held.addAll(this.stand.secondInstanceJobs());
			return !held.isEmpty();
		});
		this.stand.killSecondInstance();
		progress("killed the second instance holding " + held.size() + " job(s)");
		kill.started().ended();
		kill.note(held.size() + " job(s) held, claimed again once their leases ran out");
		this.faults.add(kill);
		recover(kill, Duration.ofMinutes(3), () -> this.stand.ended(held));
	}

	private void killAMoverMidRun(long until) {
		FaultCost kill = new FaultCost("a mover process killed with -9 mid-run");
		List<ProcessHandle> found = new ArrayList<>();
		awaitUpTo(Duration.ofNanos(Math.max(0, until - System.nanoTime())), () -> {
			this.stand.runningMover().ifPresent(found::add);
			return !found.isEmpty();
		});
		List<String> running = this.stand.runningJobs();
		boolean killed = !found.isEmpty() && found.get(0).destroyForcibly();
		progress(killed ? "killed mover " + found.get(0).pid() : "no mover was running to kill");
		kill.started().ended();
		kill.note(killed ? "its job claimed again once its lease ran out" : "no mover was running");
		this.faults.add(kill);
		recover(kill, Duration.ofMinutes(3), () -> this.stand.ended(running));
	}

	private void cutDatabase(LoadDriver driver) {
		FaultCost outage = new FaultCost("PostgreSQL gone for " + this.settings.databaseOutage().toSeconds() + " s");
		progress("cutting PostgreSQL off");
		// started before the cut: the requests whose connections the cut closes answer 503 while it runs (on a
		// slow machine closing them all took longer than their answers, which then seemed to precede the outage)
		outage.started();
		this.stand.database.stop();
		this.faults.add(outage);
		LoadDriver.sleep(this.settings.databaseOutage().toMillis());
		this.stand.database.resume();
		outage.ended();
		ApiClient probe = driver.client();
		recover(outage, Duration.ofMinutes(2), () -> {
			try {
				return probe.get("/api/v1/projects?pageSize=1").status() == 200;
			}
			catch (AssertionError ex) {
				return false;
			}
		});
	}

	private void cutClusterApi() {
		FaultCost outage = new FaultCost("cluster API gone for " + this.settings.clusterOutage().toSeconds() + " s");
		progress("cutting the cluster API off");
		this.stand.clusterApi.stop();
		outage.started();
		this.faults.add(outage);
		LoadDriver.sleep(this.settings.clusterOutage().toMillis());
		long newestQueued = this.stand.db.sql("SELECT coalesce(max(id), 0) FROM cluster_outbox").query(Long.class).single();
		long waiting = this.stand.db.sql("SELECT count(*) FROM cluster_outbox").query(Long.class).single();
		this.stand.clusterApi.resume();
		outage.ended();
		outage.note(waiting + " changes waiting in the outbox when it came back");
		// every change accepted while it was gone has reached the cluster
		recover(outage, Duration.ofMinutes(5), () -> this.stand.db.sql("SELECT count(*) FROM cluster_outbox WHERE id <= ?")
			.param(newestQueued)
			.query(Long.class)
			.single() == 0);
	}

	private static long runningJobs(ServiceStand stand) {
		return stand.db.sql("""
				SELECT (SELECT count(*) FROM backups WHERE state IN ('Queued', 'Running'))
				     + (SELECT count(*) FROM restores WHERE state IN ('Queued', 'Running'))""").query(Long.class).single();
	}

	private static long unfinished(ServiceStand stand) {
		return runningJobs(stand) + stand.db.sql("""
				SELECT (SELECT count(*) FROM cluster_outbox)
				     + (SELECT count(*) FROM storages WHERE lifecycle = 'Deleting')""").query(Long.class).single();
	}

	private static long at(long start, long end, double fraction) {
		return start + (long) ((end - start) * fraction);
	}

	private static void sleepUntil(long start, long end, double fraction) {
		long at = at(start, end, fraction);
		while (System.nanoTime() < at) {
			LoadDriver.sleep(50);
		}
	}

	/** Waits for the condition as long as it may take; a fault's cost is how long, and the checks tell if it never came. */
	static boolean awaitUpTo(Duration limit, BooleanSupplier condition) {
		long deadline = System.nanoTime() + limit.toNanos();
		while (System.nanoTime() < deadline) {
			try {
				if (condition.getAsBoolean()) {
					return true;
				}
			}
			catch (RuntimeException ex) {
				// a stand-in down right now: try again
			}
			LoadDriver.sleep(100);
		}
		return false;
	}

}
