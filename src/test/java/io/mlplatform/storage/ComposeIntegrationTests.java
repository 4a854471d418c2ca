package io.mlplatform.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.mlplatform.storage.security.SecurityProperties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker compose up} without an identity provider of one's own: the local provider, configured as
 * {@code docker-compose.yml} configures it (the very file it mounts), and the service with the security
 * settings compose gives it, where only the provider's address differs ({@code oidc:8080} in compose, this
 * JVM's loopback here). A user fetches tokens the way the README's compose section says, through another
 * host name than the service knows the provider by, and they act as a platform admin and a project member.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "logging.level.io.zonky=WARN", "logging.level.org.springframework=WARN",
				"logging.level.org.flywaydb=WARN", "logging.level.io.fabric8=WARN", "pss.worker.scheduler-enabled=false",
				OwnDatabase.NAME + "=compose" })
@Import({ TestInfrastructure.class, OwnDatabase.class })
class ComposeIntegrationTests {

	private static final ComposeFile COMPOSE = ComposeFile.read();

	private static final Pattern STATUS = Pattern.compile("^HTTP-STATUS (\\d{3})$", Pattern.MULTILINE);

	private static final Pattern VARIABLE = Pattern.compile("^(PSS_TOKEN|MEMBER_TOKEN)=(.*)$", Pattern.MULTILINE);

	private static MockOAuth2Server oidc;

	private static int oidcPort;

	@LocalServerPort
	private int port;

	@Autowired
	private JdbcClient db;

	/** Where the compose network has the provider: {@code http://oidc:<its SERVER_PORT>}. */
	private static String composeAddress() {
		return "http://oidc:" + COMPOSE.environment("oidc", Map.of()).get("SERVER_PORT");
	}

	/** Where this JVM has it; the service is told this address, as compose tells it {@link #composeAddress()}. */
	private static String localAddress() {
		oidc();
		return "http://127.0.0.1:" + oidcPort;
	}

	/** The provider with the configuration compose mounts into its container, compose's address of it made ours. */
	static synchronized MockOAuth2Server oidc() {
		if (oidc == null) {
			try {
				String mounted = Files.readString(
						COMPOSE.mounted("oidc", COMPOSE.environment("oidc", Map.of()).get("JSON_CONFIG_PATH")));
				assertThat(mounted).contains(composeAddress());
				try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
					oidcPort = probe.getLocalPort();
				}
				String config = mounted.replace(composeAddress(), "http://127.0.0.1:" + oidcPort);
				oidc = new MockOAuth2Server(OAuth2Config.Companion.fromJson(config));
				oidc.start(InetAddress.getLoopbackAddress(), oidcPort);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}
		return oidc;
	}

	@AfterAll
	static void stopProvider() {
		if (oidc != null) {
			oidc.shutdown();
		}
	}

	/** The security settings compose gives the service, bound as the service binds them. */
	@DynamicPropertySource
	static void composeSecurity(DynamicPropertyRegistry registry) {
		SecurityProperties security = ComposeFile.binder(COMPOSE.environment("service", Map.of()))
			.bindOrCreate("pss.security", SecurityProperties.class);
		registry.add("pss.security.issuer-uri", () -> security.issuerUri().replace(composeAddress(), localAddress()));
		registry.add("pss.security.audience", security::audience);
		registry.add("pss.security.groups-claim", security::groupsClaim);
		registry.add("pss.security.admin-groups", () -> String.join(",", security.adminGroups()));
		IntegrationTestSupport.standIns(registry);
	}

	@BeforeEach
	void emptyDatabase() {
		oidc();
		this.db.sql("TRUNCATE projects, audit_events CASCADE").update();
	}

	@Test
	void tokensFetchedAsTheReadmeSaysActAsAPlatformAdminAndAProjectMember() throws Exception {
		Map<String, String> tokens = new LinkedHashMap<>();
		List<Integer> statuses = new ArrayList<>();
		String output = runReadmeTokenExamples(tokens, statuses);

		assertThat(statuses).as(output).containsExactly(201, 200);
		assertThat(output).contains("\"items\":[]");
		assertThat(tokens).containsOnlyKeys("PSS_TOKEN", "MEMBER_TOKEN");
		// fetched from localhost, yet issued by the name the service knows the provider by
		assertThat(claims(tokens.get("PSS_TOKEN"))).containsEntry("iss", localAddress() + "/default")
			.containsEntry("sub", "admin");
		assertThat(this.db.sql("SELECT count(*) FROM audit_events WHERE actor = 'user:admin'").query(Long.class).single())
			.isPositive();

		ApiClient admin = new ApiClient(this.port).as(tokens.get("PSS_TOKEN"));
		ApiClient member = new ApiClient(this.port).as(tokens.get("MEMBER_TOKEN"));
		assertThat(admin.post("/api/v1/projects", "{\"name\": \"vision\"}").status()).isEqualTo(201);
		assertThat(member.get("/api/v1/projects/nlp").status()).isEqualTo(200);
		assertThat(member.post("/api/v1/projects/nlp/storages", "{\"name\": \"scratch\", \"capacity\": \"1Gi\"}").status())
			.as("a member reads and backs up, an owner creates").isEqualTo(403);
		assertThat(member.get("/api/v1/projects/vision").status()).isEqualTo(404);
	}

	/** The provider signs tokens of other issuers too; the service accepts only those of the one compose names. */
	@Test
	void aTokenOfAnotherIssuerOfTheProviderIsRefused() throws Exception {
		String other = oidc().issueToken("other", "admin", "project-storage-service",
				Map.of("groups", List.of("platform-admins")), 600).serialize();

		assertThat(new ApiClient(this.port).as(other).get("/api/v1/clusters").status()).isEqualTo(401);
	}

	/**
	 * Runs the README's token block with bash and curl, the provider and service at this test's ports instead
	 * of compose's published ones; collects the tokens it leaves in the shell and the status of each call.
	 */
	private String runReadmeTokenExamples(Map<String, String> tokens, List<Integer> statuses) throws Exception {
		String readme = Files.readString(Path.of("README.md"));
		String section = readme.substring(readme.indexOf("### Tokens from the local identity provider"));
		Matcher block = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(section);
		assertThat(block.find()).isTrue();
		String publishedProvider = "http://localhost:" + COMPOSE.publishedPort("oidc", 8080);
		String publishedService = "http://localhost:" + COMPOSE.publishedPort("service", 8080);
		assertThat(block.group(1)).contains(publishedProvider, publishedService);
		String script = "set -euo pipefail\n"
				+ "curl() { command curl --max-time 20 -w '\\nHTTP-STATUS %{http_code}\\n' \"$@\"; }\n"
				+ block.group(1)
					.replace(publishedProvider, "http://localhost:" + oidcPort)
					.replace(publishedService, "http://localhost:" + this.port)
				+ "echo \"PSS_TOKEN=$PSS_TOKEN\"\necho \"MEMBER_TOKEN=$MEMBER_TOKEN\"\n";

		Process process = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(output).isZero();

		Matcher variable = VARIABLE.matcher(output);
		while (variable.find()) {
			assertThat(variable.group(2)).as(variable.group(1) + " in\n" + output).isNotBlank();
			tokens.put(variable.group(1), variable.group(2));
		}
		Matcher status = STATUS.matcher(output);
		while (status.find()) {
			statuses.add(Integer.parseInt(status.group(1)));
		}
		return output;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> claims(String jwt) {
		byte[] payload = Base64.getUrlDecoder().decode(jwt.split("\\.")[1]);
		return JsonMapper.builder().build().readValue(payload, Map.class);
	}

}
