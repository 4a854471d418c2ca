package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** The mover API's contract in the repository is what the service serves, and the public one leaves it out. */
class MoverContractIntegrationTests extends IntegrationTestSupport {

	private static final Path CONTRACT = Path.of("openapi-mover.yaml");

	private static final ObjectMapper YAML = new ObjectMapper(
			new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
				.enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
				.disable(YAMLGenerator.Feature.SPLIT_LINES));

	@Test
	void servedMoverDocumentEqualsTheContractInTheRepository() throws Exception {
		Response served = this.api.get("/v3/api-docs/mover");
		assertThat(served.status()).isEqualTo(200);
		JsonNode actual = YAML.readTree(served.body());

		if (Boolean.getBoolean("openapi.write")) {
			Files.writeString(CONTRACT, YAML.writerWithDefaultPrettyPrinter().writeValueAsString(actual));
		}

		JsonNode contract = YAML.readTree(Files.readString(CONTRACT));
		assertThat(actual).as("openapi-mover.yaml differs from what the service serves; if the change is intended, "
				+ "regenerate it with -Dopenapi.write=true and review the diff").isEqualTo(contract);
		assertThat(actual.path("paths").size()).isEqualTo(13);
		actual.path("paths").forEach(path -> path.forEach(operation -> {
			assertThat(operation.path("responses").has("401")).isTrue();
			assertThat(operation.path("responses").has("409")).isTrue();
		}));
	}

	@Test
	void thePublicContractLeavesTheMoverApiOut() throws Exception {
		JsonNode served = YAML.readTree(this.api.get("/v3/api-docs").body());

		served.path("paths").fieldNames().forEachRemaining(path -> assertThat(path).doesNotStartWith("/internal"));
		assertThat(served.path("components").path("securitySchemes").has("run")).isFalse();
	}

}
