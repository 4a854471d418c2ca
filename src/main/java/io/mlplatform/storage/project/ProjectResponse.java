package io.mlplatform.storage.project;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Project")
record ProjectResponse(@Schema(example = "nlp") String name, @Schema(example = "nlp") String namespace,
		@Schema(example = "NLP research") String displayName,
		@Schema(example = "{\"team\": \"nlp\"}") Map<String, String> labels,
		@Schema(example = "[\"group:nlp-leads\"]") List<String> owners,
		@Schema(example = "[\"group:nlp\"]") List<String> members, Instant createdAt, Instant updatedAt) {

	static ProjectResponse from(Project project) {
		return new ProjectResponse(project.getName(), project.getNamespace(), project.getDisplayName(),
				new TreeMap<>(project.getLabels()), project.getOwners(), project.getMembers(), project.getCreatedAt(),
				project.getUpdatedAt());
	}

}
