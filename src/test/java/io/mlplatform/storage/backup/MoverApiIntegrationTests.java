package io.mlplatform.storage.backup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.snapshot.Sha256;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mover API driven by hand, as a mover (or someone holding a run token) would: what a token opens,
 * what it does not, and bad input refused with nothing changed.
 */
class MoverApiIntegrationTests extends MoverTestSupport {

	private static final String RUNS = "/internal/mover/v1/runs/";

	@Autowired
	private MoverRuns runs;

	@Autowired
	private S3Store store;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@BeforeEach
	void storages() {
		createProject("cv");
		createProject("nlp");
		readyStorage("cv", "data", null);
		readyStorage("nlp", "text", null);
	}

	/** A run of a new backup of a storage, handed out as the worker hands one to a mover. */
	private Run run(String project, String storage) {
		// the worker does not take a backup of a storage that is not Ready: this test is the worker
		this.db.sql("UPDATE storages SET phase = 'Provisioning' WHERE name = ?").param(storage).update();
		Response queued = this.api.post(storages(project) + "/" + storage + "/backups", null);
		assertThat(queued.status()).as(queued.toString()).isEqualTo(202);
		UUID job = UUID.fromString(queued.json().path("id").asString());
		this.db.sql("""
				UPDATE backups SET state = 'Running', lease_owner = 'test-worker', attempt = attempt + 1,
				  lease_until = now() + interval '5 minutes', started_at = now() WHERE id = ?""").param(job).update();
		MoverRuns.Started started = this.runs.start(Kind.BACKUP, job, "test-worker", "test").orElseThrow();
		return new Run(started.id(), job, new ApiClient(this.port).as(started.token()), started.token());
	}

	private record Run(UUID id, UUID job, ApiClient api, String token) {

		Response call(String action, String body) {
			return this.api.post(RUNS + this.id + action, body);
		}

		/** A call the test means to be bad: its answer is still checked against the contract, not its request. */
		Response bad(String action, String body) {
			return this.api.unvalidated().post(RUNS + this.id + action, body);
		}

	}

	@Test
	void aRunTokenOpensItsOwnRunAndNothingElse() {
		Run cv = run("cv", "data");
		Run nlp = run("nlp", "text");

		// another run's id with this token, no token, a made-up one, a user's
		Response foreign = cv.api().post(RUNS + nlp.id() + ":claim", null);
		assertProblem(foreign, 401, "invalid-run-token");
		assertProblem(new ApiClient(this.port).as(null).post(RUNS + cv.id() + ":claim", null), 401, "invalid-run-token");
		assertProblem(new ApiClient(this.port).as("pssrun_" + "A".repeat(43)).post(RUNS + cv.id() + ":claim", null), 401,
				"invalid-run-token");
		assertProblem(this.api.post(RUNS + cv.id() + ":claim", null), 401, "invalid-run-token");
		// the public API does not take a run token
		Response publicApi = cv.api().get("/api/v1/projects/cv/storages");
		assertThat(publicApi.status()).isEqualTo(401);
		assertThat(publicApi.body()).doesNotContain(cv.token());
		assertThat(foreign.body()).doesNotContain(cv.token());

		Response claim = cv.call(":claim", null);
		assertThat(claim.status()).as(claim.toString()).isEqualTo(200);
		assertThat(claim.json().path("project").asString()).isEqualTo("cv");
		assertThat(claim.json().path("kind").asString()).isEqualTo("backup");
		assertThat(claim.json().path("backup").asString()).isEqualTo(cv.job().toString());
		assertThat(claim.body()).doesNotContain(S3ProxyServerKeys.SECRET).doesNotContain(S3ProxyServerKeys.ACCESS);
		// claimed again by the same attempt (its answer was lost): the same run, one lease
		assertThat(cv.call(":claim", null).status()).isEqualTo(200);
		assertThat(count("select count(*) from backup_leases where finished_at is null and storage = ?",
				storageId("cv", "data"))).isEqualTo(1);
	}

