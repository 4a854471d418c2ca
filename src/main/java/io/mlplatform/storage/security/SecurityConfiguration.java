package io.mlplatform.storage.security;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.firewall.StrictHttpFirewall;

import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.web.ProblemWriter;
import io.mlplatform.storage.web.UnauthorizedException;

/**
 * Every API call needs a bearer token: a user's OIDC JWT or a project API token ({@code pss_…}).
 * What the caller may do is decided per project where the project is loaded, so that a caller
 * without access gets the same 404 as for a project that does not exist.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

	/**
	 * The mover API authenticates each call by its run token itself ({@code MoverRuns}): no user or CI
	 * credential is looked at there, and the chain below refuses run tokens (they are neither).
	 */
	@Bean
	@Order(0)
	SecurityFilterChain moverApiChain(HttpSecurity http) throws Exception {
		http.securityMatcher(MoverProtocol.RUNS + "/**")
			.csrf(csrf -> csrf.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache(cache -> cache.disable())
			.logout(logout -> logout.disable())
			.servletApi(servletApi -> servletApi.disable())
			.authorizeHttpRequests(requests -> requests.anyRequest().permitAll());
		return http.build();
	}

	@Bean
	SecurityFilterChain api(HttpSecurity http, JwtDecoder jwtDecoder, SecurityProperties properties,
			ObjectProvider<AuthenticationProvider> otherProviders, ProblemWriter problems) throws Exception {
		JwtAuthenticationProvider jwt = new JwtAuthenticationProvider(jwtDecoder);
		jwt.setJwtAuthenticationConverter(new JwtCallerConverter(properties));
		// API tokens first: their provider skips anything that is not a pss_ token
		List<AuthenticationProvider> providers = new ArrayList<>(otherProviders.orderedStream().toList());
		providers.add(jwt);
		ProviderManager bearer = new ProviderManager(providers);
		http.csrf(csrf -> csrf.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache(cache -> cache.disable())
			// no sessions to log out of, and nothing reads the caller through the servlet API: two fewer
			// filters (and request wrappers) on every call
			.logout(logout -> logout.disable())
			.servletApi(servletApi -> servletApi.disable())
			.authorizeHttpRequests(requests -> requests
				.requestMatchers("/actuator/health/**", "/actuator/info", "/actuator/prometheus", "/v3/api-docs", "/v3/api-docs/**",
						"/v3/api-docs.yaml", "/swagger-ui.html", "/swagger-ui/**", "/error")
				.permitAll()
				.anyRequest()
				.authenticated())
			.oauth2ResourceServer(resourceServer -> resourceServer.authenticationManagerResolver(request -> bearer)
				.bearerTokenResolver(new AuthorizationHeaderTokenResolver())
				.authenticationEntryPoint((request, response, ex) -> {
					boolean sent = request.getHeader("Authorization") != null;
					response.setHeader("WWW-Authenticate", sent ? "Bearer error=\"invalid_token\"" : "Bearer");
					problems.write(request, response, sent ? UnauthorizedException.invalid() : UnauthorizedException.missing());
				}));
		return http.build();
	}

	/** Spring Security's strict firewall, with its header rules checked by loops instead of a regex. */
	@Bean
	WebSecurityCustomizer firewall() {
		StrictHttpFirewall firewall = new StrictHttpFirewall();
		firewall.setAllowedHeaderNames(HeaderCharacters::isAllowedName);
		firewall.setAllowedHeaderValues(HeaderCharacters::isAllowedValue);
		return web -> web.httpFirewall(firewall);
	}

	/**
	 * Request metrics come from the web layer's own observation; one more observation around each of
	 * the security chain's filters cost the hot read path about half its throughput.
	 */
	@Bean
	SecurityObservationSettings securityObservations() {
		return SecurityObservationSettings.noObservations();
	}

	/**
	 * Fetches the issuer's keys on first use, not at start, so the service starts while the identity
	 * provider is briefly unreachable.
	 */
	@Bean
	JwtDecoder jwtDecoder(SecurityProperties properties, Clock clock) {
		return new CachingJwtDecoder(new SupplierJwtDecoder(() -> {
			NimbusJwtDecoder decoder = (NimbusJwtDecoder) JwtDecoders.fromIssuerLocation(properties.issuerUri());
			List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
			validators.add(JwtValidators.createDefaultWithIssuer(properties.issuerUri()));
			if (!properties.audience().isEmpty()) {
				validators.add(new JwtClaimValidator<List<String>>("aud",
						aud -> aud != null && aud.contains(properties.audience())));
			}
			decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(validators));
			return decoder;
		}), clock);
	}

}
