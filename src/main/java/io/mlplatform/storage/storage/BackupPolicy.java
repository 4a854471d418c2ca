package io.mlplatform.storage.storage;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.Embedded;

/**
 * When a storage is backed up, which backups are kept (counted as restic's {@code forget} counts) and when
 * they are verified.
 */
@Embeddable
public record BackupPolicy(@Column(name = "backup_enabled") boolean enabled,
		@Column(name = "backup_schedule") String schedule, @Column(name = "backup_time_zone") String timeZone,
		@Column(name = "backup_before_delete") boolean backupBeforeDelete, @Column(name = "keep_last") Integer keepLast,
		@Column(name = "keep_daily") Integer keepDaily, @Column(name = "keep_weekly") Integer keepWeekly,
		@Column(name = "keep_monthly") Integer keepMonthly, @Embedded VerifyPolicy verify) {
}
