package io.mlplatform.storage.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.backup.Snapshots;
import io.mlplatform.storage.backup.TestBackups;

import org.springframework.beans.factory.annotation.Autowired;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operation of {@code openapi.yaml}, called as every kind of caller, from a fresh state each
 * time: the status must be the one in this table, a successful change must write exactly one audit
 * row and a refused one none. An operation added to the API without a row here fails this test.
 */
class AuthorizationMatrixIntegrationTests extends IntegrationTestSupport {

	/** Columns of the table, in order. */
	enum Persona {

		ANONYMOUS, EXPIRED, OTHER_TEAM, MEMBER, OWNER, ADMIN, REVOKED_TOKEN, OTHER_PROJECT_TOKEN

	}

	record Call(String body, int... statuses) {
	}

	private static final Map<String, Call> MATRIX = new LinkedHashMap<>();

	static {
		// anonymous, expired, other team's member, member, owner, admin, revoked CI token, CI token of another project
		MATRIX.put("GET /api/v1/projects", new Call(null, 401, 401, 200, 200, 200, 200, 401, 200));
		MATRIX.put("POST /api/v1/projects", new Call("{\"name\": \"new-one\"}", 401, 401, 403, 403, 403, 201, 401, 403));
		MATRIX.put("GET /api/v1/projects/{project}", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("PUT /api/v1/projects/{project}",
				new Call("{\"owners\": [\"group:nlp-leads\"], \"members\": [\"group:nlp\"]}", 401, 401, 404, 403, 200, 200,
						401, 404));
		MATRIX.put("PATCH /api/v1/projects/{project}",
				new Call("{\"displayName\": \"NLP\"}", 401, 401, 404, 403, 200, 200, 401, 404));
		MATRIX.put("DELETE /api/v1/projects/{project}", new Call(null, 401, 401, 404, 403, 403, 409, 401, 404));
		MATRIX.put("GET /api/v1/projects/{project}/quota", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("PUT /api/v1/projects/{project}/quota",
				new Call("{\"capacity\": \"1Ti\"}", 401, 401, 404, 403, 403, 200, 401, 404));
		MATRIX.put("PATCH /api/v1/projects/{project}/quota",
				new Call("{\"maxStorages\": 5}", 401, 401, 404, 403, 403, 200, 401, 404));
		MATRIX.put("GET /api/v1/projects/{project}/storages", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("POST /api/v1/projects/{project}/storages",
				new Call("{\"name\": \"new\", \"capacity\": \"1Gi\"}", 401, 401, 404, 403, 201, 201, 401, 404));
		MATRIX.put("GET /api/v1/projects/{project}/storages/{storage}",
				new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("PUT /api/v1/projects/{project}/storages/{storage}",
				new Call("{\"capacity\": \"2Gi\"}", 401, 401, 404, 403, 200, 200, 401, 404));
		MATRIX.put("PATCH /api/v1/projects/{project}/storages/{storage}",
				new Call("{\"labels\": {\"a\": \"b\"}}", 401, 401, 404, 403, 200, 200, 401, 404));
		MATRIX.put("DELETE /api/v1/projects/{project}/storages/{storage}",
				new Call(null, 401, 401, 404, 403, 202, 202, 401, 404));
		// members read backups and start them; owners delete, cancel and restore
		String backups = "/api/v1/projects/{project}/storages/{storage}/backups";
		MATRIX.put("POST " + backups, new Call(null, 401, 401, 404, 202, 202, 202, 401, 404));
		MATRIX.put("GET " + backups, new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("GET " + backups + "/{backup}", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("DELETE " + backups + "/{backup}", new Call(null, 401, 401, 404, 403, 204, 204, 401, 404));
		// the set-up backup has Succeeded: nothing left to cancel once the caller may
		MATRIX.put("POST " + backups + "/{backup}:cancel", new Call(null, 401, 401, 404, 403, 409, 409, 401, 404));
		MATRIX.put("GET " + backups + "/{backup}/files", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("GET " + backups + "/{backup}/files/content", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		// members verify backups and read verifications; owners cancel them (the set-up one has Succeeded)
		MATRIX.put("POST " + backups + "/{backup}:verify", new Call("{}", 401, 401, 404, 202, 202, 202, 401, 404));
		MATRIX.put("GET " + backups + "/{backup}/verifications", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("GET " + backups + "/{backup}/verifications/{verification}",
				new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("POST " + backups + "/{backup}/verifications/{verification}:cancel",
				new Call(null, 401, 401, 404, 403, 409, 409, 401, 404));
		MATRIX.put("GET /api/v1/projects/{project}/storages/{storage}/backup-space",
				new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		String restores = "/api/v1/projects/{project}/storages/{storage}/restores";
		MATRIX.put("POST " + restores, new Call("{\"backup\": \"{backup}\"}", 401, 401, 404, 403, 202, 202, 401, 404));
		MATRIX.put("GET " + restores, new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		MATRIX.put("GET " + restores + "/{restore}", new Call(null, 401, 401, 404, 200, 200, 200, 401, 404));
		// the set-up restore has Failed
		MATRIX.put("POST " + restores + "/{restore}:cancel", new Call(null, 401, 401, 404, 403, 409, 409, 401, 404));
		MATRIX.put("GET /api/v1/projects/{project}/tokens", new Call(null, 401, 401, 404, 403, 200, 200, 401, 404));
		MATRIX.put("POST /api/v1/projects/{project}/tokens",
				new Call("{\"name\": \"new-token\"}", 401, 401, 404, 403, 201, 201, 401, 404));
		MATRIX.put("DELETE /api/v1/projects/{project}/tokens/{token}",
				new Call(null, 401, 401, 404, 403, 204, 204, 401, 404));
		// any signed-in caller may see the clusters (to pick one for a storage); only admins change them
		MATRIX.put("GET /api/v1/clusters", new Call(null, 401, 401, 200, 200, 200, 200, 401, 200));
		MATRIX.put("POST /api/v1/clusters",
				new Call("{\"name\": \"new-one\", \"credentials\": {\"type\": \"inCluster\"}}", 401, 401, 403, 403,
						403, 201, 401, 403));
		MATRIX.put("GET /api/v1/clusters/{cluster}", new Call(null, 401, 401, 200, 200, 200, 200, 401, 200));
		MATRIX.put("PUT /api/v1/clusters/{cluster}",
				new Call("{\"credentials\": {\"type\": \"inCluster\"}, \"defaultStorageClass\": \"nfs\"}", 401, 401,
						403, 403, 403, 200, 401, 403));
		MATRIX.put("DELETE /api/v1/clusters/{cluster}", new Call(null, 401, 401, 403, 403, 403, 204, 401, 403));
		// users see the trail of the projects they own (none, for members); admins all
		MATRIX.put("GET /api/v1/audit", new Call(null, 401, 401, 200, 200, 200, 200, 401, 200));
	}

	@Test
	void everyOperationAnswersEveryCallerAsTheTableSays() throws Exception {
		Set<String> documented = operations();
		assertThat(MATRIX.keySet()).as("operations in the table vs openapi.yaml")
			.containsExactlyInAnyOrderElementsOf(documented);

		List<String> mismatches = new ArrayList<>();
		// the world is built again after any call that may have changed it; not after a read, nor after a caller
		// refused for who they are (401, 403, 404 are decided before a handler changes anything, and the audit
		// trail below says no change was made), which is most of the table: building it was most of this
		// test's time (204 s of the suite's 14 minutes)
		boolean changed = true;
		Map<String, String> ids = null;
		for (Map.Entry<String, Call> row : MATRIX.entrySet()) {
			for (Persona persona : Persona.values()) {
				if (changed) {
					cleanDatabaseAndConnect();
					ids = setUp();
				}
				String[] parts = row.getKey().split(" ", 2);
				String path = parts[1].replace("{project}", "nlp")
					.replace("{storage}", "data")
					.replace("{token}", ids.get("ciToken"))
					.replace("{cluster}", "edge")
					.replace("{backup}", ids.get("backup"))
					.replace("{restore}", ids.get("restore"))
					.replace("{verification}", ids.get("verification"))
					.replace("/files/content", "/files/content?path=f.txt");
				String body = row.getValue().body() == null ? null : row.getValue().body().replace("{backup}", ids.get("backup"));
				long auditBefore = count("select count(*) from audit_events");
				Response response = client(persona, ids).send(parts[0], path, body, body == null ? null : "application/json");
				long written = count("select count(*) from audit_events") - auditBefore;
				int expected = row.getValue().statuses()[persona.ordinal()];
				changed = !parts[0].equals("GET") && !List.of(401, 403, 404).contains(response.status());
				if (response.status() != expected) {
					mismatches.add("%s as %s: expected %d, got %s".formatted(row.getKey(), persona, expected, response));
				}
				else if (written != ((!parts[0].equals("GET") && response.status() < 300) ? 1 : 0)) {
					mismatches.add("%s as %s: %d audit rows".formatted(row.getKey(), persona, written));
				}
				if (response.status() >= 400 && !response.header("Content-Type").startsWith("application/problem+json")) {
					mismatches.add("%s as %s: not a problem: %s".formatted(row.getKey(), persona, response));
				}
			}
		}
		assertThat(mismatches).isEmpty();
	}

	/** Two teams, a storage, a cluster registered over the API, CI tokens of both (nlp's revoked one separate), and nothing in the audit trail. */
	private Map<String, String> setUp() {
		this.api.post("/api/v1/projects",
				"{\"name\": \"nlp\", \"owners\": [\"group:nlp-leads\"], \"members\": [\"group:nlp\"]}");
		this.api.post("/api/v1/projects", "{\"name\": \"vision\", \"owners\": [\"group:vision-leads\"]}");
		this.api.post("/api/v1/projects/nlp/storages", "{\"name\": \"data\", \"capacity\": \"1Gi\"}");
		this.api.post("/api/v1/clusters", "{\"name\": \"edge\", \"credentials\": {\"type\": \"inCluster\"}}");
		Map<String, String> ids = new LinkedHashMap<>();
		Response ci = this.api.post("/api/v1/projects/nlp/tokens", "{\"name\": \"ci\", \"role\": \"owner\"}");
		ids.put("ciToken", ci.json().path("id").asString());
		Response revoked = this.api.post("/api/v1/projects/nlp/tokens", "{\"name\": \"old\", \"role\": \"owner\"}");
		this.api.delete("/api/v1/projects/nlp/tokens/" + revoked.json().path("id").asString());
		ids.put("revoked", revoked.json().path("token").asString());
		ids.put("vision", this.api.post("/api/v1/projects/vision/tokens", "{\"name\": \"ci\", \"role\": \"owner\"}")
			.json()
			.path("token")
			.asString());
		ids.putAll(backupAndRestore());
		this.db.sql("DELETE FROM audit_events").update();
		return ids;
	}

	/**
	 * A Succeeded backup of nlp/data (its snapshot taken by the engine itself: the storage is never
	 * Ready here, so the worker takes no job of it), a Failed restore from it and a Succeeded verification of it.
	 */
	private Map<String, String> backupAndRestore() {
		String backup = TestBackups.take(this.db, this.snapshots, "nlp", "data", Map.of("f.txt", "content"));
		String restore = UUID.randomUUID().toString();
		this.db.sql("""
				INSERT INTO restores (id, project_id, storage_id, backup_id, source_storage_id, cluster, mode, state, created_at, error)
				SELECT cast(? as uuid), project_id, id, cast(? as uuid), id, cluster, 'merge', 'Failed', now(), 'test' FROM storages WHERE name = 'data'""")
			.params(restore, backup)
			.update();
		String verification = UUID.randomUUID().toString();
		this.db.sql("""
				INSERT INTO verifications (id, project_id, storage_id, backup_id, trigger, data_fraction, cursor_start,
				  state, outcome, created_at, finished_at)
				SELECT cast(? as uuid), project_id, storage_id, id, 'manual', 1.0, 0, 'Succeeded', 'ok', now(), now()
				FROM backups WHERE id = cast(? as uuid)""")
			.params(verification, backup)
			.update();
		return Map.of("backup", backup, "restore", restore, "verification", verification);
	}

	@Autowired
	private Snapshots snapshots;

	private ApiClient client(Persona persona, Map<String, String> ids) {
		return switch (persona) {
			case ANONYMOUS -> this.api.as(null);
			case EXPIRED -> this.api.as(TestInfrastructure.userToken("alice", -60, "nlp-leads"));
			case OTHER_TEAM -> this.api.as(TestInfrastructure.userToken("dave", 600, "vision-leads"));
			case MEMBER -> this.api.as(TestInfrastructure.userToken("bob", 600, "nlp"));
			case OWNER -> this.api.as(TestInfrastructure.userToken("alice", 600, "nlp-leads"));
			case ADMIN -> this.api;
			case REVOKED_TOKEN -> this.api.as(ids.get("revoked"));
			case OTHER_PROJECT_TOKEN -> this.api.as(ids.get("vision"));
		};
	}

	private static Set<String> operations() throws Exception {
		JsonNode contract = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("openapi.yaml")));
		Set<String> operations = new TreeSet<>();
		contract.path("paths").properties().forEach(path -> path.getValue()
			.fieldNames()
			.forEachRemaining(method -> operations.add(method.toUpperCase() + " " + path.getKey())));
		return operations;
	}

}
