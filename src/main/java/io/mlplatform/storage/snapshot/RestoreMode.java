package io.mlplatform.storage.snapshot;

/** What a restore does with what the target has and the snapshot does not. */
public enum RestoreMode {

	/** Overwrite what the snapshot has, keep the rest. */
	MERGE,

	/** Also remove what the snapshot does not have (within the restored paths). */
	REPLACE

}
