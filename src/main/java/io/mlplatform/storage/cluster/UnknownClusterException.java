package io.mlplatform.storage.cluster;

import java.util.List;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.FieldError;
import io.mlplatform.storage.web.ProblemException;

/**
 * A storage names a cluster that is not registered, or names none where no default applies, or a quota
 * caps a cluster that is not registered (422).
 */
public class UnknownClusterException extends ProblemException {

	private UnknownClusterException(String detail, String rejected) {
		this(detail, List.of(new FieldError("cluster", rejected, "must be a registered cluster")));
	}

	private UnknownClusterException(String detail, List<FieldError> errors) {
		super(HttpStatus.UNPROCESSABLE_CONTENT, "unknown-cluster", "Unknown cluster", detail, errors);
	}

	static UnknownClusterException named(String name, List<String> known) {
		return new UnknownClusterException("Cluster '%s' is not registered. Registered clusters: %s."
			.formatted(name, known.isEmpty() ? "none" : String.join(", ", known)), name);
	}

	/** Clusters a request names in fields of their own, such as a quota's caps by cluster. */
	static UnknownClusterException named(String fieldPrefix, List<String> names, List<String> known) {
		String which = names.size() == 1 ? "Cluster '" + names.get(0) + "' is"
				: "Clusters '" + String.join("', '", names) + "' are";
		return new UnknownClusterException("%s not registered; register it first or name a registered cluster: %s."
			.formatted(which, known.isEmpty() ? "none" : String.join(", ", known)),
				names.stream().map(name -> new FieldError(fieldPrefix + name, name, "must be a registered cluster")).toList());
	}

	static UnknownClusterException noDefault(List<String> known) {
		return new UnknownClusterException(
				"Name the cluster: there are several and no default one. Registered clusters: %s."
					.formatted(known.isEmpty() ? "none" : String.join(", ", known)),
				(String) null);
	}

}
