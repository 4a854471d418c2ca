package io.mlplatform.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Hostile requests for every operation of {@code openapi.yaml}, as raw bytes so that anything can be
 * sent. Every request that could change state (POST, PUT, PATCH, DELETE) carries at least one defect
 * the service must refuse (a broken body, missing or wrong credentials, a stale precondition, a
 * resource that does not exist); harmless oddities (odd headers, unknown parameters) come on top.
 * Reads get hostile parameters, paths and headers, and may legitimately succeed.
 */
final class HostileRequests {

	/** One request: what it is, whether it could have changed something, and its bytes. */
	record Hostile(String label, String method, String target, boolean mutation, byte[] bytes) {
	}

	/** An operation of the contract. */
	record Operation(String method, String template, List<JsonNode> parameters, JsonNode bodySchema, String contentType) {

		boolean mutation() {
			return !this.method.equals("GET");
		}

		boolean declaresHeader(String name) {
			return this.parameters.stream()
				.anyMatch(p -> p.path("in").asText().equals("header") && p.path("name").asText().equalsIgnoreCase(name));
		}

	}

	/** Credentials of the fixture: a valid one, and ones that must not get anywhere. */
	record Credentials(String admin, String foreignUser, String foreignProjectToken, String expired) {
	}

	private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

	private static final List<String> HOSTILE_SEGMENTS = List.of("..", "%2e%2e", "..%2f..%2fetc", "nlp%00", "%ff", "%zz",
			"nlp%2Fdata", "NLP", "a".repeat(300), "nlp;jsessionid=1", "%E2%80%AE", "nlp%0d%0aX-Injected:%201",
			"%c0%ae%c0%ae", "-", "00000000-0000-0000-0000-000000000000", "nlp.", "%20nlp", "%C3%A9", "%5c..%5c", "*",
			"$(id)", "'%20OR%201=1--", "%7B%7D", "0x1", "\u00ff");

	private static final List<String> HOSTILE_QUERY_VALUES = List.of("%ff", "%", "%zz", "%c0%af", "%ed%a0%80", "%00",
			"-1", "0", "501", "99999999999999999999", "1e3", "abc", "", "%20", "..%2F..", "a".repeat(5000),
			"team%3Dnlp,tier!%3Dcold,,", "a%20in%20(", "!!", "%3D", "(((", "x%0d%0aSet-Cookie:%20a=b", "Queued,Running",
			"%E2%80%AE", "null", "true", "%7B%22a%22:1%7D");

	private static final List<String> FORGED_PAGE_TOKENS = List.of(
			Base64.getUrlEncoder().encodeToString("{\"after\":\"zzz\"}".getBytes(StandardCharsets.UTF_8)),
			Base64.getUrlEncoder().encodeToString(new byte[64]), "AAAA", "....", "eyJ", "%2e%2e%2f", "a".repeat(2000),
			Base64.getUrlEncoder().encodeToString("1.00000000-0000-0000-0000-000000000000".getBytes(StandardCharsets.UTF_8)));

	private static final List<String> NOISE_HEADERS = List.of("X-Request-Id: ../../etc", "X-Request-Id: " + "r".repeat(300),
			"Accept-Charset: utf-7", "X-Forwarded-For: 127.0.0.1, evil", "Cookie: JSESSIONID=forged",
			"X-Http-Method-Override: DELETE", "Range: bytes=0-1", "Accept-Encoding: gzip;q=2, *;q=-1",
			"If-None-Match: W/\"bogus\"", "If-None-Match: \u00ff\u00fe", "If-Modified-Since: yesterday", "Expect: 100-continue");

	private final List<Operation> operations;

	private final Map<String, String> pathValues;

	private final Credentials credentials;

	private final String port;

	private final Random random;

	private final HostileBodies bodies;

	HostileRequests(Path contract, Map<String, String> pathValues, Credentials credentials, int port, long seed) {
		this.operations = operations(contract);
		this.pathValues = pathValues;
		this.credentials = credentials;
		this.port = String.valueOf(port);
		this.random = new Random(seed);
		this.bodies = new HostileBodies(this.components, this.random);
	}

	List<Operation> operations() {
		return this.operations;
	}

	/** {@code count} requests, spread over every operation in turn, with a few odd URLs among them. */
	List<Hostile> generate(int count) {
		List<Hostile> requests = new ArrayList<>();
		for (int i = 0; requests.size() < count; i++) {
			if (i % 25 == 24) {
				requests.add(oddUrl());
				continue;
			}
			Operation operation = this.operations.get(i % this.operations.size());
			requests.add(operation.mutation() ? mutation(operation) : read(operation));
		}
		return requests;
	}

