package io.mlplatform.storage.backup;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import software.amazon.awssdk.services.s3.model.CompletedPart;

import tools.jackson.core.type.TypeReference;

import io.mlplatform.storage.backup.JobQueue.Kind;
import io.mlplatform.storage.backup.space.BackupObjects;
import io.mlplatform.storage.mover.MoverProtocol;
import io.mlplatform.storage.mover.MoverProtocol.Claim;
import io.mlplatform.storage.mover.MoverProtocol.Commit;
import io.mlplatform.storage.mover.MoverProtocol.Content;
import io.mlplatform.storage.mover.MoverProtocol.ObjectName;
import io.mlplatform.storage.mover.MoverProtocol.Presign;
import io.mlplatform.storage.mover.MoverProtocol.Presigned;
import io.mlplatform.storage.mover.MoverProtocol.Progress;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.ContentLocation;
import io.mlplatform.storage.snapshot.EngineSettings;
import io.mlplatform.storage.snapshot.LeaseLostException;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.SnapshotEngine;
import io.mlplatform.storage.web.JsonColumns;

/**
 * The service's side of the mover API: runs handed to movers, their tokens, and every call a mover
 * makes. PostgreSQL stays the single source of truth and this service its only writer: a mover gets
 * no database or S3 credential, only answers and presigned URLs for its own run's objects. Any
 * replica answers any run, so a run goes on while the replica that started it restarts.
 */
final class MoverRuns {

	private static final Logger log = LoggerFactory.getLogger(MoverRuns.class);

	/** A job handed to a run is leased to {@code run:<id>}: the run's heartbeats renew it. */
	static final String OWNER = "run:";

	private static final Pattern CRC32C = Pattern.compile("[A-Za-z0-9+/]{6}==");

	private static final Pattern UPLOAD_ID = Pattern.compile("[\\x21-\\x7e]{1,1024}");

	/** S3's largest object. */
	private static final long MAX_OBJECT = 5L * 1024 * 1024 * 1024 * 1024;

	private static final int MAX_REASON = 2000;

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	private final JobQueue queue;

	private final Snapshots snapshots;

	private final S3Store store;

	private final Retention retention;

	private final BackupProperties backup;

	private final MoverProperties properties;

	private final WorkerProperties worker;

	private final WorkerMetrics metrics;

	private final Clock clock;

	private final JsonColumns columns;

	private static final TypeReference<List<String>> PATHS = new TypeReference<>() {
	};

	MoverRuns(JdbcClient db, TransactionTemplate transactions, JobQueue queue, Snapshots snapshots, S3Store store,
			BackupProperties backup, MoverProperties properties, WorkerProperties worker, WorkerMetrics metrics,
			Clock clock, JsonColumns columns) {
		this.worker = worker;
		this.columns = columns;
		this.db = db;
		this.transactions = transactions;
		this.queue = queue;
		this.snapshots = snapshots;
		this.store = store;
		this.retention = new Retention(db, snapshots);
		this.backup = backup;
		this.properties = properties;
		this.metrics = metrics;
		this.clock = clock;
	}

	/**
	 * A run as its row says, with what its job says of it.
	 * @param job what the run's job is about, as of the call; null when the job is gone (its storage deleted)
	 */
	record Run(UUID id, Kind kind, UUID jobId, int attempt, String state, UUID leaseId, Instant claimedAt, Job job) {

		String owner() {
			return OWNER + this.id;
		}

		boolean ended() {
			return "Committed".equals(this.state) || "Failed".equals(this.state);
		}

	}

	/** A run just started, with its token: the only time the token is seen. */
	record Started(UUID id, int attempt, String token) {

		@Override
		public String toString() {
			return "Started[id=" + this.id + ", attempt=" + this.attempt + "]";
		}

	}

	/**
	 * Hands a job its worker claimed to a new run of a mover; empty if the claim was lost meanwhile.
	 */
	Optional<Started> start(Kind kind, UUID job, String owner, String executor) {
		UUID id = UUID.randomUUID();
		String token = RunTokens.newToken();
		return this.transactions.execute(status -> {
			Optional<Integer> attempt = this.queue.handOver(kind, job, owner, OWNER + id);
			// an earlier attempt whose mover went silent (and whose lease ran out) is over
			attempt.ifPresent(number -> this.db.sql("""
					UPDATE mover_runs SET state = 'Failed', ended_at = now(),
					  reason = 'Its lease ran out: the mover stopped answering'
					WHERE kind = ? AND job_id = ? AND state IN ('Created', 'Running')""")
				.params(kind.name().toLowerCase(), job)
				.update());
			attempt.ifPresent(number -> this.db.sql("""
					INSERT INTO mover_runs (id, kind, job_id, attempt, token_hash, executor) VALUES (?, ?, ?, ?, ?, ?)""")
				.params(id, kind.name().toLowerCase(), job, number, RunTokens.hash(token), executor)
				.update());
			return attempt.map(number -> new Started(id, number, token));
		});
	}

