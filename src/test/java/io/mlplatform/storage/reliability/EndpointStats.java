package io.mlplatform.storage.reliability;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Latencies and answers of one endpoint under load, as the clients saw them. */
final class EndpointStats {

	private final List<Long> micros = new ArrayList<>();

	private final Map<String, Long> outcomes = new TreeMap<>();

	synchronized void record(String outcome, long nanos) {
		this.micros.add(nanos / 1000);
		this.outcomes.merge(outcome, 1L, Long::sum);
	}

	synchronized long requests() {
		return this.micros.size();
	}

	/** Answers by status ({@code 200}, {@code 409 quota-exceeded}) and failures without one ({@code io}). */
	synchronized Map<String, Long> outcomes() {
		return new TreeMap<>(this.outcomes);
	}

	/** @param percentile 0 to 100 */
	synchronized double millis(double percentile) {
		if (this.micros.isEmpty()) {
			return 0;
		}
		List<Long> sorted = new ArrayList<>(this.micros);
		Collections.sort(sorted);
		int index = (int) Math.ceil(percentile / 100 * sorted.size()) - 1;
		return sorted.get(Math.max(0, index)) / 1000.0;
	}

}