	@Test
	void aMoverGetsUrlsForItsOwnProjectsObjectsOnly() throws Exception {
		Run cv = run("cv", "data");
		Run nlp = run("nlp", "text");
		cv.call(":claim", null);
		nlp.call(":claim", null);
		String nlpStorage = storageId("nlp", "text");

		// another storage's manifest, another backup's, a name that is not one
		assertProblem(cv.call("/objects:presign", presign("GET", "manifest", nlp.job().toString(), nlpStorage)), 403,
				"object-not-allowed");
		assertProblem(cv.call("/objects:presign", presign("PUT", "manifest", UUID.randomUUID().toString(),
				storageId("cv", "data"))), 403, "object-not-allowed");
		assertProblem(cv.bad("/objects:presign", presign("GET", "pack", "../../nlp/packs/x", null)), 400,
				"validation-failed");
		assertProblem(cv.bad("/objects:presign", presign("GET", "blob", "not-a-hash", null)), 400, "validation-failed");
		assertProblem(cv.bad("/objects:presign", "{\"method\": \"DELETE\", \"object\": {\"kind\": \"pack\", \"id\": \"p1\"}}"),
				400, "validation-failed");

		// what is signed lies under the run's own project, whatever it asks for
		Response pack = cv.call("/objects:presign", presign("PUT", "pack", "p1", null));
		assertThat(pack.status()).as(pack.toString()).isEqualTo(200);
		assertThat(URI.create(pack.json().path("url").asString()).getPath())
			.endsWith("/" + BUCKET + "/pss/projects/cv/packs/p1");
		// a pack is never replaced: the URL says create-only
		assertThat(send(pack.json(), "first".getBytes())).isEqualTo(200);
		assertThat(send(cv.call("/objects:presign", presign("PUT", "pack", "p1", null)).json(), "second".getBytes()))
			.isEqualTo(412);
		// packs named by the service, several signed in one call: new ids under the run's project, create-only
		Response slots = cv.call("/packs:presign", "{\"count\": 3}");
		assertThat(slots.status()).as(slots.toString()).isEqualTo(200);
		JsonNode packs = slots.json().path("packs");
		assertThat(packs.size()).isEqualTo(3);
		java.util.Set<String> ids = new java.util.HashSet<>();
		for (int i = 0; i < packs.size(); i++) {
			String id = packs.get(i).path("id").asString();
			ids.add(id);
			assertThat(id).matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
			assertThat(URI.create(packs.get(i).path("put").path("url").asString()).getPath())
				.endsWith("/" + BUCKET + "/pss/projects/cv/packs/" + id);
		}
		assertThat(ids).hasSize(3);
		assertThat(send(packs.get(0).path("put"), "first".getBytes())).isEqualTo(200);
		assertThat(send(packs.get(0).path("put"), "again".getBytes())).isEqualTo(412);
		assertThat(send(packs.get(1).path("put"), "second".getBytes())).isEqualTo(200);
		// a blob's URL takes only the content its name is the sha256 of
		byte[] content = "the content".getBytes();
		String sha256 = Sha256.of(content);
		assertThat(send(cv.call("/objects:presign", presign("PUT", "blob", Sha256.of("other".getBytes()), null)).json(),
				content)).isEqualTo(400);
		assertThat(send(cv.call("/objects:presign", presign("PUT", "blob", sha256, null)).json(), content)).isEqualTo(200);
		assertThat(this.store.size("pss/projects/cv/blobs/" + sha256.substring(0, 2) + "/" + sha256))
			.isEqualTo(content.length);
	}

