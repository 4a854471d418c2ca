package io.mlplatform.storage.web;

/** Names shared by controllers' OpenAPI annotations and the customizer that defines them. */
public final class ApiDocs {

	public static final String MERGE_PATCH_JSON = "application/merge-patch+json";

	public static final String CONFLICT = "#/components/responses/Conflict";

	public static final String PRECONDITION_FAILED = "#/components/responses/PreconditionFailed";

	public static final String UNPROCESSABLE = "#/components/responses/Unprocessable";

	public static final String FORBIDDEN = "#/components/responses/Forbidden";

	public static final String NOT_FOUND = "#/components/responses/NotFound";

	public static final String NOT_MODIFIED = "#/components/responses/NotModified";

	private ApiDocs() {
	}

}
