package io.mlplatform.storage.backup;

import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import io.mlplatform.storage.snapshot.ChangedContentException;
import io.mlplatform.storage.snapshot.FileDigest;
import io.mlplatform.storage.snapshot.FileSlice;
import io.mlplatform.storage.snapshot.ObjectStore;

/**
 * The backup bucket: the few S3 operations the engine needs, over one pooled sync client whose
 * requests are retried with backoff on 5xx, throttling and connection resets.
 */
public final class S3Store implements AutoCloseable {

	private final BackupProperties.S3 settings;

	private final S3Client client;

	private final S3Presigner presigner;

	/** The client's HTTP transport, shared by the HEADs this store signs and sends itself. */
	private final SdkHttpClient http;

	private final ObjectHeads heads;

	private final AwsCredentialsProvider credentials;

	/**
	 * Made on the first pack PUT signed (a race makes two alike, either is right); empty when the presigner's
	 * URLs are not of a form {@link PackPuts} can write, and then the presigner signs each. Null until then.
	 */
	private volatile Optional<PackPuts> packPuts;

	public S3Store(BackupProperties.S3 settings) {
		this(settings, UnaryOperator.identity());
	}

	/** @param transport wraps the HTTP client: how tests put a flaky network between the engine and S3 */
	S3Store(BackupProperties.S3 settings, UnaryOperator<SdkHttpClient> transport) {
		this.settings = settings;
		AwsCredentialsProvider credentials = hasText(settings.accessKeyId())
				? StaticCredentialsProvider
					.create(AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()))
				: DefaultCredentialsProvider.builder().build();
		this.credentials = credentials;
		boolean checksumAlways = !"when-required".equalsIgnoreCase(settings.checksum());
		// built here and passed in, so that the client leaves closing it to close() below
		this.http = transport.apply(ApacheHttpClient.builder()
			.maxConnections(settings.maxConnections())
			.connectionTimeout(settings.connectTimeout())
			.socketTimeout(settings.socketTimeout())
			.tcpKeepAlive(true)
			.build());
		var builder = S3Client.builder()
			.region(Region.of(settings.region()))
			.credentialsProvider(credentials)
			.forcePathStyle(settings.pathStyle())
			.requestChecksumCalculation(checksumAlways ? RequestChecksumCalculation.WHEN_SUPPORTED
					: RequestChecksumCalculation.WHEN_REQUIRED)
			.responseChecksumValidation(checksumAlways ? ResponseChecksumValidation.WHEN_SUPPORTED
					: ResponseChecksumValidation.WHEN_REQUIRED)
			.httpClient(this.http)
			.overrideConfiguration(o -> o.retryStrategy(retry -> retry.maxAttempts(settings.maxAttempts())));
		if (!settings.payloadSigning()) {
			builder.putAuthScheme(new UnsignedPayloadAuthScheme());
		}
		var presigner = S3Presigner.builder()
			.region(Region.of(settings.region()))
			.credentialsProvider(credentials)
			.serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
		if (isSet(settings.endpoint())) {
			builder.endpointOverride(settings.endpoint());
		}
		// presigned URLs are followed by others (movers in other clusters, users' downloads), who may reach S3
		// at another address than this service does
		URI presignAt = isSet(settings.presignEndpoint()) ? settings.presignEndpoint() : settings.endpoint();
		if (isSet(presignAt)) {
			presigner.endpointOverride(presignAt);
		}
		this.client = builder.build();
		this.presigner = presigner.build();
		this.heads = new ObjectHeads(this.http, credentials, settings.region(),
				this.client.utilities().getUrl(url -> url.bucket(bucket()).key(ObjectHeads.PROBE)).toString());
	}

	private static boolean hasText(String value) {
		return value != null && !value.isBlank();
	}

	private static boolean isSet(URI endpoint) {
		return endpoint != null && hasText(endpoint.toString());
	}

	/** The bucket's key for a path below the configured prefix. */
	String key(String relative) {
		String prefix = this.settings.prefix();
		return hasText(prefix) ? prefix + "/" + relative : relative;
	}

	String bucket() {
		return this.settings.bucket();
	}

	long partSize() {
		return this.settings.partSize().toBytes();
	}

	/** Reads of a response body cut off mid-way (the SDK retries only until the headers arrive). */
	static final int BODY_ATTEMPTS = ObjectStore.BODY_ATTEMPTS;

	long multipartThreshold() {
		return this.settings.multipartThreshold().toBytes();
	}

	/**
	 * The part size of a content of this size: all of it when it goes in one PUT, else the configured
	 * one, grown in whole MiB so that it never needs more than {@link ObjectStore#MAX_PARTS} parts.
	 */
	long partSize(long size) {
		return (size <= multipartThreshold()) ? Math.max(size, 1) : ObjectStore.partSize(partSize(), size);
	}

	void put(String key, byte[] bytes, int length) {
		this.client.putObject(encrypted(PutObjectRequest.builder().bucket(bucket()).key(key)).build(),
				// streamed from the caller's array: copying a pack would double its memory
				RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(bytes, 0, length), length,
						"application/octet-stream"));
	}

	/** Uploads a file we own (a manifest): in one PUT when it fits a part, else as a multipart upload. */
	void putFile(String key, Path file, long size, Executor parts) {
		putFile(key, file, size, parts, Map.of());
	}

	void putFile(String key, Path file, long size, Executor parts, Map<String, String> metadata) {
		if (size <= partSize()) {
			this.client.putObject(
					encrypted(PutObjectRequest.builder().bucket(bucket()).key(key).metadata(metadata)).build(),
					RequestBody.fromFile(file));
			return;
		}
		upload(key, file, size, ObjectStore.partSize(partSize(), size), null, parts, metadata, () -> true);
	}

	/**
	 * Replaces an object with a file in one PUT, only if it is still the version read ({@code eTag}):
	 * false if it changed or was deleted meanwhile.
	 */
	boolean replace(String key, String eTag, Path file, Map<String, String> metadata) {
		try {
			this.client.putObject(
					encrypted(PutObjectRequest.builder().bucket(bucket()).key(key).ifMatch(eTag).metadata(metadata))
						.build(),
					RequestBody.fromFile(file));
			return true;
		}
		catch (S3Exception ex) {
			if (ex.statusCode() == 412 || ex.statusCode() == 404) {
				return false;
			}
			throw ex;
		}
	}

	/**
	 * Uploads a content as a multipart upload, declaring each part's CRC32C as hashed before, so S3
	 * refuses a part whose bytes changed since (400); and completes it only if {@code unchanged} still
	 * holds once every part is in, so the object appears only when it is exactly the hashed content.
	 * @throws ChangedContentException if S3 refused a part or {@code unchanged} no longer held; the
	 * upload is then aborted
	 */
	void putContent(String key, Path file, FileDigest digest, Executor parts, BooleanSupplier unchanged) {
		if (digest.size() <= multipartThreshold() && digest.parts().size() == 1) {
			putWhole(key, file, digest);
			return;
		}
		upload(key, file, digest.size(), digest.partSize(), digest, parts, Map.of(), unchanged);
	}

	/**
	 * One PUT, its SHA-256 declared as hashed before: S3 refuses the object (400) unless the bytes it
	 * received are exactly the content the key names, so the key never holds other content, and there
	 * is no upload to assemble or to abort.
	 */
	private void putWhole(String key, Path file, FileDigest digest) {
		String sha256 = java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(digest.sha256()));
		try {
			this.client.putObject(
					encrypted(PutObjectRequest.builder().bucket(bucket()).key(key).checksumSHA256(sha256)).build(),
					RequestBody.fromContentProvider(() -> slice(file, 0, digest.size()), digest.size(),
							"application/octet-stream"));
		}
		catch (S3Exception ex) {
			if (checksumMismatch(ex)) {
				throw new ChangedContentException(file, ex);
			}
			throw ex;
		}
	}

	private void upload(String key, Path file, long size, long partSize, FileDigest digest, Executor parts,
			Map<String, String> metadata, BooleanSupplier unchanged) {
		var create = CreateMultipartUploadRequest.builder().bucket(bucket()).key(key).metadata(metadata);
		if (digest != null) {
			create.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
		}
		applyEncryption(create);
		String uploadId = this.client.createMultipartUpload(create.build()).uploadId();
		io.mlplatform.storage.snapshot.MultipartUpload.run(file, size, partSize, digest, parts, part -> {
			try {
				String etag = this.client
					.uploadPart(p -> p.bucket(bucket()).key(key).uploadId(uploadId).partNumber(part.number())
						.contentLength(part.length()).checksumCRC32C(part.checksum()), RequestBody.fromContentProvider(
								() -> slice(file, part.offset(), part.length()), part.length(), "application/octet-stream"))
					.eTag();
				return CompletedPart.builder().partNumber(part.number()).eTag(etag).checksumCRC32C(part.checksum())
					.build();
			}
			catch (S3Exception ex) {
				if (part.checksum() != null && checksumMismatch(ex)) {
					throw new ChangedContentException(file, ex);
				}
				throw ex;
			}
		}, unchanged, completed -> this.client.completeMultipartUpload(
				c -> c.bucket(bucket()).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(completed))),
				failure -> abortQuietly(key, uploadId, failure));
	}

	/**
	 * S3 refused the bytes for not matching the checksum declared: they changed since they were hashed.
	 * Other 400s (a KMS key disabled, a request timing out) are failures, not changes.
	 */
	private static boolean checksumMismatch(S3Exception ex) {
		String code = (ex.awsErrorDetails() != null) ? ex.awsErrorDetails().errorCode() : null;
		return ex.statusCode() == 400 && ("BadDigest".equals(code) || "XAmzContentChecksumMismatch".equals(code));
	}

	private static InputStream slice(Path file, long offset, long length) {
		return FileSlice.open(file, offset, length);
	}

	private void abortQuietly(String key, String uploadId, RuntimeException cause) {
		try {
			this.client.abortMultipartUpload(a -> a.bucket(bucket()).key(key).uploadId(uploadId));
		}
		catch (RuntimeException ex) {
			cause.addSuppressed(ex);
		}
	}

	private PutObjectRequest.Builder encrypted(PutObjectRequest.Builder request) {
		switch (this.settings.encryption().toLowerCase()) {
			case "sse-s3" -> request.serverSideEncryption(ServerSideEncryption.AES256);
			case "sse-kms" -> {
				request.serverSideEncryption(ServerSideEncryption.AWS_KMS);
				if (hasText(this.settings.kmsKeyId())) {
					request.ssekmsKeyId(this.settings.kmsKeyId());
				}
			}
			case "none" -> {
			}
			default -> throw new IllegalStateException("Unknown encryption " + this.settings.encryption());
		}
		return request;
	}

	private void applyEncryption(CreateMultipartUploadRequest.Builder request) {
		PutObjectRequest put = encrypted(PutObjectRequest.builder()).build();
		request.serverSideEncryption(put.serverSideEncryption()).ssekmsKeyId(put.ssekmsKeyId());
	}

	ResponseInputStream<GetObjectResponse> get(String key) {
		return this.client.getObject(g -> g.bucket(bucket()).key(key));
	}

	/** Bytes {@code [offset, offset + length)} of an object. */
	ResponseInputStream<GetObjectResponse> get(String key, long offset, long length) {
		return this.client
			.getObject(g -> g.bucket(bucket()).key(key).range("bytes=" + offset + "-" + (offset + length - 1)));
	}

	/** An object from {@code offset} to its end, if it is still the version with this ETag (412 if not). */
	ResponseInputStream<GetObjectResponse> get(String key, long offset, String eTag) {
		return this.client.getObject(g -> g.bucket(bucket()).key(key).range("bytes=" + offset + "-").ifMatch(eTag));
	}

	/** The user metadata of an object. */
	Map<String, String> metadata(String key) {
		return this.client.headObject(h -> h.bucket(bucket()).key(key)).metadata();
	}

	/** Every object under a prefix, fetched page by page as the stream is consumed. */
	Stream<S3Object> list(String prefix) {
		return this.client.listObjectsV2Paginator(l -> l.bucket(bucket()).prefix(prefix)).contents().stream();
	}

	void delete(Collection<String> keys) {
		List<ObjectIdentifier> batch = new ArrayList<>();
		for (String key : keys) {
			batch.add(ObjectIdentifier.builder().key(key).build());
			if (batch.size() == 1000) {
				deleteBatch(batch);
				batch = new ArrayList<>();
			}
		}
		if (!batch.isEmpty()) {
			deleteBatch(batch);
		}
	}

	private void deleteBatch(List<ObjectIdentifier> batch) {
		this.client.deleteObjects(d -> d.bucket(bucket()).delete(b -> b.objects(batch).quiet(true)));
	}

	/** Aborts the multipart uploads under a prefix started before a point in time: a crashed run's leftovers. */
	int abortUploads(String prefix, Instant startedBefore) {
		int aborted = 0;
		for (MultipartUpload upload : this.client
			.listMultipartUploadsPaginator(l -> l.bucket(bucket()).prefix(prefix))
			.uploads()) {
			if (upload.initiated().isBefore(startedBefore)) {
				this.client.abortMultipartUpload(a -> a.bucket(bucket()).key(upload.key()).uploadId(upload.uploadId()));
				aborted++;
			}
		}
		return aborted;
	}

	/** Multipart uploads under a prefix that were neither completed nor aborted. */
	long countUploads(String prefix) {
		return this.client.listMultipartUploadsPaginator(l -> l.bucket(bucket()).prefix(prefix)).uploads().stream().count();
	}

	String startUpload(String key) {
		return this.client.createMultipartUpload(c -> c.bucket(bucket()).key(key)).uploadId();
	}

	/** A URL that GETs an object, or a range of it, without credentials until it expires. */
	URL presignGet(String key, String range, Duration lifetime) {
		return presignRead(key, range, lifetime).url();
	}

	/**
	 * A request that can be sent without credentials until it expires: its URL, and the headers it was
	 * signed with, which the sender must send as they are.
	 */
	record Presigned(URL url, String method, Map<String, List<String>> headers, Instant expiresAt) {

		static Presigned of(software.amazon.awssdk.awscore.presigner.PresignedRequest request) {
			Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
			// the client sets Host from the URL itself
			request.signedHeaders().forEach((name, values) -> {
				if (!name.equalsIgnoreCase("host")) {
					headers.put(name, List.copyOf(values));
				}
			});
			return new Presigned(request.url(), request.httpRequest().method().name(), headers, request.expiration());
		}

	}

	Presigned presignRead(String key, String range, Duration lifetime) {
		return Presigned.of(this.presigner.presignGetObject(
				p -> p.signatureDuration(lifetime).getObjectRequest(g -> g.bucket(bucket()).key(key).range(range))));
	}

	/**
	 * A create-only PUT of a new pack, as {@link #presignPut} signs it: signed by {@link PackPuts} after a
	 * template the presigner made (made once, on the first).
	 */
	Presigned presignPackPut(String key, Duration lifetime) {
		Optional<PackPuts> puts = this.packPuts;
		if (puts == null) {
			// the template is made once whatever it gives: a store whose URLs PackPuts cannot write costs no
			// second presigned URL per pack
			String templateKey = key(PACK_TEMPLATE);
			puts = Optional.ofNullable(PackPuts.like(presignPut(templateKey, lifetime, null, true, Map.of()),
					templateKey, this.credentials, this.settings.region()));
			this.packPuts = puts;
		}
		return puts.isPresent() ? puts.get().sign(key, lifetime) : presignPut(key, lifetime, null, true, Map.of());
	}

	/** The key of the template of pack PUTs: never PUT, only its URL's form is read. */
	private static final String PACK_TEMPLATE = "pss-pack-template";

	/**
	 * A PUT of one object: with {@code sha256} (base64), S3 refuses bytes of another content; with
	 * {@code createOnly}, it refuses to replace an object that exists (412).
	 */
	Presigned presignPut(String key, Duration lifetime, String sha256, boolean createOnly, Map<String, String> metadata) {
		PutObjectRequest.Builder put = encrypted(PutObjectRequest.builder().bucket(bucket()).key(key))
			.checksumSHA256(sha256)
			.metadata(metadata);
		if (createOnly) {
			put.ifNoneMatch("*");
		}
		PutObjectRequest request = put.build();
		return Presigned.of(this.presigner.presignPutObject(p -> p.signatureDuration(lifetime).putObjectRequest(request)));
	}

	/** A PUT of one part of a multipart upload, its bytes refused unless they have this CRC32C (base64). */
	Presigned presignPart(String key, String uploadId, int partNumber, String crc32c, Duration lifetime) {
		return Presigned.of(this.presigner.presignUploadPart(p -> p.signatureDuration(lifetime)
			.uploadPartRequest(u -> u.bucket(bucket()).key(key).uploadId(uploadId).partNumber(partNumber)
				.checksumCRC32C(crc32c))));
	}

	/** Starts a multipart upload whose parts declare their CRC32C (when {@code checked}); returns its id. */
	String startUpload(String key, boolean checked, Map<String, String> metadata) {
		var create = CreateMultipartUploadRequest.builder().bucket(bucket()).key(key).metadata(metadata);
		if (checked) {
			create.checksumAlgorithm(ChecksumAlgorithm.CRC32_C);
		}
		applyEncryption(create);
		return this.client.createMultipartUpload(create.build()).uploadId();
	}

	void completeUpload(String key, String uploadId, List<CompletedPart> parts) {
		this.client.completeMultipartUpload(
				c -> c.bucket(bucket()).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
	}

	void abortUpload(String key, String uploadId) {
		this.client.abortMultipartUpload(a -> a.bucket(bucket()).key(key).uploadId(uploadId));
	}

	/**
	 * An object's size, or null if there is no such object. A mover's record asks once per pack, and a HEAD
	 * through the client's whole pipeline was a tenth of the service's CPU while a mover backed up: it is
	 * signed and sent by {@link ObjectHeads} first, and asked through the client only when that gets no
	 * plain answer.
	 */
	Long size(String key) {
		long head = this.heads.size(key);
		if (head >= 0) {
			return head;
		}
		Long size = headSize(key);
		if (size != null && head == ObjectHeads.NOT_ANSWERED) {
			this.heads.missed(key);
		}
		return size;
	}

	private Long headSize(String key) {
		try {
			return this.client.headObject(h -> h.bucket(bucket()).key(key)).contentLength();
		}
		catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException ex) {
			return null;
		}
		catch (S3Exception ex) {
			if (ex.statusCode() == 404) {
				return null;
			}
			throw ex;
		}
	}

	void createBucketIfMissing() {
		if (this.client.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket()))) {
			this.client.createBucket(c -> c.bucket(bucket()));
		}
	}

	@Override
	public void close() {
		this.client.close();
		this.http.close();
		this.presigner.close();
	}

}
