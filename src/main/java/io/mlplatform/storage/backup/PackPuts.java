package io.mlplatform.storage.backup;

import java.net.URI;
import java.net.URL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Presigned create-only PUTs of new packs, signed with the SDK's SigV4 signer after a template the
 * presigner made once (its URL up to the key, and the headers it signed: If-None-Match and the bucket's
 * encryption). The presigner runs the S3 client's endpoint rules and interceptors for each URL, about
 * 0.8 ms of CPU in a service that has signed a few hundred, and a mover's backup of 20,000 files asks for
 * some 30 of them ahead (bench/RESULTS.md, 2026-12-05). Every pack PUT is the same request but for its
 * key, so only the signing is left to do per URL.
 */
final class PackPuts {

	private final AwsCredentialsProvider credentials;

	private final String region;

	/** The bucket's URL, up to the key, as the presigner addresses it. */
	private final String bucketUrl;

	/** The headers a pack's PUT is signed with and sent with, but Host. */
	private final Map<String, List<String>> headers;

	private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

	private PackPuts(AwsCredentialsProvider credentials, String region, String bucketUrl,
			Map<String, List<String>> headers) {
		this.credentials = credentials;
		this.region = region;
		this.bucketUrl = bucketUrl;
		this.headers = headers;
	}

	/**
	 * Pack PUTs signed like {@code template}, a PUT the presigner signed for {@code templateKey}; null when the
	 * template's URL does not end in its key as this class would write it (then the presigner signs each).
	 */
	static PackPuts like(S3Store.Presigned template, String templateKey, AwsCredentialsProvider credentials,
			String region) {
		String url = template.url().toString();
		int query = url.indexOf('?');
		String path = (query < 0) ? url : url.substring(0, query);
		String key = SdkHttpUtils.urlEncodeIgnoreSlashes(templateKey);
		if (!path.endsWith("/" + key)) {
			return null;
		}
		return new PackPuts(credentials, region, path.substring(0, path.length() - key.length()),
				new TreeMap<>(template.headers()));
	}

	S3Store.Presigned sign(String key, Duration lifetime) {
		Instant now = Instant.now();
		SdkHttpRequest.Builder put = SdkHttpRequest.builder()
			.method(SdkHttpMethod.PUT)
			.uri(URI.create(this.bucketUrl + SdkHttpUtils.urlEncodeIgnoreSlashes(key)));
		this.headers.forEach(put::putHeader);
		SdkHttpRequest signed = this.signer
			.sign(request -> request.identity(this.credentials.resolveIdentity().join())
				.request(put.build())
				.putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
				.putProperty(AwsV4HttpSigner.REGION_NAME, this.region)
				.putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
				.putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
				.putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)
				.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
				.putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, lifetime)
				.putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(now, ZoneOffset.UTC)))
			.request();
		Map<String, List<String>> sent = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
		sent.putAll(this.headers);
		try {
			URL url = signed.getUri().toURL();
			return new S3Store.Presigned(url, "PUT", sent, now.plus(lifetime));
		}
		catch (java.net.MalformedURLException ex) {
			throw new IllegalStateException("Not a URL: " + signed.getUri(), ex);
		}
	}

}
