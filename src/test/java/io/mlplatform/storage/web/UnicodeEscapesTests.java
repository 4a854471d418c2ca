package io.mlplatform.storage.web;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class UnicodeEscapesTests {

	@ParameterizedTest
	@ValueSource(strings = { "{\"a\": \"\\ud800\"}", "{\"a\": \"x\\uDC00\"}", "{\"a\": \"\\ud800\\u0041\"}",
			"{\"\\udbff\": 1}", "{\"a\": \"\\ude00\\ud83d\"}" })
	void findsEscapedHalvesOfSurrogatePairs(String json) {
		assertThat(UnicodeEscapes.unpairedSurrogate(json.getBytes(StandardCharsets.UTF_8))).isPositive();
		assertThat(UnicodeEscapes.unpairedSurrogate(json.getBytes(StandardCharsets.UTF_16))).isPositive();
		assertThat(UnicodeEscapes.unpairedSurrogate(json.getBytes(StandardCharsets.UTF_16LE))).isPositive();
	}

	@ParameterizedTest
	@ValueSource(strings = { "{\"a\": \"\\ud83d\\ude00\"}", "{\"a\": \"\\\\ud800\"}", "{\"a\": \"\\u00e9 é 😀\"}",
			"{\"a\": \"\\u12\"}", "{\"a\": \"é 😀\"}", "{}", "", "{\"a\": \"\\\\\\ud83d\\ude00\"}" })
	void letsTextAndEscapedBackslashesThrough(String json) {
		assertThat(UnicodeEscapes.unpairedSurrogate(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
		assertThat(UnicodeEscapes.unpairedSurrogate(json.getBytes(StandardCharsets.UTF_16))).isEqualTo(-1);
	}

}
