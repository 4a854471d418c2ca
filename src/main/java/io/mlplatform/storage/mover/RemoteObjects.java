package io.mlplatform.storage.mover;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.mlplatform.storage.mover.MoverProtocol.ObjectName;
import io.mlplatform.storage.mover.MoverProtocol.PackSlot;
import io.mlplatform.storage.mover.MoverProtocol.PackSlots;
import io.mlplatform.storage.mover.MoverProtocol.PackSlotsRequest;
import io.mlplatform.storage.mover.MoverProtocol.Part;
import io.mlplatform.storage.mover.MoverProtocol.Presign;
import io.mlplatform.storage.mover.MoverProtocol.Presigned;
import io.mlplatform.storage.snapshot.ChangedContentException;
import io.mlplatform.storage.snapshot.FileDigest;
import io.mlplatform.storage.snapshot.FileSlice;
import io.mlplatform.storage.snapshot.MultipartUpload;
import io.mlplatform.storage.snapshot.ObjectNotFoundException;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.ObjectStore;
import io.mlplatform.storage.snapshot.ObjectStream;

/**
 * The run's project in the bucket as a mover reaches it: every request presigned by the service for
 * one object (and one part, or one range), sent straight to S3. The mover holds no S3 credential,
 * and never names a key. A request S3 fails with a 5xx, or whose connection breaks, is signed and
 * sent again; what a URL allows and its signature never reach a log or an error message.
 */
final class RemoteObjects implements ObjectStore {

	private static final int ATTEMPTS = 5;

	/** What a signature handed out ahead must have left to be used: a pack's PUT takes seconds. */
	private static final Duration FRESH_ENOUGH = Duration.ofSeconds(30);

	/** Headers the HTTP clients set themselves from the request and its body. */
	private static final Set<String> SET_BY_CLIENT = Set.of("host", "content-length", "connection", "expect",
			"upgrade");

	private final MoverClient service;

	private final HttpClient http;

	private final long partSize;

	private final long multipartThreshold;

	private final AtomicLong requests = new AtomicLong();

	/** New packs the service named and signed the PUT of, not used yet. */
	private final Deque<PackSlot> slots = new ArrayDeque<>();

	/** The PUT signed for each pack handed out and not stored yet, by id. */
	private final Map<String, Presigned> packPuts = new ConcurrentHashMap<>();

	/** How many packs the next call asks for: doubled each time, so a run of one pack asks for two. */
	private int nextSlots = 2;

	/** When the first PUT to S3 succeeded (epoch millis); 0 before. */
	private final AtomicLong firstUpload = new AtomicLong();

	/** When the HTTP client took the first bytes of a PUT's body to send to S3 (epoch millis); 0 before. */
	private final AtomicLong firstByte = new AtomicLong();

