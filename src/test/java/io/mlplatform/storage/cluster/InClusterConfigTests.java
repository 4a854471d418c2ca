package io.mlplatform.storage.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.client.Config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class InClusterConfigTests {

	private static final Map<String, String> POD = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
			"KUBERNETES_SERVICE_PORT", "443");

	@Test
	void usesThePodsServiceAccountAndReadsTheTokenAgainAfterTheKubeletRotatesIt(@TempDir Path account) throws Exception {
		Files.writeString(account.resolve("token"), "first\n");
		Files.writeString(account.resolve("ca.crt"), "not checked here");

		Config config = InClusterConfig.of(POD, account);

		assertThat(config.getMasterUrl()).startsWith("https://10.96.0.1:443");
		assertThat(config.getCaCertFile()).isEqualTo(account.resolve("ca.crt").toString());
		assertThat(config.getOauthTokenProvider().getToken()).isEqualTo("first");
		Files.writeString(account.resolve("token"), "rotated");
		assertThat(config.getOauthTokenProvider().getToken()).isEqualTo("rotated");
	}

	@Test
	void aKubeconfigVisibleToTheProcessIsNotUsed(@TempDir Path account) throws Exception {
		Files.writeString(account.resolve("token"), "t");
		Path kubeconfig = account.resolve("kubeconfig");
		Files.writeString(kubeconfig, ClusterApiIntegrationTests.kubeconfig("https://elsewhere.example:6443", "token: other"));
		String previous = System.setProperty("kubeconfig", kubeconfig.toString());
		try {
			Config config = InClusterConfig.of(POD, account);

			assertThat(config.getMasterUrl()).doesNotContain("elsewhere");
			assertThat(config.getOauthToken()).isNull();
		}
		finally {
			if (previous == null) {
				System.clearProperty("kubeconfig");
			}
			else {
				System.setProperty("kubeconfig", previous);
			}
		}
	}

	@Test
	void outsideAPodItSaysWhatIsMissing(@TempDir Path account) throws Exception {
		assertThatIllegalStateException().isThrownBy(() -> InClusterConfig.of(Map.of(), account))
			.withMessageContaining("KUBERNETES_SERVICE_HOST");
		assertThatIllegalStateException().isThrownBy(() -> InClusterConfig.of(POD, account))
			.withMessageContaining("token");
	}

	@Test
	void apiServerUrlsAreComparedAsAClientReachesThem() {
		assertThat(ApiServers.same("https://10.0.0.1:6443", "https://10.0.0.1:6443/")).isTrue();
		assertThat(ApiServers.same("https://API.example", "https://api.example:443")).isTrue();
		assertThat(ApiServers.same("https://api.example:6443", "https://api.example.attacker:6443")).isFalse();
		assertThat(ApiServers.same("http://api.example", "https://api.example")).isFalse();
		assertThat(ApiServers.same("not a url", "https://api.example")).isFalse();
	}

}
