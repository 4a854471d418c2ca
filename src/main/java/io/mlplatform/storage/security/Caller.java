package io.mlplatform.storage.security;

import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Who is calling: a user from an OIDC token, or a project-scoped API token.
 * @param subject {@code user:<sub>} for users, {@code token:<id>} for API tokens; what audit records
 * @param groups the user's groups; empty for tokens
 * @param admin whether the caller is a platform admin
 * @param tokenProjectId the one project an API token is valid for; null for users
 * @param tokenRole the API token's role in that project; null for users
 */
public record Caller(String subject, Set<String> groups, boolean admin, UUID tokenProjectId, ProjectRole tokenRole) {

	public boolean isToken() {
		return this.tokenProjectId != null;
	}

	/** The caller's role in a project with these owner and member entries. */
	public ProjectRole roleIn(UUID projectId, List<String> owners, List<String> members) {
		if (this.admin) {
			return ProjectRole.ADMIN;
		}
		if (isToken()) {
			return this.tokenProjectId.equals(projectId) ? this.tokenRole : ProjectRole.NONE;
		}
		List<String> subjects = subjects();
		if (owners.stream().anyMatch(subjects::contains)) {
			return ProjectRole.OWNER;
		}
		if (members.stream().anyMatch(subjects::contains)) {
			return ProjectRole.MEMBER;
		}
		return ProjectRole.NONE;
	}

	/** The owner/member entries of a project that name this caller. */
	public List<String> subjects() {
		if (isToken()) {
			return List.of();
		}
		List<String> subjects = new java.util.ArrayList<>();
		subjects.add(this.subject);
		this.groups.forEach(group -> subjects.add("group:" + group));
		return subjects;
	}

}
