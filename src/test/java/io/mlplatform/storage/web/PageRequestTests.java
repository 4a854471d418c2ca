package io.mlplatform.storage.web;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PageRequestTests {

	private static final String QUERY = "projects?team=nlp";

	@Test
	void defaultsToFiftyPerPageFromTheStart() {
		PageRequest page = PageRequest.of(null, null, QUERY);

		assertThat(page.pageSize()).isEqualTo(50).isEqualTo(PageRequest.DEFAULT_SIZE);
		assertThat(page.after()).isNull();
	}

	@ParameterizedTest
	@ValueSource(ints = { 1, 2, 50, 499, 500 })
	void acceptsPageSizesFromOneTo500(int size) {
		assertThat(PageRequest.of(size, null, QUERY).pageSize()).isEqualTo(size);
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, -1, 501, 10_000, Integer.MIN_VALUE, Integer.MAX_VALUE })
	void rejectsPageSizesOutsideOneTo500NamingTheParameter(int size) {
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> PageRequest.of(size, null, QUERY))
			.satisfies((ex) -> {
				assertThat(ex.status().value()).isEqualTo(400);
				assertThat(ex.type()).isEqualTo("validation-failed");
				assertThat(ex.errors()).singleElement().satisfies((error) -> {
					assertThat(error.field()).isEqualTo("pageSize");
					assertThat(error.rejectedValue()).isEqualTo(size);
					assertThat(error.message()).contains("between 1 and 500");
				});
			});
	}

	@Test
	void anEmptyTokenStartsFromTheFirstPage() {
		assertThat(PageRequest.of(10, "", QUERY).after()).isNull();
	}

	@Test
	void aTokenResumesAfterTheLastKeyOfThePreviousPage() {
		PageRequest first = PageRequest.of(10, null, QUERY);

		String token = first.tokenAfter("imagenet");
		PageRequest second = PageRequest.of(10, token, QUERY);

		assertThat(second.after()).isEqualTo("imagenet");
		assertThat(second.pageSize()).isEqualTo(10);
		assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
	}

	@Test
	void tokensAreUrlSafeAndUnpadded() {
		String token = PageRequest.of(null, null, QUERY).tokenAfter("a-0");

		assertThat(token).matches("[A-Za-z0-9_-]+");
		assertThat(PageRequest.of(null, token, QUERY).after()).isEqualTo("a-0");
	}

	@ParameterizedTest
	@ValueSource(strings = { "a", "0", "nlp-team", "s-00025", "a23456789012345678901234567890123456789012345678901234567890123" })
	void everyNameRoundTrips(String lastKey) {
		String token = PageRequest.of(null, null, QUERY).tokenAfter(lastKey);

		assertThat(PageRequest.of(null, token, QUERY).after()).isEqualTo(lastKey);
	}

	/** Lists are keyed by name, so a token carrying anything else was forged (or is from a bug). */
	@ParameterizedTest
	@ValueSource(strings = { "", "key with spaces", "multi\nline\nkey", "a\u0000b", "\u00fcnic\u00f6de", "Upper", "-a" })
	void refusesATokenWhoseKeyIsNotAName(String lastKey) {
		String token = PageRequest.of(null, null, QUERY).tokenAfter(lastKey);

		assertThatThrownBy(() -> PageRequest.of(null, token, QUERY)).isInstanceOf(InvalidRequestException.class)
			.satisfies(ex -> assertThat(((InvalidRequestException) ex).type()).isEqualTo("invalid-page-token"));
	}

	@Test
	void theNextPageMayUseAnotherPageSize() {
		String token = PageRequest.of(10, null, QUERY).tokenAfter("k");

		assertThat(PageRequest.of(100, token, QUERY).after()).isEqualTo("k");
	}

	@Test
	void theFingerprintDependsOnlyOnTheQuery() {
		assertThat(PageRequest.of(10, null, QUERY).fingerprint()).isEqualTo(PageRequest.of(20, null, QUERY).fingerprint())
			.matches("[0-9a-f]{12}");
		assertThat(PageRequest.of(10, null, QUERY).fingerprint())
			.isNotEqualTo(PageRequest.of(10, null, "projects?team=cv").fingerprint());
	}

	@Test
	void refusesATokenIssuedForAnotherQuery() {
		String token = PageRequest.of(10, null, "projects?team=nlp").tokenAfter("imagenet");

		assertInvalidPageToken(() -> PageRequest.of(10, token, "projects?team=cv"));
	}

	@ParameterizedTest
	@ValueSource(strings = { "!!!", "not a token", "abc=def", "a", "====", "a+b/", "%41" })
	void refusesTokensThatAreNotBase64Url(String token) {
		assertInvalidPageToken(() -> PageRequest.of(10, token, QUERY));
	}

	@Test
	void refusesWellFormedBase64WithoutAFingerprint() {
		String token = Base64.getUrlEncoder().encodeToString("imagenet".getBytes(StandardCharsets.UTF_8));

		assertInvalidPageToken(() -> PageRequest.of(10, token, QUERY));
	}

	@Test
	void refusesATokenWithAForgedFingerprint() {
		String token = Base64.getUrlEncoder()
			.withoutPadding()
			.encodeToString("000000000000\nimagenet".getBytes(StandardCharsets.UTF_8));

		assertInvalidPageToken(() -> PageRequest.of(10, token, QUERY));
	}

	@Test
	void checksThePageSizeBeforeTheToken() {
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> PageRequest.of(0, "!!!", QUERY))
			.satisfies((ex) -> assertThat(ex.type()).isEqualTo("validation-failed"));
	}

	private static void assertInvalidPageToken(Runnable call) {
		assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(call::run).satisfies((ex) -> {
			assertThat(ex.status().value()).isEqualTo(400);
			assertThat(ex.type()).isEqualTo("invalid-page-token");
			assertThat(ex.errors()).isEmpty();
			assertThat(ex.getMessage()).contains("pageToken");
			assertThat(ex.toProblemDetail().getType().toString()).endsWith("/problems/invalid-page-token");
		});
	}

}
