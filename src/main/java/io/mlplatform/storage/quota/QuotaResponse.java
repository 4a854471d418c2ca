package io.mlplatform.storage.quota;

import io.mlplatform.storage.web.Quantities;
import io.swagger.v3.oas.annotations.media.Schema;

@Schema(name = "Quota", description = "A project's limits and what is used of them; absent limits mean unlimited")
record QuotaResponse(@Schema(example = "2Ti") String capacity, @Schema(example = "2199023255552") Long capacityBytes,
		@Schema(example = "20") Integer maxStorages, Amount used,
		@Schema(description = "What still fits; a field is absent when its limit is") Amount remaining) {

	@Schema(name = "QuotaAmount")
	record Amount(@Schema(example = "500Gi") String capacity, @Schema(example = "536870912000") Long capacityBytes,
			@Schema(example = "5") Long storages) {
	}

	static QuotaResponse from(Quota quota, Quotas.Usage usage) {
		Long capacityBytes = quota.capacityBytes();
		Amount used = new Amount(Quantities.format(usage.getCapacityBytes()), usage.getCapacityBytes(),
				usage.getStorages());
		Long remainingBytes = capacityBytes == null ? null : Math.max(0, capacityBytes - usage.getCapacityBytes());
		Long remainingCount = quota.maxStorages() == null ? null
				: Math.max(0, quota.maxStorages() - usage.getStorages());
		Amount remaining = new Amount(remainingBytes == null ? null : Quantities.format(remainingBytes), remainingBytes,
				remainingCount);
		return new QuotaResponse(capacityBytes == null ? null : Quantities.format(capacityBytes), capacityBytes,
				quota.maxStorages(), used, remaining);
	}

}
