package io.mlplatform.storage.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;

import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.SimulatedOperator;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.TestBackups;
import io.mlplatform.storage.cluster.crd.ProjectStorage;
import io.mlplatform.storage.cluster.crd.StorageQuota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every kind of object the service writes, as it lands in the cluster, is valid against the
 * openAPIV3Schema of its CRD in {@code k8s/crds/}: the Java classes and the manifests cannot drift apart.
 */
class CustomResourceSchemaIntegrationTests extends IntegrationTestSupport {

	private static final ObjectMapper JSON = new ObjectMapper();

	@Autowired
	private Snapshots snapshots;

	@Test
	void everyObjectTheServiceWritesIsValidAgainstItsCrdSchema() throws Exception {
		createProject("nlp");
		String storages = "/api/v1/projects/nlp/storages";
		this.api.post(storages, "{\"name\": \"plain\", \"capacity\": \"1Gi\"}");
		String backup = TestBackups.take(this.db, this.snapshots, "nlp", "plain", Map.of("README.md", "read me"));
		this.api.post(storages, """
				{"name": "full", "capacity": "1.5T", "storageClass": "nfs-fast", "accessMode": "ReadWriteOnce",
				 "labels": {"team": "nlp", "example.com/tier": "hot"}, "backupPolicy": {"enabled": false},
				 "restoreFrom": {"storage": "plain", "backup": "%s", "paths": ["datasets/train/", "README.md"]}}"""
			.formatted(backup));
		this.api.patch(storages + "/plain", "{\"capacity\": \"3Gi\"}");
		this.api.put("/api/v1/projects/nlp/quota",
				"{\"capacity\": \"2Ti\", \"maxStorages\": 20, \"clusters\": {\"local\": {\"capacity\": \"1.5Ti\", \"maxStorages\": 9}}}");
		this.api.put("/api/v1/projects/nlp/quota", "{\"maxStorages\": 5, \"clusters\": {\"local\": {\"maxStorages\": 4}}}");
		try (SimulatedOperator operator = SimulatedOperator.start(TestInfrastructure.cluster().client(),
				Files.createTempDirectory("shares"), null)) {
			await().atMost(Duration.ofSeconds(20))
				.until(() -> count("select count(*) from storages where phase = 'Ready' and observed_generation = generation") == 2
						&& count("select count(*) from cluster_outbox") == 0);
		}

		List<HasMetadata> written = new ArrayList<>();
		written.addAll(TestInfrastructure.cluster().client().resources(ProjectStorage.class).inAnyNamespace().list().getItems());
		written.addAll(TestInfrastructure.cluster().client().resources(StorageQuota.class).inAnyNamespace().list().getItems());
		assertThat(written).hasSize(3);
		StorageQuota quota = TestInfrastructure.cluster().client().resources(StorageQuota.class).inNamespace("nlp").withName("nlp").get();
		assertThat(quota.getSpec().capacity()).as("a limit removed is removed from the object").isNull();
		assertThat(quota.getSpec().maxStorages()).isEqualTo(5);
		assertThat(quota.getSpec().cluster().capacity()).as("so is one of the cluster's cap").isNull();
		assertThat(quota.getSpec().cluster().maxStorages()).isEqualTo(4);
		for (HasMetadata object : written) {
			JsonNode tree = JSON.readTree(Serialization.asJson(object));
			assertThat(schemaOf(object.getKind()).validate(tree)).as(object.getKind() + " " + tree).isEmpty();
		}
	}

	/**
	 * A real API server refuses a CRD whose schema is not structural (kubernetes#94593: no
	 * {@code additionalProperties} beside {@code properties}, a {@code type} on every node); the mock
	 * server accepts anything, so the rules are checked here.
	 */
	@Test
	void crdSchemasAreStructural() throws Exception {
		for (Path file : Files.list(Path.of("k8s", "crds")).toList()) {
			CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
			JsonNode schema = JSON.valueToTree(crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema());
			List<String> problems = new ArrayList<>();
			structuralProblems(schema, "$", problems);
			assertThat(problems).as(file.toString()).isEmpty();
		}
	}

	private static void structuralProblems(JsonNode node, String at, List<String> problems) {
		if (node.has("properties") && node.has("additionalProperties")) {
			problems.add(at + ": additionalProperties beside properties");
		}
		if (!node.has("type") && !node.path("x-kubernetes-int-or-string").asBoolean()
				&& !node.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
			problems.add(at + ": no type");
		}
		node.path("properties").fields().forEachRemaining(field -> structuralProblems(field.getValue(), at + "." + field.getKey(), problems));
		if (node.has("items")) {
			structuralProblems(node.get("items"), at + "[]", problems);
		}
		if (node.path("additionalProperties").isObject()) {
			structuralProblems(node.get("additionalProperties"), at + "{}", problems);
		}
	}

	@Test
	void theSchemaCheckRejectsWhatACrdWouldRefuseOrSilentlyDrop() throws Exception {
		ObjectNode bad = (ObjectNode) JSON.readTree("""
				{"apiVersion": "storage.mlplatform.io/v1alpha1", "kind": "ProjectStorage", "metadata": {"name": "x"},
				 "spec": {"project": "nlp", "capacity": "lots", "accessMode": "Sometimes", "unknown": 1}}""");

		Set<ValidationMessage> errors = schemaOf("ProjectStorage").validate(bad);

		assertThat(errors).extracting(ValidationMessage::getInstanceLocation)
			.extracting(Object::toString)
			.contains("$.spec.capacity", "$.spec.accessMode");
		assertThat(errors.toString()).contains("unknown");
	}

	private static JsonSchema schemaOf(String kind) throws Exception {
		for (Path file : Files.list(Path.of("k8s", "crds")).toList()) {
			CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
			if (crd.getSpec().getNames().getKind().equals(kind)) {
				JsonNode schema = JSON.valueToTree(crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema());
				closeObjects(schema.path("properties").path("spec"));
				return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
			}
		}
		throw new IllegalArgumentException("No CRD for " + kind);
	}

	/**
	 * The API server prunes spec fields its schema does not know, silently: for us such a field is a
	 * Java class that drifted from its CRD, so the check refuses it.
	 */
	private static void closeObjects(JsonNode node) {
		if (node.has("properties")) {
			((ObjectNode) node).put("additionalProperties", false);
			node.get("properties").forEach(CustomResourceSchemaIntegrationTests::closeObjects);
		}
		if (node.has("items")) {
			closeObjects(node.get("items"));
		}
	}

}
