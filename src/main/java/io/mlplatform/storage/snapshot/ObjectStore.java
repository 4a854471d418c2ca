package io.mlplatform.storage.snapshot;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * One project's part of the backup bucket, as the engine reads and writes it. Two implementations: the
 * service's, over the S3 SDK with its credentials, and the mover's, over presigned URLs it asks the
 * service for. Requests are retried inside; what reaches the caller has failed for good.
 */
public interface ObjectStore {

	/** S3 takes at most this many parts of one multipart upload. */
	int MAX_PARTS = 10_000;

	/** Reads of a response body cut off mid-way (a client retries only until the headers arrive). */
	int BODY_ATTEMPTS = 4;

	/** The id of a new pack: random, never one the bucket holds. */
	default String newPackId() {
		return java.util.UUID.randomUUID().toString();
	}

	/** Stores a pack from the caller's array, in one PUT; its id is one {@link #newPackId} gave. */
	void put(ObjectRef pack, byte[] bytes, int length);

	/**
	 * Stores a large content hashed before: in one PUT declaring its sha256, or as a multipart upload
	 * declaring each part's CRC32C and completed only if {@code unchanged} still holds, so the object
	 * appears only when it is exactly the hashed content.
	 * @throws ChangedContentException if the bytes sent were not the ones hashed
	 */
	void putContent(ObjectRef blob, Path file, FileDigest digest, Executor parts, BooleanSupplier unchanged);

	/** Stores a file the engine wrote (a manifest), with user metadata. */
	void putFile(ObjectRef manifest, Path file, long size, Executor parts, Map<String, String> metadata);

	/** @throws ObjectNotFoundException if there is no such object */
	ObjectStream get(ObjectRef object);

	/** Bytes {@code [offset, offset + length)} of an object. */
	ObjectStream get(ObjectRef object, long offset, long length);

	/**
	 * An object from {@code offset} to its end, only if it is still the version with this ETag: how a
	 * download cut off part-way goes on.
	 */
	ObjectStream getFrom(ObjectRef object, long offset, String eTag);

	/** The size of a multipart upload's parts, and of the ranges a large content is restored in. */
	long partSize();

	/**
	 * The part size of a content of this size: all of it when it goes in one PUT, else the configured
	 * one, grown in whole MiB so that it never needs more than {@link #MAX_PARTS} parts.
	 */
	long partSize(long size);

	/** The part size {@code configured}, grown so that {@code size} needs at most {@link #MAX_PARTS} parts. */
	static long partSize(long configured, long size) {
		long mib = 1024 * 1024;
		long least = (size + MAX_PARTS - 1) / MAX_PARTS;
		return Math.max(configured, (least + mib - 1) / mib * mib);
	}

}
