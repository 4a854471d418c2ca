package io.mlplatform.storage.backup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An object's size is asked with a HEAD the store signs and sends itself (against S3Proxy); whatever that
 * HEAD is answered but a 200, the S3 client's answer stands.
 */
class ObjectHeadsTests extends BackupTestSupport {

	/** What each request was: "ours" (signed by ObjectHeads) or "client", its method and its status. */
	private final List<String> requests = new CopyOnWriteArrayList<>();

	/** How our HEADs are answered: by S3Proxy, or refused (403) or cut off (a reset) before they reach it. */
	private volatile String ours = "pass";

	@Override
	protected UnaryOperator<SdkHttpClient> transport() {
		return delegate -> new SdkHttpClient() {

			@Override
			public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
				// the client marks each of its requests; ours carry no such header
				String who = request.httpRequest().firstMatchingHeader("amz-sdk-invocation-id").isPresent() ? "client"
						: "ours";
				String what = who + " " + request.httpRequest().method();
				if (who.equals("ours") && !ObjectHeadsTests.this.ours.equals("pass")) {
					ObjectHeadsTests.this.requests.add(what + " " + ObjectHeadsTests.this.ours);
					return answer(ObjectHeadsTests.this.ours);
				}
				ExecutableHttpRequest real = delegate.prepareRequest(request);
				return new ExecutableHttpRequest() {

					@Override
					public HttpExecuteResponse call() throws IOException {
						HttpExecuteResponse response = real.call();
						ObjectHeadsTests.this.requests.add(what + " " + response.httpResponse().statusCode());
						return response;
					}

					@Override
					public void abort() {
						real.abort();
					}

				};
			}

			@Override
			public void close() {
				delegate.close();
			}

		};
	}

	private static ExecutableHttpRequest answer(String how) {
		return new ExecutableHttpRequest() {

			@Override
			public HttpExecuteResponse call() throws IOException {
				if (how.equals("reset")) {
					throw new IOException("Connection reset (injected)");
				}
				return HttpExecuteResponse.builder()
					.response(SdkHttpResponse.builder().statusCode(403).build())
					.responseBody(AbortableInputStream.create(new ByteArrayInputStream(new byte[0])))
					.build();
			}

			@Override
			public void abort() {
			}

		};
	}

	private String object(String name, int size) {
		String key = "pss/projects/" + this.project + "/packs/" + name;
		this.store.put(key, new byte[size], size);
		this.requests.clear();
		return key;
	}

	@Test
	void aSizeIsOneHeadOfOursAndAMissingObjectIsAskedOfTheClientToo() {
		String key = object("p1", 1234);

		assertThat(this.store.size(key)).isEqualTo(1234L);
		assertThat(this.requests).containsExactly("ours " + SdkHttpMethod.HEAD + " 200");

		this.requests.clear();
		assertThat(this.store.size(key + "-gone")).isNull();
		assertThat(this.requests).containsExactly("ours HEAD 404", "client HEAD 404");
		// an empty object has its size too
		assertThat(this.store.size(object("empty", 0))).isZero();
	}

	@Test
	void headsOfOursThatS3RefusesAreAnsweredByTheClientAndThenNotSentAnyMore() {
		String key = object("p2", 99);
		this.ours = "403";

		for (int i = 0; i < 3; i++) {
			assertThat(this.store.size(key)).isEqualTo(99L);
		}
		assertThat(this.requests).containsExactly("ours HEAD 403", "client HEAD 200", "ours HEAD 403",
				"client HEAD 200", "ours HEAD 403", "client HEAD 200");

		// S3 does not take ours: the client alone is asked from now on
		this.requests.clear();
		assertThat(this.store.size(key)).isEqualTo(99L);
		assertThat(this.requests).containsExactly("client HEAD 200");
	}

	@Test
	void aNetworkThatCutsOursOffLeavesThemInUse() {
		String key = object("p3", 7);
		this.ours = "reset";
		for (int i = 0; i < 5; i++) {
			assertThat(this.store.size(key)).isEqualTo(7L);
		}

		// a reset says nothing of our signature: once the network is back, ours answer again
		this.ours = "pass";
		this.requests.clear();
		assertThat(this.store.size(key)).isEqualTo(7L);
		assertThat(this.requests).containsExactly("ours HEAD 200");
	}

}
