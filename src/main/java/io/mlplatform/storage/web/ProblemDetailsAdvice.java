package io.mlplatform.storage.web;

import java.net.URI;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.servlet.http.HttpServletRequest;

import org.hibernate.TransactionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error leaves as RFC 9457 problem details with a stable {@code type}. Unexpected failures are
 * logged with the request id and answered with a 500 that says nothing internal.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

	private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

	private static final Map<Integer, String> TYPES_BY_STATUS = Map.of(400, "bad-request", 404, "not-found", 405,
			"method-not-allowed", 406, "not-acceptable", 413, "payload-too-large", 415, "unsupported-media-type", 409,
			"conflict", 500, "internal-error", 503, "unavailable");

	@ExceptionHandler(ProblemException.class)
	ResponseEntity<Object> problem(ProblemException ex, WebRequest request) {
		return handleExceptionInternal(ex, ex.toProblemDetail(), new HttpHeaders(), ex.status(), request);
	}

	@ExceptionHandler(JacksonException.class)
	ResponseEntity<Object> jackson(JacksonException ex, WebRequest request) {
		return problem(malformed(ex), request);
	}

	@ExceptionHandler(MethodArgumentTypeMismatchException.class)
	ResponseEntity<Object> typeMismatch(MethodArgumentTypeMismatchException ex, WebRequest request) {
		String expected = ex.getRequiredType() == null ? "a valid value" : "a " + ex.getRequiredType().getSimpleName();
		return problem(InvalidRequestException.field(ex.getName(), ex.getValue(), "must be " + expected), request);
	}

	@ExceptionHandler({ ObjectOptimisticLockingFailureException.class, PessimisticLockingFailureException.class })
	ResponseEntity<Object> concurrentUpdate(RuntimeException ex, WebRequest request) {
		return problem(ConflictException.concurrentModification("Resource", path(request)), request);
	}

	/**
	 * Input is validated before it reaches the database, so a constraint firing means a race (a
	 * duplicate key) or a check we lack; the latter is logged so the check can be added.
	 */
	@ExceptionHandler(DataIntegrityViolationException.class)
	ResponseEntity<Object> integrity(DataIntegrityViolationException ex, WebRequest request) {
		String state = sqlState(ex);
		if ("23505".equals(state)) {
			return problem(ConflictException.concurrentModification("Resource", path(request)), request);
		}
		log.warn("Database refused a value that validation let through (SQLState {})", state, ex);
		return problem(InvalidRequestException.malformedBody(
				"A value in the request is outside what can be stored; check lengths and ranges.", List.of()),
				request);
	}

	/** The database is down, the pool is exhausted or a statement ran too long: try again later. */
	@ExceptionHandler({ CannotCreateTransactionException.class, DataAccessResourceFailureException.class,
			QueryTimeoutException.class, TransientDataAccessResourceException.class })
	ResponseEntity<Object> unavailable(Exception ex, WebRequest request) {
		log.error("Database unavailable on {}", path(request), ex);
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
				"The service cannot reach its database right now; retry in a few seconds.");
		HttpHeaders headers = new HttpHeaders();
		headers.set(HttpHeaders.RETRY_AFTER, "5");
		return handleExceptionInternal(ex, problem, headers, HttpStatus.SERVICE_UNAVAILABLE, request);
	}

	@ExceptionHandler(Exception.class)
	ResponseEntity<Object> unexpected(Exception ex, WebRequest request) {
		if (databaseUnreachable(ex)) {
			return unavailable(ex, request);
		}
		// lock_timeout: Spring's translator leaves lock_not_available to the JPA path, which maps it as this does
		if (ex instanceof RuntimeException runtime && LOCK_NOT_AVAILABLE.equals(sqlState(ex))) {
			return concurrentUpdate(runtime, request);
		}
		log.error("Unexpected error on {}", path(request), ex);
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
				"Something went wrong on our side. Retry later; if it persists, report the requestId.");
		return handleExceptionInternal(ex, problem, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR, request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		// an oversized body surfaces wrapped in the parser's exception: the deepest cause decides
		for (Throwable cause = ex.getCause(); cause != null; cause = cause.getCause()) {
			if (cause instanceof ProblemException problem) {
				return problem(problem, request);
			}
		}
		for (Throwable cause = ex.getCause(); cause != null; cause = cause.getCause()) {
			if (cause instanceof JacksonException jackson) {
				return problem(malformed(jackson), request);
			}
		}
		return problem(InvalidRequestException.malformedBody(
				"The request body is missing or is not JSON; send a JSON object with Content-Type application/json.",
				List.of()), request);
	}

	@Override
	protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
			HttpStatusCode statusCode, WebRequest request) {
		ProblemDetail problem = body instanceof ProblemDetail detail ? detail
				: ProblemDetail.forStatusAndDetail(statusCode, ex.getMessage());
		if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
			problem.setType(URI.create(ProblemException.TYPE_BASE
					+ TYPES_BY_STATUS.getOrDefault(statusCode.value(), "http-" + statusCode.value())));
		}
		if (problem.getTitle() == null) {
			HttpStatus known = HttpStatus.resolve(statusCode.value());
			problem.setTitle(known == null ? "Error" : known.getReasonPhrase());
		}
		if (request instanceof NativeWebRequest nativeRequest
				&& nativeRequest.getNativeRequest() instanceof HttpServletRequest servletRequest) {
			ProblemWriter.decorate(problem, servletRequest);
		}
		return super.handleExceptionInternal(ex, problem, headers, statusCode, request);
	}

	/** Turns a Jackson failure into field errors a caller can act on, without echoing internals. */
	static InvalidRequestException malformed(JacksonException ex) {
		String field = ex.getPath()
			.stream()
			.map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
			.collect(Collectors.joining("."))
			.replace(".[", "[");
		if (ex instanceof UnrecognizedPropertyException unknown) {
			List<String> known = new ArrayList<>();
			unknown.getKnownPropertyIds().forEach(id -> known.add(id.toString()));
			known.sort(null);
			return InvalidRequestException.malformedBody("Unknown field '%s'. Known fields here: %s."
				.formatted(field, String.join(", ", known)),
					List.of(new FieldError(field, null, "unknown field")));
		}
		if (ex instanceof InvalidFormatException format) {
			String message = "must be " + describe(format.getTargetType());
			return InvalidRequestException.malformedBody("Field '%s' %s.".formatted(field, message),
					List.of(new FieldError(field, format.getValue(), message)));
		}
		if (ex instanceof InputCoercionException) {
			return InvalidRequestException.malformedBody(
					"A number in the request body is out of range%s.".formatted(field.isEmpty() ? "" : " at '" + field + "'"),
					field.isEmpty() ? List.of() : List.of(new FieldError(field, null, "out of range")));
		}
		if (ex instanceof MismatchedInputException mismatch) {
			if (field.isEmpty()) {
				return InvalidRequestException.malformedBody("The request body must be a JSON object.", List.of());
			}
			String message = "must be " + describe(mismatch.getTargetType());
			return InvalidRequestException.malformedBody("Field '%s' %s.".formatted(field, message),
					List.of(new FieldError(field, null, message)));
		}
		if (ex instanceof StreamReadException) {
			String where = ex.getLocation() == null || ex.getLocation().getLineNr() < 1 ? ""
					: " (line %d, column %d)".formatted(ex.getLocation().getLineNr(), ex.getLocation().getColumnNr());
			return InvalidRequestException.malformedBody(
					"The request body is not valid JSON%s: %s".formatted(where, ex.getOriginalMessage()), List.of());
		}
		// other binding failures name our classes in their messages: say only where
		return InvalidRequestException.malformedBody("The request body does not have the expected shape%s."
			.formatted(field.isEmpty() ? "" : " at '" + field + "'"), List.of());
	}

	/**
	 * A connection that breaks inside a transaction surfaces as whatever failed last: the rollback on the
	 * dead connection ({@code JpaSystemException} over Hibernate's {@code TransactionException}, or
	 * {@code TransactionSystemException}), and the connection failure it replaced is gone. Nothing was
	 * committed then, so a retry is safe. Connection exceptions proper are SQLState class 08.
	 */
	private static boolean databaseUnreachable(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof DataAccessResourceFailureException || cause instanceof CannotCreateTransactionException
					|| cause instanceof SQLTransientConnectionException || cause instanceof TransactionException
					|| cause instanceof TransactionSystemException
					|| cause instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
				return true;
			}
		}
		return false;
	}

	private static final String LOCK_NOT_AVAILABLE = "55P03";

	private static String sqlState(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof SQLException sql && sql.getSQLState() != null) {
				return sql.getSQLState();
			}
		}
		return null;
	}

	private static String describe(Class<?> type) {
		if (type == null) {
			return "of another type";
		}
		if (type == String.class) {
			return "a string";
		}
		if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
			return "a whole number";
		}
		if (type == Boolean.class || type == boolean.class) {
			return "true or false";
		}
		if (Map.class.isAssignableFrom(type) || type.isRecord()) {
			return "an object";
		}
		if (List.class.isAssignableFrom(type) || type.isArray()) {
			return "an array";
		}
		return "a " + type.getSimpleName();
	}

	private static String path(WebRequest request) {
		return request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : "request";
	}

}
