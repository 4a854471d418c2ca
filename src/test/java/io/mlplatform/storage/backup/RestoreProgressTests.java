package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;

import io.mlplatform.storage.snapshot.RestoreMode;
import io.mlplatform.storage.snapshot.RestoreProgress;
import io.mlplatform.storage.snapshot.RestoreResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class RestoreProgressTests extends BackupTestSupport {

	private final CountDownLatch released = new CountDownLatch(1);

	private final AtomicInteger packReads = new AtomicInteger();

	/** Lets the first pack read through and holds every later one until the test releases them. */
	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return before(http -> {
			if (http.method() == SdkHttpMethod.GET && http.encodedPath().contains("/packs/")
					&& this.packReads.incrementAndGet() > 1) {
				try {
					this.released.await(30, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		});
	}

	@Test
	void aRunningRestoreCountsWhatItHasWrittenSoFar() throws Exception {
		Path source = folder("source");
		// 60 × 16 KiB against 256 KiB packs: four packs, so the restore needs several pack reads
		for (int i = 0; i < 60; i++) {
			write(source.resolve("d" + (i % 3) + "/f" + i), random(16 * 1024, i));
		}
		this.snapshots.backup(this.project, "s1", "b1", source);
		Path target = folder("target");
		RestoreProgress progress = new RestoreProgress();

		CompletableFuture<RestoreResult> restore = CompletableFuture.supplyAsync(() -> this.snapshots
			.restore(this.project, "s1", "b1", target, List.of(), RestoreMode.MERGE, progress));

		await().atMost(Duration.ofSeconds(20)).until(() -> progress.files() > 0);
		assertThat(restore).isNotDone();
		assertThat(progress.files()).isLessThan(60);
		assertThat(progress.bytes()).isEqualTo(progress.files() * 16 * 1024);
		this.released.countDown();
		RestoreResult result = restore.get(30, TimeUnit.SECONDS);
		assertThat(result.files()).isEqualTo(60);
		assertThat(progress.files()).isEqualTo(60);
		assertThat(progress.bytes()).isEqualTo(60L * 16 * 1024);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

}
