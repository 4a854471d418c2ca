package io.mlplatform.storage.mover;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.mlplatform.storage.mover.MoverProtocol.Content;
import io.mlplatform.storage.mover.MoverProtocol.Contents;
import io.mlplatform.storage.snapshot.ContentIndex;
import io.mlplatform.storage.snapshot.ContentLocation;

/**
 * The project's content index as a mover reaches it: look-ups and records through the mover API, in batches.
 * A record waits up to {@link #RECORD_DELAY} for a look-up to ride on: the engine looks up before each pack
 * and records after each pack's PUT, and each call of its own costs the service its request path (some
 * 2.5 ms of CPU whatever it carries, bench/RESULTS.md) — a third of a backup's calls were records.
 */
final class RemoteIndex implements ContentIndex {

	/**
	 * How long stored contents may wait unrecorded. A mover killed in that time leaves them unrecorded, and
	 * the next attempt stores them again: at most what this mover stored in the last quarter second.
	 */
	static final Duration RECORD_DELAY = Duration.ofMillis(250);

	private final MoverClient service;

	private final Executor later;

	/**
	 * Held while a call that records or looks up is on its way: a look-up is answered after every record
	 * sent before it, so that content stored once is found, not stored again.
	 */
	private final Object sending = new Object();

	/** Contents stored and not yet sent; guarded by {@code this}. */
	private List<Content> queued = new ArrayList<>();

	/** Whether a send of {@link #queued} is due already; guarded by {@code this}. */
	private boolean due;

	/** Why records sent in the background were refused: the run cannot commit without them. */
	private volatile RuntimeException failure;

	RemoteIndex(MoverClient service) {
		this(service, RECORD_DELAY);
	}

	RemoteIndex(MoverClient service, Duration delay) {
		this.service = service;
		this.later = CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS,
				RemoteIndex::startDaemon);
	}

	private static void startDaemon(Runnable task) {
		Thread thread = new Thread(task, "mover-records");
		thread.setDaemon(true);
		thread.start();
	}

	/** As many as one call takes: each batch is a round trip to the service. */
	@Override
	public int batch() {
		return MoverProtocol.MAX_LOOKUP;
	}

	@Override
	public Map<String, ContentLocation> find(Collection<String> sha256s) {
		Map<String, ContentLocation> found = new HashMap<>();
		List<String> all = new ArrayList<>(sha256s);
		return whileSending(() -> {
			List<Content> records = sendAllButLast(drain());
			for (int from = 0; from < all.size(); from += MoverProtocol.MAX_LOOKUP) {
				List<String> batch = all.subList(from, Math.min(all.size(), from + MoverProtocol.MAX_LOOKUP));
				lookup(batch, records).contents().forEach(content -> found.put(content.sha256(), location(content)));
				records = List.of();
			}
			send(records);
			return found;
		});
	}

	/**
	 * Runs {@code calls} holding the lock that orders sends, after any failure of a send before it: records
	 * a failed send took may be lost, so its failure is kept and ends every call after it too.
	 */
	private <T> T whileSending(Supplier<T> calls) {
		synchronized (this.sending) {
			failIfRefused();
			try {
				return calls.get();
			}
			catch (RuntimeException ex) {
				this.failure = ex;
				throw ex;
			}
		}
	}

	/** One look-up, carrying {@code records} unless that would pass the service's body limit. */
	private Contents lookup(List<String> batch, List<Content> records) {
		if (!records.isEmpty()) {
			byte[] both = MoverClient.json(new MoverProtocol.Lookup(batch, records));
			if (both.length <= MoverProtocol.MAX_BODY) {
				return this.service.postJson("/contents:lookup", both, Contents.class);
			}
			send(records);
		}
		return this.service.post("/contents:lookup", new MoverProtocol.Lookup(batch), Contents.class);
	}

	@Override
	public ContentLocation findBlob(String sha256) {
		flush();
		// not while holding the lock: the service may wait here for a collection that is deleting objects
		List<Content> found = this.service.post("/blobs/" + sha256 + ":lookup", null, Contents.class).contents();
		return found.isEmpty() ? null : location(found.get(0));
	}

	/** Queues the contents for the next look-up, or for a call of their own within {@link #RECORD_DELAY}. */
	@Override
	public void record(List<ContentLocation> contents) {
		failIfRefused();
		List<Content> records = contents.stream()
			.map(location -> new Content(location.sha256(), location.size(), location.pack(), location.offset(), null))
			.toList();
		boolean schedule;
		synchronized (this) {
			this.queued.addAll(records);
			schedule = !this.due;
			this.due = true;
		}
		if (schedule) {
			CompletableFuture.runAsync(this::sendDue, this.later);
		}
	}

	/** Sends every queued record now: the manifest is about to name them. */
	@Override
	public void flush() {
		// records a background send took and the service refused are lost: the run cannot commit
		whileSending(() -> {
			send(drain());
			return null;
		});
	}

	private void sendDue() {
		synchronized (this.sending) {
			List<Content> records;
			synchronized (this) {
				this.due = false;
				records = drain();
			}
			try {
				send(records);
			}
			catch (RuntimeException ex) {
				this.failure = ex;
			}
		}
	}

	private synchronized List<Content> drain() {
		List<Content> records = this.queued;
		this.queued = new ArrayList<>();
		return records;
	}

	/** Sends all but the last call's worth of {@code records}, and returns that last one to ride on a look-up. */
	private List<Content> sendAllButLast(List<Content> records) {
		int last = Math.max(0, records.size() - MoverProtocol.MAX_RECORD);
		send(records.subList(0, last));
		return records.subList(last, records.size());
	}

	private void send(List<Content> records) {
		for (int from = 0; from < records.size(); from += MoverProtocol.MAX_RECORD) {
			List<Content> batch = records.subList(from, Math.min(records.size(), from + MoverProtocol.MAX_RECORD));
			this.service.post("/contents:record", new Contents(batch), null);
		}
	}

	private void failIfRefused() {
		RuntimeException refused = this.failure;
		if (refused != null) {
			throw refused;
		}
	}

	private static ContentLocation location(Content content) {
		return (content.pack() != null)
				? ContentLocation.packed(content.sha256(), content.size(), content.pack(), content.offset())
				: ContentLocation.blob(content.sha256(), content.size(), content.blob());
	}

}
