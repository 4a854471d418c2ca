package io.mlplatform.storage.snapshot;

/**
 * How the engine runs: the same for the service's JVM and a mover, which gets them from its run.
 * @param largeFileThreshold files above this size are stored as their own blob; smaller ones are packed
 * @param packSize a pack is sealed and uploaded once it holds this much
 * @param readers files read and hashed in parallel
 * @param uploads objects (packs, parts of blobs) uploaded or downloaded in parallel
 * @param queueLength entries in flight between the folder walk and the manifest: bounds memory
 */
public record EngineSettings(long largeFileThreshold, int packSize, int readers, int uploads, int queueLength) {

	/** What a run holds besides its contents: the walk's queue, manifest entries, an HTTP client's buffers. */
	static final long BASE_HEAP = 32L << 20;

	public EngineSettings {
		if (largeFileThreshold < 0 || packSize <= 0 || readers <= 0 || uploads <= 0 || queueLength <= 0) {
			throw new IllegalArgumentException("Engine settings must be positive: " + largeFileThreshold + ", "
					+ packSize + ", " + readers + ", " + uploads + ", " + queueLength);
		}
	}

	/**
	 * The heap one backup or restore needs with these settings, what a mover's heap is sized from: the open
	 * pack and one sealed pack on its way (in a heap of this size the engine keeps one in flight; a small file
	 * larger than a pack gets a buffer of its size), the batch waiting for its look-up (a pack's worth, and the
	 * file that filled it), a small file in the hands of each reader, and a base.
	 */
	public long moverHeap() {
		long buffer = Math.max(this.packSize, this.largeFileThreshold);
		return 2 * buffer + this.packSize + this.largeFileThreshold + this.readers * this.largeFileThreshold
				+ BASE_HEAP;
	}

}
