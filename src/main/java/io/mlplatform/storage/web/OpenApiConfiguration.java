package io.mlplatform.storage.web;

import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;

/**
 * The parts of the contract shared by every operation: the problem-details schema and the error
 * responses each kind of operation can give, so controllers only declare what is specific to them.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfiguration {

	private static final String PROBLEM = "application/problem+json";

	@Bean
	OpenAPI projectStorageOpenApi() {
		return new OpenAPI()
			.info(new Info().title("Project Storage Service")
				.version("v1")
				.description("Projects, quotas and named NFS storages of the ML platform, backed up to S3. "
						+ "Errors are RFC 9457 problem details; lists are keyset-paginated; every resource has "
						+ "an ETag for If-Match."))
			.servers(List.of(new Server().url("http://localhost:8080").description("Local run")))
			.components(new Components().addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
				.scheme("bearer")
				.description("An OIDC access token of the platform's identity provider, or a project API token (pss_…)")))
			.addSecurityItem(new SecurityRequirement().addList("bearer"));
	}

	@Bean
	OpenApiCustomizer problemResponses() {
		return openApi -> {
			Components components = openApi.getComponents();
			problemSchemas(components);
			Map<String, String> responses = Map.of("BadRequest",
					"Invalid input: see `errors` for each field (types validation-failed, malformed-body, invalid-page-token, "
							+ "invalid-encoding, bad-request)",
					"NotFound", "No such project or resource, or the caller may not see it", "Conflict",
					"Clashes with the current state (types already-exists, quota-exceeded, backup-quota-exceeded, deletion-protected, "
							+ "project-not-empty, namespace-taken, concurrent-modification, storage-deleting, cluster-in-use, "
							+ "cluster-from-configuration, backup-active, backup-not-available, job-finished, restore-in-progress)",
					"PreconditionFailed", "If-Match or If-None-Match did not hold", "Unprocessable",
					"A change the resource cannot make (types immutable-field, capacity-shrink, unknown-cluster, "
							+ "credentials-rejected, unknown-backup, capacity-too-small)", "PayloadTooLarge",
					"Body larger than the service accepts", "UnsupportedMediaType", "Send application/json",
					"InternalError", "Our fault; report the requestId", "Unauthorized",
					"No bearer token, or one that is expired, revoked or not ours", "Forbidden",
					"The caller may see the project but lacks the role for this");
			responses.forEach((name, description) -> components.addResponses(name,
					new ApiResponse().description(description)
						.content(new Content().addMediaType(PROBLEM,
								new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))))));
			components.addResponses("ServiceUnavailable", new ApiResponse()
				.description("The service cannot reach its database right now (type unavailable); retry after Retry-After")
				.addHeaderObject(HttpHeaders.RETRY_AFTER, new Header().description("Seconds to wait before retrying")
					.schema(new IntegerSchema()))
				.content(new Content().addMediaType(PROBLEM,
						new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")))));
			components.addResponses("NotModified", new ApiResponse().description("If-None-Match matched the ETag"));
			openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
				if (method == PathItem.HttpMethod.PATCH) {
					describeMergePatch(components, operation);
				}
				add(operation, "400", "BadRequest");
				add(operation, "401", "Unauthorized");
				if (!(path.equals("/api/v1/projects") && method == PathItem.HttpMethod.GET)) {
					add(operation, "403", "Forbidden");
				}
				if (path.contains("{")) {
					add(operation, "404", "NotFound");
				}
				if (method == PathItem.HttpMethod.POST || method == PathItem.HttpMethod.PUT
						|| method == PathItem.HttpMethod.PATCH) {
					add(operation, "413", "PayloadTooLarge");
					add(operation, "415", "UnsupportedMediaType");
				}
				add(operation, "500", "InternalError");
				add(operation, "503", "ServiceUnavailable");
				operation.getResponses().forEach((status, response) -> describeHeaders(status, response));
			}));
		};
	}

	/** The problem-details schemas every contract of this service refers to (the public one, the mover API's). */
	public static void problemSchemas(Components components) {
		components.addSchemas("FieldError", new ObjectSchema().description("One invalid field")
			.addProperty("field", new StringSchema().example("capacity"))
			.addProperty("rejectedValue", new Schema<>().description("What was sent").example("lots"))
			.addProperty("message", new StringSchema().example("is not a Kubernetes quantity")));
		components.addSchemas("Problem", new ObjectSchema().description("RFC 9457 problem details")
			.addProperty("type", new StringSchema().format("uri")
				.example(ProblemException.TYPE_BASE + "validation-failed")
				.description("Stable identifier of the kind of problem; branch on this"))
			.addProperty("title", new StringSchema().example("Validation failed"))
			.addProperty("status", new IntegerSchema().example(400))
			.addProperty("detail", new StringSchema().description("What went wrong and what to change"))
			.addProperty("instance", new StringSchema().format("uri-reference"))
			.addProperty("requestId", new StringSchema().description("Quote it when reporting a problem"))
			.addProperty("errors", new ArraySchema().items(new Schema<>().$ref("#/components/schemas/FieldError"))));
	}

	/** Single resources carry their version (a page or a list has none); created ones say where they live. */
	private static void describeHeaders(String status, ApiResponse response) {
		if (response.getContent() == null || !(status.equals("200") || status.equals("201"))) {
			return;
		}
		boolean single = response.getContent()
			.values()
			.stream()
			.anyMatch(media -> media.getSchema() != null && media.getSchema().get$ref() != null
					&& !media.getSchema().get$ref().contains("/Page") && !media.getSchema().get$ref().endsWith("List"));
		if (single) {
			response.addHeaderObject("ETag", new Header().description("Version of the resource, for If-Match and If-None-Match")
				.schema(new StringSchema()));
		}
		if (status.equals("201")) {
			response.addHeaderObject("Location", new Header().description("Path of the created resource")
				.schema(new StringSchema()));
		}
	}

	/**
	 * A merge patch names only what changes, so its body is the resource's request schema without
	 * required fields ({@code <Request>Patch}); it is accepted as application/json too.
	 */
	private static void describeMergePatch(Components components, Operation operation) {
		if (operation.getRequestBody() == null || operation.getRequestBody().getContent() == null) {
			return;
		}
		MediaType media = operation.getRequestBody().getContent().get(ApiDocs.MERGE_PATCH_JSON);
		if (media == null || media.getSchema() == null || media.getSchema().get$ref() == null) {
			return;
		}
		String name = media.getSchema().get$ref().substring(media.getSchema().get$ref().lastIndexOf('/') + 1);
		Schema<?> full = components.getSchemas().get(name);
		if (full == null) {
			return;
		}
		String patchName = name.replaceFirst("Request$", "") + "Patch";
		Schema<Object> patch = new Schema<>();
		patch.setSpecVersion(full.getSpecVersion());
		patch.setType(full.getType());
		patch.setTypes(full.getTypes());
		patch.setProperties(full.getProperties());
		patch.setAdditionalProperties(full.getAdditionalProperties());
		patch.setDescription("JSON Merge Patch (RFC 7396) of " + name + ": only the fields to change; null removes an "
				+ "optional field");
		components.addSchemas(patchName, patch);
		Schema<Object> reference = new Schema<>().$ref("#/components/schemas/" + patchName);
		operation.getRequestBody()
			.setContent(new Content().addMediaType(ApiDocs.MERGE_PATCH_JSON, new MediaType().schema(reference))
				.addMediaType(org.springframework.http.MediaType.APPLICATION_JSON_VALUE, new MediaType().schema(reference)));
	}

	private static void add(Operation operation, String status, String response) {
		if (!operation.getResponses().containsKey(status)) {
			operation.getResponses().addApiResponse(status, new ApiResponse().$ref("#/components/responses/" + response));
		}
	}

}
