package io.mlplatform.storage.snapshot;

/** The store has no such object: the one failure of a read that callers tell apart. */
public class ObjectNotFoundException extends RuntimeException {

	public ObjectNotFoundException(ObjectRef object, Throwable cause) {
		super("No " + object, cause);
	}

}
