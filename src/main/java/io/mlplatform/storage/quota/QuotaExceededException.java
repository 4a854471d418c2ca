package io.mlplatform.storage.quota;

import org.springframework.http.HttpStatus;

import io.mlplatform.storage.web.ProblemException;

public class QuotaExceededException extends ProblemException {

	private QuotaExceededException(String detail) {
		super(HttpStatus.CONFLICT, "quota-exceeded", "Quota exceeded", detail);
	}

	static QuotaExceededException capacity(String project, String limit, String used, String remaining,
			String requested) {
		return new QuotaExceededException(("Project '%s' may use %s in total; %s is used, so %s remains, "
				+ "and this request needs %s more. Ask for at most %s, free space, or ask a platform admin to "
				+ "raise the quota.").formatted(project, limit, used, remaining, requested, remaining));
	}

	static QuotaExceededException count(String project, int limit, long used) {
		return new QuotaExceededException(("Project '%s' may have at most %d storages and has %d, so 0 remain. "
				+ "Delete a storage or ask a platform admin to raise maxStorages.").formatted(project, limit, used));
	}

}
