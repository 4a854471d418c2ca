package io.mlplatform.storage.web;

import java.io.IOException;
import java.net.URI;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;

import tools.jackson.databind.json.JsonMapper;

/** Writes problem details from places outside Spring MVC (servlet filters), in the same shape as the advice. */
@Component
public class ProblemWriter {

	private final JsonMapper json;

	ProblemWriter(JsonMapper json) {
		this.json = json;
	}

	public void write(HttpServletRequest request, HttpServletResponse response, ProblemException problem)
			throws IOException {
		ProblemDetail body = decorate(problem.toProblemDetail(), request);
		response.setStatus(problem.status().value());
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		response.setHeader("Connection", "close");
		this.json.writeValue(response.getOutputStream(), body);
	}

	static ProblemDetail decorate(ProblemDetail problem, HttpServletRequest request) {
		if (problem.getInstance() == null) {
			problem.setInstance(URI.create(request.getRequestURI()));
		}
		String requestId = RequestIdFilter.of(request);
		if (requestId != null) {
			problem.setProperty("requestId", requestId);
		}
		return problem;
	}

}
