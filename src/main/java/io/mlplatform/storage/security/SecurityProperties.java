package io.mlplatform.storage.security;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param issuerUri the OIDC issuer whose JWTs are accepted (discovery at {@code /.well-known/openid-configuration})
 * @param audience the audience a JWT must name; empty accepts any
 * @param groupsClaim the claim that lists the caller's groups
 * @param adminGroups groups whose members are platform admins
 */
@ConfigurationProperties("pss.security")
public record SecurityProperties(@DefaultValue("http://localhost:8090/default") String issuerUri,
		@DefaultValue("project-storage-service") String audience, @DefaultValue("groups") String groupsClaim,
		@DefaultValue("platform-admins") List<String> adminGroups) {
}
