package io.mlplatform.storage.web;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import io.mlplatform.storage.web.LabelSelector.Operator;
import io.mlplatform.storage.web.LabelSelector.Requirement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class LabelSelectorTests {

	private static final Map<String, String> NLP_DEV = Map.of("team", "nlp", "env", "dev");

	private static final Map<String, String> VISION_PROD = Map.of("team", "vision", "env", "prod");

	private static final Map<String, String> NO_LABELS = Map.of();

	@ParameterizedTest
	@NullAndEmptySource
	@ValueSource(strings = { "   " })
	void missingSelectorMatchesEverything(String selector) {
		LabelSelector parsed = LabelSelector.parse(selector);

		assertThat(parsed.requirements()).isEmpty();
		assertThat(parsed.matches(NLP_DEV)).isTrue();
		assertThat(parsed.matches(NO_LABELS)).isTrue();
	}

	@Test
	void equalsMatchesOnlyThatValue() {
		LabelSelector selector = LabelSelector.parse("team=nlp");

		assertThat(selector.requirements()).containsExactly(new Requirement("team", Operator.EQUALS, Set.of("nlp")));
		assertThat(selector.matches(NLP_DEV)).isTrue();
		assertThat(selector.matches(VISION_PROD)).isFalse();
		assertThat(selector.matches(NO_LABELS)).isFalse();
	}

	@Test
	void doubleEqualsIsASynonymForEquals() {
		assertThat(LabelSelector.parse("team==nlp").requirements())
			.containsExactly(new Requirement("team", Operator.EQUALS, Set.of("nlp")));
	}

	@Test
	void notEqualsAlsoMatchesObjectsWithoutTheKey() {
		LabelSelector selector = LabelSelector.parse("team!=nlp");

		assertThat(selector.requirements())
			.containsExactly(new Requirement("team", Operator.NOT_EQUALS, Set.of("nlp")));
		assertThat(selector.matches(NLP_DEV)).isFalse();
		assertThat(selector.matches(VISION_PROD)).isTrue();
		assertThat(selector.matches(NO_LABELS)).isTrue();
	}

	@Test
	void inMatchesAnyListedValue() {
		LabelSelector selector = LabelSelector.parse("env in (dev,staging)");

		assertThat(selector.requirements())
			.containsExactly(new Requirement("env", Operator.IN, Set.of("dev", "staging")));
		assertThat(selector.matches(NLP_DEV)).isTrue();
		assertThat(selector.matches(Map.of("env", "staging"))).isTrue();
		assertThat(selector.matches(VISION_PROD)).isFalse();
		assertThat(selector.matches(NO_LABELS)).isFalse();
	}

	@Test
	void notInAlsoMatchesObjectsWithoutTheKey() {
		LabelSelector selector = LabelSelector.parse("env notin (dev,staging)");

		assertThat(selector.requirements())
			.containsExactly(new Requirement("env", Operator.NOT_IN, Set.of("dev", "staging")));
		assertThat(selector.matches(NLP_DEV)).isFalse();
		assertThat(selector.matches(Map.of("env", "staging"))).isFalse();
		assertThat(selector.matches(VISION_PROD)).isTrue();
		assertThat(selector.matches(NO_LABELS)).isTrue();
	}

	@Test
	void setOperatorsNeedNoSpaceBeforeTheParenthesis() {
		assertThat(LabelSelector.parse("env in(dev)").requirements())
			.containsExactly(new Requirement("env", Operator.IN, Set.of("dev")));
		assertThat(LabelSelector.parse("env notin(dev)").requirements())
			.containsExactly(new Requirement("env", Operator.NOT_IN, Set.of("dev")));
	}

	@Test
	void aBareKeyRequiresTheKeyWithAnyValue() {
		LabelSelector selector = LabelSelector.parse("team");

		assertThat(selector.requirements()).containsExactly(new Requirement("team", Operator.EXISTS, Set.of()));
		assertThat(selector.matches(NLP_DEV)).isTrue();
		assertThat(selector.matches(Map.of("team", ""))).isTrue();
		assertThat(selector.matches(Map.of("env", "dev"))).isFalse();
		assertThat(selector.matches(NO_LABELS)).isFalse();
	}

	@Test
	void aNegatedKeyRequiresTheKeyToBeAbsent() {
		LabelSelector selector = LabelSelector.parse("!legacy");

		assertThat(selector.requirements())
			.containsExactly(new Requirement("legacy", Operator.DOES_NOT_EXIST, Set.of()));
		assertThat(selector.matches(NLP_DEV)).isTrue();
		assertThat(selector.matches(NO_LABELS)).isTrue();
		assertThat(selector.matches(Map.of("legacy", "true"))).isFalse();
		assertThat(selector.matches(Map.of("legacy", ""))).isFalse();
	}

	@Test
	void anEmptyValueAfterEqualsSelectsTheEmptyLabelValue() {
		LabelSelector selector = LabelSelector.parse("team=");

		assertThat(selector.requirements()).containsExactly(new Requirement("team", Operator.EQUALS, Set.of("")));
		assertThat(selector.matches(Map.of("team", ""))).isTrue();
		assertThat(selector.matches(NLP_DEV)).isFalse();
		assertThat(selector.matches(NO_LABELS)).isFalse();
	}

	@Test
	void emptyParenthesesAreTheSetOfTheEmptyValueAsInKubernetes() {
		// k8s.io/apimachinery labels.Parser#parseValues answers "()" with {""}
		LabelSelector selector = LabelSelector.parse("team in ()");

		assertThat(selector.requirements()).containsExactly(new Requirement("team", Operator.IN, Set.of("")));
		assertThat(selector.matches(Map.of("team", ""))).isTrue();
		assertThat(selector.matches(NLP_DEV)).isFalse();
	}

	@Test
	void keysMayCarryADnsSubdomainPrefix() {
		LabelSelector selector = LabelSelector.parse("example.com/team=nlp,app.kubernetes.io/name in (trainer)");

		assertThat(selector.requirements()).containsExactly(
				new Requirement("example.com/team", Operator.EQUALS, Set.of("nlp")),
				new Requirement("app.kubernetes.io/name", Operator.IN, Set.of("trainer")));
		assertThat(selector.matches(Map.of("example.com/team", "nlp", "app.kubernetes.io/name", "trainer"))).isTrue();
		assertThat(selector.matches(Map.of("team", "nlp", "app.kubernetes.io/name", "trainer"))).isFalse();
	}

	@Test
	void keysAndValuesMayUseDotsDashesUnderscoresAndUpperCase() {
		LabelSelector selector = LabelSelector.parse("Model_Family.v2=GPT-2_small.v1");

		assertThat(selector.requirements())
			.containsExactly(new Requirement("Model_Family.v2", Operator.EQUALS, Set.of("GPT-2_small.v1")));
		assertThat(selector.matches(Map.of("Model_Family.v2", "GPT-2_small.v1"))).isTrue();
		assertThat(selector.matches(Map.of("model_family.v2", "GPT-2_small.v1"))).isFalse();
	}

	@Test
	void spacesAroundOperatorsCommasAndParenthesesAreIgnored() {
		LabelSelector spaced = LabelSelector
			.parse("  team = nlp ,  tier != cold , env in ( dev , prod ) , ! legacy ,  gpu  ");
		LabelSelector compact = LabelSelector.parse("team=nlp,tier!=cold,env in (dev,prod),!legacy,gpu");

		assertThat(spaced.requirements()).isEqualTo(compact.requirements());
		assertThat(compact.requirements()).containsExactly(
				new Requirement("team", Operator.EQUALS, Set.of("nlp")),
				new Requirement("tier", Operator.NOT_EQUALS, Set.of("cold")),
				new Requirement("env", Operator.IN, Set.of("dev", "prod")),
				new Requirement("legacy", Operator.DOES_NOT_EXIST, Set.of()),
				new Requirement("gpu", Operator.EXISTS, Set.of()));
	}

	@Test
	void allRequirementsMustMatch() {
		LabelSelector selector = LabelSelector.parse("team=nlp,tier!=cold,env in (dev,prod),!legacy,gpu");

		Map<String, String> all = Map.of("team", "nlp", "env", "dev", "gpu", "a100");
		assertThat(selector.matches(all)).isTrue();
		assertThat(selector.matches(Map.of("team", "nlp", "env", "dev", "gpu", "a100", "tier", "hot"))).isTrue();
		assertThat(selector.matches(Map.of("team", "nlp", "env", "dev", "gpu", "a100", "tier", "cold"))).isFalse();
		assertThat(selector.matches(Map.of("team", "nlp", "env", "dev", "gpu", "a100", "legacy", "yes"))).isFalse();
		assertThat(selector.matches(Map.of("team", "nlp", "env", "test", "gpu", "a100"))).isFalse();
		assertThat(selector.matches(Map.of("team", "nlp", "env", "dev"))).isFalse();
		assertThat(selector.matches(Map.of("team", "cv", "env", "dev", "gpu", "a100"))).isFalse();
	}

	@Test
	void operatorWordsCanBeKeys() {
		assertThat(LabelSelector.parse("in in (notin)").requirements())
			.containsExactly(new Requirement("in", Operator.IN, Set.of("notin")));
		assertThat(LabelSelector.parse("notin=in").requirements())
			.containsExactly(new Requirement("notin", Operator.EQUALS, Set.of("in")));
		assertThat(LabelSelector.parse("index").requirements())
			.containsExactly(new Requirement("index", Operator.EXISTS, Set.of()));
	}

	@Test
	void acceptsValuesOfUpTo63Characters() {
		String value = "v".repeat(63);

		assertThat(LabelSelector.parse("team=" + value).matches(Map.of("team", value))).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "in ()", "a b", "=x", "team in nlp", "team in (nlp", "team in (nlp,dev", "team notin (",
			"team=nlp,", ",team=nlp", "team=nlp,,env=dev", "!", "!team=nlp", "team!nlp", "team=nlp=x", "team=nlp)",
			"te$m=nlp", "-team=nlp", "team-=nlp", "Example.com/team=nlp", "/team=nlp", "example.com/=nlp",
			"a/b/c=nlp", "team=n/lp", "team=n*", "team in (a b)", "team < 3", "tëam=nlp" })
	void rejectsInvalidSelectorsNamingTheParameter(String selector) {
		InvalidRequestException ex = catchThrowableOfType(InvalidRequestException.class,
				() -> LabelSelector.parse(selector));

		assertThat(ex).as("selector '%s' is rejected", selector).isNotNull();
		assertThat(ex.status().value()).isEqualTo(400);
		assertThat(ex.type()).isEqualTo("validation-failed");
		assertThat(ex.errors()).singleElement().satisfies((error) -> {
			assertThat(error.field()).isEqualTo("labelSelector");
			assertThat(error.rejectedValue()).isEqualTo(selector);
			assertThat(error.message()).contains("key=value");
		});
	}

	@Test
	void rejectsValuesLongerThan63Characters() {
		String selector = "team=" + "v".repeat(64);

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse(selector))
			.satisfies((ex) -> assertThat(ex.errors()).singleElement().satisfies((error) -> {
				assertThat(error.field()).isEqualTo("labelSelector");
				assertThat(error.message()).contains("longer than 63 characters");
			}));
	}

	@Test
	void rejectsLongValuesInsideSets() {
		String selector = "team in (nlp," + "v".repeat(64) + ")";

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse(selector))
			.satisfies((ex) -> assertThat(ex.errors().get(0).field()).isEqualTo("labelSelector"));
	}

	@Test
	void rejectsKeyNamesLongerThan63Characters() {
		String selector = "k".repeat(64) + "=v";

		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse(selector))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("label key name"));
		assertThat(LabelSelector.parse("k".repeat(63) + "=v").requirements()).hasSize(1);
	}

	@Test
	void rejectsSelectorsLongerThan4096Characters() {
		String selector = "team in (" + "a,".repeat(2045) + "b)";

		assertThat(selector).hasSizeGreaterThan(4096);
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse(selector))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("4096"));
	}

	@Test
	void errorMessagesPointAtTheProblem() {
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse("team in nlp"))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("expected '('"));
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse("team in (nlp"))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("expected ')'"));
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse("a b"))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("after 'a'"));
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> LabelSelector.parse("=x"))
			.satisfies((ex) -> assertThat(ex.errors().get(0).message()).contains("must not be empty"));
	}

	@Test
	void equalSelectorsPrintTheSame() {
		assertThat(LabelSelector.parse("team = nlp , !legacy"))
			.hasToString(LabelSelector.parse("team=nlp,!legacy").toString());
	}

}
