package io.mlplatform.storage.storage;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

class StorageApiIntegrationTests extends IntegrationTestSupport {

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@BeforeEach
	void project() {
		createProject("nlp");
	}

	@Test
	void createsAStorageWithDefaults() {
		Response created = this.api.post(STORAGES, "{\"name\": \"imagenet\", \"capacity\": \"500Gi\"}");

		assertThat(created.status()).isEqualTo(201);
		assertThat(created.header("Location")).isEqualTo(STORAGES + "/imagenet");
		JsonNode body = created.json();
		assertThat(body.path("capacity").asString()).isEqualTo("500Gi");
		assertThat(body.path("capacityBytes").asLong()).isEqualTo(500L << 30);
		assertThat(body.path("cluster").asString()).isEqualTo("local");
		assertThat(body.path("accessMode").asString()).isEqualTo("ReadWriteMany");
		assertThat(body.path("deletionProtection").asBoolean()).isFalse();
		assertThat(body.path("backupPolicy").path("schedule").asString()).isEqualTo("0 2 * * *");
		assertThat(body.path("backupPolicy").path("timeZone").asString()).isEqualTo("UTC");
		assertThat(body.path("backupPolicy").path("retention").path("keepDaily").asInt()).isEqualTo(7);
		assertThat(body.path("state").asString()).isEqualTo("Pending");
		assertThat(body.path("status").path("phase").asString()).isEqualTo("Pending");
		assertThat(body.path("status").path("syncState").asString()).isEqualTo("Pending");
		assertThat(body.path("id").asString()).hasSize(36);
		assertThat(count("select count(*) from storages where name = 'imagenet' and capacity_bytes = ?", 500L << 30))
			.isEqualTo(1);
	}

