package io.mlplatform.storage.storage;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/**
 * When a storage's newest backup is verified against the bucket, and how much of its content is read.
 * @param dataFraction share of the content's bytes read and checked against its sha256, in (0, 1]
 */
@Embeddable
public record VerifyPolicy(@Column(name = "verify_enabled") boolean enabled,
		@Column(name = "verify_schedule") String schedule, @Column(name = "verify_time_zone") String timeZone,
		@Column(name = "verify_data_fraction") double dataFraction) {
}
