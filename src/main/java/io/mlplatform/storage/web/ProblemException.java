package io.mlplatform.storage.web;

import java.net.URI;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * An error the caller can act on. Subclasses name the situation; each maps to one stable problem
 * {@code type} so clients can branch on it without parsing the human-readable detail.
 */
public class ProblemException extends RuntimeException {

	public static final String TYPE_BASE = "https://storage.mlplatform.io/problems/";

	private final HttpStatus status;

	private final String type;

	private final String title;

	private final List<FieldError> errors;

	protected ProblemException(HttpStatus status, String type, String title, String detail, List<FieldError> errors) {
		super(detail, null, false, false);
		this.status = status;
		this.type = type;
		this.title = title;
		this.errors = List.copyOf(errors);
	}

	protected ProblemException(HttpStatus status, String type, String title, String detail) {
		this(status, type, title, detail, List.of());
	}

	public HttpStatus status() {
		return this.status;
	}

	public String type() {
		return this.type;
	}

	public List<FieldError> errors() {
		return this.errors;
	}

	public ProblemDetail toProblemDetail() {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(this.status, getMessage());
		problem.setType(URI.create(TYPE_BASE + this.type));
		problem.setTitle(this.title);
		if (!this.errors.isEmpty()) {
			problem.setProperty("errors", this.errors);
		}
		return problem;
	}

}