	@Test
	void badMoverInputIsRefusedClearlyAndChangesNothing() {
		Run cv = run("cv", "data");
		cv.call(":claim", null);
		long contents = count("select count(*) from backup_contents");
		String stranger = Sha256.of("never stored".getBytes());

		assertProblem(cv.bad("/contents:lookup", "{\"sha256\": [\"XYZ\"]}"), 400, "validation-failed");
		assertProblem(cv.bad("/packs:presign", "{\"count\": 0}"), 400, "validation-failed");
		assertProblem(cv.bad("/packs:presign", "{\"count\": " + (MoverProtocol.MAX_PACK_SLOTS + 1) + "}"), 400,
				"validation-failed");
		assertProblem(cv.bad("/packs:presign", "{\"count\": \"many\"}"), 400, "malformed-body");
		String tooMany = IntStream.range(0, 1001).mapToObj(i -> "\"" + Sha256.of(("" + i).getBytes()) + "\"")
			.reduce((a, b) -> a + "," + b).orElseThrow();
		assertProblem(cv.bad("/contents:lookup", "{\"sha256\": [" + tooMany + "]}"), 400, "validation-failed");
		assertProblem(cv.bad("/contents:record", "{\"contents\": [{\"sha256\": \"" + stranger
				+ "\", \"size\": -1, \"pack\": \"p1\", \"offset\": 0}]}"), 400, "validation-failed");
		// the index never points at what the bucket does not hold
		assertProblem(cv.bad("/contents:record", "{\"contents\": [{\"sha256\": \"" + stranger
				+ "\", \"size\": 10, \"pack\": \"no-such-pack\", \"offset\": 0}]}"), 409, "content-not-stored");
		assertProblem(cv.bad("/contents:record", "{\"contents\": [{\"sha256\": \"" + stranger + "\", \"size\": 10}]}"),
				409, "content-not-stored");
		assertProblem(cv.bad("/objects:presign", "{\"method\": \"PUT\", \"object\": {\"kind\": \"blob\", \"id\": \""
				+ stranger + "\"}, \"uploadId\": \"u\", \"partNumber\": 0, \"crc32c\": \"AAAAAA==\"}"), 400,
				"validation-failed");
		assertProblem(cv.bad("/objects:presign", "{\"method\": \"GET\", \"object\": {\"kind\": \"pack\", \"id\": \"p1\"}, "
				+ "\"offset\": -5, \"length\": 10}"), 400, "validation-failed");
		assertProblem(cv.bad("/uploads:complete", "{\"object\": {\"kind\": \"blob\", \"id\": \"" + stranger
				+ "\"}, \"uploadId\": \"nope\", \"parts\": [{\"partNumber\": 1, \"eTag\": \"x\", \"crc32c\": \"AAAAAA==\"}]}"),
				409, "storage-refused");
		assertProblem(cv.bad(":heartbeat", "{\"files\": -1, \"bytes\": 0}"), 400, "validation-failed");
		assertThat(cv.bad(":heartbeat", "{\"files\": [1]}").status()).isEqualTo(400);
		assertThat(cv.bad(":commit", "not json").status()).isEqualTo(400);

		assertThat(count("select count(*) from backup_contents")).isEqualTo(contents);
		assertThat(this.api.get(storages("cv") + "/data/backups/" + cv.job()).json().path("state").asString())
			.isEqualTo("Running");
	}

	@Test
	void aFullBatchOfRecordsFitsOneCall() throws Exception {
		Run cv = run("cv", "data");
		cv.call(":claim", null);
		// the longest pack id a mover may use
		String pack = (UUID.randomUUID().toString() + "-").repeat(2).substring(0, 63);
		assertThat(send(cv.call("/objects:presign", presign("PUT", "pack", pack, null)).json(),
				new byte[MoverProtocol.MAX_RECORD * 16384])).isEqualTo(200);
		String contents = IntStream.range(0, MoverProtocol.MAX_RECORD)
			.mapToObj(i -> "{\"sha256\": \"" + Sha256.of((pack + i).getBytes()) + "\", \"size\": 16384, \"pack\": \""
					+ pack + "\", \"offset\": " + i * 16384L + ", \"blob\": null}")
			.reduce((a, b) -> a + ", " + b).orElseThrow();

		Response recorded = cv.call("/contents:record", "{\"contents\": [" + contents + "]}");

		assertThat(recorded.status()).as(recorded.toString()).isEqualTo(204);
		assertThat(count("select count(*) from backup_contents where pack_id = ?", pack))
			.isEqualTo(MoverProtocol.MAX_RECORD);
	}

