package io.mlplatform.storage.mover;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The messages of the mover API ({@code openapi-mover.yaml}), shared by the service's controller and the
 * mover's client so that both ends read and write one definition. A mover names objects by what they
 * hold ({@link ObjectName}); the service builds every key itself from the run's project.
 */
public final class MoverProtocol {

	/** Every path of the mover API starts here, followed by the run's id. */
	public static final String RUNS = "/internal/mover/v1/runs";

	/** What a run token starts with: secret scanners recognise it, and the public API refuses it. */
	public static final String TOKEN_PREFIX = "pssrun_";

	/** The most hashes one look-up asks for. */
	public static final int MAX_LOOKUP = 1000;

	/**
	 * The most contents one record call carries: as many as fit the service's request body limit (256 KiB)
	 * at the longest ids and numbers (about 210 bytes each), so that a pack of 16 KiB files is recorded in one
	 * call, not two (each call costs the service a request and each pack a look at the bucket).
	 */
	public static final int MAX_RECORD = 1200;

	/**
	 * The largest request body a mover sends: the service's default request body limit
	 * ({@code pss.web.max-request-body}), which {@link #MAX_RECORD} is sized for.
	 */
	public static final int MAX_BODY = 256 * 1024;

	/** The most new packs one call presigns the PUT of. */
	public static final int MAX_PACK_SLOTS = 16;

	/** A content's hash: lower-case hex. */
	static final String SHA256 = "^[0-9a-f]{64}$";

	/** A pack's, storage's or backup's id: it becomes part of a key. */
	static final String NAME = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";

	private MoverProtocol() {
	}

	/**
	 * What a run is, as its claim answers it.
	 * @param kind {@code backup} or {@code restore}
	 * @param storage the storage whose snapshots the run writes (a backup) or reads (a restore)
	 * @param backup the snapshot written or read
	 * @param prefix the bucket's key prefix: the blob keys a manifest holds start with it
	 * @param heartbeatMillis how often the run sends a heartbeat
	 * @param leaseMillis how long the run's lease lasts after its last heartbeat: a mover that could not
	 * renew it for this long stops, as another attempt may run by then
	 * @param mode a restore's mode, {@code merge} or {@code replace}
	 * @param paths the paths a restore brings back; empty for all
	 */
	public record Claim(String run, @Schema(allowableValues = { "backup", "restore" }) String kind, String project,
			String storage, String backup, String prefix, Settings settings, long heartbeatMillis, long leaseMillis,
			@Schema(allowableValues = { "merge", "replace" }) String mode, List<String> paths) {
	}

	/** The engine's settings for the run, and the bucket's part sizes. */
	public record Settings(long largeFileThreshold, int packSize, int readers, int uploads, int queueLength,
			long partSize, long multipartThreshold) {
	}

	/** Counters of a running job; totals null until known. */
	public record Progress(Long files, Long filesTotal, Long bytes, Long bytesTotal, Long bytesUploaded) {
	}

	/** @param action {@code continue}, {@code cancel} (stop, then fail as cancelled) or {@code lost} (stop now) */
	public record Heartbeat(@Schema(allowableValues = { CONTINUE, CANCEL, LOST }) String action) {

		public static final String CONTINUE = "continue";

		public static final String CANCEL = "cancel";

		public static final String LOST = "lost";

	}

	/** The storage's newest snapshot, the one a backup compares against; null if it has none. */
	public record Previous(String backup) {
	}

	/**
	 * A look-up, which may carry contents to record first: a mover looks up before each pack and records
	 * after each pack's PUT, and sending both in one call saves the service a request per pack.
	 * @param record contents stored since the mover's last call, recorded before the look-up is answered
	 * (as {@code contents:record} does), so that the look-up finds them; null or empty for none
	 */
	public record Lookup(@ArraySchema(maxItems = MAX_LOOKUP, schema = @Schema(pattern = SHA256)) List<String> sha256,
			@ArraySchema(maxItems = MAX_RECORD) List<Content> record) {

		public Lookup(List<String> sha256) {
			this(sha256, null);
		}

	}

	/**
	 * Where a content is stored: in a pack at an offset, or as a blob of its own (pack null).
	 * @param blob the blob's key, as a manifest holds it; set by the service, ignored when recorded
	 */
	public record Content(@Schema(pattern = SHA256) String sha256, @Schema(minimum = "0") long size,
			@Schema(pattern = NAME) String pack, @Schema(minimum = "0") Long offset, String blob) {
	}

	public record Contents(@ArraySchema(maxItems = MAX_RECORD) List<Content> contents) {
	}

	/**
	 * An object of the run's project.
	 * @param kind {@code pack}, {@code blob} or {@code manifest}
	 * @param id a pack's id, a blob's sha256 or a manifest's backup id
	 * @param storage a manifest's storage
	 */
	public record ObjectName(@Schema(allowableValues = { "pack", "blob", "manifest" }) String kind,
			String id, @Schema(pattern = NAME) String storage) {
	}

	/**
	 * A request to be signed: a GET (of a range when {@code length} is set), a PUT of a whole object (a
	 * manifest's with its {@code metadata}), or a PUT of part {@code partNumber} of upload {@code uploadId}
	 * with its CRC32C.
	 */
	public record Presign(@Schema(allowableValues = { "GET", "PUT" }) String method, ObjectName object,
			@Schema(minimum = "0") Long offset, @Schema(minimum = "1") Long length, Map<String, String> metadata,
			String uploadId, @Schema(minimum = "1", maximum = "10000") Integer partNumber, String crc32c) {
	}

	/** A signed request: send it to {@code url} with exactly these headers before {@code expiresAt}. */
	public record Presigned(String url, String method, Map<String, List<String>> headers, Instant expiresAt) {
	}

	/** Asks for ids of new packs, each with its PUT presigned. */
	public record PackSlotsRequest(@Schema(minimum = "1", maximum = "16") int count) {
	}

	/** A new pack's id, chosen by the service, and the PUT that stores it (never over an existing pack). */
	public record PackSlot(@Schema(pattern = NAME) String id, Presigned put) {
	}

	public record PackSlots(List<PackSlot> packs) {
	}

	/** Starts a multipart upload of a blob (parts checked by their CRC32C) or a manifest. */
	public record UploadStart(ObjectName object, Map<String, String> metadata) {
	}

	public record Upload(String uploadId) {
	}

	public record UploadComplete(ObjectName object, String uploadId, List<Part> parts) {
	}

	public record Part(@Schema(minimum = "1", maximum = "10000") int partNumber, String eTag, String crc32c) {
	}

	public record UploadAbort(ObjectName object, String uploadId) {
	}

	/**
	 * What a run did, sent with its commit: a backup's counts (its manifest uploaded before), or a
	 * restore's files, bytes and removals.
	 */
	public record Commit(Long entries, long files, long bytes, Long filesRead, Long bytesRead, Long bytesStored,
			Long bytesUploaded, Long skipped, List<String> skippedPaths, Instant snapshotTime, Long removed) {
	}

	/** @param cancelled the run stopped because a heartbeat said cancel */
	public record Failure(String reason, boolean cancelled) {
	}

}