	private Hostile read(Operation operation) {
		List<String> headers = new ArrayList<>();
		List<String> what = new ArrayList<>();
		String path = path(operation, this.random.nextInt(4) == 0, what);
		String query = query(operation, what);
		credentialsOrDefect(headers, what, this.random.nextInt(5) == 0, operation);
		noise(headers, what);
		return build(operation.method(), path + query, headers, null, false, what);
	}

	private Hostile mutation(Operation operation) {
		List<String> headers = new ArrayList<>();
		List<String> what = new ArrayList<>();
		boolean hasBody = operation.bodySchema() != null;
		int fatal = this.random.nextInt(hasBody ? 10 : 3);
		boolean badPath = !hasBody && fatal == 0;
		boolean badCredentials = hasBody ? fatal >= 8 : fatal == 1;
		boolean badPrecondition = !hasBody && fatal == 2;
		if (badPrecondition && !operation.declaresHeader("If-Match")) {
			badCredentials = true;
		}
		String path = path(operation, badPath, what);
		if (badPath && path.equals(path(operation, false, new ArrayList<>()))) {
			// a template without parameters: nothing to break there
			badCredentials = true;
		}
		String query = this.random.nextInt(4) == 0 ? query(operation, what) : "";
		credentialsOrDefect(headers, what, badCredentials, operation);
		if (badPrecondition && operation.declaresHeader("If-Match")) {
			headers.add("If-Match: " + pick(List.of("\"stale\"", "W/\"1\"", "\"\"", "garbage", "\"1\", \"2\"", "\u00ff")));
			what.add("stale If-Match");
		}
		byte[] body = null;
		if (hasBody) {
			body = this.bodies.body(operation.bodySchema(), operation.contentType(), headers, what, !badCredentials);
		}
		if (this.random.nextInt(3) == 0) {
			noise(headers, what);
		}
		return build(operation.method(), path + query, headers, body, true, what);
	}

	private String path(Operation operation, boolean hostile, List<String> what) {
		String path = operation.template();
		List<String> names = new ArrayList<>();
		for (int at = path.indexOf('{'); at >= 0; at = path.indexOf('{', at + 1)) {
			names.add(path.substring(at + 1, path.indexOf('}', at)));
		}
		String broken = hostile && !names.isEmpty() ? names.get(this.random.nextInt(names.size())) : null;
		for (String name : names) {
			String value = name.equals(broken) ? pick(HOSTILE_SEGMENTS) : this.pathValues.getOrDefault(name, "x");
			if (name.equals(broken)) {
				what.add("path " + name + "=" + value);
			}
			path = path.replace("{" + name + "}", value);
		}
		return path;
	}

	private String query(Operation operation, List<String> what) {
		List<JsonNode> query = operation.parameters().stream().filter(p -> p.path("in").asText().equals("query")).toList();
		StringBuilder text = new StringBuilder();
		for (JsonNode parameter : query) {
			if (this.random.nextBoolean()) {
				continue;
			}
			String name = parameter.path("name").asText();
			String value = name.equals("pageToken") && this.random.nextBoolean() ? pick(FORGED_PAGE_TOKENS)
					: pick(HOSTILE_QUERY_VALUES);
			text.append(text.isEmpty() ? "?" : "&").append(name).append('=').append(value);
			if (this.random.nextInt(6) == 0) {
				text.append('&').append(name).append('=').append(pick(HOSTILE_QUERY_VALUES));
			}
		}
		if (this.random.nextInt(4) == 0) {
			text.append(text.isEmpty() ? "?" : "&").append(pick(List.of("unknown=1", "%ff=1", "=", "&&&", "a=%", "a[b]=c")));
		}
		if (!text.isEmpty()) {
			what.add("query " + abbreviate(text.toString()));
		}
		return text.toString();
	}

	private void credentialsOrDefect(List<String> headers, List<String> what, boolean defect, Operation operation) {
		if (!defect) {
			headers.add("Authorization: Bearer " + this.credentials.admin());
			return;
		}
		List<String> choices = new ArrayList<>(List.of("", "Authorization: Bearer", "Authorization: Bearer garbage",
				"Authorization: Basic YWRtaW46YWRtaW4=", "Authorization: Bearer pss_" + "A".repeat(40),
				"Authorization: Bearer pss_00000000-0000-0000-0000-000000000000.secret",
				"Authorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
				"Authorization: Bearer " + this.credentials.expired(), "Authorization: Bearer a\u0000b",
				"Authorization: Bearer " + "x".repeat(6000), "Authorization: bearer\t" + this.credentials.admin() + "x",
				"Authorization: Bearer " + this.credentials.admin() + ", Bearer other",
				"Authorization: Bearer \u00ff\u00fe"));
		if (operation.template().contains("{project}")) {
			choices.add("Authorization: Bearer " + this.credentials.foreignUser());
			choices.add("Authorization: Bearer " + this.credentials.foreignProjectToken());
		}
		String header = pick(choices);
		if (!header.isEmpty()) {
			headers.add(header);
		}
		what.add("credentials " + abbreviate(header.isEmpty() ? "none" : header));
	}

