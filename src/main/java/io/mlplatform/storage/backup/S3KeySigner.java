package io.mlplatform.storage.backup;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Requests for keys of one bucket, addressed as the SDK addressed one key and signed with the SDK's SigV4
 * signer by S3's rules, without the S3 client's or the presigner's pipeline (endpoint rules, interceptors):
 * what {@link ObjectHeads} and {@link PackPuts} send or hand out by the dozen per backup.
 */
final class S3KeySigner {

	private final AwsCredentialsProvider credentials;

	private final String region;

	/** The bucket's URL, up to the key. */
	private final String bucketUrl;

	private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

	private S3KeySigner(AwsCredentialsProvider credentials, String region, String bucketUrl) {
		this.credentials = credentials;
		this.region = region;
		this.bucketUrl = bucketUrl;
	}

	/**
	 * Signs requests for any key of the bucket that {@code url}, the SDK's URL for {@code key} (a query
	 * aside), names; null when that URL does not end in the key as this class writes it.
	 */
	static S3KeySigner at(String url, String key, AwsCredentialsProvider credentials, String region) {
		int query = url.indexOf('?');
		String path = (query < 0) ? url : url.substring(0, query);
		String encoded = SdkHttpUtils.urlEncodeIgnoreSlashes(key);
		if (!path.endsWith("/" + encoded)) {
			return null;
		}
		return new S3KeySigner(credentials, region, path.substring(0, path.length() - encoded.length()));
	}

	/** A request for {@code key} with these headers, signed in its Authorization header. */
	SdkHttpRequest sign(SdkHttpMethod method, String key, Map<String, List<String>> headers) {
		return sign(method, key, headers, null, null);
	}

	/** As {@link #sign(SdkHttpMethod, String, Map)}, presigned: signed in its query, valid from {@code at}. */
	SdkHttpRequest presign(SdkHttpMethod method, String key, Map<String, List<String>> headers, Instant at,
			Duration lifetime) {
		return sign(method, key, headers, at, lifetime);
	}

	private SdkHttpRequest sign(SdkHttpMethod method, String key, Map<String, List<String>> headers, Instant at,
			Duration lifetime) {
		SdkHttpRequest.Builder request = SdkHttpRequest.builder()
			.method(method)
			.uri(URI.create(this.bucketUrl + SdkHttpUtils.urlEncodeIgnoreSlashes(key)));
		headers.forEach(request::putHeader);
		// S3's own rules: the path as it is (not normalized, not encoded twice), the payload unsigned
		return this.signer.sign(signing -> {
			signing.identity(this.credentials.resolveIdentity().join())
				.request(request.build())
				.putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
				.putProperty(AwsV4HttpSigner.REGION_NAME, this.region)
				.putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
				.putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
				.putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false);
			if (lifetime != null) {
				signing.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
					.putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, lifetime)
					.putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC));
			}
		}).request();
	}

}
