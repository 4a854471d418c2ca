package io.mlplatform.storage.mover;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A run's heartbeats around its commit, against a service on the loopback that answers what the test says. */
class HeartbeatsTests {

	private final HttpServer server;

	/** Opened once the mover has finished its heartbeats: only then does the service answer the one in flight. */
	private final CountDownLatch committing = new CountDownLatch(1);

	private final CountDownLatch heartbeatArrived = new CountDownLatch(1);

	private final AtomicInteger heartbeats = new AtomicInteger();

	HeartbeatsTests() throws Exception {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
		this.server.createContext("/", exchange -> {
			try (exchange) {
				exchange.getRequestBody().readAllBytes();
				this.heartbeats.incrementAndGet();
				this.heartbeatArrived.countDown();
				// the run ends with its commit: the service then says lost to any heartbeat
				this.committing.await(10, TimeUnit.SECONDS);
				byte[] body = "{\"action\":\"lost\"}".getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().add("Content-Type", "application/json");
				exchange.sendResponseHeaders(200, body.length);
				exchange.getResponseBody().write(body);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		this.server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
		this.server.start();
	}

	@AfterEach
	void stop() {
		this.server.stop(0);
	}

	private MoverClient client() {
		return new MoverClient(URI.create("http://127.0.0.1:" + this.server.getAddress().getPort()), UUID.randomUUID(),
				"pssrun_test", Duration.ofSeconds(5));
	}

	@Test
	void aLostAnsweredToAHeartbeatSentBeforeTheCommitDoesNotInterruptTheCommit() throws Exception {
		Heartbeats lease = new Heartbeats(client(), () -> new MoverProtocol.Progress(1L, null, 1L, null, null),
				Thread.currentThread(), 50, 60_000);
		assertThat(this.heartbeatArrived.await(10, TimeUnit.SECONDS)).isTrue();

		boolean mayCommit = lease.finish();
		this.committing.countDown();
		// the commit's own call would run here: nothing may interrupt it
		Thread.sleep(300);

		assertThat(mayCommit).isTrue();
		assertThat(Thread.interrupted()).isFalse();
		assertThat(lease.lost()).isFalse();
		assertThat(this.heartbeats.get()).isEqualTo(1);
	}

	@Test
	void aRunWhoseLeaseWasLostBeforeItsCommitDoesNotCommit() throws Exception {
		this.committing.countDown();
		Heartbeats lease = new Heartbeats(client(), () -> new MoverProtocol.Progress(1L, null, 1L, null, null),
				Thread.currentThread(), 50, 60_000);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (!lease.lost() && System.nanoTime() < deadline) {
			// parks without clearing the interrupt the lost lease sends this thread
			java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
		}

		assertThat(lease.lost()).isTrue();
		assertThat(Thread.interrupted()).isTrue();
		assertThat(lease.finish()).isFalse();
	}

}
