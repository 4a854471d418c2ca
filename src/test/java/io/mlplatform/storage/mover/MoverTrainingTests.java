package io.mlplatform.storage.mover;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The image's training run: the mover's own code backs up, backs up again and restores, checked byte for byte. */
class MoverTrainingTests {

	@Test
	void trainsOnAFullAndAnIncrementalBackupAndARestoreThatComesBackIdentical(@TempDir Path work) throws Exception {
		MoverTraining.Summary summary = MoverTraining.train(work);

		// 3,000 small files, 20 added by the second round, and two large ones; train() throws if any differs
		assertThat(summary.files()).isEqualTo(3022);
		assertThat(summary.bytes()).isGreaterThan(26L << 20);
		// packs, two blobs (one a multipart upload) and two manifests
		assertThat(summary.objects()).isGreaterThan(5);
	}

}