	/**
	 * A pack whose contents come in two calls is asked for once: the second call finds it counted in the
	 * backup space, which only an answer of the bucket put there. Seen here by the pack going behind the
	 * service's back between the calls (nothing the service does removes a counted object's row first).
	 */
	@Test
	void aPackRecordedInTwoCallsIsAskedForOnce() throws Exception {
		Run cv = run("cv", "data");
		cv.call(":claim", null);
		String pack = storedPack(cv, 4);
		String first = record(pack, 0, 2);
		String second = record(pack, 2, 4);

		assertThat(cv.call("/contents:record", first).status()).isEqualTo(204);
		this.store.delete(List.of("pss/projects/cv/packs/" + pack));
		assertThat(cv.call("/contents:record", second).status()).isEqualTo(204);

		assertThat(count("select count(*) from backup_contents where pack_id = ?", pack)).isEqualTo(4);
		// a pack never counted is asked for: gone, it is refused
		String other = UUID.randomUUID().toString();
		assertProblem(cv.call("/contents:record", record(other, 0, 1)), 409, "content-not-stored");
	}

	/** A new pack of {@code files} files of 16 KiB, put in the bucket through the URL the run was given for it. */
	private String storedPack(Run run, int files) throws Exception {
		String pack = UUID.randomUUID().toString();
		assertThat(send(run.call("/objects:presign", presign("PUT", "pack", pack, null)).json(), new byte[files * 16384]))
			.isEqualTo(200);
		return pack;
	}

	private static String record(String pack, int from, int to) {
		return "{\"contents\": " + contents(pack, from, to) + "}";
	}

	/** Contents {@code from} to {@code to} of a pack of 16 KiB files, as a JSON array. */
	private static String contents(String pack, int from, int to) {
		return "[" + IntStream.range(from, to)
			.mapToObj(i -> "{\"sha256\": \"" + Sha256.of((pack + i).getBytes()) + "\", \"size\": 16384, \"pack\": \""
					+ pack + "\", \"offset\": " + i * 16384L + "}")
			.reduce((a, b) -> a + ", " + b)
			.orElseThrow() + "]";
	}

	/** A mover sends the records of its last pack with its next look-up: one call instead of two. */
	@Test
	void aLookUpRecordsWhatItCarriesFirstAndFindsItAndABadOneChangesNothing() throws Exception {
		Run cv = run("cv", "data");
		cv.call(":claim", null);
		String pack = storedPack(cv, 4);
		String stored = Sha256.of((pack + 2).getBytes());
		String stranger = Sha256.of("never stored".getBytes());
		long contents = count("select count(*) from backup_contents");

		// a bad hash beside good records, good hashes beside records of a pack the bucket does not hold
		assertProblem(cv.bad("/contents:lookup", "{\"sha256\": [\"XYZ\"], \"record\": " + contents(pack, 0, 4) + "}"),
				400, "validation-failed");
		assertProblem(cv.bad("/contents:lookup", "{\"sha256\": [\"" + stored + "\"], \"record\": "
				+ contents(UUID.randomUUID().toString(), 0, 1) + "}"), 409, "content-not-stored");
		assertThat(count("select count(*) from backup_contents")).isEqualTo(contents);

		Response found = cv.call("/contents:lookup",
				"{\"sha256\": [\"" + stored + "\", \"" + stranger + "\"], \"record\": " + contents(pack, 0, 4) + "}");

		assertThat(found.status()).as(found.toString()).isEqualTo(200);
		assertThat(found.json().path("contents").size()).isEqualTo(1);
		JsonNode content = found.json().path("contents").path(0);
		assertThat(content.path("sha256").asString()).isEqualTo(stored);
		assertThat(content.path("pack").asString()).isEqualTo(pack);
		assertThat(content.path("offset").asLong()).isEqualTo(2 * 16384L);
		assertThat(count("select count(*) from backup_contents where pack_id = ?", pack)).isEqualTo(4);
	}

