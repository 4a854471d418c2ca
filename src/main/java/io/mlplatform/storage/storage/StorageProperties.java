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

	/** A nightly backup kept a week of days, a month of weeks and half a year of months. */
	public record BackupPolicyDefaults(@DefaultValue("true") boolean enabled, @DefaultValue("0 2 * * *") String schedule,
			@DefaultValue("UTC") String timeZone, @DefaultValue("true") boolean backupBeforeDelete, Integer keepLast,
			@DefaultValue("7") Integer keepDaily, @DefaultValue("4") Integer keepWeekly,
			@DefaultValue("6") Integer keepMonthly) {
	}

}
