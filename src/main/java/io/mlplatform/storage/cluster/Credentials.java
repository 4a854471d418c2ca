package io.mlplatform.storage.cluster;

import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Where a cluster's credentials are, never the credentials themselves: a kubeconfig file on the
 * service's file system, a Kubernetes secret holding a kubeconfig (read with the service's in-cluster
 * identity), or the service account of the pod the service runs in.
 *
 * @param type kubeconfig, secret or inCluster
 * @param path kubeconfig: the file
 * @param context kubeconfig or secret: the context to use; the file's current context when absent
 * @param namespace secret: its namespace
 * @param name secret: its name
 * @param key secret: the data key holding the kubeconfig (default {@code kubeconfig})
 */
@Schema(name = "ClusterCredentials",
		description = "A reference to credentials; write-only, never returned. "
				+ "{\"type\": \"kubeconfig\", \"path\": \"/etc/pss/prod.kubeconfig\"}, "
				+ "{\"type\": \"secret\", \"namespace\": \"pss\", \"name\": \"prod-kubeconfig\"} or {\"type\": \"inCluster\"}")
public record Credentials(
		@Schema(allowableValues = { "kubeconfig", "secret", "inCluster" }, example = "kubeconfig") String type,
		@Schema(example = "/etc/pss/prod.kubeconfig") String path, String context, String namespace, String name,
		String key) {

	static final String KUBECONFIG = "kubeconfig";

	static final String SECRET = "secret";

	static final String IN_CLUSTER = "inCluster";

	public static Credentials kubeconfig(String path) {
		return new Credentials(KUBECONFIG, path, null, null, null, null);
	}

	String secretKey() {
		return this.key == null ? "kubeconfig" : this.key;
	}

	/**
	 * A field of another type of reference is refused rather than ignored: whoever sent a path with a
	 * secret reference meant something else than what would be stored.
	 */
	private void foreign(Violations violations, Object... fieldsAndValues) {
		for (int i = 0; i + 1 < fieldsAndValues.length; i += 2) {
			if (fieldsAndValues[i + 1] != null) {
				violations.add("credentials." + fieldsAndValues[i], fieldsAndValues[i + 1],
						"does not belong to credentials of type " + this.type);
			}
		}
	}

	void validate(Violations violations) {
		if (this.type == null) {
			violations.add("credentials.type", null, "is required: kubeconfig, secret or inCluster");
			return;
		}
		switch (this.type) {
			case KUBECONFIG -> {
				foreign(violations, "namespace", this.namespace, "name", this.name, "key", this.key);
				if (this.path == null || this.path.isBlank()) {
					violations.add("credentials.path", this.path, "is required for a kubeconfig: the file's path");
				}
				violations.maxLength("credentials.path", this.path, 4096);
			}
			case SECRET -> {
				foreign(violations, "path", this.path, "context", this.context);
				violations.dnsLabel("credentials.namespace", this.namespace);
				if (this.name == null || this.name.isBlank() || this.name.length() > 253) {
					violations.add("credentials.name", this.name, "is required for a secret: its name");
				}
			}
			case IN_CLUSTER -> foreign(violations, "path", this.path, "context", this.context, "namespace", this.namespace,
					"name", this.name, "key", this.key);
			default -> violations.add("credentials.type", this.type, "must be one of kubeconfig, secret, inCluster");
		}
	}

}
