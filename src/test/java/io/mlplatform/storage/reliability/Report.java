package io.mlplatform.storage.reliability;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a run under faults measured and found, as the tables of {@code bench/RESULTS.md}. */
record Report(FaultsUnderLoad.Settings settings, double seconds, long requests, Map<String, EndpointStats> endpoints,
		List<FaultCost> faults, List<LoadDriver.Incident> incidents, List<String> findings, Map<String, String> summary) {

	long serverErrors() {
		return this.incidents.stream().filter(incident -> incident.outcome().startsWith("5")).count();
	}

	/** 5xx other than a 503 with Retry-After: what must never happen. */
	long undocumentedServerErrors() {
		return this.incidents.stream()
			.filter(incident -> incident.outcome().startsWith("5") && !(incident.outcome().equals("503") && incident.retryAfter()))
			.count();
	}

	String markdown() {
		StringBuilder out = new StringBuilder();
		out.append("%d clients, %d projects, %.0f s of load (executor %s): %,d requests, %d answered 5xx (%d of them not a 503 with Retry-After), %d findings%n%n"
			.formatted(this.settings.clients(), this.settings.projects(), this.seconds, this.settings.executor(), this.requests,
					serverErrors(), undocumentedServerErrors(), this.findings.size()));
		out.append("| endpoint | requests | p50 ms | p99 ms | answers |\n|---|---:|---:|---:|---|\n");
		this.endpoints.forEach((endpoint, stats) -> out.append("| %s | %d | %.1f | %.1f | %s |%n".formatted(endpoint,
				stats.requests(), stats.millis(50), stats.millis(99), outcomes(stats.outcomes()))));
		out.append("\n| fault | lasted s | client errors seen (until recovered) | seconds to recover | note |\n|---|---:|---|---:|---|\n");
		for (FaultCost fault : this.faults) {
			List<LoadDriver.Incident> seen = fault.seenBy(this.incidents);
			out.append("| %s | %.1f | %s | %.1f | %s |%n".formatted(fault.name(), fault.seconds(),
					seen.isEmpty() ? "none" : outcomes(seen.stream().collect(Collectors.groupingBy(
							incident -> incident.outcome() + (incident.retryAfter() ? " with Retry-After" : ""),
							java.util.TreeMap::new, Collectors.counting()))),
					fault.secondsToRecover(), fault.note()));
		}
		out.append("\n| after recovery | |\n|---|---|\n");
		this.summary.forEach((what, value) -> out.append("| %s | %s |%n".formatted(what, value.replace("|", "/"))));
		out.append("\nFindings: ").append(this.findings.isEmpty() ? "none" : "").append('\n');
		this.findings.stream().limit(40).forEach(finding -> out.append("- ").append(finding).append('\n'));
		return out.toString();
	}

	private static String outcomes(Map<String, Long> outcomes) {
		return outcomes.entrySet().stream().map(e -> e.getValue() + "× " + e.getKey()).collect(Collectors.joining(", "));
	}

}
