package io.mlplatform.storage.backup;

import org.springframework.test.context.TestPropertySource;

/** The app with executor {@code process}: every backup and restore runs as a mover process. */
@TestPropertySource(properties = { "pss.worker.executor=process",
		// a large file's blob goes up in parts, as a file over the threshold does in production
		"pss.backup.s3.multipart-threshold=12MB", "pss.backup.s3.part-size=5MB",
		// small packs, so a backup stores many and a mover can be stopped between them
		"pss.backup.pack-size=1MB", "pss.mover.heartbeat=500ms" })
abstract class MoverTestSupport extends WorkerTestSupport {

}
