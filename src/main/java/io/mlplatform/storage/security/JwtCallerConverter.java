package io.mlplatform.storage.security;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.oauth2.jwt.Jwt;

/** A user's JWT becomes a {@link Caller}: subject, groups, and admin when in an admin group. */
class JwtCallerConverter implements Converter<Jwt, AbstractAuthenticationToken> {

	private final SecurityProperties properties;

	JwtCallerConverter(SecurityProperties properties) {
		this.properties = properties;
	}

	@Override
	public AbstractAuthenticationToken convert(Jwt jwt) {
		Set<String> groups = new LinkedHashSet<>();
		Object claim = jwt.getClaims().get(this.properties.groupsClaim());
		if (claim instanceof Collection<?> values) {
			values.forEach(value -> groups.add(String.valueOf(value)));
		}
		else if (claim instanceof String value) {
			groups.add(value);
		}
		boolean admin = groups.stream().anyMatch(this.properties.adminGroups()::contains);
		return new CallerAuthentication(new Caller("user:" + jwt.getSubject(), Set.copyOf(groups), admin, null, null));
	}

}
