package io.mlplatform.storage.cluster;

import java.util.List;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.FieldError;
import io.mlplatform.storage.web.ProblemException;

/**
 * Well-formed credentials the service refuses to use (422): a kubeconfig outside its directory, one
 * that would run a plugin, the pod's own identity sent to another server. Never echoes the reference.
 */
class CredentialsRejectedException extends ProblemException {

	private CredentialsRejectedException(List<FieldError> errors) {
		super(HttpStatus.UNPROCESSABLE_CONTENT, "credentials-rejected", "Credentials refused",
				"The service will not use these credentials: "
						+ String.join("; ", errors.stream().map(error -> error.field() + " " + error.message()).toList())
						+ ".",
				errors);
	}

	static CredentialsRejectedException of(List<FieldError> errors) {
		return new CredentialsRejectedException(errors);
	}

}
