package io.mlplatform.storage.quota;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.media.Schema;

/** Limits as an admin writes them; a missing limit means unlimited. */
@JsonIgnoreProperties({ "capacityBytes", "used", "remaining" })
@Schema(name = "QuotaRequest", description = "A project's limits; leave a field out for no limit")
record QuotaRequest(
		@Schema(description = "Total capacity of all storages, a Kubernetes quantity", example = "2Ti") String capacity,
		@Schema(description = "Largest number of storages", example = "20") Integer maxStorages) {

	static QuotaRequest of(Quota quota) {
		return new QuotaRequest(quota.capacityBytes() == null ? null : Quantities.format(quota.capacityBytes()),
				quota.maxStorages());
	}

}