	@Test
	void aCommitAfterTheLeaseRanOutIsRefusedAndLeavesNoSnapshotAndTheTokenIsSpent() throws Exception {
		Run cv = run("cv", "data");
		String storage = storageId("cv", "data");
		uploadEmptyManifest(cv, storage);
		String manifest = "pss/projects/cv/snapshots/" + storage + "/" + cv.job() + ".json.gz";
		assertThat(this.store.size(manifest)).isNotNull();
		// paused past its lease: a collection may have removed what the manifest references
		this.db.sql("UPDATE backup_leases SET expires_at = now() - interval '1 second' WHERE storage = ?").param(storage)
			.update();

		Response commit = cv.call(":commit", "{\"entries\": 0, \"files\": 0, \"bytes\": 0, \"bytesUploaded\": 20, "
				+ "\"snapshotTime\": \"2026-12-04T10:00:00Z\"}");

		assertProblem(commit, 409, "lease-lost");
		assertThat(this.store.size(manifest)).isNull();
		JsonNode backup = this.api.get(storages("cv") + "/data/backups/" + cv.job()).json();
		// the attempt is over; the job waits for its next one (with a new token)
		assertThat(backup.path("state").asString()).isEqualTo("Queued");
		assertThat(backup.path("error").asString()).contains("lease");
		assertThat(count("select count(*) from newest_snapshots where backup = ?", cv.job().toString())).isZero();
		// the spent token opens nothing any more
		assertProblem(cv.call(":heartbeat", "{\"files\": 0, \"bytes\": 0}"), 409, "run-ended");
		assertProblem(cv.call(":commit", "{\"files\": 0, \"bytes\": 0}"), 409, "run-ended");
	}

	/** A run's job removed under it (its storage deleted: the jobs go with it) is a lease lost, not a failure of ours. */
	@Test
	void aRunWhoseJobIsGoneIsToldItsLeaseIsLost() {
		Run cv = run("cv", "data");
		assertThat(cv.call(":claim", null).status()).isEqualTo(200);
		this.db.sql("DELETE FROM backups WHERE id = ?").param(cv.job()).update();

		assertProblem(cv.call("/contents:lookup", "{\"sha256\": [\"" + "a".repeat(64) + "\"]}"), 409, "lease-lost");
		assertProblem(cv.call("/packs:presign", "{\"count\": 1}"), 409, "lease-lost");
		Response heartbeat = cv.call(":heartbeat", "{\"files\": 1, \"bytes\": 1}");
		assertThat(heartbeat.status()).as(heartbeat.toString()).isEqualTo(200);
		assertThat(heartbeat.json().path("action").asString()).isEqualTo("lost");
	}

	/** A mover's token seen again after its run committed (a replayed request, a leaked log) opens nothing more. */
	@Test
	void aTokenReplayedAfterItsRunCommittedOpensNothingAndChangesNothing() throws Exception {
		Run cv = run("cv", "data");
		String storage = storageId("cv", "data");
		uploadEmptyManifest(cv, storage);
		String commitBody = "{\"entries\": 0, \"files\": 0, \"bytes\": 0, \"bytesUploaded\": 20, "
				+ "\"snapshotTime\": \"2026-12-04T10:00:00Z\"}";
		Response commit = cv.call(":commit", commitBody);
		assertThat(commit.status()).as(commit.toString()).isEqualTo(204);
		String manifest = "pss/projects/cv/snapshots/" + storage + "/" + cv.job() + ".json.gz";
		String runState = "select state from mover_runs where id = ?";
		assertThat(this.db.sql(runState).param(cv.id()).query(String.class).single()).isEqualTo("Committed");

		// the same commit again is answered as the first (its answer may have been lost), and changes nothing
		assertThat(cv.call(":commit", commitBody).status()).isEqualTo(204);
		assertProblem(cv.call(":heartbeat", "{\"files\": 0, \"bytes\": 0}"), 409, "run-ended");
		assertProblem(cv.call(":claim", null), 409, "run-ended");
		assertThat(cv.call("/objects:presign", "{\"method\": \"PUT\", \"object\": {\"kind\": \"manifest\", \"id\": \""
				+ cv.job() + "\", \"storage\": \"" + storage + "\"}}").status()).isEqualTo(409);

		assertThat(this.db.sql(runState).param(cv.id()).query(String.class).single()).isEqualTo("Committed");
		assertThat(this.store.size(manifest)).isNotNull();
	}

