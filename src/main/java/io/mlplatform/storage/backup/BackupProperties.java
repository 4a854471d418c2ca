package io.mlplatform.storage.backup;

import java.net.URI;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import io.mlplatform.storage.snapshot.EngineSettings;

/**
 * Settings of the backup engine and of the S3 bucket it writes snapshots into.
 * @param largeFileThreshold files above this size are stored as their own blob; smaller ones are packed
 * @param packSize a pack is sealed and uploaded once it holds this much
 * @param readers files read and hashed in parallel
 * @param uploads objects (packs, parts of blobs) uploaded or downloaded in parallel
 * @param queueLength entries in flight between the folder walk and the manifest: bounds memory
 * @param gcGrace content recorded more recently than this is never collected
 * @param abandonedUploadAge multipart uploads older than this are aborted as left by a crashed run
 * @param leaseTtl how long a running backup's lease lasts unless renewed (it is renewed three times
 * as often): how long after a crash a collection of its project may run again
 * @param packRewriteBelow a pack whose bytes that manifests reference are below this fraction of its size
 * is rewritten by garbage collection: its live contents copied into a new pack, the old one deleted
 * once no backup or restore may read it; 0 never rewrites
 */
@ConfigurationProperties("pss.backup")
public record BackupProperties(@DefaultValue S3 s3, @DefaultValue("8MB") DataSize largeFileThreshold,
		@DefaultValue("32MB") DataSize packSize, @DefaultValue("4") int readers, @DefaultValue("8") int uploads,
		@DefaultValue("4096") int queueLength, @DefaultValue("6h") Duration gcGrace,
		@DefaultValue("24h") Duration abandonedUploadAge, @DefaultValue("2m") Duration leaseTtl,
		@DefaultValue("0.5") double packRewriteBelow) {

	// the settings bind through this one; the shorter ones keep callers that predate leases and rewrites compiling
	@ConstructorBinding
	public BackupProperties {
		if (packRewriteBelow < 0 || packRewriteBelow > 1) {
			throw new IllegalArgumentException("packRewriteBelow must be a fraction between 0 and 1: " + packRewriteBelow);
		}
	}

	/** What the engine needs of these, wherever it runs. */
	public EngineSettings engine() {
		return new EngineSettings(this.largeFileThreshold.toBytes(), Math.toIntExact(this.packSize.toBytes()),
				this.readers, this.uploads, this.queueLength);
	}

	public BackupProperties(S3 s3, DataSize largeFileThreshold, DataSize packSize, int readers, int uploads,
			int queueLength, Duration gcGrace, Duration abandonedUploadAge, Duration leaseTtl) {
		this(s3, largeFileThreshold, packSize, readers, uploads, queueLength, gcGrace, abandonedUploadAge, leaseTtl,
				0.5);
	}

	public BackupProperties(S3 s3, DataSize largeFileThreshold, DataSize packSize, int readers, int uploads,
			int queueLength, Duration gcGrace, Duration abandonedUploadAge) {
		this(s3, largeFileThreshold, packSize, readers, uploads, queueLength, gcGrace, abandonedUploadAge,
				Duration.ofMinutes(2));
	}

	/**
	 * @param endpoint empty for AWS itself
	 * @param accessKeyId empty to use the SDK's default credential chain (environment, web identity, instance role)
	 * @param prefix key prefix of everything the service writes, without a trailing slash
	 * @param checksum {@code when-required} sends checksums only where S3 demands one: every content's
	 * sha256 is verified on restore, and TLS guards the bytes in flight; {@code when-supported} adds a
	 * CRC32 trailer to every upload (aws-chunked), which made S3Proxy three times slower here
	 * @param encryption {@code none}, {@code sse-s3} or {@code sse-kms}
	 * @param kmsKeyId the key for {@code sse-kms}; empty for the bucket's default key
	 * @param payloadSigning whether SigV4 signs upload payloads on plain-HTTP endpoints (HTTPS never does):
	 * hashing every byte twice more, for integrity the checksum and the restore's sha256 already check
	 * @param maxAttempts attempts of one request, retried with backoff on 5xx, throttling and connection resets
	 * @param multipartThreshold a content up to this size is stored in one PUT (as rclone's default upload
	 * cutoff): one request and nothing for the server to assemble; a larger one as a multipart upload of
	 * {@code partSize} parts sent in parallel
	 * @param presignEndpoint the endpoint presigned URLs name, for those who follow them: movers in storage
	 * clusters and users downloading a file. Empty for {@code endpoint}; set it where the service reaches S3 at
	 * an address they cannot (a compose network's {@code http://s3:9000}). Signing needs no request, so the
	 * service itself never has to reach this address
	 */
	public record S3(URI endpoint, @DefaultValue("us-east-1") String region, @DefaultValue("false") boolean pathStyle,
			String accessKeyId, String secretAccessKey, @DefaultValue("pss-backups") String bucket,
			@DefaultValue("pss") String prefix, @DefaultValue("16MB") DataSize partSize,
			@DefaultValue("when-required") String checksum, @DefaultValue("none") String encryption,
			String kmsKeyId, @DefaultValue("false") boolean payloadSigning, @DefaultValue("8") int maxAttempts, @DefaultValue("32") int maxConnections,
			@DefaultValue("10s") Duration connectTimeout, @DefaultValue("60s") Duration socketTimeout,
			@DefaultValue("200MB") DataSize multipartThreshold, URI presignEndpoint) {

		/** S3 takes at most 5 GiB in one PUT. */
		static final long MAX_SINGLE_PUT = 5L * 1024 * 1024 * 1024;

		@ConstructorBinding
		public S3 {
			if (multipartThreshold != null && multipartThreshold.toBytes() > MAX_SINGLE_PUT) {
				throw new IllegalArgumentException("multipartThreshold must be at most 5GB, S3's limit for one PUT: "
						+ multipartThreshold);
			}
		}

		/** Settings whose presigned URLs name {@code endpoint} itself. */
		public S3(URI endpoint, String region, boolean pathStyle, String accessKeyId, String secretAccessKey,
				String bucket, String prefix, DataSize partSize, String checksum, String encryption, String kmsKeyId,
				boolean payloadSigning, int maxAttempts, int maxConnections, Duration connectTimeout,
				Duration socketTimeout, DataSize multipartThreshold) {
			this(endpoint, region, pathStyle, accessKeyId, secretAccessKey, bucket, prefix, partSize, checksum,
					encryption, kmsKeyId, payloadSigning, maxAttempts, maxConnections, connectTimeout, socketTimeout,
					multipartThreshold, null);
		}

		/** Settings without a multipart threshold: its default. */
		public S3(URI endpoint, String region, boolean pathStyle, String accessKeyId, String secretAccessKey,
				String bucket, String prefix, DataSize partSize, String checksum, String encryption, String kmsKeyId,
				boolean payloadSigning, int maxAttempts, int maxConnections, Duration connectTimeout,
				Duration socketTimeout) {
			this(endpoint, region, pathStyle, accessKeyId, secretAccessKey, bucket, prefix, partSize, checksum,
					encryption, kmsKeyId, payloadSigning, maxAttempts, maxConnections, connectTimeout, socketTimeout,
					DataSize.ofMegabytes(200));
		}

		@Override
		public String toString() {
			// the secret stays out of logs and error messages
			return "S3[endpoint=%s, presignEndpoint=%s, region=%s, bucket=%s, prefix=%s]".formatted(this.endpoint,
					this.presignEndpoint, this.region, this.bucket, this.prefix);
		}

	}

}