	RemoteObjects(MoverClient service, long partSize, long multipartThreshold) {
		this.service = service;
		this.partSize = partSize;
		this.multipartThreshold = multipartThreshold;
		this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1)
			.build();
	}

	/** When the first PUT to S3 succeeded (epoch millis), 0 if none did. */
	long firstUpload() {
		return this.firstUpload.get();
	}

	/**
	 * When the first byte of a PUT's body went to S3 (epoch millis), 0 if none did. It can be well before the
	 * first PUT succeeds: a large file goes in one PUT (up to the multipart threshold, 200 MB by default) beside
	 * the others being read, and succeeds only once all of it arrived.
	 */
	long firstByte() {
		return this.firstByte.get();
	}

	/** Requests sent to S3 so far. */
	long requests() {
		return this.requests.get();
	}

	static ObjectName name(ObjectRef object) {
		return new ObjectName(object.kind().name().toLowerCase(), object.id(), object.storage());
	}

	@Override
	public long partSize() {
		return this.partSize;
	}

	@Override
	public long partSize(long size) {
		return (size <= this.multipartThreshold) ? Math.max(size, 1) : ObjectStore.partSize(this.partSize, size);
	}

	/**
	 * A pack id the service chose, whose PUT it signed along with others in one call: the pack's upload
	 * then needs no call of its own.
	 */
	@Override
	public synchronized String newPackId() {
		if (this.slots.isEmpty()) {
			PackSlots got = this.service.post("/packs:presign", new PackSlotsRequest(this.nextSlots), PackSlots.class);
			this.slots.addAll(got.packs());
			this.nextSlots = Math.min(MoverProtocol.MAX_PACK_SLOTS, this.nextSlots * 2);
		}
		PackSlot slot = this.slots.poll();
		this.packPuts.put(slot.id(), slot.put());
		return slot.id();
	}

	@Override
	public void put(ObjectRef pack, byte[] bytes, int length) {
		// not ofByteArray: it copies the whole pack into buffers of its own before the first byte is sent, a
		// second pack's worth of heap; a stream hands the socket one chunk at a time
		send(pack, new Presign("PUT", name(pack), null, null, null, null, null, null), this.packPuts.remove(pack.id()),
				() -> HttpRequest.BodyPublishers.fromPublisher(
						HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes, 0, length)), length));
	}

	@Override
	public void putContent(ObjectRef blob, Path file, FileDigest digest, Executor parts, BooleanSupplier unchanged) {
		if (digest.size() <= this.multipartThreshold && digest.parts().size() == 1) {
			// signed with the content's sha256: S3 refuses other bytes (a file changed since it was hashed)
			send(blob, new Presign("PUT", name(blob), null, null, null, null, null, null), null,
					() -> slice(file, 0, digest.size()));
			return;
		}
		upload(blob, file, digest.size(), digest.partSize(), digest, parts, Map.of(), unchanged);
	}

	@Override
	public void putFile(ObjectRef manifest, Path file, long size, Executor parts, Map<String, String> metadata) {
		if (size <= this.partSize) {
			send(manifest, new Presign("PUT", name(manifest), null, null, metadata, null, null, null), null,
					() -> slice(file, 0, size));
			return;
		}
		upload(manifest, file, size, ObjectStore.partSize(this.partSize, size), null, parts, metadata, () -> true);
	}

	private void upload(ObjectRef object, Path file, long size, long partSize, FileDigest digest, Executor parts,
			Map<String, String> metadata, BooleanSupplier unchanged) {
		String uploadId = this.service
			.post("/uploads:start", new MoverProtocol.UploadStart(name(object), metadata), MoverProtocol.Upload.class)
			.uploadId();
		MultipartUpload.run(file, size, partSize, digest, parts, part -> {
			HttpResponse<InputStream> response = send(object,
					new Presign("PUT", name(object), null, null, null, uploadId, part.number(), part.checksum()), null,
					() -> slice(file, part.offset(), part.length()));
			String eTag = response.headers().firstValue("ETag").orElseThrow(
					() -> new IllegalStateException("S3 gave part " + part.number() + " of " + object + " no ETag"));
			return new Part(part.number(), eTag, part.checksum());
		}, unchanged, completed -> this.service.post("/uploads:complete",
				new MoverProtocol.UploadComplete(name(object), uploadId, completed), null), failure -> {
					try {
						this.service.post("/uploads:abort", new MoverProtocol.UploadAbort(name(object), uploadId), null);
					}
					catch (RuntimeException abort) {
						failure.addSuppressed(abort);
					}
				});
	}

	@Override
	public ObjectStream get(ObjectRef object) {
		return stream(object, new Presign("GET", name(object), null, null, null, null, null, null), null);
	}

	@Override
	public ObjectStream get(ObjectRef object, long offset, long length) {
		return stream(object, new Presign("GET", name(object), offset, length, null, null, null, null), null);
	}

	@Override
	public ObjectStream getFrom(ObjectRef object, long offset, String eTag) {
		return stream(object, new Presign("GET", name(object), offset, null, null, null, null, null), eTag);
	}

	/**
	 * A GET through a blocking connection: the body streams from the socket into the reader's own buffer.
	 * Through java.net.http each read of some 12 KiB crossed threads twice (56,000 futex calls while a
	 * mover restored B's 328 MB, traced), and a restore cost more CPU than restic's. Signed again and
	 * retried like a PUT ({@link #send}).
	 */
	private ObjectStream stream(ObjectRef object, Presign presign, String ifMatch) {
		for (int attempt = 1;; attempt++) {
			Presigned signed = this.service.post("/objects:presign", presign, Presigned.class);
			HttpURLConnection connection;
			int status;
			try {
				this.requests.incrementAndGet();
				connection = (HttpURLConnection) URI.create(signed.url()).toURL().openConnection();
				connection.setConnectTimeout(10_000);
				connection.setReadTimeout(300_000);
				connection.setInstanceFollowRedirects(false);
				connection.setUseCaches(false);
				HttpURLConnection request = connection;
				signed.headers().forEach((name, values) -> {
					if (!SET_BY_CLIENT.contains(name.toLowerCase())) {
						values.forEach(value -> request.addRequestProperty(name, value));
					}
				});
				if (ifMatch != null) {
					connection.setRequestProperty("If-Match", ifMatch);
				}
				status = connection.getResponseCode();
			}
			catch (IOException ex) {
				if (attempt == ATTEMPTS) {
					throw new UncheckedIOException("GET of " + object + " failed", ex);
				}
				pause(attempt);
				continue;
			}
			if (status / 100 == 2) {
				return response(connection);
			}
			refusedUnlessRetried(object, "GET", status, errorCode(connection.getErrorStream()), attempt);
		}
	}

	private static ObjectStream response(HttpURLConnection connection) {
		InputStream body;
		try {
			body = connection.getInputStream();
		}
		catch (IOException ex) {
			connection.disconnect();
			throw new UncheckedIOException("GET failed", ex);
		}
		return new ObjectStream(body) {

			@Override
			public String eTag() {
				return connection.getHeaderField("ETag");
			}

			@Override
			public Long length() {
				long length = connection.getContentLengthLong();
				return (length < 0) ? null : length;
			}

			@Override
			public String contentRange() {
				return connection.getHeaderField("Content-Range");
			}

			@Override
			public void abort() {
				// closes the socket: closing the body would read the rest to keep the connection
				connection.disconnect();
			}

		};
	}

	/**
	 * Signs and sends one PUT, again with a fresh signature after a 5xx or a broken connection.
	 * @param signedBefore its first attempt's signature, if signed before; null to ask for one
	 * @return the response, its (empty) body read
	 * @throws ObjectNotFoundException on a 404
	 * @throws ChangedContentException when S3 refused its bytes for their checksum
	 */
	private HttpResponse<InputStream> send(ObjectRef object, Presign presign, Presigned signedBefore,
			java.util.function.Supplier<HttpRequest.BodyPublisher> body) {
		for (int attempt = 1;; attempt++) {
			// one signed before is used only while it has long enough left for the upload
			Presigned signed = (attempt == 1 && signedBefore != null
					&& signedBefore.expiresAt().isAfter(Instant.now().plus(FRESH_ENOUGH))) ? signedBefore
							: this.service.post("/objects:presign", presign, Presigned.class);
			HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(signed.url())).timeout(Duration.ofMinutes(5));
			signed.headers().forEach((name, values) -> {
				if (!SET_BY_CLIENT.contains(name.toLowerCase())) {
					values.forEach(value -> request.header(name, value));
				}
			});
			request.method(signed.method(), noteFirstByte(body.get()));
			HttpResponse<InputStream> response;
			try {
				this.requests.incrementAndGet();
				response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
			}
			catch (IOException ex) {
				if (attempt == ATTEMPTS) {
					throw new UncheckedIOException(presign.method() + " of " + object + " failed", ex);
				}
				pause(attempt);
				continue;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(presign.method() + " of " + object + " interrupted", ex);
			}
			int status = response.statusCode();
			if (status / 100 == 2) {
				drain(response);
				this.firstUpload.compareAndSet(0, System.currentTimeMillis());
				return response;
			}
			String error = errorCode(response.body());
			if (signed == signedBefore && status == 403 && attempt < ATTEMPTS) {
				// signed ahead and expired after all (this host's clock behind the service's): signed again now
				continue;
			}
			refusedUnlessRetried(object, presign.method(), status, error, attempt);
		}
	}

	/** The body, noting when the HTTP client takes its first bytes, unless a body before it was taken already. */
	private HttpRequest.BodyPublisher noteFirstByte(HttpRequest.BodyPublisher body) {
		if (this.firstByte.get() != 0) {
			return body;
		}
		return new HttpRequest.BodyPublisher() {

			@Override
			public long contentLength() {
				return body.contentLength();
			}

			@Override
			public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
				body.subscribe(new Flow.Subscriber<ByteBuffer>() {

					@Override
					public void onSubscribe(Flow.Subscription subscription) {
						subscriber.onSubscribe(subscription);
					}

					@Override
					public void onNext(ByteBuffer bytes) {
						if (bytes.hasRemaining()) {
							RemoteObjects.this.firstByte.compareAndSet(0, System.currentTimeMillis());
						}
						subscriber.onNext(bytes);
					}

					@Override
					public void onError(Throwable failure) {
						subscriber.onError(failure);
					}

					@Override
					public void onComplete() {
						subscriber.onComplete();
					}

				});
			}

		};
	}

	/**
	 * What S3's answer other than 2xx means: returns after a pause when the request is worth signing and
	 * sending again (a 5xx or 429 before the last attempt), throws otherwise.
	 * @throws ObjectNotFoundException on a 404
	 * @throws ChangedContentException when S3 refused a PUT's bytes for their checksum
	 */
	private static void refusedUnlessRetried(ObjectRef object, String method, int status, String error, int attempt) {
		if (status == 404) {
			throw new ObjectNotFoundException(object, null);
		}
		if (status == 400 && ("BadDigest".equals(error) || "XAmzContentChecksumMismatch".equals(error))) {
			throw new ChangedContentException(Path.of(object.id()), null);
		}
		if ((status / 100 != 5 && status != 429) || attempt == ATTEMPTS) {
			// the status and S3's error code say what went wrong; the URL would say what it allows
			throw new IllegalStateException(method + " of " + object + " refused by S3: " + status
					+ (error == null ? "" : " " + error));
		}
		pause(attempt);
	}

	/** S3's error code from an error response's XML body (it is small), or null. */
	private static String errorCode(InputStream body) {
		if (body == null) {
			return null;
		}
		try (InputStream in = body) {
			String xml = new String(in.readNBytes(8192), java.nio.charset.StandardCharsets.UTF_8);
			int start = xml.indexOf("<Code>");
			int end = xml.indexOf("</Code>");
			return (start >= 0 && end > start) ? xml.substring(start + 6, end) : null;
		}
		catch (IOException ex) {
			return null;
		}
	}

	private static void drain(HttpResponse<InputStream> response) {
		try (InputStream in = response.body()) {
			in.transferTo(java.io.OutputStream.nullOutputStream());
		}
		catch (IOException ex) {
			// the PUT succeeded; its (empty) body does not matter
		}
	}

	private static void pause(int attempt) {
		try {
			Thread.sleep(Math.min(100L << attempt, 5_000));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted between attempts", ex);
		}
	}

	/** A part of a file as a request body of known length. */
	private static HttpRequest.BodyPublisher slice(Path file, long offset, long length) {
		return HttpRequest.BodyPublishers
			.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> FileSlice.open(file, offset, length)), length);
	}

}
