package io.mlplatform.storage.web;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.tuple;

class ViolationsTests {

	@ParameterizedTest
	@ValueSource(strings = { "a", "0", "imagenet", "my-project", "a1", "1a", "team-nlp-2024", "a--b" })
	void acceptsDnsLabels(String name) {
		Violations violations = new Violations();

		violations.dnsLabel("name", name);

		assertThat(violations.isEmpty()).isTrue();
		assertThat(Violations.isDnsLabel(name)).isTrue();
	}

	@Test
	void acceptsDnsLabelsOfExactly63Characters() {
		assertThat(Violations.isDnsLabel("a".repeat(63))).isTrue();
		assertThat(Violations.isDnsLabel("a".repeat(64))).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "-a", "a-", "-", "A", "Imagenet", "a_b", "a.b", "a b", " a", "a/b", "ünicode", "a\n" })
	void rejectsNamesThatAreNotDnsLabels(String name) {
		Violations violations = new Violations();

		violations.dnsLabel("name", name);

		assertThat(Violations.isDnsLabel(name)).isFalse();
		assertSingleError(violations, "name", name, "DNS-1123 label");
	}

	@Test
	void rejectsNamesLongerThan63Characters() {
		Violations violations = new Violations();

		violations.dnsLabel("name", "a".repeat(64));

		assertSingleError(violations, "name", "a".repeat(64), "at most 63");
	}

	@Test
	void requiresAName() {
		Violations violations = new Violations();

		violations.dnsLabel("name", null);

		assertThat(Violations.isDnsLabel(null)).isFalse();
		assertSingleError(violations, "name", null, "is required");
	}

	@Test
	void acceptsMissingOrEmptyLabels() {
		Violations violations = new Violations();

		violations.labels("labels", null);
		violations.labels("labels", Map.of());

		assertThat(violations.isEmpty()).isTrue();
	}

	@Test
	void acceptsKubernetesStyleLabels() {
		Map<String, String> labels = new LinkedHashMap<>();
		labels.put("team", "nlp");
		labels.put("Team_2.x-y", "A.b_c-9");
		labels.put("example.com/team", "nlp");
		labels.put("app.kubernetes.io/name", "trainer");
		labels.put("a-b.c-d/x", "y");
		labels.put("empty", "");
		labels.put("k".repeat(63), "v".repeat(63));
		labels.put("x", "1");
		Violations violations = new Violations();

		violations.labels("labels", labels);

		assertThat(violations.isEmpty()).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "-team", "team-", "_team", "team.", "te am", "te$m", "tëam", "a/b/c", "team/" })
	void rejectsInvalidLabelKeyNames(String key) {
		Violations violations = new Violations();

		violations.labels("labels", Map.of(key, "v"));

		assertSingleError(violations, "labels." + key, key, "label key");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/team", "Example.com/team", "example_com/team", "-example.com/team", "example.com-/team",
			"example..com/team", ".example.com/team", "example.com./team", "exa mple.com/team" })
	void rejectsLabelKeyPrefixesThatAreNotDnsSubdomains(String key) {
		Violations violations = new Violations();

		violations.labels("labels", Map.of(key, "v"));

		assertSingleError(violations, "labels." + key, key, "prefix must be a DNS subdomain");
	}

	@Test
	void limitsLabelKeyNamesTo63Characters() {
		assertThat(Violations.labelKeyProblem("k".repeat(63))).isNull();
		assertThat(Violations.labelKeyProblem("k".repeat(64))).contains("at most 63 characters");
		assertThat(Violations.labelKeyProblem("example.com/" + "k".repeat(63))).isNull();
		assertThat(Violations.labelKeyProblem("example.com/" + "k".repeat(64))).contains("at most 63 characters");
	}

	@Test
	void limitsLabelKeyPrefixesTo253Characters() {
		String prefix = "a".repeat(61) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63);

		assertThat(prefix).hasSize(253);
		assertThat(Violations.labelKeyProblem(prefix + "/name")).isNull();
		assertThat(Violations.labelKeyProblem("x" + prefix + "/name")).contains("prefix");
	}

	@Test
	void describesEmptyLabelKeys() {
		assertThat(Violations.labelKeyProblem(null)).isEqualTo("label key must not be empty");
		assertThat(Violations.labelKeyProblem("")).isEqualTo("label key must not be empty");
	}

	@ParameterizedTest
	@ValueSource(strings = { "team", "a", "9", "Team", "a.b", "a_b", "a-b", "example.com/team", "x/y", "a.b-c.d/E_f.G-h" })
	void labelKeyProblemIsNullForValidKeys(String key) {
		assertThat(Violations.labelKeyProblem(key)).isNull();
	}

	@ParameterizedTest
	@ValueSource(strings = { "-nlp", "nlp-", "_nlp", "nlp.", "n lp", "n/lp", "nl$p", "nlpé" })
	void rejectsInvalidLabelValues(String value) {
		Violations violations = new Violations();

		violations.labels("labels", Map.of("team", value));

		assertSingleError(violations, "labels.team", value, "label value");
	}

	@Test
	void limitsLabelValuesTo63Characters() {
		Violations violations = new Violations();

		violations.labels("labels", Map.of("ok", "v".repeat(63), "long", "v".repeat(64)));

		assertSingleError(violations, "labels.long", "v".repeat(64), "at most 63 characters");
	}

	@Test
	void rejectsNullLabelValuesSuggestingAnEmptyString() {
		Map<String, String> labels = new HashMap<>();
		labels.put("team", null);
		Violations violations = new Violations();

		violations.labels("labels", labels);

		assertSingleError(violations, "labels.team", null, "use \"\"");
	}

	@Test
	void reportsBothABadKeyAndABadValueOfOneLabel() {
		Violations violations = new Violations();

		violations.labels("labels", Map.of("-k", "-v"));

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(violations::throwIfAny)
			.satisfies((ex) -> assertThat(ex.errors()).extracting(FieldError::field, FieldError::rejectedValue)
				.containsExactly(tuple("labels.-k", "-k"),
						tuple("labels.-k", "-v")));
	}

	@Test
	void acceptsUpTo64Labels() {
		Map<String, String> labels = new HashMap<>();
		for (int i = 0; i < 64; i++) {
			labels.put("k" + i, "v");
		}
		Violations violations = new Violations();

		violations.labels("labels", labels);

		assertThat(violations.isEmpty()).isTrue();
	}

	@Test
	void rejectsMoreThan64LabelsWithOneError() {
		Map<String, String> labels = new HashMap<>();
		for (int i = 0; i < 65; i++) {
			labels.put("-bad" + i, "v");
		}
		Violations violations = new Violations();

		violations.labels("labels", labels);

		assertSingleError(violations, "labels", "65 labels", "at most 64 labels");
	}

	@Test
	void collectsEveryProblemBeforeThrowing() {
		Violations violations = new Violations();

		violations.dnsLabel("name", "Bad_Name");
		violations.labels("labels", Map.of("team", "-nlp"));
		violations.nonNegative("maxStorages", -1);
		violations.maxLength("description", "d".repeat(11), 10);

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(violations::throwIfAny)
			.satisfies((ex) -> {
				assertThat(ex.status().value()).isEqualTo(400);
				assertThat(ex.type()).isEqualTo("validation-failed");
				assertThat(ex.errors()).extracting(FieldError::field)
					.containsExactly("name", "labels.team", "maxStorages", "description");
				assertThat(ex.getMessage()).contains("name: ", "labels.team: ", "maxStorages: ", "description: ");
			});
	}

	@Test
	void throwsNothingWithoutProblems() {
		Violations violations = new Violations();

		violations.dnsLabel("name", "imagenet");
		violations.labels("labels", Map.of("team", "nlp"));
		violations.nonNegative("maxStorages", 0);
		violations.nonNegative("maxStorages", null);
		violations.maxLength("description", "d".repeat(10), 10);
		violations.maxLength("description", null, 10);

		assertThat(violations.isEmpty()).isTrue();
		assertThatNoException().isThrownBy(violations::throwIfAny);
	}

	@Test
	void truncatesLongRejectedValuesForMaxLength() {
		Violations violations = new Violations();

		violations.maxLength("description", "d".repeat(1000), 10);

		assertSingleError(violations, "description", "d".repeat(80) + "…", "at most 10 characters");
	}

	@Test
	void addAllowsChaining() {
		Violations violations = new Violations().add("a", 1, "is wrong").add("b", 2, "is wrong too");

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(violations::throwIfAny)
			.satisfies((ex) -> assertThat(ex.errors()).containsExactly(new FieldError("a", 1, "is wrong"),
					new FieldError("b", 2, "is wrong too")));
	}

	private static void assertSingleError(Violations violations, String field, Object rejected, String message) {
		assertThat(violations.isEmpty()).isFalse();
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(violations::throwIfAny)
			.satisfies((ex) -> assertThat(ex.errors()).singleElement().satisfies((error) -> {
				assertThat(error.field()).isEqualTo(field);
				assertThat(error.rejectedValue()).isEqualTo(rejected);
				assertThat(error.message()).contains(message);
			}));
	}

}