	/**
	 * The run a request's token belongs to. Every failure (no token, a malformed or unknown one, one of
	 * another run) gets the same answer.
	 */
	Run authenticate(UUID run, String authorization) {
		String token = RunTokens.fromHeader(authorization);
		if (token == null || run == null) {
			throw MoverProblem.unauthorized();
		}
		// the run and its job in one query: every call of a mover needs both
		Run found = this.db.sql(RUN_AND_JOB)
			.params(JobQueue.at(this.clock.instant()), RunTokens.hash(token))
			.query((row, n) -> {
				Kind kind = Kind.valueOf(row.getString("kind").toUpperCase());
				OffsetDateTime claimed = row.getObject("claimed_at", OffsetDateTime.class);
				return new Run(row.getObject("id", UUID.class), kind, row.getObject("job_id", UUID.class),
						row.getInt("attempt"), row.getString("state"), row.getObject("lease_id", UUID.class),
						(claimed == null) ? null : claimed.toInstant(),
						(row.getString("project") == null) ? null : job(kind, row));
			})
			.optional()
			.orElseThrow(MoverProblem::unauthorized);
		if (!found.id().equals(run)) {
			throw MoverProblem.unauthorized();
		}
		return found;
	}

	/**
	 * The run's job, refused when the run ended or its attempt no longer holds the job's lease (or the job
	 * is gone with its storage).
	 */
	private Job activeJob(Run run) {
		if (run.ended()) {
			throw MoverProblem.runEnded(run.state());
		}
		Job job = run.job();
		if (job == null || !job.holds()) {
			throw MoverProblem.leaseLost();
		}
		return job;
	}

	/** As {@link #activeJob}, for a call only a claimed run makes. */
	private Job claimedJob(Run run) {
		Job job = activeJob(run);
		if (run.leaseId() == null) {
			throw MoverProblem.invalid("Claim the run first");
		}
		return job;
	}

	/**
	 * What a job is about, for its run.
	 * @param holds whether the run's attempt still held the job's lease when the call came
	 */
	record Job(boolean holds, String project, String storage, String storageName,
			String backup, String mode, List<String> paths, Long files, Long bytes) {
	}

	/**
	 * A run by its token's hash, with its job: a backup's, or a restore's with the totals of the snapshot
	 * it restores (known for a whole-snapshot restore; a restore of some paths has none). A restore's
	 * storage is the one its snapshot was taken of; its storage name the one it writes into.
	 */
	private static final String RUN_AND_JOB = """
			SELECT r.id, r.kind, r.job_id, r.attempt, r.state, r.lease_id, r.claimed_at,
			  (j.state = 'Running' AND j.lease_owner = 'run:' || r.id AND j.lease_until >= ?) AS holds,
			  p.name AS project, j.storage_id, s.name AS storage_name, j.backup_id, j.mode, j.paths, j.files, j.bytes
			FROM mover_runs r
			LEFT JOIN LATERAL (
			    SELECT b.state, b.lease_owner, b.lease_until, b.project_id, b.storage_id, b.storage_id AS target,
			      b.id AS backup_id, NULL::varchar AS mode, NULL::jsonb AS paths, NULL::bigint AS files,
			      NULL::bigint AS bytes
			    FROM backups b WHERE r.kind = 'backup' AND b.id = r.job_id
			  UNION ALL
			    SELECT x.state, x.lease_owner, x.lease_until, x.project_id, x.source_storage_id, x.storage_id,
			      x.backup_id, x.mode, x.paths, f.files, f.bytes
			    FROM restores x LEFT JOIN backups f ON f.id = x.backup_id
			    WHERE r.kind = 'restore' AND x.id = r.job_id
			) j ON true
			LEFT JOIN storages s ON s.id = j.target
			LEFT JOIN projects p ON p.id = j.project_id
			WHERE r.token_hash = ?""";

	private Job job(Kind kind, java.sql.ResultSet row) throws java.sql.SQLException {
		if (kind == Kind.BACKUP) {
			return new Job(row.getBoolean("holds"), row.getString("project"), row.getString("storage_id"),
					row.getString("storage_name"), row.getString("backup_id"), null, null, null, null);
		}
		List<String> paths = this.columns.read(row, "paths", PATHS);
		paths = (paths == null) ? List.of() : paths;
		boolean whole = paths.isEmpty();
		return new Job(row.getBoolean("holds"), row.getString("project"), row.getString("storage_id"),
				row.getString("storage_name"), row.getString("backup_id"), row.getString("mode"), paths,
				whole ? row.getObject("files", Long.class) : null, whole ? row.getObject("bytes", Long.class) : null);
	}

