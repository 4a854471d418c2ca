package io.mlplatform.storage.backup;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * HEADs of objects signed by {@link S3KeySigner} and sent straight through the S3 client's HTTP
 * transport, without the client's request pipeline (endpoint rules, interceptors, retry, metric and
 * unmarshalling stages): 2 ms of CPU a HEAD through the client in a service that has answered a few
 * hundred, for about a tenth of a mover's backup as the service sees it (bench/RESULTS.md, 2026-12-05).
 * Only a plain 200 is an answer; anything else (a 404, a refusal, a 5xx, a reset) is left to the client,
 * whose answer stands: a URL or signature of ours that S3 does not take costs time, never a wrong size.
 * When the client finds objects ours did not, several times in a row, ours are not asked any more.
 */
final class ObjectHeads {

	private static final Logger log = LoggerFactory.getLogger(ObjectHeads.class);

	/** The key the bucket's URL is asked for once: the URL of any key is this one's with the key replaced. */
	static final String PROBE = "pss-probe";

	/** Answered, but not with the object's size: the client is asked. */
	static final long NOT_ANSWERED = -1;

	/** No answer at all (the network): the client is asked, and it says nothing of our requests. */
	static final long NO_ANSWER = -2;

	/** Objects in a row the client found where ours were answered otherwise: then S3 does not take ours. */
	private static final int GIVE_UP_AFTER = 3;

	private final SdkHttpClient http;

	/** Null when the client's URL for a key is not one this store can write: then the client alone is asked. */
	private final S3KeySigner signer;

	private final AtomicInteger misses = new AtomicInteger();

	ObjectHeads(SdkHttpClient http, AwsCredentialsProvider credentials, String region, String probeUrl) {
		this.http = http;
		this.signer = S3KeySigner.at(probeUrl, PROBE, credentials, region);
	}

	/** The object's size, or {@link #NOT_ANSWERED} or {@link #NO_ANSWER}. */
	long size(String key) {
		if (this.signer == null || this.misses.get() >= GIVE_UP_AFTER) {
			return NOT_ANSWERED;
		}
		try {
			SdkHttpRequest signed = this.signer.sign(SdkHttpMethod.HEAD, key, Map.of());
			HttpExecuteResponse response = this.http.prepareRequest(HttpExecuteRequest.builder().request(signed).build())
				.call();
			response.responseBody().ifPresent(ObjectHeads::closeQuietly);
			long size = (response.httpResponse().statusCode() != 200) ? NOT_ANSWERED
					: response.httpResponse()
						.firstMatchingHeader("Content-Length")
						.filter(length -> !length.isEmpty() && length.length() < 19
								&& length.chars().allMatch(Character::isDigit))
						.map(Long::parseLong)
						.orElse(NOT_ANSWERED);
			if (size >= 0) {
				this.misses.set(0);
			}
			return size;
		}
		catch (IOException | RuntimeException ex) {
			return NO_ANSWER;
		}
	}

	/** The client found an object whose HEAD of ours was answered otherwise (a 403 for our signature, say). */
	void missed(String key) {
		if (this.misses.incrementAndGet() == GIVE_UP_AFTER) {
			log.warn("S3 answered {} HEADs signed by the service otherwise than the S3 client's (the last for {}); "
					+ "they go through the client from now on", GIVE_UP_AFTER, key);
		}
	}

	private static void closeQuietly(java.io.Closeable body) {
		try {
			body.close();
		}
		catch (IOException ex) {
			// the answer is read; a connection that cannot be reused is the transport's to drop
		}
	}

}
