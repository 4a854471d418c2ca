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

	public EngineSettings {
		if (largeFileThreshold < 0 || packSize <= 0 || readers <= 0 || uploads <= 0 || queueLength <= 0) {
			throw new IllegalArgumentException("Engine settings must be positive: " + largeFileThreshold + ", "
					+ packSize + ", " + readers + ", " + uploads + ", " + queueLength);
		}
	}

}