	/**
	 * Claims a run: its backup lease starts (so a collection keeps what it will rely on), and the answer
	 * says what the run is. A claim repeated by the same attempt (its answer was lost) answers the same.
	 */
	Claim claim(Run run) {
		Job job = activeJob(run);
		if (run.leaseId() == null) {
			UUID lease = BackupLease.start(this.db, this.transactions, job.project(), job.storage(),
					run.kind() == Kind.BACKUP ? BackupLease.Kind.BACKUP : BackupLease.Kind.RESTORE,
					this.backup.leaseTtl());
			int claimed = this.db.sql("""
					UPDATE mover_runs SET state = 'Running', lease_id = ?, claimed_at = now()
					WHERE id = ? AND state = 'Created' AND lease_id IS NULL""")
				.params(lease, run.id())
				.update();
			if (claimed == 0) {
				// the same attempt claimed twice at once: the other claim's lease stands
				BackupLease.finish(this.db, lease);
			}
			else if (run.kind() == Kind.BACKUP) {
				this.snapshots.abortAbandonedUploads(job.project());
			}
		}
		EngineSettings engine = this.properties.engine(this.backup.engine());
		return new Claim(run.id().toString(), run.kind().name().toLowerCase(), job.project(), job.storage(),
				job.backup(), this.backup.s3().prefix(),
				new MoverProtocol.Settings(engine.largeFileThreshold(), engine.packSize(), engine.readers(),
						engine.uploads(), engine.queueLength(), this.store.partSize(), this.store.multipartThreshold()),
				this.properties.heartbeat().toMillis(), this.worker.lease().toMillis(), job.mode(), job.paths());
	}

	/** The storage's newest snapshot, unless it is the one the mover found gone. */
	MoverProtocol.Previous previous(Run run, String gone) {
		Job job = claimedJob(run);
		requireBackup(run);
		if (gone != null && !ObjectRef.name(gone)) {
			throw MoverProblem.invalid("gone must be a backup id: " + gone);
		}
		Optional<ObjectRef> previous = this.snapshots.newest(job.project(), job.storage(),
				Optional.ofNullable(gone).map(id -> ObjectRef.manifest(job.storage(), id)));
		return new MoverProtocol.Previous(previous.map(ObjectRef::id).orElse(null));
	}

	/**
	 * Writes a run's progress and renews its job's lease and its backup lease.
	 * @return continue, cancel, or lost when either lease had run out
	 */
	String heartbeat(Run run, Progress progress) {
		if (run.ended()) {
			throw MoverProblem.runEnded(run.state());
		}
		long files = count(progress.files(), "files");
		long bytes = count(progress.bytes(), "bytes");
		Long filesTotal = optionalCount(progress.filesTotal(), "filesTotal");
		Long bytesTotal = optionalCount(progress.bytesTotal(), "bytesTotal");
		Long uploaded = optionalCount(progress.bytesUploaded(), "bytesUploaded");
		if (run.kind() == Kind.RESTORE && run.job() != null) {
			filesTotal = run.job().files();
			bytesTotal = run.job().bytes();
		}
		// totals are never below what is done
		filesTotal = (filesTotal == null) ? null : Math.max(files, filesTotal);
		bytesTotal = (bytesTotal == null) ? null : Math.max(bytes, bytesTotal);
		Optional<Boolean> renewed = this.queue.renew(run.kind(), run.jobId(), run.owner(), new JobQueue.Progress(files,
				filesTotal, bytes, bytesTotal, uploaded, eta(run, bytes, bytesTotal)));
		if (renewed.isEmpty()
				|| (run.leaseId() != null && !BackupLease.renew(this.db, run.leaseId(), this.backup.leaseTtl()))) {
			return MoverProtocol.Heartbeat.LOST;
		}
		return renewed.get() ? MoverProtocol.Heartbeat.CANCEL : MoverProtocol.Heartbeat.CONTINUE;
	}

	/** Seconds left at the rate so far; null until there is a total and a first byte. */
	private Long eta(Run run, long bytes, Long bytesTotal) {
		if (run.claimedAt() == null || bytesTotal == null || bytes <= 0) {
			return null;
		}
		long elapsed = Duration.between(run.claimedAt(), this.clock.instant()).toMillis();
		return (elapsed <= 0) ? null : (long) Math.ceil((bytesTotal - bytes) * (double) elapsed / bytes / 1000);
	}

