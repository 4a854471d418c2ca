package io.mlplatform.storage.web;

import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

class PreconditionsTests {

	private static final String CURRENT = "\"abc\"";

	private static final String STALE = "\"old\"";

	@Test
	void noPreconditionsAllowEveryWrite() {
		assertThatNoException().isThrownBy(() -> Preconditions.NONE.checkWrite(CURRENT));
		assertThatNoException().isThrownBy(() -> Preconditions.NONE.checkWrite(null));
	}

	@Test
	void ifMatchWithTheCurrentStrongTagAllowsTheWrite() {
		assertThatNoException().isThrownBy(() -> ifMatch(CURRENT).checkWrite(CURRENT));
	}

	@Test
	void ifMatchWithAStaleTagFailsNamingTheCurrentTag() {
		assertPreconditionFailed(() -> ifMatch(STALE).checkWrite(CURRENT), CURRENT);
	}

	@Test
	void ifMatchComparesWholeQuotedTags() {
		assertPreconditionFailed(() -> ifMatch("abc").checkWrite(CURRENT), "If-Match");
		assertPreconditionFailed(() -> ifMatch("\"ab\"").checkWrite(CURRENT), "If-Match");
		assertPreconditionFailed(() -> ifMatch("\"ABC\"").checkWrite(CURRENT), "If-Match");
	}

	@Test
	void ifMatchOnAMissingResourceFailsEvenWithAMatchingTag() {
		assertPreconditionFailed(() -> ifMatch(CURRENT).checkWrite(null), "does not exist");
	}

	@Test
	void ifMatchStarRequiresTheResourceToExist() {
		assertThatNoException().isThrownBy(() -> ifMatch("*").checkWrite(CURRENT));
		assertPreconditionFailed(() -> ifMatch("*").checkWrite(null), "does not exist");
	}

	@Test
	void weakTagsNeverSatisfyIfMatch() {
		assertPreconditionFailed(() -> ifMatch("W/" + CURRENT).checkWrite(CURRENT), CURRENT);
	}

	@Test
	void ifMatchAcceptsAnyTagOfAList() {
		assertThatNoException().isThrownBy(() -> ifMatch("\"a\", \"b\"").checkWrite("\"b\""));
		assertThatNoException().isThrownBy(() -> ifMatch("\"a\",\"b\"").checkWrite("\"a\""));
		assertThatNoException().isThrownBy(() -> ifMatch("W/\"b\", \"b\"").checkWrite("\"b\""));
		assertPreconditionFailed(() -> ifMatch("\"a\", \"b\"").checkWrite("\"c\""), "\"c\"");
		assertPreconditionFailed(() -> ifMatch("W/\"a\", W/\"b\"").checkWrite("\"b\""), "\"b\"");
	}

	@Test
	void ifNoneMatchStarOnAnExistingResourceFails() {
		assertPreconditionFailed(() -> ifNoneMatch("*").checkWrite(CURRENT), "If-None-Match");
	}

	@Test
	void ifNoneMatchStarOnAMissingResourceAllowsTheCreate() {
		assertThatNoException().isThrownBy(() -> ifNoneMatch("*").checkWrite(null));
	}

	@Test
	void ifNoneMatchWithTheCurrentTagFailsTheWriteUsingWeakComparison() {
		assertPreconditionFailed(() -> ifNoneMatch(CURRENT).checkWrite(CURRENT), CURRENT);
		assertPreconditionFailed(() -> ifNoneMatch("W/" + CURRENT).checkWrite(CURRENT), CURRENT);
		assertPreconditionFailed(() -> ifNoneMatch("\"x\", " + CURRENT).checkWrite(CURRENT), CURRENT);
	}

	@Test
	void ifNoneMatchWithAnotherTagAllowsTheWrite() {
		assertThatNoException().isThrownBy(() -> ifNoneMatch(STALE).checkWrite(CURRENT));
		assertThatNoException().isThrownBy(() -> ifNoneMatch(STALE).checkWrite(null));
	}

