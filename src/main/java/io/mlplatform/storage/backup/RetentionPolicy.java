package io.mlplatform.storage.backup;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Which snapshots to keep, counted as restic's {@code forget} counts them: snapshots are visited newest
 * first; each rule keeps a snapshot whose bucket (the snapshot itself, its day, ISO week or month)
 * differs from the last bucket that rule kept, until the rule's count is used up. A snapshot kept by
 * several rules uses up a count of each. Null or zero keeps nothing by that rule; a policy of no rules
 * keeps everything.
 */
public record RetentionPolicy(Integer keepLast, Integer keepDaily, Integer keepWeekly, Integer keepMonthly) {

	/** A snapshot's id and time, the time that its days, weeks and months are counted in. */
	public record Snapshot(String id, Instant time) {
	}

	/** The snapshots to keep, newest first. */
	public List<Snapshot> keep(List<Snapshot> snapshots, ZoneId zone) {
		List<Snapshot> newestFirst = new ArrayList<>(snapshots);
		newestFirst.sort(Comparator.comparing(Snapshot::time).reversed());
		List<Rule> rules = new ArrayList<>();
		rule(rules, this.keepLast, (time, index) -> (long) index);
		rule(rules, this.keepDaily, (time, index) -> (long) time.getYear() * 10000 + time.getMonthValue() * 100L
				+ time.getDayOfMonth());
		rule(rules, this.keepWeekly, (time, index) -> (long) time.get(IsoFields.WEEK_BASED_YEAR) * 100
				+ time.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
		rule(rules, this.keepMonthly, (time, index) -> (long) time.getYear() * 100 + time.getMonthValue());
		if (rules.isEmpty()) {
			return newestFirst;
		}
		Set<Snapshot> kept = new LinkedHashSet<>();
		for (int index = 0; index < newestFirst.size(); index++) {
			Snapshot snapshot = newestFirst.get(index);
			ZonedDateTime time = snapshot.time().atZone(zone);
			for (Rule rule : rules) {
				if (rule.remaining > 0) {
					long bucket = rule.bucket.apply(time, index);
					if (rule.last == null || rule.last != bucket) {
						rule.last = bucket;
						rule.remaining--;
						kept.add(snapshot);
					}
				}
			}
		}
		return List.copyOf(kept);
	}

	private static void rule(List<Rule> rules, Integer count, BiFunction<ZonedDateTime, Integer, Long> bucket) {
		if (count != null && count > 0) {
			rules.add(new Rule(count, bucket));
		}
	}

	private static final class Rule {

		int remaining;

		final BiFunction<ZonedDateTime, Integer, Long> bucket;

		Long last;

		Rule(int remaining, BiFunction<ZonedDateTime, Integer, Long> bucket) {
			this.remaining = remaining;
			this.bucket = bucket;
		}

	}

}
