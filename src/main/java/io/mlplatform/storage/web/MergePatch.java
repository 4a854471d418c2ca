package io.mlplatform.storage.web;

import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** JSON Merge Patch (RFC 7396): objects merge key by key, null removes, anything else replaces. */
public final class MergePatch {

	private MergePatch() {
	}

	/**
	 * Patches a resource, which is always a JSON object: a patch that is not an object would replace
	 * the whole resource with something that is not one, so it is refused.
	 * @throws InvalidRequestException when the patch is not a JSON object
	 */
	public static JsonNode applyToObject(JsonNode target, JsonNode patch) {
		if (patch == null || !patch.isObject()) {
			throw InvalidRequestException.malformedBody(
					"A merge patch (RFC 7396) of this resource must be a JSON object, e.g. {\"labels\": {\"tier\": \"hot\"}}.",
					List.of());
		}
		return apply(target, patch);
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
