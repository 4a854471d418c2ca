package io.mlplatform.storage.cluster;

import java.util.Map;

/** A cluster's desired registration, validated. */
record ClusterSpec(String apiServerUrl, Credentials credentials, String defaultStorageClass,
		String defaultBackupTarget, Map<String, String> labels, String executor, ClusterMover mover) {

	@Override
	public String toString() {
		return "ClusterSpec[apiServerUrl=" + this.apiServerUrl + ", credentials=" + this.credentials.type() + "]";
	}

}
