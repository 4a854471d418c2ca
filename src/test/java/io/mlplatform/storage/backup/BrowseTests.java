package io.mlplatform.storage.backup;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.snapshot.SnapshotEntry;

import static org.assertj.core.api.Assertions.assertThat;

class BrowseTests extends BackupTestSupport {

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private Path backUp() {
		Path source = folder("source");
		for (int i = 0; i < 7; i++) {
			write(source.resolve("data/f" + i + ".txt"), ("file " + i).getBytes());
		}
		write(source.resolve("data/sub/deep.txt"), "deep".getBytes());
		write(source.resolve("model.bin"), random(100 * 1024, 5));
		this.snapshots.backup(this.project, "s1", "b1", source);
		return source;
	}

	@Test
	void listsAFoldersEntriesPageByPage() {
		backUp();

		SnapshotPage first = this.snapshots.list(this.project, "s1", "b1", "data", null, 5);
		SnapshotPage second = this.snapshots.list(this.project, "s1", "b1", "data/", first.next(), 5);

		assertThat(first.entries()).extracting(SnapshotEntry::path)
			.containsExactly("data/f0.txt", "data/f1.txt", "data/f2.txt", "data/f3.txt", "data/f4.txt");
		assertThat(second.entries()).extracting(SnapshotEntry::path)
			.containsExactly("data/f5.txt", "data/f6.txt", "data/sub");
		assertThat(second.next()).isNull();
		assertThat(this.snapshots.list(this.project, "s1", "b1", "", null, 10).entries())
			.extracting(SnapshotEntry::path)
			.containsExactly("data", "model.bin");
	}

	@Test
	void readsAPackedFileAsARangeOfItsPack() throws Exception {
		backUp();
		SnapshotEntry file = this.snapshots.entry(this.project, "s1", "b1", "data/f3.txt").orElseThrow();

		try (InputStream in = this.snapshots.open(this.project, file)) {
			assertThat(in.readAllBytes()).asString().isEqualTo("file 3");
		}
		PresignedRead presigned = this.snapshots.presign(this.project, file, Duration.ofMinutes(5));
		HttpResponse<String> response = this.http.send(HttpRequest.newBuilder(presigned.url().toURI())
			.header("Range", presigned.range())
			.timeout(Duration.ofSeconds(10))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.body()).isEqualTo("file 3");
	}

	@Test
	void presignsALargeFilesBlob() throws Exception {
		Path source = backUp();
		SnapshotEntry file = this.snapshots.entry(this.project, "s1", "b1", "/model.bin").orElseThrow();

		PresignedRead presigned = this.snapshots.presign(this.project, file, Duration.ofMinutes(5));
		HttpResponse<byte[]> response = this.http.send(
				HttpRequest.newBuilder(URI.create(presigned.url().toString())).timeout(Duration.ofSeconds(10)).build(),
				HttpResponse.BodyHandlers.ofByteArray());

		assertThat(presigned.range()).isNull();
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(java.nio.file.Files.readAllBytes(source.resolve("model.bin")));
	}

}
