package io.mlplatform.storage.web;

import java.io.IOException;
import java.io.Writer;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Tomcat refuses some requests before Spring sees them (an undecodable URL, a header or query string
 * over its limits) and would answer with an HTML page; this answers them as problem details too.
 * Instantiated by Tomcat by class name, so it depends on nothing but Tomcat.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		String type = switch (status) {
			case 400 -> "bad-request";
			case 404 -> "not-found";
			case 413 -> "payload-too-large";
			case 414 -> "uri-too-long";
			case 431 -> "headers-too-large";
			default -> status >= 500 ? "internal-error" : "http-" + status;
		};
		String detail = status >= 500 ? "Something went wrong on our side. Retry later."
				: "The request could not be read: check the URL encoding, the size of the query string and "
						+ "headers, and the request line.";
		String body = "{\"type\":\"" + ProblemException.TYPE_BASE + type + "\",\"title\":\"Request refused\","
				+ "\"status\":" + status + ",\"detail\":\"" + detail + "\"}";
		try {
			response.setContentType("application/problem+json");
			response.setCharacterEncoding("UTF-8");
			Writer writer = response.getReporter();
			if (writer != null) {
				writer.write(body);
				response.finishResponse();
			}
		}
		catch (IOException | IllegalStateException ex) {
			// the client is gone or the response is already on its way; nothing more to tell it
		}
	}

}
