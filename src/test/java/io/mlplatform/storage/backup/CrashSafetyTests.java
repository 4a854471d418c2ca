package io.mlplatform.storage.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mlplatform.storage.TestInfrastructure;
import io.mlplatform.storage.snapshot.BackupResult;
import io.mlplatform.storage.snapshot.RestoreMode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A backup killed with -9 leaves no snapshot, and the next one reuses what it uploaded. */
class CrashSafetyTests extends BackupTestSupport {

	@Override
	protected BackupProperties properties() {
		BackupProperties defaults = super.properties();
		// uploads of any age count as abandoned: the killed run is the only other writer
		return new BackupProperties(defaults.s3(), defaults.largeFileThreshold(), defaults.packSize(),
				defaults.readers(), defaults.uploads(), defaults.queueLength(), defaults.gcGrace(), Duration.ZERO);
	}

	@Test
	void aKilledBackupLeavesNoSnapshotAndTheNextReusesItsContent() throws Exception {
		Path source = folder("source");
		for (int i = 0; i < 4000; i++) {
			write(source.resolve("d" + (i % 40) + "/f" + i + ".bin"), random(4096, i));
		}
		for (int i = 0; i < 4; i++) {
			write(source.resolve("large/l" + i + ".bin"), random(11 * 1024 * 1024, 100 + i));
		}
		long total = 4000L * 4096 + 4L * 11 * 1024 * 1024;

		Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				System.getProperty("java.class.path"), "-Xmx256m",
				// its temporary manifests outlive the kill: here, not in the machine's /tmp
				"-Djava.io.tmpdir=" + Files.createDirectories(this.temp.resolve("child-tmp")),
				"-Dpss.test.s3-endpoint=" + TestInfrastructure.s3().endpoint(), Child.class.getName(),
				TestInfrastructure.postgres().jdbcUrl(), this.project, source.toString())
			.redirectErrorStream(true)
			.redirectOutput(this.temp.resolve("child.log").toFile())
			.start();
		try {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			// killed once some content is stored and recorded, while the rest is still being uploaded
			while (recordedBytes() == 0 && child.isAlive() && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertThat(child.isAlive()).as("the backup is still running when it is killed").isTrue();
			child.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
			assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
		}
		finally {
			child.destroyForcibly();
		}
		assertThat(keys("snapshots/")).isEmpty();
		long uploadedBeforeCrash = recordedBytes();
		assertThat(uploadedBeforeCrash).isPositive();
		// a multipart upload as a crash mid-blob leaves it
		this.store.startUpload("pss/projects/" + this.project + "/blobs/00/left-by-a-crash");

		BackupResult next = this.snapshots.backup(this.project, "s1", "b2", source);

		assertThat(next.bytesStored()).isEqualTo(total - uploadedBeforeCrash);
		assertThat(this.store.countUploads("pss/projects/" + this.project + "/")).isZero();
		Path target = folder("target");
		this.snapshots.restore(this.project, "s1", "b2", target, List.of(), RestoreMode.MERGE);
		assertThat(Trees.describe(target)).isEqualTo(Trees.describe(source));
	}

	private long recordedBytes() {
		return this.db.sql("SELECT coalesce(sum(size), 0) FROM backup_contents WHERE project = ?")
			.param(this.project)
			.query(Long.class)
			.single();
	}

	/** The engine in a JVM of its own, so that it can be killed. */
	static final class Child {

		public static void main(String[] args) throws Exception {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(args[0]);
			config.setUsername("postgres");
			try (HikariDataSource dataSource = new HikariDataSource(config)) {
				CrashSafetyTests settings = new CrashSafetyTests();
				BackupProperties properties = settings.properties();
				try (S3Store store = new S3Store(properties.s3());
						Snapshots snapshots = new Snapshots(store, dataSource, properties, Clock.systemUTC())) {
					snapshots.backup(args[1], "s1", "b1", Path.of(args[2]));
				}
			}
		}

	}


}
