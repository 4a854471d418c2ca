package io.mlplatform.storage.storage;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param defaultCluster cluster of a storage that names none, when more than one cluster is registered
 * @param defaultBackupPolicy what a storage gets when its request leaves the policy (or parts of it) out
 */
@ConfigurationProperties("pss.storage")
public record StorageProperties(@DefaultValue("local") String defaultCluster,
		@DefaultValue BackupPolicyDefaults defaultBackupPolicy) {

	/**
	 * A nightly backup kept a week of days, a month of weeks and half a year of months; the newest verified
	 * weekly.
	 */
	public record BackupPolicyDefaults(@DefaultValue("true") boolean enabled, @DefaultValue("0 2 * * *") String schedule,
			@DefaultValue("UTC") String timeZone, @DefaultValue("true") boolean backupBeforeDelete, Integer keepLast,
			@DefaultValue("7") Integer keepDaily, @DefaultValue("4") Integer keepWeekly,
			@DefaultValue("6") Integer keepMonthly, @DefaultValue VerifyDefaults verify) {
	}

	/**
	 * Sundays at 03:00, reading 5% of the content: the structure of every entry is checked each time, and
	 * twenty weeks read all of a storage's content.
	 */
	public record VerifyDefaults(@DefaultValue("true") boolean enabled, @DefaultValue("0 3 * * 0") String schedule,
			@DefaultValue("UTC") String timeZone, @DefaultValue("0.05") double dataFraction) {
	}

}
