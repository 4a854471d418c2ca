package io.mlplatform.storage.backup;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Pack PUTs signed after the presigner's template are the presigner's request, and S3Proxy takes them once. */
class PackPutsTests extends BackupTestSupport {

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@Test
	void aPackPutIsThePresignersRequestAndStoresThePackOnce() throws Exception {
		String key = this.store.key("projects/" + this.project + "/packs/" + UUID.randomUUID());
		Duration lifetime = Duration.ofMinutes(5);

		S3Store.Presigned ours = this.store.presignPackPut(key, lifetime);
		S3Store.Presigned presigners = this.store.presignPut(key, lifetime, null, true, Map.of());

		// the same request but for when it was signed: method, headers, address, signed headers, lifetime
		assertThat(ours.method()).isEqualTo("PUT").isEqualTo(presigners.method());
		assertThat(ours.headers()).isEqualTo(presigners.headers()).containsKey("If-None-Match");
		assertThat(ours.url().getProtocol() + ours.url().getAuthority() + ours.url().getPath())
			.isEqualTo(presigners.url().getProtocol() + presigners.url().getAuthority() + presigners.url().getPath());
		Map<String, String> query = query(ours.url());
		Map<String, String> expected = query(presigners.url());
		assertThat(query.keySet()).isEqualTo(expected.keySet());
		for (String same : new String[] { "X-Amz-Algorithm", "X-Amz-SignedHeaders", "X-Amz-Expires" }) {
			assertThat(query.get(same)).as(same).isEqualTo(expected.get(same));
		}
		assertThat(ours.expiresAt()).isCloseTo(Instant.now().plus(lifetime), within(Duration.ofSeconds(30)));

		// S3 checks the signature (one changed is refused), takes it, and a pack is never replaced
		String signature = query.get("X-Amz-Signature");
		String other = (signature.charAt(0) == '0' ? "1" : "0") + signature.substring(1);
		S3Store.Presigned forged = new S3Store.Presigned(new URL(ours.url().toString().replace(signature, other)),
				ours.method(), ours.headers(), ours.expiresAt());
		assertThat(send(forged, "forged".getBytes())).isEqualTo(403);
		assertThat(send(ours, "packed".getBytes())).isEqualTo(200);
		assertThat(this.store.size(key)).isEqualTo(6L);
		assertThat(send(this.store.presignPackPut(key, lifetime), "other bytes".getBytes())).isEqualTo(412);
		assertThat(this.store.size(key)).isEqualTo(6L);
	}

	@Test
	void aPackPutThatHasExpiredIsRefused() throws Exception {
		String key = this.store.key("projects/" + this.project + "/packs/" + UUID.randomUUID());
		S3Store.Presigned put = this.store.presignPackPut(key, Duration.ofSeconds(1));
		Thread.sleep(2100);

		assertThat(send(put, "late".getBytes())).isEqualTo(403);
		assertThat(this.store.size(key)).isNull();
	}

	private int send(S3Store.Presigned put, byte[] body) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(put.url().toURI())
			.timeout(Duration.ofSeconds(10))
			.method(put.method(), HttpRequest.BodyPublishers.ofByteArray(body));
		put.headers().forEach((name, values) -> values.forEach(value -> request.header(name, value)));
		return this.http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	private static Map<String, String> query(URL url) throws Exception {
		return Arrays.stream(URI.create(url.toString()).getRawQuery().split("&"))
			.map(pair -> pair.split("=", 2))
			.collect(Collectors.toMap(pair -> pair[0], pair -> pair.length > 1 ? pair[1] : ""));
	}

}
