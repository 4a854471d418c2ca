package io.mlplatform.storage.mover;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.snapshot.ContentLocation;
import io.mlplatform.storage.snapshot.LeaseLostException;
import io.mlplatform.storage.snapshot.Sha256;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * How a mover's records reach the service: with its next look-up, or alone within a moment, and always
 * before a look-up that could need them. Against a service on the loopback that keeps an index in memory.
 */
class RemoteIndexTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpServer server;

	/** Each call as it came: its action, the hashes it looked up, the contents it recorded. */
	private final List<Call> calls = new CopyOnWriteArrayList<>();

	/** The index the service keeps: what was recorded, by hash. */
	private final Map<String, JsonNode> recorded = new ConcurrentHashMap<>();

	/** Whether the service says the run's lease is lost to a record. */
	private volatile boolean leaseLost;

	RemoteIndexTests() throws IOException {
		this.server = LoopbackServer.answering(this::answer);
	}

	@AfterEach
	void stop() {
		this.server.stop(0);
	}

	private record Call(String action, List<String> lookedUp, List<String> recorded) {
	}

	private void answer(HttpExchange exchange) throws IOException {
		String path = exchange.getRequestURI().getPath();
		String action = path.substring(path.lastIndexOf(':') + 1);
		JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
		JsonNode records = action.equals("record") ? body.path("contents") : body.path("record");
		List<String> recordedNow = records.valueStream().map(content -> content.path("sha256").asString()).toList();
		List<String> lookedUp = body.path("sha256").valueStream().map(JsonNode::asString).toList();
		this.calls.add(new Call(action, lookedUp, recordedNow));
		if (this.leaseLost && !recordedNow.isEmpty()) {
			reply(exchange, 409, "{\"type\": \"https://mlplatform.io/problems/lease-lost\", \"detail\": \"lost\"}");
			return;
		}
		records.valueStream().forEach(content -> this.recorded.put(content.path("sha256").asString(), content));
		if (action.equals("record")) {
			exchange.sendResponseHeaders(204, -1);
			return;
		}
		List<JsonNode> found = lookedUp.stream().map(this.recorded::get).filter(java.util.Objects::nonNull).toList();
		reply(exchange, 200, JSON.writeValueAsString(Map.of("contents", found)));
	}

	private static void reply(HttpExchange exchange, int status, String json) throws IOException {
		byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().add("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, bytes.length);
		exchange.getResponseBody().write(bytes);
	}

	private RemoteIndex index(Duration delay) {
		return new RemoteIndex(new MoverClient(URI.create("http://127.0.0.1:" + this.server.getAddress().getPort()),
				UUID.randomUUID(), "pssrun_test", Duration.ofSeconds(5)), delay);
	}

	/** A pack's contents, as the engine records them after its PUT. */
	private static List<ContentLocation> pack(String id, int from, int to) {
		return IntStream.range(from, to)
			.mapToObj(i -> ContentLocation.packed(Sha256.of((id + i).getBytes()), 16384, id, i * 16384L))
			.toList();
	}

	@Test
	void aRecordRidesOnTheNextLookUpWhichFindsIt() {
		RemoteIndex index = index(Duration.ofHours(1));
		List<ContentLocation> stored = pack("p1", 0, 1000);
		String another = Sha256.of("not stored".getBytes());

		index.record(stored);
		Map<String, ContentLocation> found = index.find(List.of(stored.get(7).sha256(), another));

		assertThat(found).containsOnlyKeys(stored.get(7).sha256());
		assertThat(found.get(stored.get(7).sha256())).isEqualTo(stored.get(7));
		assertThat(this.calls).singleElement().satisfies(call -> {
			assertThat(call.action()).isEqualTo("lookup");
			assertThat(call.recorded()).hasSize(1000);
		});
	}

	@Test
	void aRecordNoLookUpComesForIsSentAloneWithinItsDelay() {
		RemoteIndex index = index(Duration.ofMillis(50));

		index.record(pack("p1", 0, 3));
		index.record(pack("p2", 0, 2));

		await().atMost(Duration.ofSeconds(5)).until(() -> this.recorded.size() == 5);
		assertThat(this.calls).singleElement().satisfies(call -> assertThat(call.action()).isEqualTo("record"));
		// nothing is left to send
		index.flush();
		assertThat(this.calls).hasSize(1);
	}

	@Test
	void flushSendsWhatIsQueuedAtOnce() {
		RemoteIndex index = index(Duration.ofHours(1));

		index.record(pack("p1", 0, 3));
		index.flush();

		assertThat(this.recorded).hasSize(3);
		assertThat(this.calls).extracting(Call::action).containsExactly("record");
	}

	@Test
	void recordsBeyondOneCallOrTheBodyLimitGoAloneAndBeforeTheLookUp() {
		RemoteIndex index = index(Duration.ofHours(1));
		// two calls' worth, with the longest pack ids: one call cannot carry them and a look-up too
		List<ContentLocation> first = pack("p".repeat(63), 0, MoverProtocol.MAX_RECORD);
		List<ContentLocation> second = pack("q".repeat(63), 0, MoverProtocol.MAX_RECORD);
		index.record(first);
		index.record(second);
		List<String> wanted = IntStream.range(0, MoverProtocol.MAX_LOOKUP)
			.mapToObj(i -> (i % 2 == 0) ? first.get(i).sha256() : second.get(i).sha256())
			.toList();

		Map<String, ContentLocation> found = index.find(wanted);

		assertThat(found).hasSize(MoverProtocol.MAX_LOOKUP);
		assertThat(this.recorded).hasSize(2 * MoverProtocol.MAX_RECORD);
		// every record was sent before the look-up, which carried none it could not
		assertThat(this.calls).extracting(Call::action).containsExactly("record", "record", "lookup");
		assertThat(this.calls.get(2).recorded()).isEmpty();
	}

	@Test
	void aRecordTheServiceRefusedInTheBackgroundFailsTheNextCallAndTheFlush() {
		RemoteIndex index = index(Duration.ofMillis(20));
		this.leaseLost = true;

		index.record(pack("p1", 0, 3));
		await().atMost(Duration.ofSeconds(5)).until(() -> !this.calls.isEmpty());
		this.leaseLost = false;

		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThatThrownBy(index::flush)
			.isInstanceOf(LeaseLostException.class));
		assertThatThrownBy(() -> index.find(Set.of(Sha256.of("x".getBytes())))).isInstanceOf(LeaseLostException.class);
		assertThatThrownBy(() -> index.record(pack("p2", 0, 1))).isInstanceOf(LeaseLostException.class);
		assertThat(this.recorded).isEmpty();
	}

}
