package io.mlplatform.storage.backup;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;

import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;

/** Responses whose connection resets part-way through the body, as a flaky network cuts them. */
final class CutResponses {

	private CutResponses() {
	}

	/**
	 * The request, its successful response's body cut after {@code bytes}; {@code onCut} runs for each
	 * body that will be cut. Error responses and empty bodies pass whole.
	 */
	static ExecutableHttpRequest cutAfter(ExecutableHttpRequest real, int bytes, Runnable onCut) {
		return new ExecutableHttpRequest() {

			@Override
			public HttpExecuteResponse call() throws IOException {
				HttpExecuteResponse response = real.call();
				if (response.responseBody().isEmpty() || response.httpResponse().statusCode() >= 300) {
					return response;
				}
				onCut.run();
				AbortableInputStream body = response.responseBody().get();
				// aborting the cut body drops the real connection, as it would on a real reset
				return HttpExecuteResponse.builder()
					.response(response.httpResponse())
					.responseBody(AbortableInputStream.create(new CutOff(body, bytes), body))
					.build();
			}

			@Override
			public void abort() {
				real.abort();
			}

		};
	}

	private static final class CutOff extends FilterInputStream {

		private int left;

		CutOff(InputStream in, int left) {
			super(in);
			this.left = left;
		}

		@Override
		public int read() throws IOException {
			byte[] one = new byte[1];
			return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			if (this.left <= 0) {
				throw new SocketException("Connection reset (injected mid-body)");
			}
			int n = super.read(buffer, offset, Math.min(length, this.left));
			this.left -= Math.max(n, 0);
			return n;
		}

	}

}
