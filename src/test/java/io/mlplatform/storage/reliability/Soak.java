package io.mlplatform.storage.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The long version of {@link FaultsUnderLoadIntegrationTests}, for {@code bench/soak.sh}: its own stand
 * (PostgreSQL, S3Proxy, the mock cluster, two service instances), the load for as long as asked, the
 * faults, the checks. Prints the report and writes it to the file named; exits 1 on any finding.
 * <pre>
 * Soak SECONDS CLIENTS PROJECTS EXECUTOR DB_OUTAGE_S CLUSTER_OUTAGE_S REPORT_FILE
 * </pre>
 */
final class Soak {

	private Soak() {
	}

	public static void main(String[] args) throws Exception {
		FaultsUnderLoad.Settings settings = new FaultsUnderLoad.Settings(Duration.ofSeconds(Long.parseLong(args[0])),
				Integer.parseInt(args[1]), Integer.parseInt(args[2]), Duration.ofSeconds(Long.parseLong(args[4])),
				Duration.ofSeconds(Long.parseLong(args[5])), 0.1, 100, args[3]);
		Report report;
		try (ServiceStand stand = new ServiceStand(settings.executor())) {
			FaultsUnderLoad.progress("starting two service instances");
			stand.startBoth();
			report = FaultsUnderLoad.run(settings, stand);
		}
		String markdown = report.markdown();
		System.out.println(markdown);
		Files.writeString(Path.of(args[6]), markdown);
		System.exit(report.findings().isEmpty() && report.undocumentedServerErrors() == 0 ? 0 : 1);
	}

}
