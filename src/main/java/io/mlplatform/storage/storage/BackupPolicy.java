package io.mlplatform.storage.storage;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/** When a storage is backed up and which backups are kept, counted as restic's {@code forget} counts. */
@Embeddable
public record BackupPolicy(@Column(name = "backup_enabled") boolean enabled,
		@Column(name = "backup_schedule") String schedule, @Column(name = "backup_time_zone") String timeZone,
		@Column(name = "backup_before_delete") boolean backupBeforeDelete, @Column(name = "keep_last") Integer keepLast,
		@Column(name = "keep_daily") Integer keepDaily, @Column(name = "keep_weekly") Integer keepWeekly,
		@Column(name = "keep_monthly") Integer keepMonthly) {
}
