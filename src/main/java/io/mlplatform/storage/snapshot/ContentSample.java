package io.mlplatform.storage.snapshot;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The packs and blobs one verification reads. Every referenced object has a fixed place on a ring (the
 * first 64 bits of the sha256 of its kind and name: pack ids and content hashes are already spread
 * evenly). A run starts at a cursor and takes objects in ring order until it has {@code fraction} of the
 * bytes; the next run starts where this one stopped, so successive runs read different content and
 * {@code ceil(1 / fraction)} runs read all of it, as restic's {@code --read-data-subset=n/t} does, while
 * content added between runs simply takes its place on the ring. A cursor kept per storage, rather than
 * a random seed per run, is what guarantees that coverage instead of making it likely; the same cursor
 * reads the same content, so a retried attempt checks what the first one would have.
 * @param cursorEnd where the next run starts
 */
record ContentSample(Set<Item> objects, long cursorEnd) {

	/** A pack (by id) or a blob (by sha256). */
	record Item(ObjectRef.Kind kind, String id) {
	}

	boolean contains(Item object) {
		return this.objects.contains(object);
	}

	/** @param referenced every object the snapshot references, with its size */
	static ContentSample of(Map<Item, Long> referenced, double fraction, long cursor) {
		record Placed(Item item, long size, long place) {
		}
		List<Placed> ring = new ArrayList<>(referenced.size());
		long total = 0;
		for (Map.Entry<Item, Long> object : referenced.entrySet()) {
			ring.add(new Placed(object.getKey(), object.getValue(), place(object.getKey())));
			total += object.getValue();
		}
		ring.sort(Comparator.comparing(Placed::place, Long::compareUnsigned));
		Set<Item> taken = new HashSet<>();
		if (ring.isEmpty() || fraction >= 1) {
			ring.forEach(object -> taken.add(object.item()));
			return new ContentSample(taken, cursor);
		}
		int start = 0;
		while (start < ring.size() && Long.compareUnsigned(ring.get(start).place(), cursor) < 0) {
			start++;
		}
		double wanted = fraction * total;
		long bytes = 0;
		long end = cursor;
		for (int n = 0; n < ring.size() && (taken.isEmpty() || bytes < wanted); n++) {
			Placed object = ring.get((start + n) % ring.size());
			taken.add(object.item());
			bytes += object.size();
			end = object.place() + 1;
		}
		return new ContentSample(taken, end);
	}

	/** An object's fixed place on the ring. */
	private static long place(Item object) {
		MessageDigest digest = Sha256.digest();
		digest.update((object.kind().name() + ":" + object.id()).getBytes(StandardCharsets.UTF_8));
		return ByteBuffer.wrap(digest.digest()).getLong();
	}

}
