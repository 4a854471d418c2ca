package io.mlplatform.storage.web;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code openapi.yaml} is the contract the UI backend codes against; it must say exactly what the
 * service serves. Compared as parsed documents, so formatting and key order do not matter.
 * Regenerate after an intended change: {@code mvn test -Dtest=OpenApiContractIntegrationTests -Dopenapi.write=true}.
 */
class OpenApiContractIntegrationTests extends IntegrationTestSupport {

	private static final Path CONTRACT = Path.of("openapi.yaml");

	private static final ObjectMapper YAML = new ObjectMapper(
			new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
				.enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
				.disable(YAMLGenerator.Feature.SPLIT_LINES));

	@Test
	void servedDocumentEqualsTheContractInTheRepository() throws Exception {
		Response served = this.api.get("/v3/api-docs");
		assertThat(served.status()).isEqualTo(200);
		JsonNode actual = YAML.readTree(served.body());

		if (Boolean.getBoolean("openapi.write")) {
			Files.writeString(CONTRACT, YAML.writerWithDefaultPrettyPrinter().writeValueAsString(actual));
		}

		JsonNode contract = YAML.readTree(Files.readString(CONTRACT));
		assertThat(actual).as("openapi.yaml differs from what the service serves; if the change is intended, "
				+ "regenerate it with -Dopenapi.write=true and review the diff").isEqualTo(contract);
	}

	@Test
	void swaggerUiIsServed() {
		Response ui = this.api.get("/swagger-ui/index.html");

		assertThat(ui.status()).isEqualTo(200);
		assertThat(ui.body()).contains("Swagger UI");
		assertThat(this.api.get("/swagger-ui.html").status()).isIn(200, 302);
	}

	@Test
	void everyOperationDeclaresItsSuccessWithATypedBody() throws Exception {
		JsonNode doc = YAML.readTree(this.api.get("/v3/api-docs").body());

		doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
			String name = operation.getKey() + " " + path.getKey();
			List<String> successes = new ArrayList<>();
			operation.getValue().path("responses").properties().forEach(response -> {
				if (response.getKey().startsWith("2") || response.getKey().startsWith("3")) {
					successes.add(response.getKey());
				}
			});
			assertThat(successes).as(name).isNotEmpty();
			if (operation.getKey().equals("get") && successes.contains("200")) {
				assertThat(operation.getValue().path("responses").path("200").path("content").isEmpty())
					.as(name + " 200 has a schema")
					.isFalse();
			}
		}));
	}

	@Test
	void everyOperationDocumentsItsProblems() throws Exception {
		JsonNode doc = YAML.readTree(this.api.get("/v3/api-docs").body());

		doc.path("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
			JsonNode responses = operation.getValue().path("responses");
			assertThat(responses.has("400")).as(operation.getKey() + " " + path.getKey()).isTrue();
			assertThat(responses.has("500")).isTrue();
			// any call can meet the database gone: the client is told to retry
			assertThat(responses.path("503").path("$ref").asText()).as(operation.getKey() + " " + path.getKey())
				.isEqualTo("#/components/responses/ServiceUnavailable");
			assertThat(operation.getValue().path("summary").asText()).isNotEmpty();
		}));
		assertThat(doc.path("components").path("schemas").path("Problem").path("properties").has("errors")).isTrue();
		assertThat(doc.path("components").path("responses").path("ServiceUnavailable").path("headers").has("Retry-After"))
			.isTrue();
	}

}