	@Test
	void answersJsonWithAContentLengthInsteadOfChunks() {
		this.api.post(STORAGES, "{\"name\": \"imagenet\", \"capacity\": \"500Gi\"}");

		Response read = this.api.get(STORAGES + "/imagenet");
		Response page = this.api.get(STORAGES + "?pageSize=5");

		for (Response response : new Response[] { read, page }) {
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("Transfer-Encoding")).isNull();
			assertThat(response.header("Content-Length"))
				.isEqualTo(String.valueOf(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length));
		}
		assertThat(read.json().path("name").asString()).isEqualTo("imagenet");
		assertThat(page.json().path("items").size()).isEqualTo(1);
	}

	@Test
	void acceptsKubernetesQuantitiesAndAnswersInCanonicalForm() {
		Response decimal = this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1.5T\"}");
		Response mebibytes = this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"2048Mi\"}");

		assertThat(decimal.json().path("capacity").asString()).isEqualTo("1500G");
		assertThat(decimal.json().path("capacityBytes").asLong()).isEqualTo(1_500_000_000_000L);
		assertThat(mebibytes.json().path("capacity").asString()).isEqualTo("2Gi");
	}

	@Test
	void replayingTheSameCreateIsSafeAndADifferentSpecConflicts() {
		String request = "{\"name\": \"imagenet\", \"capacity\": \"500Gi\", \"labels\": {\"team\": \"nlp\"}}";
		Response first = this.api.post(STORAGES, request);
		Response replay = this.api.post(STORAGES,
				"{\"labels\": {\"team\": \"nlp\"}, \"capacity\": \"512000Mi\", \"name\": \"imagenet\", \"accessMode\": \"ReadWriteMany\"}");
		Response different = this.api.post(STORAGES, "{\"name\": \"imagenet\", \"capacity\": \"1Ti\"}");

		assertThat(first.status()).isEqualTo(201);
		assertThat(replay.status()).isEqualTo(200);
		// equal but for the status fingerprint, which the cluster may have changed meanwhile
		assertThat(replay.etag().substring(0, 23)).isEqualTo(first.etag().substring(0, 23));
		assertThat(replay.json().path("id")).isEqualTo(first.json().path("id"));
		assertThat(different.status()).isEqualTo(409);
		assertThat(different.problemType()).isEqualTo("already-exists");
		assertThat(count("select count(*) from storages")).isEqualTo(1);
		assertThat(count("select capacity_bytes from storages")).isEqualTo(500L << 30);
	}

	@Test
	void growsButNeverShrinks() {
		Response created = this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"100Gi\"}");

		Response grown = this.api.patch(STORAGES + "/data", "{\"capacity\": \"200Gi\"}", "If-Match", created.etag());
		assertThat(grown.status()).isEqualTo(200);
		assertThat(grown.json().path("capacity").asString()).isEqualTo("200Gi");
		assertThat(count("select generation from storages")).isEqualTo(2);

		Response shrink = this.api.patch(STORAGES + "/data", "{\"capacity\": \"150Gi\"}");
		assertThat(shrink.status()).isEqualTo(422);
		assertThat(shrink.problemType()).isEqualTo("capacity-shrink");
		assertThat(shrink.json().path("detail").asString()).contains("200Gi").contains("150Gi");
		assertThat(shrink.json().path("errors").get(0).path("field").asString()).isEqualTo("capacity");
		assertThat(count("select capacity_bytes from storages")).isEqualTo(200L << 30);
	}

	@Test
	void refusesToChangeWhatIsFixedAtCreation() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"100Gi\"}");

		for (String patch : List.of("{\"cluster\": \"other\"}", "{\"accessMode\": \"ReadWriteOnce\"}",
				"{\"storageClass\": \"fast\"}",
				"{\"restoreFrom\": {\"storage\": \"x\", \"backup\": \"b1\"}}")) {
			Response refused = this.api.patch(STORAGES + "/data", patch);
			assertThat(refused.status()).as(patch).isEqualTo(422);
			assertThat(refused.problemType()).isEqualTo("immutable-field");
		}
		assertThat(count("select version from storages")).isZero();
	}

	@Test
	void putAppliesExactlyThisStateWithPreconditions() {
		Response created = this.api.put(STORAGES + "/data",
				"{\"capacity\": \"100Gi\", \"labels\": {\"a\": \"1\"}, \"deletionProtection\": true}", "If-None-Match", "*");
		assertThat(created.status()).isEqualTo(201);
		assertThat(this.api.put(STORAGES + "/data", "{\"capacity\": \"100Gi\"}", "If-None-Match", "*").status())
			.isEqualTo(412);

		Response applied = this.api.put(STORAGES + "/data", "{\"capacity\": \"100Gi\"}", "If-Match", created.etag());
		assertThat(applied.status()).isEqualTo(200);
		assertThat(applied.json().path("labels").size()).isZero();
		assertThat(applied.json().path("deletionProtection").asBoolean()).isFalse();

		Response stale = this.api.put(STORAGES + "/data", "{\"capacity\": \"200Gi\"}", "If-Match", created.etag());
		assertThat(stale.status()).isEqualTo(412);
		assertThat(count("select capacity_bytes from storages")).isEqualTo(100L << 30);
	}

	@Test
	void aGetBodyCanBePutBackUnchanged() {
		// read-only fields the contract leaves out of requests; the service ignores them
		this.api = this.api.unvalidated();
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"100Gi\"}");
		Response got = this.api.get(STORAGES + "/data");

		Response putBack = this.api.put(STORAGES + "/data", got.body(), "If-Match", got.etag());

		assertThat(putBack.status()).isEqualTo(200);
		assertThat(putBack.etag().substring(0, 23)).as("unchanged but for the status fingerprint")
			.isEqualTo(got.etag().substring(0, 23));
	}

	@Test
	void deletionProtectionBlocksDeleteUntilLifted() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\", \"deletionProtection\": true}");

		Response refused = this.api.delete(STORAGES + "/data");
		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("deletion-protected");
		assertThat(refused.json().path("detail").asString()).contains("{\"deletionProtection\": false}");
		assertThat(this.api.get(STORAGES + "/data").status()).isEqualTo(200);

		this.api.patch(STORAGES + "/data", "{\"deletionProtection\": false}");
		Response deleted = this.api.delete(STORAGES + "/data");
		assertThat(deleted.status()).isEqualTo(202);
		assertThat(deleted.json().path("state").asString()).isEqualTo("Deleting");
		awaitGone(STORAGES + "/data");
		assertThat(this.api.delete(STORAGES + "/data").status()).isEqualTo(404);
		assertThat(count("select count(*) from storages where deleted_at is not null and lifecycle = 'Deleted'"))
			.isEqualTo(1);
	}

	@Test
	void aDeletedNameCanBeUsedAgain() {
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		Response old = this.api.get(STORAGES + "/data");
		this.api.delete(STORAGES + "/data");
		awaitGone(STORAGES + "/data");

		Response again = this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");

		assertThat(again.status()).isEqualTo(201);
		assertThat(again.json().path("id")).isNotEqualTo(old.json().path("id"));
		assertThat(this.api.get(STORAGES + "/data", "If-None-Match", old.etag()).status()).isEqualTo(200);
		assertThat(count("select count(*) from storages")).isEqualTo(2);
	}

	@Test
	void validatesEveryFieldAndWritesNothing() {
		// requests the contract does not allow, on purpose
		this.api = this.api.unvalidated();
		Response invalid = this.api.post(STORAGES, """
				{"name": "Data", "capacity": "lots", "accessMode": "ReadWriteSometimes", "storageClass": "Fast_SSD",
				 "cluster": "Local", "backupPolicy": {"schedule": "every night", "timeZone": "Mars/Olympus",
				 "retention": {"keepDaily": -1}},
				 "restoreFrom": {"storage": "src", "backup": "", "paths": ["../etc/passwd", "/abs"]}}""");

		assertThat(invalid.status()).isEqualTo(400);
		List<String> fields = new ArrayList<>();
		invalid.json().path("errors").forEach(e -> fields.add(e.path("field").asString()));
		assertThat(fields).containsExactlyInAnyOrder("name", "capacity", "accessMode", "storageClass", "cluster",
				"backupPolicy.schedule", "backupPolicy.timeZone", "backupPolicy.retention.keepDaily",
				"restoreFrom.backup", "restoreFrom.paths[0]", "restoreFrom.paths[1]");
		assertThat(count("select count(*) from storages")).isZero();
	}

	@Test
	void acceptsCronMacrosAndRefusesSixFieldCron() {
		assertThat(this.api.post(STORAGES,
				"{\"name\": \"a\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"schedule\": \"@hourly\", \"timeZone\": \"Europe/Berlin\"}}")
			.status()).isEqualTo(201);
		assertThat(this.api.post(STORAGES,
				"{\"name\": \"b\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"schedule\": \"0 0 2 * * *\"}}")
			.status()).isEqualTo(400);
		assertThat(this.api.post(STORAGES,
				"{\"name\": \"c\", \"capacity\": \"0\"}").status()).isEqualTo(400);
	}

	@Test
	void unknownProjectOrStorageIsNotFound() {
		Response noProject = this.api.post("/api/v1/projects/nope/storages", "{\"name\": \"a\", \"capacity\": \"1Gi\"}");
		Response noStorage = this.api.get(STORAGES + "/nope");

		assertThat(noProject.status()).isEqualTo(404);
		assertThat(noProject.json().path("detail").asString()).contains("'nope'");
		assertThat(noStorage.status()).isEqualTo(404);
		assertThat(this.api.get("/api/v1/projects/nope/storages").status()).isEqualTo(404);
		assertThat(this.api.patch(STORAGES + "/nope", "{}").status()).isEqualTo(404);
		assertThat(count("select count(*) from storages")).isZero();
	}

	@Test
	void storagesOfOneProjectAreInvisibleInAnother() {
		createProject("vision");
		this.api.post(STORAGES, "{\"name\": \"data\", \"capacity\": \"1Gi\"}");

		assertThat(this.api.get("/api/v1/projects/vision/storages/data").status()).isEqualTo(404);
		assertThat(this.api.get("/api/v1/projects/vision/storages").json().path("items").size()).isZero();
		assertThat(this.api.post("/api/v1/projects/vision/storages", "{\"name\": \"data\", \"capacity\": \"2Gi\"}")
			.status()).isEqualTo(201);
	}

	@Test
	void listsPagesFiltersByLabelsAndState() {
		// states in lower case, which the service accepts beyond the contract's enum
		this.api = this.api.unvalidated();
		for (int i = 0; i < 12; i++) {
			String labels = i % 3 == 0 ? "{\"tier\": \"hot\", \"team\": \"a\"}"
					: i % 3 == 1 ? "{\"tier\": \"cold\"}" : "{}";
			this.api.post(STORAGES, "{\"name\": \"s%02d\", \"capacity\": \"1Gi\", \"labels\": %s}".formatted(i, labels));
		}
		this.db.sql("update storages set phase = 'Ready', observed_generation = generation where name in ('s00', 's01')")
			.update();

		assertThat(names("")).hasSize(12).isSorted();
		assertThat(names("&labelSelector=tier%3Dhot")).containsExactly("s00", "s03", "s06", "s09");
		assertThat(names("&labelSelector=tier!%3Dhot")).hasSize(8);
		assertThat(names("&labelSelector=tier+in+(hot,cold)")).hasSize(8);
		assertThat(names("&labelSelector=tier,!team")).containsExactly("s01", "s04", "s07", "s10");
		assertThat(names("&state=Ready")).containsExactly("s00", "s01");
		assertThat(names("&state=pending")).hasSize(10);
		assertThat(names("&state=Ready&labelSelector=tier%3Dcold")).containsExactly("s01");

		Response badState = this.api.get(STORAGES + "?state=Happy");
		assertThat(badState.status()).isEqualTo(400);
		assertThat(badState.json().path("errors").get(0).path("field").asString()).isEqualTo("state");
	}

	@Test
	void pagingSkipsNothingWhileRowsAreAdded() {
		for (int i = 0; i < 10; i += 2) {
			this.api.post(STORAGES, "{\"name\": \"s%d\", \"capacity\": \"1Gi\"}".formatted(i));
		}
		Response first = this.api.get(STORAGES + "?pageSize=2");
		this.api.post(STORAGES, "{\"name\": \"s1\", \"capacity\": \"1Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"s3\", \"capacity\": \"1Gi\"}");
		Response second = this.api.get(STORAGES + "?pageSize=2&pageToken=" + first.json().path("nextPageToken").asString());

		List<String> names = new ArrayList<>();
		second.json().path("items").forEach(s -> names.add(s.path("name").asString()));
		assertThat(names).containsExactly("s3", "s4");
	}

	private List<String> names(String query) {
		List<String> names = new ArrayList<>();
		String token = null;
		do {
			Response page = this.api.get(STORAGES + "?pageSize=5" + query + (token == null ? "" : "&pageToken=" + token));
			assertThat(page.status()).as(page.toString()).isEqualTo(200);
			page.json().path("items").forEach(s -> names.add(s.path("name").asString()));
			token = page.json().has("nextPageToken") ? page.json().path("nextPageToken").asString() : null;
		}
		while (token != null);
		return names;
	}

}
