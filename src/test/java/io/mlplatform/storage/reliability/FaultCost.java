package io.mlplatform.storage.reliability;

import java.util.List;

/** One fault injected during the load: when it began and ended, when the service had recovered, and what clients saw meanwhile. */
final class FaultCost {

	private final String name;

	private volatile long started;

	private volatile long ended;

	private volatile long recovered;

	private volatile String note = "";

	FaultCost(String name) {
		this.name = name;
	}

	String name() {
		return this.name;
	}

	FaultCost started() {
		this.started = System.nanoTime();
		return this;
	}

	FaultCost ended() {
		this.ended = System.nanoTime();
		return this;
	}

	void recovered() {
		this.recovered = System.nanoTime();
	}

	void note(String note) {
		this.note = note;
	}

	String note() {
		return this.note;
	}

	double seconds() {
		return (this.ended - this.started) / 1e9;
	}

	/** From the fault's end until the service was whole again; negative if it never was. */
	double secondsToRecover() {
		return this.recovered == 0 ? -1 : (this.recovered - this.ended) / 1e9;
	}

	/** Whether a client saw this incident while the fault lasted or the service recovered from it. */
	boolean covers(LoadDriver.Incident incident) {
		long until = this.recovered == 0 ? Long.MAX_VALUE : this.recovered;
		return incident.nanoTime() >= this.started && incident.nanoTime() <= until;
	}

	List<LoadDriver.Incident> seenBy(List<LoadDriver.Incident> incidents) {
		return incidents.stream().filter(this::covers).toList();
	}

}
