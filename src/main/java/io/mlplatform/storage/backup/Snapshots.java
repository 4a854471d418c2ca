package io.mlplatform.storage.backup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The backup engine: snapshots of folders in the project's part of the backup bucket (SPEC §5). Back
 * up a folder as snapshot X of storage S in project P; restore a snapshot, or some of its paths; list
 * and read its entries; apply retention; collect garbage.
 */
public class Snapshots implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Snapshots.class);

	/** Project, storage and backup ids become parts of S3 keys: plain names only. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

	private final S3Store store;

	private final ContentIndex index;

	private final SnapshotLayout layout;

	private final BackupProperties properties;

	private final Clock clock;

	private final ExecutorService readers;

	private final ExecutorService transfers;

	public Snapshots(S3Store store, JdbcClient db, BackupProperties properties, Clock clock) {
		this.store = store;
		this.layout = new SnapshotLayout(properties.s3().prefix());
		this.index = new ContentIndex(db, this.layout);
		this.properties = properties;
		this.clock = clock;
		this.readers = Executors.newFixedThreadPool(properties.readers(), daemon("backup-reader"));
		this.transfers = Executors.newFixedThreadPool(properties.uploads(), daemon("backup-transfer"));
	}

	private static java.util.concurrent.ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return runnable -> {
			Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	static String name(String kind, String value) {
		if (value == null || !NAME.matcher(value).matches()) {
			throw new IllegalArgumentException("Invalid " + kind + " name: " + value);
		}
		return value;
	}

	/**
	 * Backs up a folder as a new snapshot. The manifest is uploaded last: until then the snapshot does
	 * not exist, and a crash leaves only content that the next run finds in the index and reuses.
	 */
	public BackupResult backup(String project, String storage, String backup, Path folder) {
		name("project", project);
		name("storage", storage);
		name("backup", backup);
		String manifestKey = this.layout.manifest(project, storage, name("backup", backup));
		int aborted = this.store.abortUploads(this.layout.project(project),
				this.clock.instant().minus(this.properties.abandonedUploadAge()));
		if (aborted > 0) {
			log.info("Aborted {} multipart uploads left by an interrupted backup of project {}", aborted, project);
		}
		Path previousFile = null;
		Path manifestFile = null;
		try {
			previousFile = latest(project, storage).map(this::download).orElse(null);
			manifestFile = Files.createTempFile("pss-manifest-", ".json.gz");
			BackupStats stats = new BackupStats();
			long entries;
			try (Manifest.Reader previous = (previousFile != null)
					? new Manifest.Reader(Files.newInputStream(previousFile)) : Manifest.Reader.empty();
					OutputStream out = Files.newOutputStream(manifestFile)) {
				int packSize = Math.toIntExact(this.properties.packSize().toBytes());
				Packer packer = new Packer(project, this.index, this.layout, this.store, this.transfers, stats, packSize,
						Math.max(1, Math.min(4, this.properties.uploads() / 2)));
				entries = new BackupRun(project, folder, previous, this.index, this.layout, this.store, packer,
						this.readers, this.transfers, this.properties.largeFileThreshold().toBytes(),
						this.properties.queueLength(), stats)
					.run(out);
			}
			long size = Files.size(manifestFile);
			this.store.putFile(manifestKey, manifestFile, size, this.transfers);
			stats.uploaded(size);
			return stats.result(manifestKey, entries);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(previousFile);
			deleteQuietly(manifestFile);
		}
	}

	/** Restores a snapshot, or only the given paths (files or folders) of it, into a folder. */
	public RestoreResult restore(String project, String storage, String backup, Path target, List<String> paths,
			RestoreMode mode) {
		List<String> scopes = SafePaths.scopes(paths);
		Path manifest = download(manifestKey(project, storage, backup));
		try {
			return new RestoreRun(this.store, this.layout, project, manifest, target, scopes, mode, this.transfers,
					this.properties.uploads() * 2)
				.run();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			deleteQuietly(manifest);
		}
	}

	String manifestKey(String project, String storage, String backup) {
		return this.layout.manifest(name("project", project), name("storage", storage), name("backup", backup));
	}

	/** The newest snapshot of a storage: the one the next backup compares against. */
	private Optional<String> latest(String project, String storage) {
		return snapshotObjects(project, storage).max(Comparator.comparing(S3Object::lastModified)).map(S3Object::key);
	}

	java.util.stream.Stream<S3Object> snapshotObjects(String project, String storage) {
		return this.store.list(this.layout.snapshots(project, storage))
			.filter(object -> SnapshotLayout.backupOf(object.key()) != null);
	}

	private Path download(String key) {
		try {
			Path file = Files.createTempFile("pss-manifest-", ".json.gz");
			try (InputStream in = this.store.get(key)) {
				Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			}
			catch (NoSuchKeyException ex) {
				deleteQuietly(file);
				throw SnapshotException.notFound(key);
			}
			return file;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void deleteQuietly(Path file) {
		if (file != null) {
			try {
				Files.deleteIfExists(file);
			}
			catch (IOException ex) {
				// a temporary file; the OS cleans its temp folder
			}
		}
	}

	@Override
	public void close() {
		this.readers.shutdownNow();
		this.transfers.shutdownNow();
	}

}
