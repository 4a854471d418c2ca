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

	static QuotaExceededException clusterCapacity(String project, String cluster, String limit, String used,
			String remaining, String requested) {
		return new QuotaExceededException(("Project '%s' may use %s in cluster '%s'; %s is used there, so %s remains, "
				+ "and this request needs %s more. Ask for at most %s, use another cluster, free space there, or ask a "
				+ "platform admin to raise the cap of clusters.%s.capacity.").formatted(project, limit, cluster, used, remaining,
						requested, remaining, cluster));
	}

	static QuotaExceededException clusterCount(String project, String cluster, int limit, long used) {
		return new QuotaExceededException(("Project '%s' may have at most %d storages in cluster '%s' and has %d there, "
				+ "so 0 remain. Delete a storage there, use another cluster, or ask a platform admin to raise "
				+ "clusters.%s.maxStorages.").formatted(project, limit, cluster, used, cluster));
	}

	static QuotaExceededException count(String project, int limit, long used) {
		return new QuotaExceededException(("Project '%s' may have at most %d storages and has %d, so 0 remain. "
				+ "Delete a storage or ask a platform admin to raise maxStorages.").formatted(project, limit, used));
	}

}
