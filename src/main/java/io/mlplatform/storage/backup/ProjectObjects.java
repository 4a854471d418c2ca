package io.mlplatform.storage.backup;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import io.mlplatform.storage.snapshot.ContentListing;
import io.mlplatform.storage.snapshot.FileDigest;
import io.mlplatform.storage.snapshot.ObjectNotFoundException;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.ObjectStream;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/** One project's part of the bucket over the service's own S3 client: the engine's store in this JVM. */
final class ProjectObjects implements ObjectStore, ContentListing {

	private final S3Store store;

	private final SnapshotLayout layout;

	private final String project;

	ProjectObjects(S3Store store, SnapshotLayout layout, String project) {
		this.store = store;
		this.layout = layout;
		this.project = project;
	}

	S3Store store() {
		return this.store;
	}

	private String key(ObjectRef object) {
		return this.layout.key(this.project, object);
	}

	@Override
	public void put(ObjectRef pack, byte[] bytes, int length) {
		this.store.put(key(pack), bytes, length);
	}

	@Override
	public void putContent(ObjectRef blob, Path file, FileDigest digest, Executor parts, BooleanSupplier unchanged) {
		this.store.putContent(key(blob), file, digest, parts, unchanged);
	}

	@Override
	public void putFile(ObjectRef manifest, Path file, long size, Executor parts, Map<String, String> metadata) {
		this.store.putFile(key(manifest), file, size, parts, metadata);
	}

	@Override
	public ObjectStream get(ObjectRef object) {
		try {
			return stream(this.store.get(key(object)));
		}
		catch (NoSuchKeyException ex) {
			throw new ObjectNotFoundException(object, ex);
		}
	}

	@Override
	public ObjectStream get(ObjectRef object, long offset, long length) {
		try {
			return stream(this.store.get(key(object), offset, length));
		}
		catch (NoSuchKeyException ex) {
			throw new ObjectNotFoundException(object, ex);
		}
	}

	@Override
	public ObjectStream getFrom(ObjectRef object, long offset, String eTag) {
		return stream(this.store.get(key(object), offset, eTag));
	}

	@Override
	public Map<String, Long> sizes(ObjectRef.Kind kind) {
		String prefix = switch (kind) {
			case PACK -> this.layout.packs(this.project);
			case BLOB -> this.layout.blobs(this.project);
			case MANIFEST -> throw new IllegalArgumentException("Manifests are not content");
		};
		Map<String, Long> sizes = new HashMap<>();
		this.store.list(prefix).forEach(object -> sizes.put(object.key().substring(object.key().lastIndexOf('/') + 1),
				object.size()));
		return sizes;
	}

	@Override
	public long partSize() {
		return this.store.partSize();
	}

	@Override
	public long partSize(long size) {
		return this.store.partSize(size);
	}

	static ObjectStream stream(ResponseInputStream<GetObjectResponse> response) {
		return new ObjectStream(response) {

			@Override
			public String eTag() {
				return response.response().eTag();
			}

			@Override
			public Long length() {
				return response.response().contentLength();
			}

			@Override
			public String contentRange() {
				return response.response().contentRange();
			}

			@Override
			public void abort() {
				response.abort();
			}

		};
	}

}
