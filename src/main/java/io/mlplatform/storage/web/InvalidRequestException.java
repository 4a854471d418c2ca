package io.mlplatform.storage.web;

import java.util.List;
import java.util.stream.Collectors;

import org.springframework.http.HttpStatus;

/** The request itself is wrong: a field, a parameter or the body (400). */
public class InvalidRequestException extends ProblemException {

	private InvalidRequestException(String type, String title, String detail, List<FieldError> errors) {
		super(HttpStatus.BAD_REQUEST, type, title, detail, errors);
	}

	public static InvalidRequestException of(List<FieldError> errors) {
		String detail = errors.stream()
			.map(e -> e.field() + ": " + e.message())
			.collect(Collectors.joining("; ", "The request has invalid fields. ", "."));
		return new InvalidRequestException("validation-failed", "Validation failed", detail, errors);
	}

	public static InvalidRequestException field(String field, Object rejected, String message) {
		return of(List.of(new FieldError(field, rejected, message)));
	}

	public static InvalidRequestException malformedBody(String detail, List<FieldError> errors) {
		return new InvalidRequestException("malformed-body", "Malformed request body", detail, errors);
	}

	/** The query string cannot be decoded into text: a broken percent-escape, or bytes that are not UTF-8. */
	static InvalidRequestException undecodableQuery() {
		return new InvalidRequestException("invalid-encoding", "Invalid encoding",
				"The query string cannot be decoded: every '%' must start an escape of two hex digits, and the "
						+ "escaped bytes must be UTF-8 (no overlong forms, no surrogates). Percent-encode '%' itself as %25.",
				List.of());
	}

	/** The query string cannot be split into parameters: too many of them, or one without a name. */
	static InvalidRequestException unreadableQuery() {
		return new InvalidRequestException("bad-request", "Bad request",
				"The query string cannot be read: it has more parameters than the service accepts, or a parameter "
						+ "without a name; send only the documented parameters.",
				List.of());
	}

	public static InvalidRequestException invalidPageToken() {
		return new InvalidRequestException("invalid-page-token", "Invalid page token",
				"pageToken is not one this service issued for this query; drop it to start from the first page, "
						+ "and keep labelSelector and filters unchanged while paging.",
				List.of());
	}

}
