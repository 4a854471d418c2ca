package io.mlplatform.storage.security;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-written checks on the request path must decide exactly as the Spring Security code they
 * replace: same tokens accepted, same errors, same header characters refused.
 */
class FastPathEquivalenceTests {

	@Test
	void headerRulesMatchTheFirewallsRegexesOnEveryCodePoint() {
		List<Integer> nameDisagreements = new ArrayList<>();
		List<Integer> valueDisagreements = new ArrayList<>();
		for (int codePoint = 0; codePoint <= Character.MAX_CODE_POINT; codePoint++) {
			String text = "a" + new String(Character.toChars(codePoint)) + "z";
			if (HeaderCharacters.isAllowedName(text) != StrictHttpFirewall.ALLOWED_HEADER_NAMES.test(text)) {
				nameDisagreements.add(codePoint);
			}
			if (HeaderCharacters.isAllowedValue(text) != StrictHttpFirewall.ALLOWED_HEADER_VALUES.test(text)) {
				valueDisagreements.add(codePoint);
			}
		}
		assertThat(nameDisagreements).isEmpty();
		assertThat(valueDisagreements).isEmpty();
		for (String text : new String[] { "", "x\u0000", "a\tb", "\uD800", "\uD83D\uDE00", "\r\n" }) {
			assertThat(HeaderCharacters.isAllowedName(text)).as(text).isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_NAMES.test(text));
			assertThat(HeaderCharacters.isAllowedValue(text)).as(text).isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_VALUES.test(text));
		}
		assertThat(HeaderCharacters.isAllowedValue("a\tb")).isTrue();
		assertThat(HeaderCharacters.isAllowedName("a\tb")).isFalse();
	}

	@Test
	void bearerResolverDecidesAsSpringSecuritysDefault() {
		String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
		List<String> headers = List.of("Bearer " + jwt, "bearer " + jwt, "BEARER " + jwt, "Bearer pss_ab12_c-d.e~f+g/h==",
				"Bearer abc=", "Bearer abc=d", "Bearer ", "Bearer", "Bearer  " + jwt, "Bearer " + jwt + " ",
				"Bearer " + jwt + "\t", "Bearer a b", "Bearer ä", "Bearer=abc", "Bearerabc", "Basic dXNlcjpwdw==",
				"bearertoken", "Token abc", "", " Bearer abc", "Bearer ===", "Bearer a%20b");
		for (String header : headers) {
			for (String query : new String[] { null, "pageSize=5", "access_token=other" }) {
				assertThat(outcome(new AuthorizationHeaderTokenResolver()::resolve, header, query))
					.as("Authorization: [%s], query: %s", header, query)
					.isEqualTo(outcome(new DefaultBearerTokenResolver()::resolve, header, query));
			}
		}
		assertThat(outcome(new AuthorizationHeaderTokenResolver()::resolve, "Bearer " + jwt, null)).isEqualTo(jwt);
		assertThat(outcome(new AuthorizationHeaderTokenResolver()::resolve, null, null)).isEqualTo("null");
	}

	private static String outcome(Function<MockHttpServletRequest, String> resolver, String header, String query) {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/v1/projects");
		if (header != null) {
			request.addHeader("Authorization", header);
		}
		if (query != null) {
			request.setQueryString(query);
			String[] pair = query.split("=", 2);
			request.addParameter(pair[0], pair[1]);
		}
		try {
			return String.valueOf(resolver.apply(request));
		}
		catch (OAuth2AuthenticationException ex) {
			return "error: " + ex.getError().getErrorCode() + " " + ex.getError().getDescription();
		}
	}

}
