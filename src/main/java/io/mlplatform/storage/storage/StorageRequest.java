package io.mlplatform.storage.storage;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import org.springframework.scheduling.support.CronExpression;

import io.mlplatform.storage.web.Quantities;
import io.mlplatform.storage.web.Violations;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A storage as callers write it. Output-only fields of {@link StorageResponse} are accepted and
 * ignored, so a GET body can be edited and PUT back.
 */
@JsonIgnoreProperties({ "id", "project", "capacityBytes", "state", "status", "createdAt", "updatedAt" })
@Schema(name = "StorageRequest", description = "Desired state of a storage")
record StorageRequest(
		@Schema(description = "DNS-1123 label, unique in the project, immutable; required on POST, taken from the URL on PUT",
				example = "imagenet") String name,
		@Schema(description = "Cluster the storage lives in; defaults to the deployment's default cluster; immutable",
				example = "local") String cluster,
		@Schema(description = "Size as a Kubernetes quantity; can only grow", example = "500Gi",
				requiredMode = Schema.RequiredMode.REQUIRED) String capacity,
		@Schema(description = "Storage class; when absent, the cluster's default at creation, kept from then on (and shown); immutable",
				example = "nfs-fast") String storageClass,
		@Schema(description = "Kubernetes access mode; immutable", example = "ReadWriteMany",
				allowableValues = { "ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod" },
				defaultValue = "ReadWriteMany") String accessMode,
		@Schema(description = "Kubernetes-style labels", example = "{\"team\": \"nlp\", \"tier\": \"hot\"}") Map<String, String> labels,
		@Schema(description = "While true, DELETE is refused", defaultValue = "false") Boolean deletionProtection,
		@Schema(description = "Omitted fields take the deployment's defaults") BackupPolicyRequest backupPolicy,
		@Schema(description = "Fill the new storage from a backup; only on creation") RestoreSource restoreFrom) {

	static final Set<String> ACCESS_MODES = Set.of("ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOncePod");

	static final String DEFAULT_ACCESS_MODE = "ReadWriteMany";

	/** Largest single storage, so sums over a project's storages stay far from overflowing. */
	static final long MAX_CAPACITY = 1L << 60;

	private static final Pattern STORAGE_CLASS = Pattern
		.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

	private static final Pattern BACKUP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

	@Schema(name = "BackupPolicy")
	record BackupPolicyRequest(@Schema(description = "Whether scheduled backups run", example = "true") Boolean enabled,
			@Schema(description = "Cron with 5 fields (minute hour day-of-month month day-of-week) or @daily, @hourly…",
					example = "0 2 * * *") String schedule,
			@Schema(description = "IANA time zone the schedule is read in", example = "Europe/Berlin") String timeZone,
			@Schema(description = "Take a final backup before the storage is deleted",
					example = "true") Boolean backupBeforeDelete,
			RetentionRequest retention,
			@Schema(description = "When the newest backup is verified; omitted fields take the deployment's defaults")
			VerifyPolicyRequest verify) {
	}

	@Schema(name = "VerifyPolicy", description = "Scheduled verification of the storage's newest Succeeded backup")
	record VerifyPolicyRequest(@Schema(description = "Whether scheduled verifications run", example = "true") Boolean enabled,
			@Schema(description = "Cron with 5 fields or @daily, @weekly…", example = "0 3 * * 0") String schedule,
			@Schema(description = "IANA time zone the schedule is read in", example = "UTC") String timeZone,
			@Schema(description = "Share of the content's bytes read and checked against its sha256, in (0, 1]; "
					+ "successive verifications read different content", example = "0.05") Double dataFraction) {
	}

	@Schema(name = "Retention", description = "Which backups are kept, counted as restic's forget counts")
	record RetentionRequest(@Schema(example = "3") Integer keepLast, @Schema(example = "7") Integer keepDaily,
			@Schema(example = "4") Integer keepWeekly, @Schema(example = "6") Integer keepMonthly) {
	}

	static StorageRequest from(Storage storage) {
		BackupPolicy policy = storage.getBackupPolicy();
		return new StorageRequest(storage.getName(), storage.getCluster(), Quantities.format(storage.getCapacityBytes()),
				storage.getStorageClass(), storage.getAccessMode(), storage.getLabels(), storage.isDeletionProtection(),
				new BackupPolicyRequest(policy.enabled(), policy.schedule(), policy.timeZone(),
						policy.backupBeforeDelete(), new RetentionRequest(policy.keepLast(), policy.keepDaily(),
								policy.keepWeekly(), policy.keepMonthly()),
						new VerifyPolicyRequest(policy.verify().enabled(), policy.verify().schedule(),
								policy.verify().timeZone(), policy.verify().dataFraction())),
				storage.getRestoreFrom());
	}

	/**
	 * @param urlName the storage's name from the URL, or null when it comes from the body (POST)
	 */
	StorageSpec toSpec(String urlName, StorageProperties defaults, Violations violations) {
		if (urlName != null && this.name != null && !this.name.equals(urlName)) {
			violations.add("name", this.name, "must match the name in the URL or be left out");
		}
		else {
			violations.dnsLabel("name", urlName != null ? urlName : this.name);
		}
		if (this.cluster != null) {
			violations.dnsLabel("cluster", this.cluster);
		}
		long bytes = capacityBytes(violations);
		if (this.storageClass != null
				&& (this.storageClass.length() > 253 || !STORAGE_CLASS.matcher(this.storageClass).matches())) {
			violations.add("storageClass", this.storageClass,
					"must be a Kubernetes object name: lowercase letters, digits, '-' and '.', at most 253 characters");
		}
		String mode = this.accessMode != null ? this.accessMode : DEFAULT_ACCESS_MODE;
		if (!ACCESS_MODES.contains(mode)) {
			violations.add("accessMode", this.accessMode, "must be one of " + new TreeSet<>(ACCESS_MODES));
		}
		violations.labels("labels", this.labels);
		return new StorageSpec(this.cluster, bytes, this.storageClass, mode,
				this.labels == null ? Map.of() : new TreeMap<>(this.labels),
				Boolean.TRUE.equals(this.deletionProtection), policy(defaults.defaultBackupPolicy(), violations),
				restoreSource(violations));
	}

	private long capacityBytes(Violations violations) {
		if (this.capacity == null) {
			violations.add("capacity", null, "is required, e.g. \"500Gi\"");
			return 0;
		}
		try {
			long bytes = Quantities.parseBytes(this.capacity);
			if (bytes < 1) {
				violations.add("capacity", this.capacity, "must be more than 0");
			}
			else if (bytes > MAX_CAPACITY) {
				violations.add("capacity", this.capacity, "must be at most 1Ei");
			}
			return bytes;
		}
		catch (IllegalArgumentException ex) {
			violations.add("capacity", this.capacity, ex.getMessage());
			return 0;
		}
	}

	private BackupPolicy policy(StorageProperties.BackupPolicyDefaults defaults, Violations violations) {
		BackupPolicyRequest given = this.backupPolicy != null ? this.backupPolicy
				: new BackupPolicyRequest(null, null, null, null, null, null);
		String schedule = schedule("backupPolicy.schedule", given.schedule(), defaults.schedule(), violations);
		String zone = zone("backupPolicy.timeZone", given.timeZone(), defaults.timeZone(), violations);
		RetentionRequest retention = given.retention();
		boolean useDefaults = retention == null;
		Integer keepLast = useDefaults ? defaults.keepLast() : retention.keepLast();
		Integer keepDaily = useDefaults ? defaults.keepDaily() : retention.keepDaily();
		Integer keepWeekly = useDefaults ? defaults.keepWeekly() : retention.keepWeekly();
		Integer keepMonthly = useDefaults ? defaults.keepMonthly() : retention.keepMonthly();
		violations.nonNegative("backupPolicy.retention.keepLast", keepLast);
		violations.nonNegative("backupPolicy.retention.keepDaily", keepDaily);
		violations.nonNegative("backupPolicy.retention.keepWeekly", keepWeekly);
		violations.nonNegative("backupPolicy.retention.keepMonthly", keepMonthly);
		return new BackupPolicy(given.enabled() != null ? given.enabled() : defaults.enabled(), schedule, zone,
				given.backupBeforeDelete() != null ? given.backupBeforeDelete() : defaults.backupBeforeDelete(),
				keepLast, keepDaily, keepWeekly, keepMonthly, verifyPolicy(given.verify(), defaults.verify(), violations));
	}

	private static VerifyPolicy verifyPolicy(VerifyPolicyRequest requested, StorageProperties.VerifyDefaults defaults,
			Violations violations) {
		VerifyPolicyRequest given = requested != null ? requested : new VerifyPolicyRequest(null, null, null, null);
		String schedule = schedule("backupPolicy.verify.schedule", given.schedule(), defaults.schedule(), violations);
		String zone = zone("backupPolicy.verify.timeZone", given.timeZone(), defaults.timeZone(), violations);
		double fraction = given.dataFraction() != null ? given.dataFraction() : defaults.dataFraction();
		if (!(fraction > 0 && fraction <= 1)) {
			violations.add("backupPolicy.verify.dataFraction", given.dataFraction(),
					"must be more than 0 and at most 1 (the share of the content's bytes read; 1 reads everything)");
		}
		return new VerifyPolicy(given.enabled() != null ? given.enabled() : defaults.enabled(), schedule, zone, fraction);
	}

	/** A schedule as given (trimmed), or the default; a violation of {@code field} if it is not a cron. */
	private static String schedule(String field, String given, String defaultSchedule, Violations violations) {
		String schedule = given != null ? given.trim() : defaultSchedule;
		if (!isCron(schedule)) {
			violations.add(field, given, "must be a cron expression with 5 fields (minute hour day-of-month month "
					+ "day-of-week), e.g. \"0 2 * * *\", or one of @hourly, @daily, @weekly, @monthly, @yearly");
		}
		return schedule;
	}

	/** A time zone as given, or the default; a violation of {@code field} if it is not an IANA zone. */
	private static String zone(String field, String given, String defaultZone, Violations violations) {
		String zone = given != null ? given : defaultZone;
		try {
			ZoneId.of(zone);
		}
		catch (DateTimeException ex) {
			violations.add(field, given, "must be an IANA time zone such as UTC or Europe/Berlin");
		}
		return zone;
	}

	static boolean isCron(String schedule) {
		if (schedule == null || schedule.length() > 128) {
			return false;
		}
		String trimmed = schedule.trim();
		boolean macro = trimmed.startsWith("@");
		if (!macro && trimmed.split("\\s+").length != 5) {
			return false;
		}
		try {
			CronExpression.parse(macro ? trimmed : "0 " + trimmed);
			return true;
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

	private RestoreSource restoreSource(Violations violations) {
		if (this.restoreFrom == null) {
			return null;
		}
		violations.dnsLabel("restoreFrom.storage", this.restoreFrom.storage());
		if (this.restoreFrom.backup() == null || !BACKUP_ID.matcher(this.restoreFrom.backup()).matches()) {
			violations.add("restoreFrom.backup", this.restoreFrom.backup(), "must be the id of a backup");
		}
		List<String> paths = this.restoreFrom.paths();
		if (paths != null) {
			if (paths.size() > 100) {
				violations.add("restoreFrom.paths", paths.size() + " paths", "at most 100 paths");
			}
			for (int i = 0; i < Math.min(paths.size(), 100); i++) {
				String path = paths.get(i);
				if (!isRelativePath(path)) {
					violations.add("restoreFrom.paths[" + i + "]", path,
							"must be a relative path inside the storage, without '..' segments");
				}
			}
		}
		return new RestoreSource(this.restoreFrom.storage(), this.restoreFrom.backup(),
				paths == null || paths.isEmpty() ? null : Collections.unmodifiableList(new ArrayList<>(paths)));
	}

	private static boolean isRelativePath(String path) {
		if (path == null || path.isEmpty() || path.length() > 4096 || path.startsWith("/") || path.indexOf('\0') >= 0) {
			return false;
		}
		for (String segment : path.split("/")) {
			if (segment.equals("..")) {
				return false;
			}
		}
		return true;
	}

}
