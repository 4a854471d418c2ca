package io.mlplatform.storage.web;

import org.springframework.http.HttpStatus;

public class PayloadTooLargeException extends ProblemException {

	private PayloadTooLargeException(String detail) {
		super(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Request body too large", detail);
	}

	static PayloadTooLargeException limit(long limit) {
		return new PayloadTooLargeException(
				"The request body is larger than the %d bytes this API accepts; send only the fields you need."
					.formatted(limit));
	}

}
