package io.mlplatform.storage;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import java.time.Duration;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 server in this JVM (S3Proxy over a folder): the tests', the local run's and the benchmark's
 * backup bucket. Its keys are fixed and only ever guard loopback.
 */
public final class S3ProxyServer implements AutoCloseable {

	public static final String ACCESS_KEY = "local-access-key";

	public static final String SECRET_KEY = "local-secret-key";

	private final S3Proxy proxy;

	private S3ProxyServer(S3Proxy proxy) {
		this.proxy = proxy;
	}

	/**
	 * @param directory where buckets are kept as folders (created if missing)
	 * @param port 0 for any free port
	 */
	public static S3ProxyServer start(Path directory, int port) {
		try {
			Files.createDirectories(directory);
			Properties properties = new Properties();
			properties.setProperty("jclouds.filesystem.basedir", directory.toString());
			S3Proxy proxy = S3Proxy.builder()
				.blobStore(BlobStores.create("filesystem", properties))
				.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
				.endpoint(URI.create("http://127.0.0.1:" + port))
				// the SDK's multipart client sends headers S3Proxy does not know; real S3 ignores them too
				.ignoreUnknownHeaders(true)
				.build();
			proxy.start();
			while (!"STARTED".equals(proxy.getState())) {
				Thread.sleep(10);
			}
			return new S3ProxyServer(proxy);
		}
		catch (Exception ex) {
			throw new IllegalStateException("Could not start S3Proxy in " + directory, ex);
		}
	}

	/** Creates a bucket unless it exists, through the S3 API as any client would. */
	public void createBucket(String bucket) {
		try (S3Client client = S3Client.builder()
			.endpointOverride(endpoint())
			.region(Region.US_EAST_1)
			.forcePathStyle(true)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
			.httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofSeconds(10)))
			.build()) {
			if (client.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
				client.createBucket(c -> c.bucket(bucket));
			}
		}
	}

	public URI endpoint() {
		return URI.create("http://127.0.0.1:" + this.proxy.getPort());
	}

	@Override
	public void close() {
		try {
			this.proxy.stop();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
