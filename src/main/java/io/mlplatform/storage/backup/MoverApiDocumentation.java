package io.mlplatform.storage.backup;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.swagger.v3.core.util.Json;

import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.models.GroupedOpenApi;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.web.OpenApiConfiguration;

/**
 * The mover API's contract ({@code openapi-mover.yaml}, served at {@code /v3/api-docs/mover}) apart
 * from the public one: movers are not API clients, and their run tokens are not accepted there.
 */
@Configuration(proxyBeanMethods = false)
class MoverApiDocumentation {

	static final String TAG = "Mover";

	@Bean
	GroupedOpenApi moverApiGroup() {
		return GroupedOpenApi.builder()
			.group("mover")
			.pathsToMatch(MoverProtocol.RUNS + "/**")
			.addOpenApiCustomizer(openApi -> {
				openApi.info(new Info().title("Project Storage Service — mover API")
					.version("v1")
					.description("What a mover (the backup engine next to the data) calls with its run's one-time token. "
							+ "Internal: reachable from the storage clusters, not a client API. Errors are RFC 9457 "
							+ "problem details; 409 lease-lost or run-ended means stop."));
				openApi.getComponents()
					.addSecuritySchemes("run", new SecurityScheme().type(SecurityScheme.Type.HTTP)
						.scheme("bearer")
						.description("The run's one-time token (pssrun_…), valid while the run holds its lease"));
				openApi.getComponents().getSecuritySchemes().remove("bearer");
				openApi.setSecurity(List.of(new SecurityRequirement().addList("run")));
				OpenApiConfiguration.problemSchemas(openApi.getComponents());
				Map<String, String> problems = new TreeMap<>(Map.of("400",
						"Invalid input (type validation-failed): nothing was changed", "401",
						"No run token, or not this run's (type invalid-run-token)", "403",
						"Not this run's to read or write (type object-not-allowed)", "409",
						"lease-lost or run-ended: stop; content-not-stored: the bucket lacks what was to be recorded",
						"500", "Our fault; report the requestId", "503", "Try again after Retry-After"));
				openApi.getPaths().values().forEach(item -> item.readOperations().forEach(operation -> problems
					.forEach((status, description) -> operation.getResponses().addApiResponse(status,
							new ApiResponse().description(description).content(new Content().addMediaType(
									"application/problem+json", new MediaType().schema(
											new Schema<>().$ref("#/components/schemas/Problem"))))))));
			})
			.build();
	}

	/** The public contract ({@code openapi.yaml}) leaves the mover API out: its paths, tag and schemas. */
	@Bean
	OpenApiCustomizer withoutMoverApi() {
		return openApi -> {
			openApi.getPaths().keySet().removeIf(path -> path.startsWith(MoverProtocol.RUNS));
			if (openApi.getTags() != null) {
				openApi.getTags().removeIf(tag -> tag.getName().equals(TAG));
			}
			Map<String, Schema> schemas = openApi.getComponents().getSchemas();
			Set<String> used = referenced(Json.pretty(openApi.getPaths()) + Json.pretty(openApi.getComponents().getResponses()));
			for (Set<String> more = used; !more.isEmpty();) {
				Set<String> next = referenced(Json.pretty(more.stream().map(schemas::get).toList()));
				next.removeAll(used);
				used.addAll(next);
				more = next;
			}
			schemas.keySet().retainAll(used);
		};
	}

	private static final Pattern SCHEMA_REF = Pattern.compile("#/components/schemas/([A-Za-z0-9_.-]+)");

	private static Set<String> referenced(String json) {
		Set<String> names = new java.util.HashSet<>();
		Matcher matcher = SCHEMA_REF.matcher(json);
		while (matcher.find()) {
			names.add(matcher.group(1));
		}
		return names;
	}

}
