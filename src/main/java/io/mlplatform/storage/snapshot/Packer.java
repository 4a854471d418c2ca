package io.mlplatform.storage.snapshot;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;

/**
 * Turns small contents into packs: asks the content index about a batch of contents at once (one
 * query per batch instead of one per file), appends the unknown ones to the open pack, and uploads
 * a pack with one PUT once it is full, while the next one fills. Contents of packs not yet recorded
 * are remembered here, so a content repeated within one run is stored once.
 */
public final class Packer {

	/*
	 * A pack is sealed by bytes or by count, whichever comes first: its contents stay in memory
	 * (their locations, to be recorded in the index) until its PUT is done, and a pack of tiny files
	 * would otherwise hold millions of them (1,000,000 files of 12 bytes fit one 16 MB pack and
	 * exhausted a 256 MiB heap).
	 */
	public static final int MAX_PACK_ENTRIES = 10_000;

	private final ObjectStore store;

	private final ContentIndex index;

	private final ExecutorService uploads;

	private final BackupStats stats;

	private final int packSize;

	private final Semaphore packsInFlight;

	private final List<Pending> pending = new ArrayList<>();

	/** Bytes of the contents waiting in {@link #pending}: a batch is resolved at a pack's worth too. */
	private long pendingBytes;

	private final Map<String, ContentLocation> unrecorded = new ConcurrentHashMap<>();

	private final List<CompletableFuture<Void>> uploading = new ArrayList<>();

	private String packId;

	private byte[] buffer;

	/**
	 * Pack buffers whose PUT is done, for the next packs: a backup holds at most one more than the packs in
	 * flight, and makes no garbage of 32 MB arrays for a small heap to collect.
	 */
	private final java.util.Queue<byte[]> spare = new java.util.concurrent.ConcurrentLinkedQueue<>();

	private int length;

	private List<ContentLocation> contents = new ArrayList<>();

	private volatile Throwable failure;

	Packer(ObjectStore store, ContentIndex index, ExecutorService uploads, BackupStats stats, int packSize,
			int packsInFlight) {
		this.index = index;
		this.store = store;
		this.uploads = uploads;
		this.stats = stats;
		this.packSize = packSize;
		this.packsInFlight = new Semaphore(packsInFlight);
	}

	/**
	 * Where a small content will be stored; known once the batch it joins is resolved.
	 * @param order the file's place in the walk
	 */
	synchronized CompletableFuture<ContentLocation> add(long order, String sha256, byte[] content) {
		return enqueue(new Pending(order, sha256, content, new CompletableFuture<>()));
	}

	private CompletableFuture<ContentLocation> enqueue(Pending item) {
		failIfBroken();
		this.pending.add(item);
		this.pendingBytes += item.content.length;
		// by bytes too, so that a batch of larger files holds a bounded share of the heap (EngineSettings.moverHeap)
		if (this.pending.size() >= this.index.batch() || this.pendingBytes >= this.packSize) {
			flush();
		}
		return item.location;
	}

	/** Resolves the pending batch now: the manifest waits on it. */
	synchronized void flush() {
		if (this.pending.isEmpty()) {
			return;
		}
		LinkedHashSet<String> unknown = new LinkedHashSet<>();
		for (Pending item : this.pending) {
			if (!this.unrecorded.containsKey(item.sha256)) {
				unknown.add(item.sha256);
			}
		}
		Map<String, ContentLocation> stored = this.index.find(unknown);
		List<Pending> batch = new ArrayList<>(this.pending);
		this.pending.clear();
		this.pendingBytes = 0;
		// in walk order, as parallel readers only roughly keep it: a restore then reads packs front to back
		batch.sort(java.util.Comparator.comparingLong(Pending::order));
		for (Pending item : batch) {
			ContentLocation location = this.unrecorded.get(item.sha256);
			if (location == null) {
				location = stored.get(item.sha256);
			}
			if (location == null) {
				location = append(item.sha256, item.content);
			}
			item.location.complete(location);
		}
	}

	private ContentLocation append(String sha256, byte[] content) {
		if (this.buffer == null) {
			this.packId = this.store.newPackId();
			byte[] reused = (content.length <= this.packSize) ? this.spare.poll() : null;
			this.buffer = (reused != null) ? reused : new byte[Math.max(this.packSize, content.length)];
			this.length = 0;
		}
		else if (this.length + content.length > this.buffer.length) {
			seal();
			return append(sha256, content);
		}
		System.arraycopy(content, 0, this.buffer, this.length, content.length);
		ContentLocation location = ContentLocation.packed(sha256, content.length, this.packId, this.length);
		this.length += content.length;
		this.contents.add(location);
		this.unrecorded.put(sha256, location);
		this.stats.stored(content.length);
		if (this.length >= this.packSize || this.contents.size() >= MAX_PACK_ENTRIES) {
			seal();
		}
		return location;
	}

	private void seal() {
		if (this.buffer == null) {
			return;
		}
		byte[] bytes = this.buffer;
		int size = this.length;
		ObjectRef pack = ObjectRef.pack(this.packId);
		List<ContentLocation> sealed = this.contents;
		this.buffer = null;
		this.contents = new ArrayList<>();
		// bounds the memory of packs waiting for their PUT; the caller waits here when the uploads lag
		this.packsInFlight.acquireUninterruptibly();
		this.uploading.add(CompletableFuture.runAsync(() -> {
			try {
				try {
					this.store.put(pack, bytes, size);
				}
				finally {
					if (bytes.length == this.packSize) {
						this.spare.offer(bytes);
					}
				}
				this.index.record(sealed);
				this.stats.uploaded(size);
				forget(sealed);
			}
			catch (RuntimeException | Error ex) {
				this.failure = ex;
				throw ex;
			}
			finally {
				this.packsInFlight.release();
			}
		}, this.uploads));
	}

	// not synchronized: a sealing thread holds the lock while it waits for an upload to finish
	private void forget(List<ContentLocation> recorded) {
		recorded.forEach(location -> this.unrecorded.remove(location.sha256()));
	}

	private void failIfBroken() {
		if (this.failure != null) {
			throw new IllegalStateException("A pack upload failed", this.failure);
		}
	}

	/** Uploads what is left and waits for every pack to be stored and recorded. */
	void finish() {
		List<CompletableFuture<Void>> all;
		synchronized (this) {
			flush();
			seal();
			all = new ArrayList<>(this.uploading);
		}
		CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
	}

	private record Pending(long order, String sha256, byte[] content, CompletableFuture<ContentLocation> location) {
	}

}
