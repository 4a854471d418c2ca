package io.mlplatform.storage.project;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A project as callers write it. Output-only fields of {@link ProjectResponse} are accepted and
 * ignored, so a GET body can be edited and PUT back.
 */
@JsonIgnoreProperties({ "createdAt", "updatedAt" })
@Schema(name = "ProjectRequest", description = "Desired state of a project")
record ProjectRequest(
		@Schema(description = "DNS-1123 label, immutable; required on POST, taken from the URL on PUT",
				example = "nlp") String name,
		@Schema(description = "Kubernetes namespace of the project's storages; defaults to the name; immutable",
				example = "nlp") String namespace,
		@Schema(description = "Human-readable name, at most 256 characters",
				example = "NLP research") String displayName,
		@Schema(description = "Kubernetes-style labels", example = "{\"team\": \"nlp\", \"cost-center\": \"r-42\"}") Map<String, String> labels,
		@Schema(description = "Who owns the project: `group:<name>` or `user:<id>` entries",
				example = "[\"group:nlp-leads\"]") List<String> owners,
		@Schema(description = "Who may use the project: `group:<name>` or `user:<id>` entries",
				example = "[\"group:nlp\"]") List<String> members) {

	private static final Pattern SUBJECT = Pattern.compile("(user|group):[^\\s]{1,250}");

	static ProjectRequest from(Project project) {
		return new ProjectRequest(project.getName(), project.getNamespace(), project.getDisplayName(),
				project.getLabels(), project.getOwners(), project.getMembers());
	}

	/**
	 * @param name the project's name from the URL, or null when it comes from the body (POST)
	 */
	ProjectSpec toSpec(String urlName, Violations violations) {
		String effectiveName = urlName != null ? urlName : this.name;
		if (urlName != null && this.name != null && !this.name.equals(urlName)) {
			violations.add("name", this.name, "must match the name in the URL or be left out");
		}
		else {
			violations.dnsLabel("name", effectiveName);
		}
		String ns = this.namespace != null ? this.namespace : effectiveName;
		if (this.namespace != null || Violations.isDnsLabel(effectiveName)) {
			violations.dnsLabel("namespace", ns);
		}
		violations.maxLength("displayName", this.displayName, 256);
		violations.labels("labels", this.labels);
		return new ProjectSpec(ns, this.displayName, this.labels == null ? Map.of() : new TreeMap<>(this.labels),
				subjects("owners", this.owners, violations), subjects("members", this.members, violations));
	}

	/** Sorted and without repeats, so the same set of people is the same spec whatever the order. */
	private static List<String> subjects(String field, List<String> subjects, Violations violations) {
		if (subjects == null) {
			return List.of();
		}
		if (subjects.size() > 100) {
			violations.add(field, subjects.size() + " entries", "at most 100 entries");
			return List.of();
		}
		TreeSet<String> result = new TreeSet<>();
		for (int i = 0; i < subjects.size(); i++) {
			String subject = subjects.get(i);
			if (subject == null || !SUBJECT.matcher(subject).matches()) {
				violations.add(field + "[" + i + "]", subject,
						"must be 'group:<name>' or 'user:<id>' (no spaces, at most 256 characters)");
			}
			else {
				result.add(subject);
			}
		}
		return List.copyOf(result);
	}

}