	/**
	 * The stored contents among these, condemned ones revived; {@code record}, if any, recorded first (as
	 * {@link #record} does), so that the look-up finds them. A bad hash or record changes nothing.
	 */
	List<Content> lookup(Run run, List<String> sha256s, List<Content> record) {
		Job job = claimedJob(run);
		requireBackup(run);
		if (sha256s == null || sha256s.isEmpty() || sha256s.size() > MoverProtocol.MAX_LOOKUP) {
			throw MoverProblem.invalid("Look up between 1 and " + MoverProtocol.MAX_LOOKUP + " hashes at a time");
		}
		LinkedHashSet<String> wanted = new LinkedHashSet<>();
		sha256s.forEach(sha256 -> wanted.add(sha256(sha256)));
		if (record != null && !record.isEmpty()) {
			record(run, record);
		}
		return this.snapshots.index(job.project(), run.leaseId())
			.find(wanted)
			.values()
			.stream()
			.map(MoverRuns::content)
			.toList();
	}

	/** A large content, if stored: waits for a collection that is deleting objects (see PostgresContentIndex). */
	List<Content> lookupBlob(Run run, String sha256) {
		Job job = claimedJob(run);
		requireBackup(run);
		ContentLocation found = this.snapshots.index(job.project(), run.leaseId()).findBlob(sha256(sha256));
		return (found == null) ? List.of() : List.of(content(found));
	}

	private static Content content(ContentLocation location) {
		return new Content(location.sha256(), location.size(), location.pack(), location.offset(), location.blob());
	}

	/**
	 * Records contents a mover stored. Each object is asked for its size first: the index never points
	 * at a pack or blob the bucket does not hold, whatever a mover says. An object counted in the backup
	 * space already was asked when it was counted (its row goes only after its DELETE): a pack whose
	 * contents come in several calls is asked once.
	 */
	void record(Run run, List<Content> contents) {
		Job job = claimedJob(run);
		requireBackup(run);
		if (contents == null || contents.isEmpty() || contents.size() > MoverProtocol.MAX_RECORD) {
			throw MoverProblem.invalid("Record between 1 and " + MoverProtocol.MAX_RECORD + " contents at a time");
		}
		String project = job.project();
		Map<String, Long> needed = new HashMap<>();
		List<ContentLocation> locations = new ArrayList<>();
		String pack = null;
		String packKey = null;
		for (Content content : contents) {
			if (content == null) {
				throw MoverProblem.invalid("A content is missing");
			}
			String sha256 = sha256(content.sha256());
			if (content.size() < 0 || content.size() > MAX_OBJECT) {
				throw MoverProblem.invalid("Size out of range: " + content.size());
			}
			if (content.pack() != null) {
				// a call's contents share a pack or two: each id is checked, and its key made, once
				boolean samePack = content.pack().equals(pack);
				if (!(samePack || ObjectRef.name(content.pack())) || content.offset() == null || content.offset() < 0
						|| content.offset() > MAX_OBJECT) {
					throw MoverProblem.invalid("A packed content needs a pack id and an offset of at least 0");
				}
				if (!samePack) {
					pack = content.pack();
					packKey = this.snapshots.layout().pack(project, pack);
				}
				needed.merge(packKey, content.offset() + content.size(), Math::max);
				locations.add(ContentLocation.packed(sha256, content.size(), content.pack(), content.offset()));
			}
			else {
				if (content.offset() != null) {
					throw MoverProblem.invalid("A blob has no offset");
				}
				String key = this.snapshots.layout().blob(project, sha256);
				if (needed.containsKey(key) && needed.get(key) != content.size()) {
					throw MoverProblem.invalid("Two sizes for one blob: " + sha256);
				}
				needed.put(key, -content.size() - 1);
				locations.add(ContentLocation.blob(sha256, content.size(), key));
			}
		}
		List<BackupObjects.Stored> objects = new ArrayList<>();
		Map<String, Long> countedSizes = BackupObjects.sizes(this.db, project, needed.keySet());
		needed.forEach((key, wanted) -> {
			Long counted = countedSizes.get(key);
			Long size = holds(counted, wanted) ? counted : s3(() -> this.store.size(key));
			if (!holds(size, wanted)) {
				throw MoverProblem.notStored("The bucket does not hold " + key.substring(key.lastIndexOf('/') + 1)
						+ " as recorded (" + (size == null ? "missing" : size + " bytes") + ")");
			}
			// counted in the backup space as the bucket holds them, however the mover splits a pack's records
			objects.add((wanted >= 0) ? BackupObjects.Stored.pack(key, size) : BackupObjects.Stored.blob(key, size));
		});
		try {
			this.snapshots.index(project, run.leaseId()).record(locations, objects);
		}
		catch (LeaseLostException ex) {
			throw MoverProblem.leaseLost();
		}
	}

	/**
	 * Whether an object of this size holds what is recorded in it: a pack must reach past its last content,
	 * a blob (wanted as -size-1) must be exactly its size.
	 */
	private static boolean holds(Long size, long wanted) {
		return size != null && ((wanted >= 0) ? size >= wanted : size == -wanted - 1);
	}

