package io.mlplatform.storage.backup;

import java.util.Locale;

import io.mlplatform.storage.web.InvalidRequestException;

/** Where a backup or restore is: waiting, running, or done one way or another (Expired: removed by retention). */
public enum JobState {

	Queued, Running, Succeeded, Failed, Cancelled, Expired;

	boolean active() {
		return this == Queued || this == Running;
	}

	/** A {@code state} query parameter, case-insensitively; null for none. */
	static JobState parse(String state, boolean backups) {
		if (state == null) {
			return null;
		}
		for (JobState candidate : values()) {
			if ((backups || candidate != Expired) && candidate.name().equalsIgnoreCase(state.toLowerCase(Locale.ROOT))) {
				return candidate;
			}
		}
		throw InvalidRequestException.field("state", state, "must be one of Queued, Running, Succeeded, Failed, Cancelled"
				+ (backups ? ", Expired" : ""));
	}

}
