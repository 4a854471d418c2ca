package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.s3.model.S3Exception;

import io.mlplatform.storage.snapshot.ManifestDownload;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.SnapshotLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A previous manifest read while it is still being fetched, over a connection that keeps being cut. */
class ManifestDownloadTests extends BackupTestSupport {

	private final ExecutorService executor = Executors.newCachedThreadPool();

	/** Bytes each manifest response gives before its connection resets; 0 for whole responses. */
	private volatile int cutAfter;

	/** Runs before each GET that fetches on from an offset. */
	private volatile Runnable beforeResume = () -> {
	};

	@AfterEach
	void stopExecutor() throws InterruptedException {
		this.executor.shutdownNow();
		assertThat(this.executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void readsTheWholeObjectWhileItArrivesInPiecesCutOffByResets() throws Exception {
		byte[] content = random(300_000, 1);
		ObjectRef key = put("whole", content);
		this.cutAfter = 7_000;

		try (ManifestDownload download = ManifestDownload.start(objects(), key, temp("whole"), this.executor);
				InputStream in = download.reader()) {
			assertThat(in.readAllBytes()).isEqualTo(content);
		}
	}

	@Test
	void failsRatherThanJoinAnotherVersionOfTheObjectToWhatArrived() throws Exception {
		ObjectRef key = put("rewritten", random(100_000, 2));
		byte[] rewritten = random(100_000, 3);
		this.cutAfter = 10_000;
		this.beforeResume = () -> this.store.put(key(key), rewritten, rewritten.length);

		try (ManifestDownload download = ManifestDownload.start(objects(), key, temp("rewritten"), this.executor);
				InputStream in = download.reader()) {
			assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
				.hasMessageContaining(key.toString())
				.cause()
				.isInstanceOfSatisfying(S3Exception.class, ex -> assertThat(ex.statusCode()).isEqualTo(412));
		}
	}

	@Test
	void closingStopsAFetchThatIsStillGoing() throws Exception {
		ObjectRef key = put("slow", random(200_000, 4));
		this.cutAfter = 1_000;
		this.beforeResume = () -> {
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		};

		ManifestDownload download = ManifestDownload.start(objects(), key, temp("slow"), this.executor);
		assertThat(download.reader().read(new byte[500])).isPositive();
		download.close();

		this.executor.shutdown();
		boolean ended = this.executor.awaitTermination(5, TimeUnit.SECONDS);
		assertThat(ended).as(() -> "the fetch is still going: " + fetchThreads()).isTrue();
	}

	/** Where the executor's threads are, for a failure to say. */
	private static String fetchThreads() {
		StringBuilder where = new StringBuilder();
		Thread.getAllStackTraces().forEach((thread, stack) -> {
			if (thread.getName().startsWith("pool-")) {
				where.append('\n').append(thread.getName()).append(": ").append(java.util.Arrays.toString(stack));
			}
		});
		return where.toString();
	}

	/** A manifest of storage s1 named {@code name}, holding {@code content}. */
	private ObjectRef put(String name, byte[] content) {
		ObjectRef manifest = ObjectRef.manifest("s1", name);
		this.store.put(key(manifest), content, content.length);
		return manifest;
	}

	private String key(ObjectRef object) {
		return new SnapshotLayout("pss").key(this.project, object);
	}

	private ObjectStore objects() {
		return new ProjectObjects(this.store, new SnapshotLayout("pss"), this.project);
	}

	private Path temp(String name) throws IOException {
		return Files.createFile(this.temp.resolve(name));
	}

	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return delegate -> new SdkHttpClient() {

			@Override
			public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
				boolean manifest = request.httpRequest().encodedPath().endsWith(".json.gz")
						&& request.httpRequest().method() == software.amazon.awssdk.http.SdkHttpMethod.GET;
				if (manifest && request.httpRequest().firstMatchingHeader("Range").isPresent()) {
					ManifestDownloadTests.this.beforeResume.run();
				}
				ExecutableHttpRequest real = delegate.prepareRequest(request);
				int cut = ManifestDownloadTests.this.cutAfter;
				if (!manifest || cut == 0) {
					return real;
				}
				return CutResponses.cutAfter(real, cut, () -> {
					// nothing to count: the tests look at what the reader gets
				});
			}

			@Override
			public void close() {
				delegate.close();
			}

		};
	}

}
