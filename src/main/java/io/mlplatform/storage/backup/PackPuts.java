package io.mlplatform.storage.backup;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Presigned create-only PUTs of new packs, signed by {@link S3KeySigner} after a template the
 * presigner made once (its URL up to the key, and the headers it signed: If-None-Match and the bucket's
 * encryption). The presigner runs the S3 client's endpoint rules and interceptors for each URL, about
 * 0.8 ms of CPU in a service that has signed a few hundred, and a mover's backup of 20,000 files asks for
 * some 30 of them ahead (bench/RESULTS.md, 2026-12-05). Every pack PUT is the same request but for its
 * key, so only the signing is left to do per URL.
 */
final class PackPuts {

	private final S3KeySigner signer;

	/** The headers a pack's PUT is signed with and sent with, but Host. */
	private final Map<String, List<String>> headers;

	private PackPuts(S3KeySigner signer, Map<String, List<String>> headers) {
		this.signer = signer;
		this.headers = headers;
	}

	/**
	 * Pack PUTs signed like {@code template}, a PUT the presigner signed for {@code templateKey}; null when the
	 * template's URL does not end in its key as this class would write it (then the presigner signs each).
	 */
	static PackPuts like(S3Store.Presigned template, String templateKey, AwsCredentialsProvider credentials,
			String region) {
		S3KeySigner signer = S3KeySigner.at(template.url().toString(), templateKey, credentials, region);
		return (signer == null) ? null : new PackPuts(signer, new TreeMap<>(template.headers()));
	}

	S3Store.Presigned sign(String key, Duration lifetime) {
		Instant now = Instant.now();
		SdkHttpRequest signed = this.signer.presign(SdkHttpMethod.PUT, key, this.headers, now, lifetime);
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