	/**
	 * Signs one request of a run for one object of its project: a backup writes new packs, blobs (their
	 * bytes bound to the sha256 that names them) and its own manifest, and reads its storage's
	 * manifests; a restore reads its project's content and its snapshot's manifest.
	 */
	Presigned presign(Run run, Presign request) {
		Job job = claimedJob(run);
		if (request == null || request.method() == null) {
			throw MoverProblem.invalid("Say which method to sign: GET or PUT");
		}
		ObjectRef object = object(request.object());
		String key = this.snapshots.layout().key(job.project(), object);
		Duration lifetime = this.properties.presignLifetime();
		S3Store.Presigned signed;
		switch (request.method()) {
			case "GET" -> {
				requireReadable(run, job, object);
				String range = null;
				if (request.offset() != null || request.length() != null) {
					long offset = (request.offset() == null) ? 0 : request.offset();
					if (offset < 0 || offset > MAX_OBJECT || (request.length() != null
							&& (request.length() < 1 || request.length() > MAX_OBJECT - offset))) {
						throw MoverProblem.invalid("A range needs an offset of at least 0 and a length of at least 1");
					}
					// without a length: from the offset to the end
					range = "bytes=" + offset + "-" + (request.length() == null ? "" : offset + request.length() - 1);
				}
				signed = this.store.presignRead(key, range, lifetime);
			}
			case "PUT" -> {
				requireWritable(run, job, object);
				if (request.partNumber() != null || request.uploadId() != null) {
					if (request.partNumber() == null || request.partNumber() < 1
							|| request.partNumber() > io.mlplatform.storage.snapshot.ObjectStore.MAX_PARTS
							|| request.uploadId() == null || !UPLOAD_ID.matcher(request.uploadId()).matches()) {
						throw MoverProblem.invalid("A part needs an upload id and a part number from 1 to 10000");
					}
					if (object.kind() == ObjectRef.Kind.BLOB
							&& (request.crc32c() == null || !CRC32C.matcher(request.crc32c()).matches())) {
						throw MoverProblem.invalid("A blob's part declares its CRC32C (base64 of 4 bytes)");
					}
					signed = this.store.presignPart(key, request.uploadId(), request.partNumber(),
							object.kind() == ObjectRef.Kind.BLOB ? request.crc32c() : null, lifetime);
				}
				else {
					signed = switch (object.kind()) {
						// a pack id is new: never replace a pack another backup's contents live in
						case PACK -> presignPackPut(key);
						// S3 refuses any bytes but the content the key names
						case BLOB -> this.store.presignPut(key, lifetime, base64(object.id()), false, Map.of());
						case MANIFEST -> this.store.presignPut(key, lifetime, null, false, metadata(request.metadata()));
					};
				}
			}
			default -> throw MoverProblem.invalid("Only GET and PUT are signed: " + request.method());
		}
		return presigned(signed);
	}

	/** A pack id is new: its PUT never replaces a pack another backup's contents live in. */
	private S3Store.Presigned presignPackPut(String key) {
		return this.store.presignPackPut(key, this.properties.presignLifetime());
	}

	private static Presigned presigned(S3Store.Presigned signed) {
		return new Presigned(signed.url().toString(), signed.method(), signed.headers(), signed.expiresAt());
	}

