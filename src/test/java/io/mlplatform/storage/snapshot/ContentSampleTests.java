package io.mlplatform.storage.snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The share of content a verification reads: by bytes, moving on from run to run, all of it in the end. */
class ContentSampleTests {

	private final Map<ContentSample.Item, Long> objects = new HashMap<>();

	private long total;

	ContentSampleTests() {
		Random random = new Random(7);
		for (int i = 0; i < 200; i++) {
			long size = 1 + random.nextInt(32 << 20);
			this.objects.put(new ContentSample.Item(i % 5 == 0 ? ObjectRef.Kind.BLOB : ObjectRef.Kind.PACK,
					UUID.nameUUIDFromBytes(new byte[] { (byte) i, (byte) (i >> 8) }).toString()), size);
			this.total += size;
		}
	}

	private long bytes(Set<ContentSample.Item> items) {
		return items.stream().mapToLong(this.objects::get).sum();
	}

	@Test
	void aRunReadsAtLeastItsShareByBytesAndLittleMore() {
		ContentSample sample = ContentSample.of(this.objects, 0.05, 0);

		assertThat(bytes(sample.objects())).isGreaterThanOrEqualTo((long) (0.05 * this.total))
			.isLessThan((long) (0.05 * this.total) + (32 << 20));
	}

	@Test
	void successiveRunsReadDisjointContentAndAllOfItWithinTheirCount() {
		long cursor = 12345;
		List<Set<ContentSample.Item>> runs = new ArrayList<>();
		// each run reads at least a tenth: ten runs go round the ring
		for (int run = 0; run < 10; run++) {
			ContentSample sample = ContentSample.of(this.objects, 0.1, cursor);
			runs.add(sample.objects());
			cursor = sample.cursorEnd();
		}

		Set<ContentSample.Item> seen = new HashSet<>();
		for (int run = 0; run < runs.size() - 1; run++) {
			assertThat(java.util.Collections.disjoint(runs.get(run), seen)).as("run %d reads nothing read before", run).isTrue();
			seen.addAll(runs.get(run));
		}
		seen.addAll(runs.get(runs.size() - 1));
		assertThat(seen).isEqualTo(this.objects.keySet());
	}

	@Test
	void theSameCursorReadsTheSameContentAndAWholeRunReadsEverything() {
		assertThat(ContentSample.of(this.objects, 0.3, 99).objects())
			.isEqualTo(ContentSample.of(this.objects, 0.3, 99).objects());
		ContentSample whole = ContentSample.of(this.objects, 1.0, 99);
		assertThat(whole.objects()).isEqualTo(this.objects.keySet());
		assertThat(whole.cursorEnd()).isEqualTo(99);
	}

}
