package io.mlplatform.storage.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;

class MergePatchTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	/** Every example of RFC 7396 Appendix A, in order: original, patch, result. */
	@ParameterizedTest(name = "{0} + {1} = {2}")
	@CsvSource(delimiter = '|', quoteCharacter = '\'', textBlock = """
			{"a":"b"}                             | {"a":"c"}                            | {"a":"c"}
			{"a":"b"}                             | {"b":"c"}                            | {"a":"b","b":"c"}
			{"a":"b"}                             | {"a":null}                           | {}
			{"a":"b","b":"c"}                     | {"a":null}                           | {"b":"c"}
			{"a":["b"]}                           | {"a":"c"}                            | {"a":"c"}
			{"a":"c"}                             | {"a":["b"]}                          | {"a":["b"]}
			{"a":{"b":"c"}}                       | {"a":{"b":"d","c":null}}             | {"a":{"b":"d"}}
			{"a":[{"b":"c"}]}                     | {"a":[1]}                            | {"a":[1]}
			["a","b"]                             | ["c","d"]                            | ["c","d"]
			{"a":"b"}                             | ["c"]                                | ["c"]
			{"a":"foo"}                           | null                                 | null
			{"a":"foo"}                           | "bar"                                | "bar"
			{"e":null}                            | {"a":1}                              | {"e":null,"a":1}
			[1,2]                                 | {"a":"b","c":null}                   | {"a":"b"}
			{}                                    | {"a":{"bb":{"ccc":null}}}            | {"a":{"bb":{}}}
			""")
	void appliesTheRfc7396AppendixAExamples(String original, String patch, String expected) {
		assertThat(MergePatch.apply(json(original), json(patch))).isEqualTo(json(expected));
	}

	@Test
	void leavesTheTargetAndThePatchUnchanged() {
		JsonNode target = json("{\"a\":{\"b\":\"c\",\"d\":[1]},\"e\":\"f\"}");
		JsonNode patch = json("{\"a\":{\"b\":null,\"x\":{\"y\":1}},\"e\":null}");
		JsonNode targetBefore = target.deepCopy();
		JsonNode patchBefore = patch.deepCopy();

		JsonNode result = MergePatch.apply(target, patch);

		assertThat(result).isEqualTo(json("{\"a\":{\"d\":[1],\"x\":{\"y\":1}}}"));
		assertThat(target).isEqualTo(targetBefore);
		assertThat(patch).isEqualTo(patchBefore);
	}

	@Test
	void theResultSharesNoNodesWithThePatch() {
		JsonNode patch = json("{\"a\":{\"b\":[1,2]}}");

		JsonNode result = MergePatch.apply(json("{}"), patch);
		((ObjectNode) result.get("a")).put("b", "changed");

		assertThat(patch).isEqualTo(json("{\"a\":{\"b\":[1,2]}}"));
	}

	@Test
	void anObjectPatchOnAMissingTargetBuildsAnObjectWithoutNulls() {
		assertThat(MergePatch.apply(null, json("{\"a\":1,\"b\":null,\"c\":{\"d\":null}}")))
			.isEqualTo(json("{\"a\":1,\"c\":{}}"));
	}

	@Test
	void anEmptyPatchChangesNothing() {
		JsonNode target = json("{\"name\":\"imagenet\",\"labels\":{\"team\":\"nlp\"}}");

		assertThat(MergePatch.apply(target, json("{}"))).isEqualTo(target);
	}

	@Test
	void mergesLabelsKeyByKey() {
		JsonNode target = json("{\"capacity\":\"500Gi\",\"labels\":{\"team\":\"nlp\",\"tier\":\"hot\"}}");
		JsonNode patch = json("{\"capacity\":\"1Ti\",\"labels\":{\"tier\":null,\"env\":\"dev\"}}");

		assertThat(MergePatch.apply(target, patch))
			.isEqualTo(json("{\"capacity\":\"1Ti\",\"labels\":{\"team\":\"nlp\",\"env\":\"dev\"}}"));
	}

	@Test
	void scalarsReplaceScalarsOfAnotherType() {
		assertThat(MergePatch.apply(json("{\"a\":1}"), json("{\"a\":\"1\"}"))).isEqualTo(json("{\"a\":\"1\"}"));
		assertThat(MergePatch.apply(json("{\"a\":true}"), json("{\"a\":{}}"))).isEqualTo(json("{\"a\":{}}"));
	}

	private static JsonNode json(String text) {
		return JSON.readTree(text);
	}

}
