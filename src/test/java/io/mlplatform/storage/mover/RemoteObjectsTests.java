package io.mlplatform.storage.mover;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.snapshot.ObjectRef;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a mover stores packs whose PUT the service signed ahead ({@code packs:presign}), against a service and
 * an S3 on the loopback that answer what each test says.
 */
class RemoteObjectsTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpServer server;

	/** How long each signature handed out ahead is valid for. */
	private volatile Duration aheadLifetime = Duration.ofMinutes(5);

	/** What S3 answers a PUT through a signature handed out ahead. */
	private volatile int aheadStatus = 200;

	/** What S3 answers a PUT through a signature asked for on its own. */
	private volatile int freshStatus = 200;

	private final List<Integer> slotsAskedFor = new CopyOnWriteArrayList<>();

	private final AtomicInteger signedOneByOne = new AtomicInteger();

	/** How long S3 holds its answer to a PUT once it has read the body. */
	private volatile long holdMillis;

	/** The bytes S3 stored, by path. */
	private final Map<String, String> stored = new ConcurrentHashMap<>();

	RemoteObjectsTests() throws Exception {
		this.server = LoopbackServer.answering(this::answer);
	}

	private void answer(HttpExchange exchange) throws java.io.IOException {
		String path = exchange.getRequestURI().getPath();
		byte[] body = exchange.getRequestBody().readAllBytes();
		String s3 = "http://127.0.0.1:" + this.server.getAddress().getPort() + "/s3/";
		if (path.endsWith("/packs:presign")) {
			int count = JSON.readValue(body, MoverProtocol.PackSlotsRequest.class).count();
			this.slotsAskedFor.add(count);
			List<MoverProtocol.PackSlot> slots = new java.util.ArrayList<>();
			for (int i = 0; i < count; i++) {
				String id = UUID.randomUUID().toString();
				slots.add(new MoverProtocol.PackSlot(id, new MoverProtocol.Presigned(s3 + "ahead/" + id, "PUT", Map.of(),
						Instant.now().plus(this.aheadLifetime))));
			}
			json(exchange, new MoverProtocol.PackSlots(slots));
		}
		else if (path.endsWith("/objects:presign")) {
			this.signedOneByOne.incrementAndGet();
			String id = JSON.readValue(body, MoverProtocol.Presign.class).object().id();
			json(exchange, new MoverProtocol.Presigned(s3 + "fresh/" + id, "PUT", Map.of(), Instant.now().plusSeconds(300)));
		}
		else if ((path.startsWith("/s3/ahead/") && this.aheadStatus != 200)
				|| (path.startsWith("/s3/fresh/") && this.freshStatus != 200)) {
			byte[] error = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
				.getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(path.startsWith("/s3/ahead/") ? this.aheadStatus : this.freshStatus,
					error.length);
			exchange.getResponseBody().write(error);
		}
		else if (path.startsWith("/s3/")) {
			this.stored.put(path, new String(body, StandardCharsets.UTF_8));
			hold();
			exchange.sendResponseHeaders(200, -1);
		}
		else {
			exchange.sendResponseHeaders(404, -1);
		}
	}

	private void hold() {
		try {
			Thread.sleep(this.holdMillis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void json(HttpExchange exchange, Object value) throws java.io.IOException {
		byte[] body = JSON.writeValueAsBytes(value);
		exchange.getResponseHeaders().add("Content-Type", "application/json");
		exchange.sendResponseHeaders(200, body.length);
		exchange.getResponseBody().write(body);
	}

	@AfterEach
	void stop() {
		this.server.stop(0);
	}

	private RemoteObjects objects() {
		MoverClient service = new MoverClient(URI.create("http://127.0.0.1:" + this.server.getAddress().getPort()),
				UUID.randomUUID(), "pssrun_test", Duration.ofSeconds(5));
		return new RemoteObjects(service, 8 * 1024 * 1024, 8 * 1024 * 1024);
	}

	private static void put(RemoteObjects objects, String pack, String content) {
		byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
		objects.put(ObjectRef.pack(pack), bytes, bytes.length);
	}

	@Test
	void packsSignedAheadAreStoredWithoutACallEachAndAskedForInGrowingBatches() {
		RemoteObjects objects = objects();

		for (int i = 0; i < 7; i++) {
			String pack = objects.newPackId();
			put(objects, pack, "pack " + i);
			assertThat(this.stored).containsEntry("/s3/ahead/" + pack, "pack " + i);
		}

		assertThat(this.slotsAskedFor).containsExactly(2, 4, 8);
		assertThat(this.signedOneByOne).hasValue(0);
	}

	@Test
	void theFirstByteIsWhenABodyStartsGoingNotWhenItsPutSucceeds() {
		// S3 answers 300 ms after it has read the whole body: the body went before, whatever the machine's speed
		this.holdMillis = 300;
		RemoteObjects objects = objects();
		assertThat(objects.firstByte()).isZero();

		String pack = objects.newPackId();
		put(objects, pack, "the pack");
		long firstByte = objects.firstByte();
		put(objects, objects.newPackId(), "another pack");

		assertThat(firstByte).isPositive();
		assertThat(objects.firstUpload() - firstByte).isGreaterThanOrEqualTo(300);
		assertThat(objects.firstByte()).as("the first, not the latest").isEqualTo(firstByte);
	}

	@Test
	void aSignatureAheadThatS3RefusesIsSignedAgainOnce() {
		// the mover's clock behind the service's: a signature it thinks valid has expired at S3
		this.aheadStatus = 403;
		RemoteObjects objects = objects();

		String pack = objects.newPackId();
		put(objects, pack, "the pack");

		assertThat(this.stored).containsOnlyKeys("/s3/fresh/" + pack).containsEntry("/s3/fresh/" + pack, "the pack");
		assertThat(this.signedOneByOne).hasValue(1);
	}

	@Test
	void aSignatureAheadAboutToExpireIsNotUsed() {
		this.aheadLifetime = Duration.ofSeconds(10);
		RemoteObjects objects = objects();

		String pack = objects.newPackId();
		put(objects, pack, "the pack");

		assertThat(this.stored).containsOnlyKeys("/s3/fresh/" + pack);
		assertThat(this.signedOneByOne).hasValue(1);
	}

	@Test
	void aRefusalThroughAFreshSignatureIsNotRetriedAsExpired() {
		// 403 from every URL: signed ahead, then once more, then the refusal stands
		this.aheadStatus = 403;
		this.freshStatus = 403;
		RemoteObjects objects = objects();
		String pack = objects.newPackId();

		org.assertj.core.api.Assertions.assertThatThrownBy(() -> put(objects, pack, "the pack"))
			.hasMessageContaining("refused by S3: 403");
		assertThat(this.stored).isEmpty();
		assertThat(this.signedOneByOne).hasValue(1);
	}

}
