package io.mlplatform.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's API examples are copy-paste calls for people: this runs every one of them, in order,
 * with bash and curl against the running app, and checks the status each answered.
 */
// as in the local run, backups and restores run as mover processes, in a database and bucket of their own
@TestPropertySource(properties = { "pss.worker.executor=process", OwnDatabase.NAME + "=readme" })
@Import(OwnDatabase.class)
class ReadmeExamplesIntegrationTests extends IntegrationTestSupport {

	private static final Pattern BASH_BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);

	private static final Pattern STATUS = Pattern.compile("^HTTP-STATUS (\\d{3})$", Pattern.MULTILINE);

	@Test
	void everyApiExampleWorksAsWritten() throws Exception {
		String readme = Files.readString(Path.of("README.md"));
		String api = readme.substring(readme.indexOf("## Using the API"), readme.indexOf("## Configuration"));
		StringBuilder script = new StringBuilder(
				"set -euo pipefail\ncurl() { command curl --max-time 20 -w '\\nHTTP-STATUS %{http_code}\\n' \"$@\"; }\n");
		Matcher block = BASH_BLOCK.matcher(api);
		while (block.find()) {
			script.append(block.group(1));
		}

		ProcessBuilder builder = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(true);
		builder.environment().put("PSS_URL", "http://localhost:" + this.port);
		builder.environment().put("PSS_TOKEN", TestInfrastructure.adminToken());
		builder.environment().put("PSS_SHARES_ROOT", TestInfrastructure.sharesRoot().toString());
		String output;
		Process process;
		// as in the local run, an operator makes storages Ready with a folder as their share
		try (SimulatedOperator operator = SimulatedOperator.start(TestInfrastructure.cluster().client(),
				TestInfrastructure.sharesRoot(), null)) {
			process = builder.start();
			output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
		}

		assertThat(process.exitValue()).as(output).isZero();
		List<Integer> statuses = new ArrayList<>();
		Matcher status = STATUS.matcher(output);
		while (status.find()) {
			statuses.add(Integer.parseInt(status.group(1)));
		}
		assertThat(statuses).as(output)
			.containsExactly(200, 201, 201, 200, 200, 201, 201, 200, 200, 200, 200, 409, 409, 200, 200, 200, 200, 200, 200,
					202, 201, 202, 200, 202, 200, 202, 204, 400);
		assertThat(output).contains("/quota-exceeded").contains("in cluster 'gpu-west'").contains("\"capacity\":\"1Ti\"").contains("storage.delete");
		assertThat(output).contains("\"backupCapacity\":\"500Gi\"").contains("\"backupBytes\":").contains("\"exclusiveBytes\":");
		assertThat(output).contains("\"name\":\"hello.txt\"").contains("hello, backup").contains("\"intoNewStorage\":false")
			.contains("\"outcome\":\"ok\"");
		assertThat(count("select count(*) from projects")).isZero();
	}

}