	private void noise(List<String> headers, List<String> what) {
		int kind = this.random.nextInt(8);
		String header = switch (kind) {
			case 0 -> "X-Big: " + "b".repeat(9000);
			case 1 -> "X-Ctl: a\u0001b";
			case 2 -> "Accept: application/xml";
			case 3 -> "Accept: text/html;q=1, application/json;q=0";
			default -> pick(NOISE_HEADERS);
		};
		headers.add(header);
		what.add("header " + abbreviate(header));
	}

	private Hostile oddUrl() {
		String admin = "Authorization: Bearer " + this.credentials.admin();
		List<String[]> odd = List.of(new String[] { "GET", "//api/v1/projects" }, new String[] { "GET", "/api/v1/projects/" },
				new String[] { "GET", "/api/v1//projects" }, new String[] { "GET", "/api/v1/projects/./nlp" },
				new String[] { "GET", "/api/v1/projects/nlp/../nlp" }, new String[] { "GET", "/API/V1/projects" },
				new String[] { "GET", "/api/v1/projects?" }, new String[] { "GET", "/api/v1/projects#frag" },
				new String[] { "GET", "*" }, new String[] { "GET", "http://evil.example/api/v1/projects" },
				new String[] { "GET", "/api/v1/projects/nlp:cancel" }, new String[] { "GET", "/api/v1/projects/a b" },
				new String[] { "GET", "/api/v1/projects/" + "p".repeat(10_000) }, new String[] { "GET", "/api/v1\\projects" },
				new String[] { "GET", "/api/v1/projects/%5c" }, new String[] { "TRACE", "/api/v1/projects" },
				new String[] { "OPTIONS", "/api/v1/projects" }, new String[] { "HEAD", "/api/v1/projects/nlp" },
				new String[] { "FOO", "/api/v1/projects" }, new String[] { "get", "/api/v1/projects" },
				new String[] { "GET", "/api/v1/projects/nlp/storages/data/backups/x:cancel:cancel" },
				new String[] { "GET", "/api/v1/projects;x=1/nlp" }, new String[] { "GET", "/api/v1/projects/%2e" },
				new String[] { "GET", "/actuator/../api/v1/projects" }, new String[] { "GET", "/api/v1/projects\u0000" },
				new String[] { "GET", "/api/v1/projects?labelSelector=" + "x".repeat(12_000) });
		String[] pick = pick(odd);
		List<String> headers = new ArrayList<>(List.of(admin));
		return build(pick[0], pick[1], headers, null, false, new ArrayList<>(List.of("odd URL")));
	}

	private Hostile build(String method, String target, List<String> headers, byte[] body, boolean mutation,
			List<String> what) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: localhost:" + this.port + "\r\nConnection: close\r\n")
			.getBytes(StandardCharsets.ISO_8859_1));
		for (String header : headers) {
			out.writeBytes((header + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
		}
		if (body != null) {
			out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
		}
		out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
		if (body != null) {
			out.writeBytes(body);
		}
		return new Hostile(String.join("; ", what), method, abbreviate(target), mutation, out.toByteArray());
	}

	private JsonNode components;

	private List<Operation> operations(Path contract) {
		JsonNode doc;
		try {
			doc = YAML.readTree(Files.readString(contract));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.components = doc.path("components");
		List<Operation> found = new ArrayList<>();
		doc.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
			List<JsonNode> parameters = new ArrayList<>();
			op.getValue().path("parameters").forEach(parameters::add);
			JsonNode content = op.getValue().path("requestBody").path("content");
			String contentType = content.fieldNames().hasNext() ? content.fieldNames().next() : null;
			JsonNode body = contentType == null ? null : content.path(contentType).path("schema");
			found.add(new Operation(op.getKey().toUpperCase(), path.getKey(), parameters, body, contentType));
		}));
		return found;
	}

	private <T> T pick(List<T> choices) {
		return choices.get(this.random.nextInt(choices.size()));
	}

	/** Short and printable, so that a report of a finding survives XML and a terminal. */
	static String abbreviate(String text) {
		StringBuilder printable = new StringBuilder();
		text.chars()
			.limit(200)
			.forEach(c -> printable.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "\\u%04x".formatted(c)));
		return text.length() <= 200 ? printable.toString() : printable + "…(" + text.length() + ")";
	}

}
