package io.mlplatform.storage.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.tomcat.util.http.InvalidParameterException;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Decodes the query string before anything reads a parameter. Tomcat decodes parameters lazily and
 * throws on the first read of an undecodable one, which could be a controller's argument resolver, a
 * security filter or a log line: wherever it happened, it surfaced as a 500. Decoding here once makes
 * every such request a 400 problem, and later reads see parameters that are already parsed.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class RequestDecodingFilter extends OncePerRequestFilter {

	private final ProblemWriter problems;

	RequestDecodingFilter(ProblemWriter problems) {
		this.problems = problems;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		try {
			request.getParameterMap();
		}
		catch (InvalidParameterException ex) {
			// only a decoding failure has a cause (the charset's); the others are a count or a shape
			this.problems.write(request, response, ex.getCause() != null ? InvalidRequestException.undecodableQuery()
					: InvalidRequestException.unreadableQuery());
			return;
		}
		chain.doFilter(request, response);
	}

}
