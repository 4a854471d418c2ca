package io.mlplatform.storage.snapshot;

import java.io.FilterInputStream;
import java.io.InputStream;

/** An object's body being read, with what its response said about it. */
public abstract class ObjectStream extends FilterInputStream {

	protected ObjectStream(InputStream body) {
		super(body);
	}

	/** The version read: what {@link ObjectStore#getFrom} asks for. */
	public abstract String eTag();

	/** The bytes this response carries; null if it did not say. */
	public abstract Long length();

	/** The {@code Content-Range} of a ranged response; null for a whole object. */
	public abstract String contentRange();

	/**
	 * Drops the connection without reading the rest: closing reads on to reuse it, and a body that was
	 * cut may never end.
	 */
	public abstract void abort();

}
