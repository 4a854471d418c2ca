package io.mlplatform.storage.backup;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.mlplatform.storage.backup.RetentionPolicy.Snapshot;

import static org.assertj.core.api.Assertions.assertThat;

/** restic's documented counting rules for {@code forget}. */
class RetentionPolicyTests {

	private static final ZoneId UTC = ZoneOffset.UTC;

	private static List<Snapshot> dailyAtNoon(LocalDate first, LocalDate last) {
		List<Snapshot> snapshots = new ArrayList<>();
		for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
			snapshots.add(new Snapshot(day.toString(), day.atTime(12, 0).toInstant(ZoneOffset.UTC)));
		}
		return snapshots;
	}

	private static TreeSet<String> ids(List<Snapshot> snapshots) {
		TreeSet<String> ids = new TreeSet<>();
		snapshots.forEach(s -> ids.add(s.id()));
		return ids;
	}

	/**
	 * restic's docs: with daily backups, {@code --keep-daily 7 --keep-weekly 5 --keep-monthly 12} keeps the
	 * most recent 7 dailies, then 4 more last-day-of-the-weeks (the 7 dailies already include one
	 * weekly), then 11 or 12 last-day-of-the-months.
	 */
	@Test
	void keepsDailiesWeekliesAndMonthliesAsResticDocumentsIt() {
		LocalDate last = LocalDate.of(2025, 3, 16); // a Sunday: the 7 dailies are exactly one week
		List<Snapshot> snapshots = dailyAtNoon(LocalDate.of(2023, 1, 1), last);

		List<Snapshot> kept = new RetentionPolicy(null, 7, 5, 12).keep(snapshots, UTC);

		TreeSet<String> expected = new TreeSet<>();
		for (int i = 0; i < 7; i++) {
			expected.add(last.minusDays(i).toString());
		}
		// the newest week's newest snapshot is today; then the Sundays of the four weeks before
		for (int i = 1; i <= 4; i++) {
			expected.add(last.minusWeeks(i).toString());
		}
		// the newest month's newest snapshot is today; then the last days of the eleven months before
		for (int i = 1; i < 12; i++) {
			expected.add(last.minusMonths(i).with(TemporalAdjusters.lastDayOfMonth()).toString());
		}
		assertThat(ids(kept)).isEqualTo(expected);
		assertThat(kept).hasSize(7 + 4 + 11);
	}

	@Test
	void keepLastCountsEverySnapshotAndOverlapsWithOtherRules() {
		Instant noon = Instant.parse("2025-03-19T12:00:00Z");
		List<Snapshot> snapshots = List.of(new Snapshot("a", noon.minusSeconds(7200)), new Snapshot("b", noon.minusSeconds(3600)),
				new Snapshot("c", noon), new Snapshot("d", noon.minusSeconds(86400)), new Snapshot("e", noon.minusSeconds(2 * 86400)));

		assertThat(ids(new RetentionPolicy(2, null, null, null).keep(snapshots, UTC))).containsExactly("b", "c");
		// two of today's three are the last two; the daily rule keeps today's newest (already kept) and yesterday's
		assertThat(ids(new RetentionPolicy(2, 2, null, null).keep(snapshots, UTC))).containsExactly("b", "c", "d");
	}

	@Test
	void countsDaysInTheGivenTimeZone() {
		// 23:30 UTC on the 18th is already the 19th in Berlin: one day there, two in UTC
		List<Snapshot> snapshots = List.of(new Snapshot("late", Instant.parse("2025-03-18T23:30:00Z")),
				new Snapshot("morning", Instant.parse("2025-03-19T08:00:00Z")));

		assertThat(ids(new RetentionPolicy(null, 5, null, null).keep(snapshots, UTC))).containsExactly("late", "morning");
		assertThat(ids(new RetentionPolicy(null, 5, null, null).keep(snapshots, ZoneId.of("Europe/Berlin"))))
			.containsExactly("morning");
	}

	@Test
	void aPolicyWithoutRulesKeepsEverything() {
		List<Snapshot> snapshots = dailyAtNoon(LocalDate.of(2025, 1, 1), LocalDate.of(2025, 1, 10));

		assertThat(new RetentionPolicy(null, 0, null, null).keep(snapshots, UTC)).hasSize(10);
	}

}
