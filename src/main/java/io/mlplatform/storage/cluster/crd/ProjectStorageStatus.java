package io.mlplatform.storage.cluster.crd;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import io.fabric8.kubernetes.api.model.Condition;

/** What the operator reports; the service only reads it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProjectStorageStatus(String phase, Long observedGeneration, String pvcName, Nfs nfs, Long usedBytes,
		List<Condition> conditions) {

	@JsonInclude(JsonInclude.Include.NON_NULL)
	@JsonIgnoreProperties(ignoreUnknown = true)
	public record Nfs(String server, String path) {
	}

}