	@Test
	void aSilentMoversAttemptEndsWhenItsJobIsClaimedAgain() {
		Run silent = run("cv", "data");
		silent.call(":claim", null);
		// its heartbeats stopped: the job's lease ran out, and a worker claimed the job again
		this.db.sql("""
				UPDATE backups SET lease_owner = 'test-worker', attempt = attempt + 1,
				  lease_until = now() + interval '5 minutes' WHERE id = ?""").param(silent.job()).update();

		MoverRuns.Started next = this.runs.start(Kind.BACKUP, silent.job(), "test-worker", "test").orElseThrow();

		assertThat(this.db.sql("select state || ': ' || reason from mover_runs where id = ?").param(silent.id())
			.query(String.class).single()).startsWith("Failed: Its lease ran out");
		assertProblem(silent.call(":heartbeat", "{\"files\": 0, \"bytes\": 0}"), 409, "run-ended");
		assertThat(new ApiClient(this.port).as(next.token()).post(RUNS + next.id() + ":claim", null).status())
			.isEqualTo(200);
		assertThat(this.db.sql("select attempt from mover_runs where id = ?").param(next.id()).query(Integer.class)
			.single()).isEqualTo(2);
	}

	/** Claims the run and stores its manifest (an empty snapshot) as a mover does before it commits. */
	private void uploadEmptyManifest(Run run, String storage) throws Exception {
		run.call(":claim", null);
		Response put = run.call("/objects:presign", "{\"method\": \"PUT\", \"object\": {\"kind\": \"manifest\", \"id\": \""
				+ run.job() + "\", \"storage\": \"" + storage + "\"}}");
		assertThat(send(put.json(), new byte[] { 31, -117, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }))
			.isEqualTo(200);
	}

	private String storageId(String project, String storage) {
		return this.api.get(storages(project) + "/" + storage).json().path("id").asString();
	}

	private static String presign(String method, String kind, String id, String storage) {
		return "{\"method\": \"" + method + "\", \"object\": {\"kind\": \"" + kind + "\", \"id\": \"" + id + "\""
				+ (storage == null ? "" : ", \"storage\": \"" + storage + "\"") + "}}";
	}

	/** Sends a presigned request as a mover does; returns S3's status. */
	private int send(JsonNode signed, byte[] body) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(signed.path("url").asString()))
			.timeout(Duration.ofSeconds(10));
		signed.path("headers").properties().forEach(header -> header.getValue()
			.forEach(value -> request.header(header.getKey(), value.asString())));
		request.method(signed.path("method").asString(), HttpRequest.BodyPublishers.ofByteArray(body));
		return this.http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	private static void assertProblem(Response response, int status, String type) {
		assertThat(response.status()).as(response.toString()).isEqualTo(status);
		assertThat(response.header("Content-Type")).startsWith("application/problem+json");
		assertThat(response.problemType()).as(response.toString()).isEqualTo(type);
	}

	/** The S3 keys the service holds: never in an answer to a mover. */
	private static final class S3ProxyServerKeys {

		static final String ACCESS = io.mlplatform.storage.S3ProxyServer.ACCESS_KEY;

		static final String SECRET = io.mlplatform.storage.S3ProxyServer.SECRET_KEY;

	}

}
