package io.mlplatform.storage;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

/**
 * Request bodies for {@link HostileRequests}: a plausible body built from the operation's schema,
 * then broken in one way the service must refuse (its shape, its encoding, its content type, or a
 * field given a value that field must never take).
 */
final class HostileBodies {

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

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
			Map.entry("path", List.of("../../../etc/passwd", "/etc/passwd", "~/.kube/config")),
			Map.entry("labels", List.of(Map.of("a", "b\u0000"), Map.of("../x", "y"), Map.of("k", "v".repeat(100)),
					Map.of("", ""), Map.of("\ud800", "x"), Map.of("team", "\u202e"))),
			Map.entry("owners", List.of(List.of("nobody"), List.of("user:\u0000"), List.of("group:" + "g".repeat(1000)),
					List.of("user:"))),
			Map.entry("members", List.of(List.of("everyone"), List.of("group:\ud800"))),
			Map.entry("displayName", List.of("a\u0000b", "x".repeat(300))),
			Map.entry("storageClass", List.of("../x", "A B", "\u0000")),
			Map.entry("accessMode", List.of("ReadWriteSometimes", "")),
			Map.entry("cluster", List.of("nowhere", "../local", "LOCAL")));

	private final JsonNode components;

	private final Random random;

	HostileBodies(JsonNode components, Random random) {
		this.components = components;
		this.random = random;
	}

	/** A body with one defect the service must refuse, with the content type that goes with it. */
	byte[] body(JsonNode schema, String declaredContentType, List<String> headers, List<String> what, boolean mustBeFatal) {
		ObjectNode valid = (ObjectNode) example(schema, 0);
		String contentType = declaredContentType;
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
		what.add(names.get(at) + "=" + HostileRequests.abbreviate(String.valueOf(value)));
		String text = escapeSurrogates(valid.toString());
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

	/** UTF-8 has no bytes for half a surrogate pair (Java would send '?'); JSON has an escape for it. */
	private static String escapeSurrogates(String json) {
		StringBuilder escaped = new StringBuilder();
		json.chars()
			.forEach(c -> escaped.append(Character.isSurrogate((char) c) ? "\\u%04x".formatted(c) : String.valueOf((char) c)));
		return escaped.toString();
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

	private JsonNode resolve(JsonNode schema) {
		while (schema.has("$ref")) {
			String ref = schema.get("$ref").asText();
			schema = this.components.path("schemas").path(ref.substring(ref.lastIndexOf('/') + 1));
		}
		return schema;
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

}
