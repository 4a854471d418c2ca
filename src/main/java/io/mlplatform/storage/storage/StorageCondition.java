package io.mlplatform.storage.storage;

import java.time.Instant;

import io.swagger.v3.oas.annotations.media.Schema;

/** A Kubernetes-style condition reported by the cluster. */
@Schema(name = "StorageCondition")
public record StorageCondition(@Schema(example = "Ready") String type, @Schema(example = "True") String status,
		@Schema(example = "Provisioned") String reason, String message, Instant lastTransitionTime) {
}
