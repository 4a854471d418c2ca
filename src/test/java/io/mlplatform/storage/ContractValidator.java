package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;

/**
 * Checks what the tests send and what the service answers against {@code openapi.yaml}, the contract
 * clients are generated from (and mover calls against {@code openapi-mover.yaml}): an answer with a status the operation does not declare, a field its
 * schema lacks or a wrong type fails the test that saw it.
 */
public final class ContractValidator {

	private static final ContractValidator INSTANCE = new ContractValidator(
			Map.of("/api/", Path.of("openapi.yaml"), "/internal/mover/", Path.of("openapi-mover.yaml")));

	/** Each contract, by the path prefix of the operations it describes. */
	private final Map<String, Path> contracts;

	private final Map<String, OpenApiInteractionValidator> validators = new LinkedHashMap<>();

	private ContractValidator(Map<String, Path> contracts) {
		this.contracts = contracts;
		contracts.forEach((prefix, contract) -> this.validators.put(prefix, validator(contract)));
	}

	private static OpenApiInteractionValidator validator(Path contract) {
		String yaml;
		try {
			yaml = Files.readString(contract);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return OpenApiInteractionValidator.createForInlineApiSpecification(yaml)
			.withLevelResolver(LevelResolver.create()
				// a URL or method the contract does not have (a test of 404 and 405): nothing to check it against
				.withLevel("validation.request.path.missing", ValidationReport.Level.IGNORE)
				.withLevel("validation.request.operation.notAllowed", ValidationReport.Level.IGNORE)
				// whether credentials are sent is what the service's own 401 tests are about
				.withLevel("validation.request.security", ValidationReport.Level.IGNORE)
				.build())
			.build();
	}

	public static ContractValidator get() {
		return INSTANCE;
	}

	/** Throws an AssertionError naming every way the exchange departs from the contract. */
	public void check(String method, String pathAndQuery, Map<String, List<String>> requestHeaders, String requestBody,
			int status, Map<String, List<String>> responseHeaders, String responseBody, boolean checkRequest) {
		int query = pathAndQuery.indexOf('?');
		String path = query < 0 ? pathAndQuery : pathAndQuery.substring(0, query);
		String prefix = this.validators.keySet().stream().filter(path::startsWith).findFirst().orElse(null);
		if (prefix == null) {
			return;
		}
		OpenApiInteractionValidator validator = this.validators.get(prefix);
		Request.Method verb = Request.Method.valueOf(method.toUpperCase(Locale.ROOT));
		List<String> problems = new ArrayList<>();
		if (checkRequest) {
			SimpleRequest.Builder request = new SimpleRequest.Builder(verb, path);
			requestHeaders.forEach(request::withHeader);
			queryParameters(query < 0 ? "" : pathAndQuery.substring(query + 1)).forEach(request::withQueryParam);
			if (requestBody != null) {
				request.withBody(requestBody);
			}
			problems.addAll(errors("request", validator.validateRequest(request.build())));
		}
		SimpleResponse.Builder response = SimpleResponse.Builder.status(status);
		responseHeaders.forEach(response::withHeader);
		if (responseBody != null && !responseBody.isEmpty()) {
			response.withBody(responseBody);
		}
		else if (responseHeaders.entrySet()
			.stream()
			.anyMatch(header -> header.getKey().equalsIgnoreCase("Content-Type")
					&& header.getValue().contains("application/octet-stream"))) {
			// an empty file is an empty binary body, which the validator would take for a missing one
			response.withBody(" ");
		}
		problems.addAll(errors("response", validator.validateResponse(path, verb, response.build())));
		if (!problems.isEmpty()) {
			throw new AssertionError("%s %s -> %d departs from %s:%n  %s%n  body: %s".formatted(method,
					pathAndQuery, status, this.contracts.get(prefix), String.join("\n  ", problems),
					abbreviate(responseBody)));
		}
	}

	private static List<String> errors(String side, ValidationReport report) {
		return report.getMessages()
			.stream()
			.filter(message -> message.getLevel() == ValidationReport.Level.ERROR)
			.map(message -> side + ": [" + message.getKey() + "] " + message.getMessage()
					+ message.getContext().map(context -> " " + context.getLocation()).orElse(""))
			.collect(Collectors.toList());
	}

	private static Map<String, List<String>> queryParameters(String query) {
		Map<String, List<String>> parameters = new LinkedHashMap<>();
		for (String pair : query.split("&")) {
			if (pair.isEmpty()) {
				continue;
			}
			int equals = pair.indexOf('=');
			String name = decode(equals < 0 ? pair : pair.substring(0, equals));
			String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
			parameters.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
		}
		return parameters;
	}

	private static String decode(String text) {
		return URLDecoder.decode(text, StandardCharsets.UTF_8);
	}

	private static String abbreviate(String body) {
		return body == null || body.length() <= 600 ? body : body.substring(0, 600) + "…";
	}

}
