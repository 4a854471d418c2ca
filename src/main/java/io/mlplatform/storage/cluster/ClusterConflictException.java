package io.mlplatform.storage.cluster;

import io.mlplatform.storage.web.ConflictException;

/** A cluster change that clashes with what depends on it (409). */
class ClusterConflictException extends ConflictException {

	private ClusterConflictException(String type, String title, String detail) {
		super(type, title, detail);
	}

	static ClusterConflictException inUse(String name, long storages) {
		return new ClusterConflictException("cluster-in-use", "Cluster in use",
				"Cluster '%s' still has %d storages; delete or move them first.".formatted(name, storages));
	}

	static ClusterConflictException configured(String name) {
		return new ClusterConflictException("cluster-from-configuration", "Cluster from configuration",
				"Cluster '%s' is declared in the service's configuration (pss.cluster.clusters); change it there."
					.formatted(name));
	}

}
