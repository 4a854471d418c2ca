package io.mlplatform.storage.cluster;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * How a cluster's movers run where it differs from the deployment's {@code pss.mover.*} settings: each
 * field left out follows them. A cluster's nodes may reach the service at their own URL, pull from
 * their own registry, and keep movers on their own nodes.
 */
@Schema(name = "ClusterMover", description = "Executor kubernetes: how this cluster's mover Jobs differ from the "
		+ "deployment's settings; each field left out follows them")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterMover(
		@Schema(description = "The service's mover API as this cluster's pods reach it",
				example = "https://pss.example.com") String serviceUrl,
		@Schema(description = "The movers' image, pinned by digest",
				example = "registry.west/pss@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") String image,
		@Schema(example = "batch-low") String priorityClassName,
		@Schema(example = "{\"node-role/storage\": \"true\"}") Map<String, String> nodeSelector,
		@Schema(description = "The owner of the cluster's NFS shares (exports squash root)", example = "2000") Long runAsUser,
		@Schema(example = "2000") Long runAsGroup) {

	private static final Pattern IMAGE = Pattern.compile("[a-z0-9][a-zA-Z0-9._/:@+-]{0,499}");

	private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

	ClusterMover normalized(Violations violations) {
		if (this.serviceUrl != null) {
			violations.maxLength("mover.serviceUrl", this.serviceUrl, 2048);
			if (!ClusterRequest.isHttpUrl(this.serviceUrl)) {
				violations.add("mover.serviceUrl", this.serviceUrl, "must be an http(s) URL such as https://pss.example.com");
			}
		}
		if (this.image != null && !IMAGE.matcher(this.image).matches()) {
			violations.add("mover.image", this.image, "must be an image reference such as registry/pss@sha256:…");
		}
		if (this.priorityClassName != null && !DNS_SUBDOMAIN.matcher(this.priorityClassName).matches()) {
			violations.add("mover.priorityClassName", this.priorityClassName, "must be a DNS-1123 subdomain");
		}
		violations.labels("mover.nodeSelector", this.nodeSelector);
		nonRootId(violations, "mover.runAsUser", this.runAsUser);
		nonRootId(violations, "mover.runAsGroup", this.runAsGroup);
		return new ClusterMover(this.serviceUrl, this.image, this.priorityClassName,
				(this.nodeSelector == null || this.nodeSelector.isEmpty()) ? null : new TreeMap<>(this.nodeSelector),
				this.runAsUser, this.runAsGroup);
	}

	private static void nonRootId(Violations violations, String field, Long id) {
		if (id != null && (id < 1 || id > Integer.MAX_VALUE)) {
			violations.add(field, id, "must be a user or group id from 1 (not root) to 2147483647");
		}
	}

}
