package io.mlplatform.storage.cluster.crd;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the service asks of the operator.
 * @param capacity a Kubernetes quantity, for people and kubectl
 * @param capacityBytes the same in bytes, for programs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProjectStorageSpec(String project, String capacity, Long capacityBytes, String storageClassName,
		String accessMode, Boolean backupEnabled, RestoreFrom restoreFrom) {

	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record RestoreFrom(String storage, String backup, List<String> paths) {
	}

}
