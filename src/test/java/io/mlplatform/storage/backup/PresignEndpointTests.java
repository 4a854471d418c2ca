package io.mlplatform.storage.backup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import io.mlplatform.storage.S3ProxyServer;
import io.mlplatform.storage.TcpProxy;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.snapshot.SnapshotEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service may reach S3 at an address those who follow its presigned URLs cannot (in compose,
 * {@code http://s3:9000}): with {@code presign-endpoint} set, the URLs name that endpoint, and S3 accepts
 * their signatures there, while the service's own requests still go to {@code endpoint}. Here the other
 * address is a TCP proxy in front of the same S3 server, named by another host name.
 */
class PresignEndpointTests extends BackupTestSupport {

	private static TcpProxy elsewhere;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static synchronized URI presignEndpoint() {
		if (elsewhere == null) {
			elsewhere = TcpProxy.start();
			elsewhere.forwardTo(TestInfrastructure.s3().endpoint().getPort());
		}
		return URI.create("http://localhost:" + elsewhere.port());
	}

	@AfterAll
	static void stopProxy() {
		if (elsewhere != null) {
			elsewhere.close();
		}
	}

	@Override
	protected BackupProperties properties() {
		BackupProperties defaults = super.properties();
		BackupProperties.S3 s3 = defaults.s3();
		BackupProperties.S3 presigningElsewhere = new BackupProperties.S3(s3.endpoint(), s3.region(), s3.pathStyle(),
				s3.accessKeyId(), s3.secretAccessKey(), s3.bucket(), s3.prefix(), s3.partSize(), s3.checksum(),
				s3.encryption(), s3.kmsKeyId(), s3.payloadSigning(), s3.maxAttempts(), s3.maxConnections(),
				s3.connectTimeout(), s3.socketTimeout(), s3.multipartThreshold(), presignEndpoint());
		return new BackupProperties(presigningElsewhere, defaults.largeFileThreshold(), defaults.packSize(),
				defaults.readers(), defaults.uploads(), defaults.queueLength(), defaults.gcGrace(),
				defaults.abandonedUploadAge(), defaults.leaseTtl());
	}

	@Test
	void downloadLinksNameThePresignEndpointAndS3AcceptsThemThere() throws Exception {
		Path source = folder("source");
		write(source.resolve("model.bin"), random(100 * 1024, 7));
		this.snapshots.backup(this.project, "s1", "b1", source);
		SnapshotEntry file = this.snapshots.entry(this.project, "s1", "b1", "model.bin").orElseThrow();

		PresignedRead presigned = this.snapshots.presign(this.project, file, Duration.ofMinutes(5));
		HttpResponse<byte[]> response = this.http.send(
				HttpRequest.newBuilder(presigned.url().toURI()).timeout(Duration.ofSeconds(10)).build(),
				HttpResponse.BodyHandlers.ofByteArray());

		assertThat(presigned.url().getHost()).isEqualTo("localhost");
		assertThat(presigned.url().getPort()).isEqualTo(presignEndpoint().getPort());
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).isEqualTo(Files.readAllBytes(source.resolve("model.bin")));
	}

	/** What a mover does with a pack's URL: a create-only PUT, which the service then checks on its own endpoint. */
	@Test
	void aMoversUploadThroughThePresignEndpointIsWhatTheServiceFinds() throws Exception {
		String key = this.store.key("projects/" + this.project + "/packs/p1");
		S3Store.Presigned put = this.store.presignPackPut(key, Duration.ofMinutes(5));
		HttpRequest.Builder request = HttpRequest.newBuilder(put.url().toURI())
			.timeout(Duration.ofSeconds(10))
			.method(put.method(), HttpRequest.BodyPublishers.ofByteArray("packed".getBytes()));
		put.headers().forEach((name, values) -> values.forEach(value -> request.header(name, value)));

		int status = this.http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();

		assertThat(put.url().getPort()).isEqualTo(presignEndpoint().getPort());
		assertThat(status).isEqualTo(200);
		assertThat(this.store.size(key)).isEqualTo(6L);
	}

	@Test
	void presignedUrlsNameTheEndpointUnlessToldOtherwise() {
		BackupProperties.S3 unset = new Binder(new MapConfigurationPropertySource(Map.of("pss.backup.s3.endpoint",
				TestInfrastructure.s3().endpoint().toString(), "pss.backup.s3.path-style", "true",
				"pss.backup.s3.access-key-id", S3ProxyServer.ACCESS_KEY, "pss.backup.s3.secret-access-key",
				S3ProxyServer.SECRET_KEY)))
			.bindOrCreate("pss.backup", BackupProperties.class)
			.s3();
		BackupProperties.S3 set = new Binder(new MapConfigurationPropertySource(
				Map.of("pss.backup.s3.presign-endpoint", "http://host.docker.internal:9000")))
			.bindOrCreate("pss.backup", BackupProperties.class)
			.s3();

		assertThat(unset.presignEndpoint()).isNull();
		assertThat(set.presignEndpoint()).isEqualTo(URI.create("http://host.docker.internal:9000"));
		try (S3Store store = new S3Store(unset)) {
			assertThat(store.presignRead("k", null, Duration.ofMinutes(1)).url().getPort())
				.isEqualTo(TestInfrastructure.s3().endpoint().getPort());
		}
	}

}
