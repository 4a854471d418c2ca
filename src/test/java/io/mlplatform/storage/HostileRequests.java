package io.mlplatform.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

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

	/** Values a field of this name must refuse, by name wherever it appears in a body. */
	private static final Map<String, List<Object>> HOSTILE_VALUES = Map.ofEntries(
			Map.entry("name", List.of("../x", "a\u0000b", "A_B", "x".repeat(300), "\u0007", "@@c0af@@", "@@e080af@@", "",
					"\u202enlp", "a/b", " ")),
			Map.entry("capacity", List.of("-1Gi", "1.5.5", "1e999", "9999999Ei", "\u0661Gi", "1Gi\u0000", "Gi", "0x10",
					"1 Gi", "@@ff@@")),
			Map.entry("schedule", List.of("99 * * * *", "* * *", "@every 1s", "* * * * * * * *", "\u0000", "L W # ?")),
			Map.entry("timeZone", List.of("Mars/Base", "../../etc/passwd", "UTC\u0000", "GMT+99", "")),
			Map.entry("paths", List.of(List.of("../etc"), List.of("/abs"), List.of("a/../../b"), List.of("a\u0000"),
					List.of("./a"), List.of("a//b"))),
			Map.entry("mode", List.of("overwrite", "MERGE", "")), Map.entry("role", List.of("admin", "OWNER", "")),
			Map.entry("backup", List.of("not-a-uuid", "../x", "00000000-0000-0000-0000-00000000000g")),
			Map.entry("expiresAt", List.of("yesterday", "1970-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z")),
			Map.entry("maxStorages", List.of(-1, 1e20, "3")),
			Map.entry("keepLast", List.of(-5, 1e12, "3")),
			Map.entry("namespace", List.of("kube-system/../x", "A", "a".repeat(70))),
			Map.entry("apiServerUrl", List.of("file:///etc/passwd", "http://[::1", "javascript:alert(1)")),
			Map.entry("path", List.of("../../../etc/passwd", "/etc/passwd", "~/.kube/config")));

	private static final List<String> NOISE_HEADERS = List.of("X-Request-Id: ../../etc", "X-Request-Id: " + "r".repeat(300),
			"Accept-Charset: utf-7", "X-Forwarded-For: 127.0.0.1, evil", "Cookie: JSESSIONID=forged",
			"X-Http-Method-Override: DELETE", "Range: bytes=0-1", "Accept-Encoding: gzip;q=2, *;q=-1",
			"If-None-Match: W/\"bogus\"", "If-None-Match: \u00ff\u00fe", "If-Modified-Since: yesterday", "Expect: 100-continue");

	private final List<Operation> operations;

	private final Map<String, String> pathValues;

	private final Credentials credentials;

	private final String port;

	private final Random random;

	HostileRequests(Path contract, Map<String, String> pathValues, Credentials credentials, int port, long seed) {
		this.operations = operations(contract);
		this.pathValues = pathValues;
		this.credentials = credentials;
		this.port = String.valueOf(port);
		this.random = new Random(seed);
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
			body = body(operation, headers, what, !badCredentials);
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

	/** A body with one defect the service must refuse, with the content type that goes with it. */
	private byte[] body(Operation operation, List<String> headers, List<String> what, boolean mustBeFatal) {
		ObjectNode valid = (ObjectNode) example(operation.bodySchema(), 0);
		String contentType = operation.contentType();
		int kind = this.random.nextInt(16);
		byte[] body;
		String defect;
		switch (kind) {
			case 0 -> {
				valid.put("unexpected", 1);
				body = bytes(valid);
				defect = "unknown field";
			}
			case 1 -> {
				body = wrongType(valid);
				defect = "wrong type";
			}
			case 2 -> {
				String text = valid.toString();
				String first = valid.fieldNames().hasNext() ? valid.fieldNames().next() : "name";
				body = ("{\"" + first + "\": 1, " + text.substring(1)).getBytes(StandardCharsets.UTF_8);
				defect = "duplicate key";
			}
			case 3 -> {
				int depth = pick(List.of(200, 2000, 20000));
				body = ("{\"labels\": " + "[".repeat(depth) + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
				defect = "nesting " + depth;
			}
			case 4 -> {
				body = pick(List.of("", "null", "[]", "\"text\"", "42", "{", "{\"name\": ", "not json", "{}}",
						"{\"a\":1} {\"b\":2}", "\u0000{}", "{'name': 'x'}", "{\"name\": \"x\",}")).getBytes(StandardCharsets.UTF_8);
				defect = "not a JSON object";
			}
			case 5 -> {
				valid.put("unexpected", "x".repeat(300_000));
				body = bytes(valid);
				defect = "oversized";
			}
			case 6 -> {
				contentType = pick(List.of("text/plain", "application/xml", "application/x-www-form-urlencoded",
						"multipart/form-data; boundary=x", "application/json;charset=foo", "application/*", "",
						"application/json-patch+json", "../../json"));
				valid.put("unexpected", 1);
				body = bytes(valid);
				defect = "content type " + contentType;
			}
			case 7 -> {
				valid.put("unexpected", 1);
				body = valid.toString().getBytes(pick(List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE,
						StandardCharsets.UTF_16BE)));
				defect = "UTF-16 body";
			}
			case 8 -> {
				String text = valid.toString();
				int cut = Math.max(1, text.length() / 2);
				body = concat(text.substring(0, cut).getBytes(StandardCharsets.UTF_8),
						HexFormat.of().parseHex(pick(List.of("ff", "c0af", "e080af", "eda080", "f8888080", "80", "fe"))),
						text.substring(cut).getBytes(StandardCharsets.UTF_8));
				defect = "invalid UTF-8";
			}
			default -> {
				body = hostileValue(valid, what);
				defect = body == null ? null : "hostile value";
				if (body == null) {
					valid.put("unexpected", 1);
					body = bytes(valid);
					defect = "unknown field";
				}
			}
		}
		if (!mustBeFatal && this.random.nextBoolean()) {
			// credentials are the defect: the body may as well be valid
			body = bytes(valid);
			defect = "valid body";
		}
		if (!contentType.isEmpty()) {
			headers.add("Content-Type: " + contentType);
		}
		what.add("body " + defect);
		return body;
	}

	private byte[] wrongType(ObjectNode valid) {
		ObjectNode copy = valid.deepCopy();
		List<String> names = new ArrayList<>();
		copy.fieldNames().forEachRemaining(names::add);
		if (names.isEmpty()) {
			return "[]".getBytes(StandardCharsets.UTF_8);
		}
		String name = pick(names);
		JsonNode value = copy.get(name);
		JsonNode wrong = value.isTextual() ? pick(List.of(NODES.numberNode(5), NODES.objectNode(), NODES.arrayNode(),
				NODES.booleanNode(true)))
				: value.isNumber() ? pick(List.of(NODES.textNode("3"), NODES.objectNode(), NODES.booleanNode(true)))
						: value.isBoolean() ? pick(List.of(NODES.textNode("yes"), NODES.numberNode(1), NODES.objectNode()))
								: value.isArray() ? pick(List.of(NODES.textNode("x"), NODES.objectNode(), NODES.numberNode(7)))
										: pick(List.of(NODES.textNode("x"), NODES.arrayNode(), NODES.numberNode(7)));
		copy.set(name, wrong);
		return bytes(copy);
	}

	/** Replaces one field whose name has known hostile values; null when the body has none. */
	private byte[] hostileValue(ObjectNode valid, List<String> what) {
		List<ObjectNode> owners = new ArrayList<>();
		List<String> names = new ArrayList<>();
		collect(valid, owners, names);
		if (names.isEmpty()) {
			return null;
		}
		int at = this.random.nextInt(names.size());
		Object value = pick(HOSTILE_VALUES.get(names.get(at)));
		ObjectNode owner = owners.get(at);
		JsonNode previous = owner.get(names.get(at));
		owner.set(names.get(at), JSON.valueToTree(value));
		what.add(names.get(at) + "=" + abbreviate(String.valueOf(value)));
		String text = valid.toString();
		owner.set(names.get(at), previous);
		// byte sequences JSON text cannot carry are spliced in where @@hex@@ stands
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		int from = 0;
		for (int start = text.indexOf("@@"); start >= 0; start = text.indexOf("@@", from)) {
			int end = text.indexOf("@@", start + 2);
			out.writeBytes(text.substring(from, start).getBytes(StandardCharsets.UTF_8));
			out.writeBytes(HexFormat.of().parseHex(text.substring(start + 2, end)));
			from = end + 2;
		}
		out.writeBytes(text.substring(from).getBytes(StandardCharsets.UTF_8));
		return out.toByteArray();
	}

	private static void collect(ObjectNode node, List<ObjectNode> owners, List<String> names) {
		for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
			Map.Entry<String, JsonNode> field = it.next();
			if (HOSTILE_VALUES.containsKey(field.getKey())) {
				owners.add(node);
				names.add(field.getKey());
			}
			if (field.getValue() instanceof ObjectNode child) {
				collect(child, owners, names);
			}
		}
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

	/** A plausible value of a schema: examples where the contract gives them, else something of the right type. */
	private JsonNode example(JsonNode schema, int depth) {
		schema = resolve(schema);
		if (schema.has("example")) {
			return schema.get("example");
		}
		if (schema.has("enum")) {
			return schema.get("enum").get(0);
		}
		String type = schema.path("type").asText(schema.has("properties") ? "object" : "string");
		return switch (type) {
			case "object" -> {
				ObjectNode object = NODES.objectNode();
				if (depth < 3) {
					schema.path("properties").fields().forEachRemaining(p -> object.set(p.getKey(), example(p.getValue(), depth + 1)));
				}
				yield object;
			}
			case "array" -> {
				ArrayNode array = NODES.arrayNode();
				array.add(example(schema.path("items"), depth + 1));
				yield array;
			}
			case "integer", "number" -> NODES.numberNode(1);
			case "boolean" -> NODES.booleanNode(true);
			default -> NODES.textNode("x");
		};
	}

	private JsonNode components;

	private JsonNode resolve(JsonNode schema) {
		while (schema.has("$ref")) {
			String ref = schema.get("$ref").asText();
			schema = this.components.path("schemas").path(ref.substring(ref.lastIndexOf('/') + 1));
		}
		return schema;
	}

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

	private static byte[] bytes(JsonNode node) {
		return node.toString().getBytes(StandardCharsets.UTF_8);
	}

	private static byte[] concat(byte[]... parts) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (byte[] part : parts) {
			out.writeBytes(part);
		}
		return out.toByteArray();
	}

	private static String abbreviate(String text) {
		return text.length() <= 80 ? text : text.substring(0, 80) + "…(" + text.length() + ")";
	}

}
