package io.mlplatform.storage.snapshot;

/** A run's lease ran out: a collection may have removed content it relies on, so it stores nothing more. */
public class LeaseLostException extends IllegalStateException {

	public LeaseLostException(String message) {
		super(message);
	}

}
