package io.mlplatform.storage.cluster;

import java.util.List;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.FieldError;
import io.mlplatform.storage.web.ProblemException;

/** A storage names a cluster that is not registered, or names none where no default applies (422). */
public class UnknownClusterException extends ProblemException {

	private UnknownClusterException(String detail, String rejected) {
		super(HttpStatus.UNPROCESSABLE_CONTENT, "unknown-cluster", "Unknown cluster", detail,
				List.of(new FieldError("cluster", rejected, "must be a registered cluster")));
	}

	static UnknownClusterException named(String name, List<String> known) {
		return new UnknownClusterException("Cluster '%s' is not registered. Registered clusters: %s."
			.formatted(name, known.isEmpty() ? "none" : String.join(", ", known)), name);
	}

	static UnknownClusterException noDefault(List<String> known) {
		return new UnknownClusterException(
				"Name the cluster: there are several and no default one. Registered clusters: %s."
					.formatted(known.isEmpty() ? "none" : String.join(", ", known)),
				null);
	}

}
