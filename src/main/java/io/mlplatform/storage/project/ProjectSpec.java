package io.mlplatform.storage.project;

import java.util.List;
import java.util.Map;

/** The desired state of a project after defaults and validation; two equal specs mean the same project. */
record ProjectSpec(String namespace, String displayName, Map<String, String> labels, List<String> owners,
		List<String> members) {
}
