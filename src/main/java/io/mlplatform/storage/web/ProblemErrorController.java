package io.mlplatform.storage.web;

import java.net.URI;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.swagger.v3.oas.annotations.Hidden;

/**
 * Errors raised outside Spring MVC's handlers (the security firewall refusing a URL, a servlet
 * {@code sendError}) are forwarded to {@code /error}; they leave as problem details like the rest.
 */
@Hidden
@RestController
class ProblemErrorController implements ErrorController {

	@RequestMapping(path = "/error", produces = { MediaType.APPLICATION_PROBLEM_JSON_VALUE, MediaType.ALL_VALUE })
	ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
		Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
		HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null ? HttpStatus.valueOf(value)
				: HttpStatus.INTERNAL_SERVER_ERROR;
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status,
				status.is5xxServerError() ? "Something went wrong on our side. Retry later; if it persists, report the requestId."
						: "The request was refused before it reached the API: check the URL and its encoding.");
		String type = status == HttpStatus.NOT_FOUND ? "not-found"
				: status.is5xxServerError() ? "internal-error" : status == HttpStatus.BAD_REQUEST ? "bad-request"
						: "http-" + status.value();
		problem.setType(URI.create(ProblemException.TYPE_BASE + type));
		problem.setTitle(status.getReasonPhrase());
		Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
		if (uri != null) {
			try {
				problem.setInstance(URI.create(uri.toString()));
			}
			catch (IllegalArgumentException ex) {
				// the URL that was refused is not even a URI; leave instance out
			}
		}
		String requestId = RequestIdFilter.of(request);
		if (requestId != null) {
			problem.setProperty("requestId", requestId);
		}
		return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
	}

}
