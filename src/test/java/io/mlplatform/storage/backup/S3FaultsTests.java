package io.mlplatform.storage.backup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpResponse;

import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreMode;

import static org.assertj.core.api.Assertions.assertThat;

/** A flaky network to S3: reset connections and 503s. Backup and restore retry through them. */
class S3FaultsTests extends BackupTestSupport {

	private final AtomicInteger requests = new AtomicInteger();

	/**
	 * Failures in a row on each thread. The SDK retries a call on the thread that made it, and the
	 * packer's threads share the count above, so one call could draw a failure on each of its four
	 * attempts and give up (it happened once in CI). A network that fails that often is not
	 * transient; after two in a row the thread's next request goes through.
	 */
	private final ThreadLocal<int[]> failuresInARow = ThreadLocal.withInitial(() -> new int[1]);

	private final AtomicInteger resets = new AtomicInteger();

	private final AtomicInteger unavailable = new AtomicInteger();

	/** Whether GETs of content also fail mid-body now and then. */
	private volatile boolean cutBodies;

	private final AtomicInteger cut = new AtomicInteger();

	/** Whether every GET of a manifest, the first and each one fetching on, is cut off. */
	private volatile boolean cutManifests;

	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return Flaky::new;
	}

	@Test
	void backupAndRestoreSucceedThroughTransientFaults() throws Exception {
		Path source = source(60);

		this.snapshots.backup(this.project, "s1", "b1", source);
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
		assertThat(this.resets.get()).isPositive();
		assertThat(this.unavailable.get()).isPositive();
	}

	@Test
	void restoreFetchesAgainWhatAResetConnectionCutOffMidBody() throws Exception {
		Path source = source(300);
		this.snapshots.backup(this.project, "s1", "b1", source);
		this.cutBodies = true;

		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE);

		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
		assertThat(this.cut.get()).isPositive();
	}

	@Test
	void anIncrementalBackupFetchesItsPreviousManifestOnFromWhereEachResetCutItOff() throws Exception {
		Path source = source(300);
		this.snapshots.backup(this.project, "s1", "b1", source);
		write(source.resolve("d1/f1"), random(5000, 99));
		this.cutManifests = true;

		BackupResult second = this.snapshots.backup(this.project, "s1", "b2", source);

		// every 1,000 bytes of the previous manifest came in a request of its own, and it was still compared with
		assertThat(this.cut.get()).isGreaterThan(S3Store.BODY_ATTEMPTS * 2);
		assertThat(second.filesRead()).isEqualTo(1);
		this.cutManifests = false;
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	/** Small files in three folders, and one large enough for a multipart upload. */
	private Path source(int files) {
		Path source = folder("source");
		for (int i = 0; i < files; i++) {
			write(source.resolve("d" + (i % 3) + "/f" + i), random(3000 + i, i));
		}
		write(source.resolve("large.bin"), random(11 * 1024 * 1024, 7));
		return source;
	}

	/**
	 * Every 4th request fails before reaching the server, as a reset connection does; every 7th is
	 * answered 503 Slow Down (GETs only, so nothing the server did is lost).
	 */
	private final class Flaky implements SdkHttpClient {

		private final SdkHttpClient delegate;

		Flaky(SdkHttpClient delegate) {
			this.delegate = delegate;
		}

		@Override
		public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
			int n = S3FaultsTests.this.requests.incrementAndGet();
			int[] inARow = S3FaultsTests.this.failuresInARow.get();
			boolean get = request.httpRequest().method() == SdkHttpMethod.GET;
			boolean fails = inARow[0] < 2 && (n % 4 == 0 || n % 7 == 0 && get);
			inARow[0] = fails ? inARow[0] + 1 : 0;
			if (fails && n % 4 == 0) {
				S3FaultsTests.this.resets.incrementAndGet();
				return failing(() -> {
					throw new IOException("Connection reset (injected)");
				});
			}
			if (fails) {
				S3FaultsTests.this.unavailable.incrementAndGet();
				byte[] body = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
					.getBytes(StandardCharsets.UTF_8);
				return failing(() -> HttpExecuteResponse.builder()
					.response(SdkHttpResponse.builder().statusCode(503).statusText("Slow Down").build())
					.responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
					.build());
			}
			ExecutableHttpRequest real = this.delegate.prepareRequest(request);
			boolean manifest = S3FaultsTests.this.cutManifests && request.httpRequest().encodedPath().endsWith(".json.gz");
			if ((manifest || S3FaultsTests.this.cutBodies && n % 3 == 0) && get) {
				return CutResponses.cutAfter(real, 1000, S3FaultsTests.this.cut::incrementAndGet);
			}
			return real;
		}

		private ExecutableHttpRequest failing(Call call) {
			return new ExecutableHttpRequest() {

				@Override
				public HttpExecuteResponse call() throws IOException {
					return call.call();
				}

				@Override
				public void abort() {
				}

			};
		}

		@Override
		public void close() {
			this.delegate.close();
		}

	}

	private interface Call {

		HttpExecuteResponse call() throws IOException;

	}

}