	@Test
	void ifMatchIsCheckedBeforeIfNoneMatch() {
		Preconditions both = new Preconditions(STALE, "*");

		assertPreconditionFailed(() -> both.checkWrite(CURRENT), "If-Match does not match");
	}

	@Test
	void bothHeadersTogetherMustHold() {
		assertThatNoException().isThrownBy(() -> new Preconditions(CURRENT, STALE).checkWrite(CURRENT));
		assertPreconditionFailed(() -> new Preconditions(CURRENT, "*").checkWrite(CURRENT), "If-None-Match");
	}

	@Test
	void notModifiedWithoutIfNoneMatchIsFalse() {
		assertThat(Preconditions.NONE.notModified(CURRENT)).isFalse();
		assertThat(ifMatch(CURRENT).notModified(CURRENT)).isFalse();
	}

	@Test
	void notModifiedWhenIfNoneMatchHoldsTheCurrentTag() {
		assertThat(ifNoneMatch(CURRENT).notModified(CURRENT)).isTrue();
	}

	@Test
	void notModifiedUsesWeakComparison() {
		assertThat(ifNoneMatch("W/" + CURRENT).notModified(CURRENT)).isTrue();
	}

	@Test
	void notModifiedWithStar() {
		assertThat(ifNoneMatch("*").notModified(CURRENT)).isTrue();
	}

	@Test
	void modifiedWhenIfNoneMatchHoldsOtherTags() {
		assertThat(ifNoneMatch(STALE).notModified(CURRENT)).isFalse();
		assertThat(ifNoneMatch("W/" + STALE).notModified(CURRENT)).isFalse();
		assertThat(ifNoneMatch("\"a\", \"b\"").notModified(CURRENT)).isFalse();
		assertThat(ifNoneMatch("").notModified(CURRENT)).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "\"abc\", \"b\"", "\"a\", \"abc\"", "\"a\",\"abc\"", "  \"a\" ,  W/\"abc\"  ",
			"\"a\", W/\"b\", \"abc\"" })
	void notModifiedWhenAnyTagOfAListMatches(String header) {
		assertThat(ifNoneMatch(header).notModified(CURRENT)).isTrue();
	}

	@Test
	void etagsAreQuotedStrongAndStable() {
		UUID id = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");

		String etag = Preconditions.etag(id, 3, "x", 42);

		assertThat(etag).matches("\"[A-Za-z0-9_-]{22}\"");
		assertThat(etag).doesNotStartWith("W/");
		assertThat(Preconditions.etag(id, 3, "x", 42)).isEqualTo(etag);
	}

	@Test
	void etagsChangeWithIdVersionAndExtraState() {
		UUID id = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
		UUID other = UUID.fromString("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

		String etag = Preconditions.etag(id, 3, "x");

		assertThat(Preconditions.etag(id, 4, "x")).isNotEqualTo(etag);
		assertThat(Preconditions.etag(other, 3, "x")).isNotEqualTo(etag);
		assertThat(Preconditions.etag(id, 3, "y")).isNotEqualTo(etag);
		assertThat(Preconditions.etag(id, 3)).isNotEqualTo(etag);
	}

	@Test
	void anEtagSatisfiesItsOwnIfMatch() {
		String etag = Preconditions.etag(UUID.randomUUID(), 1);

		assertThatNoException().isThrownBy(() -> ifMatch(etag).checkWrite(etag));
		assertThat(ifNoneMatch(etag).notModified(etag)).isTrue();
	}

	private static Preconditions ifMatch(String header) {
		return new Preconditions(header, null);
	}

	private static Preconditions ifNoneMatch(String header) {
		return new Preconditions(null, header);
	}

	private static void assertPreconditionFailed(Runnable call, String detailContains) {
		assertThatExceptionOfType(PreconditionFailedException.class).isThrownBy(call::run).satisfies((ex) -> {
			assertThat(ex.status().value()).isEqualTo(412);
			assertThat(ex.type()).isEqualTo("precondition-failed");
			assertThat(ex.errors()).isEmpty();
			assertThat(ex.getMessage()).contains(detailContains);
		});
	}

}
