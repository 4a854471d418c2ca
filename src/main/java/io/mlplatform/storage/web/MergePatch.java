package io.mlplatform.storage.web;

import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** JSON Merge Patch (RFC 7396): objects merge key by key, null removes, anything else replaces. */
public final class MergePatch {

	private MergePatch() {
	}

	public static JsonNode apply(JsonNode target, JsonNode patch) {
		if (!patch.isObject()) {
			return patch.deepCopy();
		}
		ObjectNode result = target != null && target.isObject() ? (ObjectNode) target.deepCopy()
				: ((ObjectNode) patch).objectNode();
		for (Map.Entry<String, JsonNode> entry : patch.properties()) {
			if (entry.getValue().isNull()) {
				result.remove(entry.getKey());
			}
			else {
				result.set(entry.getKey(), apply(result.get(entry.getKey()), entry.getValue()));
			}
		}
		return result;
	}

}
