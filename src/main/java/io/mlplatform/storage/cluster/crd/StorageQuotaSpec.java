package io.mlplatform.storage.cluster.crd;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A project's limits; an absent limit means none. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StorageQuotaSpec(String project, String capacity, Long capacityBytes, Integer maxStorages) {
}
