package io.mlplatform.storage.cluster.crd;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A project's limits; an absent limit means none.
 * @param cluster the project's cap in the cluster this object is in, within the totals; absent when none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StorageQuotaSpec(String project, String capacity, Long capacityBytes, Integer maxStorages,
		Cluster cluster) {

	/** The caps of the project's storages in one cluster, named by its name in the service. */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record Cluster(String name, String capacity, Long capacityBytes, Integer maxStorages) {
	}

}