	/**
	 * Ids for a backup's next packs, random and chosen here, each with its PUT presigned as
	 * {@link #presign} signs a pack's: a mover that asks for several at once saves a call per pack.
	 */
	List<MoverProtocol.PackSlot> presignPacks(Run run, int count) {
		Job job = claimedJob(run);
		requireBackup(run);
		if (count < 1 || count > MoverProtocol.MAX_PACK_SLOTS) {
			throw MoverProblem.invalid("Ask for between 1 and " + MoverProtocol.MAX_PACK_SLOTS + " packs at a time");
		}
		List<MoverProtocol.PackSlot> slots = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			String id = UUID.randomUUID().toString();
			slots.add(new MoverProtocol.PackSlot(id,
					presigned(presignPackPut(this.snapshots.layout().pack(job.project(), id)))));
		}
		return slots;
	}

	/** Starts a multipart upload of a blob (parts checked by their CRC32C) or of the run's manifest. */
	String startUpload(Run run, ObjectName name, Map<String, String> metadata) {
		Job job = claimedJob(run);
		ObjectRef object = object(name);
		requireWritable(run, job, object);
		if (object.kind() == ObjectRef.Kind.PACK) {
			throw MoverProblem.invalid("A pack is stored in one PUT");
		}
		Map<String, String> checked = object.kind() == ObjectRef.Kind.MANIFEST ? metadata(metadata) : Map.of();
		return s3(() -> this.store.startUpload(this.snapshots.layout().key(job.project(), object),
				object.kind() == ObjectRef.Kind.BLOB, checked));
	}

	void completeUpload(Run run, ObjectName name, String uploadId, List<MoverProtocol.Part> parts) {
		Job job = claimedJob(run);
		ObjectRef object = object(name);
		requireWritable(run, job, object);
		if (uploadId == null || !UPLOAD_ID.matcher(uploadId).matches() || parts == null || parts.isEmpty()
				|| parts.size() > io.mlplatform.storage.snapshot.ObjectStore.MAX_PARTS) {
			throw MoverProblem.invalid("Complete an upload with its id and between 1 and 10000 parts");
		}
		List<CompletedPart> completed = new ArrayList<>();
		int expected = 1;
		for (MoverProtocol.Part part : parts) {
			if (part == null || part.partNumber() != expected++ || part.eTag() == null || part.eTag().length() > 1024
					|| (object.kind() == ObjectRef.Kind.BLOB
							&& (part.crc32c() == null || !CRC32C.matcher(part.crc32c()).matches()))) {
				throw MoverProblem.invalid("Parts are numbered from 1 in order, each with its ETag"
						+ (object.kind() == ObjectRef.Kind.BLOB ? " and CRC32C" : ""));
			}
			completed.add(CompletedPart.builder().partNumber(part.partNumber()).eTag(part.eTag())
				.checksumCRC32C(object.kind() == ObjectRef.Kind.BLOB ? part.crc32c() : null).build());
		}
		s3(() -> {
			this.store.completeUpload(this.snapshots.layout().key(job.project(), object), uploadId, completed);
			return null;
		});
	}

	void abortUpload(Run run, ObjectName name, String uploadId) {
		Job job = claimedJob(run);
		ObjectRef object = object(name);
		requireWritable(run, job, object);
		if (uploadId == null || !UPLOAD_ID.matcher(uploadId).matches()) {
			throw MoverProblem.invalid("Abort an upload by its id");
		}
		s3(() -> {
			this.store.abortUpload(this.snapshots.layout().key(job.project(), object), uploadId);
			return null;
		});
	}

	/** An S3 call for a mover: what S3 refuses is the mover's problem (409), S3 not answering a 503. */
	private static <T> T s3(java.util.function.Supplier<T> call) {
		try {
			return call.get();
		}
		catch (software.amazon.awssdk.services.s3.model.S3Exception ex) {
			if (ex.statusCode() >= 400 && ex.statusCode() < 500) {
				throw MoverProblem.storageRefused(ex.awsErrorDetails() == null ? null : ex.awsErrorDetails().errorCode());
			}
			throw MoverProblem.storageUnavailable();
		}
		catch (software.amazon.awssdk.core.exception.SdkException ex) {
			throw MoverProblem.storageUnavailable();
		}
	}

	private static void requireBackup(Run run) {
		if (run.kind() != Kind.BACKUP) {
			throw MoverProblem.notAllowed("Only a backup looks up and records content");
		}
	}

	private void requireReadable(Run run, Job job, ObjectRef object) {
		if (object.kind() == ObjectRef.Kind.MANIFEST && !object.storage().equals(job.storage())) {
			throw MoverProblem.notAllowed("A run reads the manifests of its own storage only");
		}
		if (run.kind() == Kind.RESTORE && object.kind() == ObjectRef.Kind.MANIFEST && !object.id().equals(job.backup())) {
			throw MoverProblem.notAllowed("A restore reads its own snapshot's manifest only");
		}
	}

	private void requireWritable(Run run, Job job, ObjectRef object) {
		if (run.kind() != Kind.BACKUP) {
			throw MoverProblem.notAllowed("A restore writes nothing to the bucket");
		}
		if (object.kind() == ObjectRef.Kind.MANIFEST
				&& !(object.storage().equals(job.storage()) && object.id().equals(job.backup()))) {
			throw MoverProblem.notAllowed("A backup writes its own manifest only");
		}
	}

	private static ObjectRef object(ObjectName name) {
		if (name == null || name.kind() == null) {
			throw MoverProblem.invalid("Name the object: its kind (pack, blob, manifest) and id");
		}
		try {
			return switch (name.kind()) {
				case "pack" -> ObjectRef.pack(name.id());
				case "blob" -> ObjectRef.blob(name.id());
				case "manifest" -> ObjectRef.manifest(name.storage(), name.id());
				default -> throw new IllegalArgumentException("Unknown object kind: " + name.kind());
			};
		}
		catch (IllegalArgumentException ex) {
			throw MoverProblem.invalid(ex.getMessage());
		}
	}

	/** A manifest's metadata: its snapshot time, and nothing else. */
	private static Map<String, String> metadata(Map<String, String> metadata) {
		if (metadata == null || metadata.isEmpty()) {
			return Map.of();
		}
		String time = metadata.get(SnapshotEngine.SNAPSHOT_TIME);
		if (metadata.size() != 1 || time == null) {
			throw MoverProblem.invalid("A manifest carries only " + SnapshotEngine.SNAPSHOT_TIME);
		}
		try {
			return Map.of(SnapshotEngine.SNAPSHOT_TIME, Instant.parse(time).toString());
		}
		catch (java.time.format.DateTimeParseException ex) {
			throw MoverProblem.invalid(SnapshotEngine.SNAPSHOT_TIME + " must be an ISO-8601 instant");
		}
	}

	/** Checked by hand, not by a pattern: a backup of 20,000 files checks 40,000 of them. */
	private static String sha256(String value) {
		if (!isSha256(value)) {
			throw MoverProblem.invalid("Not a sha256 (64 lower-case hex digits): " + abbreviate(value));
		}
		return value;
	}

	private static boolean isSha256(String value) {
		if (value == null || value.length() != 64) {
			return false;
		}
		for (int i = 0; i < 64; i++) {
			char c = value.charAt(i);
			if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
				return false;
			}
		}
		return true;
	}

	private static String base64(String sha256) {
		return java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(sha256));
	}

	private static long count(Long value, String name) {
		Long count = optionalCount(value, name);
		return (count == null) ? 0 : count;
	}

	private static Long optionalCount(Long value, String name) {
		if (value != null && value < 0) {
			throw MoverProblem.invalid(name + " must not be negative");
		}
		return value;
	}

	private static String abbreviate(String value) {
		return (value == null) ? "null" : (value.length() > 80) ? value.substring(0, 80) + "…" : value;
	}

	/**
	 * Makes a run's work count: a backup's manifest becomes its snapshot, only while the run holds both its
	 * job's lease and its backup lease (a collection may have removed content it relies on otherwise, and
	 * then the manifest is deleted); retention follows, then the job ends Succeeded.
	 */
	void commit(Run run, Commit commit) {
		if ("Committed".equals(run.state())) {
			// the same commit again: its first answer was lost on the way
			return;
		}
		Job job = claimedJob(run);
		if (commit == null || commit.files() < 0 || commit.bytes() < 0) {
			throw MoverProblem.invalid("A commit carries the run's files and bytes");
		}
		if (run.kind() == Kind.BACKUP) {
			commitBackup(run, job, commit);
		}
		else {
			commitRestore(run, commit);
		}
	}

	private void commitBackup(Run run, Job job, Commit commit) {
		if (commit.snapshotTime() == null || commit.bytesUploaded() == null || commit.bytesUploaded() < 0) {
			throw MoverProblem.invalid("A backup's commit carries its snapshot time and bytes uploaded");
		}
		String manifest = this.snapshots.layout().manifest(job.project(), job.storage(), job.backup());
		if (s3(() -> this.store.size(manifest)) == null) {
			throw MoverProblem.notStored("Upload the manifest before the commit");
		}
		if (!endLease(run)) {
			// the snapshot would reference content a collection may have removed
			this.store.delete(List.of(manifest));
			settle(run.id(), "The run's backup lease ran out before its commit");
			throw MoverProblem.leaseLost();
		}
		this.snapshots.recordNewest(job.project(), job.storage(), job.backup(), commit.snapshotTime());
		this.snapshots.committed(job.project(), job.storage(), job.backup());
		this.retention.apply(UUID.fromString(job.storage()), job.project(), run.jobId(), job.storageName());
		// the run and its job end together: whoever sees the backup Succeeded sees the run Committed
		boolean ended = Boolean.TRUE.equals(this.transactions.execute(status -> {
			endRun(run, "Committed", null);
			return this.queue.finish(Kind.BACKUP, run.jobId(), run.owner(), JobState.Succeeded,
					new JobQueue.Progress(commit.files(), commit.files(), commit.bytes(), commit.bytes(),
							commit.bytesUploaded(), null),
					null);
		}));
		if (ended) {
			BackupResult result = new BackupResult(manifest, commit.entries() == null ? 0 : commit.entries(),
					commit.files(), commit.bytes(), orZero(commit.filesRead()), orZero(commit.bytesRead()),
					orZero(commit.bytesStored()), commit.bytesUploaded());
			this.metrics.backupEnded(JobState.Succeeded, took(run), result, commit.bytesUploaded());
			log.info("Backup {} of storage {} in project {} committed by mover run {} (attempt {}): {} files, {} bytes, "
					+ "{} bytes uploaded", run.jobId(), job.storageName(), job.project(), run.id(), run.attempt(),
					commit.files(), commit.bytes(), commit.bytesUploaded());
		}
	}

	private void commitRestore(Run run, Commit commit) {
		endLease(run);
		boolean ended = Boolean.TRUE.equals(this.transactions.execute(status -> {
			endRun(run, "Committed", null);
			return this.queue.finish(Kind.RESTORE, run.jobId(), run.owner(), JobState.Succeeded,
					new JobQueue.Progress(commit.files(), commit.files(), commit.bytes(), commit.bytes(), null, null),
					null);
		}));
		if (ended) {
			this.metrics.restoreEnded(JobState.Succeeded, took(run));
		}
		else {
			throw MoverProblem.leaseLost();
		}
	}

	private static long orZero(Long value) {
		return (value == null) ? 0 : value;
	}

	private Duration took(Run run) {
		return (run.claimedAt() == null) ? Duration.ZERO : Duration.between(run.claimedAt(), this.clock.instant());
	}

	/**
	 * Ends the run's backup lease, only while the job's lease is still the run's: the two leases are
	 * checked in one transaction that locks the job's row.
	 */
	private boolean endLease(Run run) {
		Boolean ended = this.transactions.execute(status -> {
			boolean holds = this.db.sql("""
					SELECT id FROM %s WHERE id = ? AND state = 'Running' AND lease_owner = ? AND lease_until >= ?
					FOR UPDATE""".formatted(run.kind().table))
				.params(run.jobId(), run.owner(), JobQueue.at(this.clock.instant()))
				.query(UUID.class)
				.optional()
				.isPresent();
			return holds && BackupLease.finish(this.db, run.leaseId());
		});
		return Boolean.TRUE.equals(ended);
	}

	/** A mover says its run failed, or stopped as cancelled: the job ends so, with its reason. */
	void fail(Run run, MoverProtocol.Failure failure) {
		if (run.ended()) {
			throw MoverProblem.runEnded(run.state());
		}
		String reason = (failure == null || failure.reason() == null || failure.reason().isBlank())
				? "The mover failed without saying why" : failure.reason();
		reason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
		boolean cancelled = failure != null && failure.cancelled() && cancelRequested(run);
		if (run.leaseId() != null) {
			BackupLease.finish(this.db, run.leaseId());
		}
		JobState state = cancelled ? JobState.Cancelled : JobState.Failed;
		String why = reason;
		boolean ended = Boolean.TRUE.equals(this.transactions.execute(status -> {
			endRun(run, "Failed", cancelled ? "cancelled" : why);
			return this.queue.end(run.kind(), run.jobId(), run.owner(), state, cancelled ? null : why);
		}));
		if (ended) {
			if (run.kind() == Kind.BACKUP) {
				this.metrics.backupEnded(state, took(run), null, 0);
			}
			else {
				this.metrics.restoreEnded(state, took(run));
			}
			log.warn("{} {} ended {} by mover run {} (attempt {}): {}", run.kind(), run.jobId(), state, run.id(),
					run.attempt(), cancelled ? "cancelled" : reason);
		}
	}

	private boolean cancelRequested(Run run) {
		return this.db.sql("SELECT cancel_requested FROM %s WHERE id = ?".formatted(run.kind().table))
			.param(run.jobId())
			.query(Boolean.class)
			.optional()
			.orElse(false);
	}

	/**
	 * Settles a run whose mover stopped (its process exited, its pod ended) without committing or
	 * failing it: the attempt is over, and the job is queued for its next attempt (or ends Failed after
	 * the last, or Cancelled if asked), with why.
	 */
	void settle(UUID id, String why) {
		Optional<Run> found = this.db.sql("SELECT * FROM mover_runs WHERE id = ? AND state IN ('Created', 'Running')")
			.param(id)
			.query((row, n) -> new Run(row.getObject("id", UUID.class), Kind.valueOf(row.getString("kind").toUpperCase()),
					row.getObject("job_id", UUID.class), row.getInt("attempt"), row.getString("state"),
					row.getObject("lease_id", UUID.class), null, null))
			.optional();
		found.ifPresent(run -> {
			if (run.leaseId() != null) {
				BackupLease.finish(this.db, run.leaseId());
			}
			Optional<JobState> state = this.transactions.execute(status -> {
				endRun(run, "Failed", why);
				return this.queue.retry(run.kind(), run.jobId(), run.owner(), "Attempt " + run.attempt() + ": " + why);
			});
			state.ifPresent(now -> log.warn("{} {}: mover run {} (attempt {}) stopped without ending: {}; the job is {}",
					run.kind(), run.jobId(), run.id(), run.attempt(), why, now));
		});
	}

	private void endRun(Run run, String state, String reason) {
		this.db.sql("""
				UPDATE mover_runs SET state = ?, ended_at = now(), reason = ?
				WHERE id = ? AND state IN ('Created', 'Running')""")
			.params(state, reason, run.id())
			.update();
	}

}
