package io.mlplatform.storage.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FolderStatsTests {

	private static final String ATTRIBUTES = "unix:mode,ino,size,lastModifiedTime";

	@TempDir
	Path folder;

	private List<Path> children(int count) throws IOException {
		List<Path> names = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			Path file = Files.writeString(this.folder.resolve(String.format("f%04d", i)), "x".repeat(i));
			names.add(file.getFileName());
		}
		return names;
	}

	@Test
	void givesEachChildsAttributesInOrderAsReadingThemDirectlyDoes() throws IOException {
		List<Path> names = children(FolderStats.CHUNK * (FolderStats.AHEAD + 3) + 5);
		ExecutorService pool = Executors.newFixedThreadPool(3);
		try {
			FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, pool);
			for (int i = 0; i < names.size(); i++) {
				Map<String, Object> direct = Files.readAttributes(this.folder.resolve(names.get(i)), ATTRIBUTES,
						LinkOption.NOFOLLOW_LINKS);
				assertThat(stats.get(i)).as("child %d", i).isEqualTo(direct).containsEntry("size", (long) i);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void readsAheadOnlyAFewChunksAndReadsThemItselfWhenThePoolDoesNot() throws IOException {
		List<Path> names = children(FolderStats.CHUNK * 10);
		// a pool too busy to start anything: every chunk handed to it waits in its queue
		List<Runnable> queued = new ArrayList<>();
		FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, queued::add);
		assertThat(queued).hasSize(FolderStats.AHEAD);

		for (int i = 0; i < names.size(); i++) {
			assertThat(stats.get(i)).containsEntry("size", (long) i);
			int chunk = i / FolderStats.CHUNK;
			assertThat(queued).as("chunks handed out at child %d", i).hasSize(Math.min(9, chunk + FolderStats.AHEAD));
		}
		// what the pool starts late finds its chunk already read and does nothing
		queued.forEach(Runnable::run);
	}

	@Test
	void aChildGoneBeforeItsTurnFailsOnlyItsOwnLookup() throws IOException {
		List<Path> names = children(FolderStats.CHUNK + 3);
		Files.delete(this.folder.resolve(names.get(FolderStats.CHUNK + 1)));
		ExecutorService pool = Executors.newSingleThreadExecutor();
		try {
			FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, pool);
			for (int i = 0; i < names.size(); i++) {
				int index = i;
				if (i == FolderStats.CHUNK + 1) {
					assertThatThrownBy(() -> stats.get(index)).isInstanceOf(NoSuchFileException.class);
				}
				else {
					assertThat(stats.get(i)).containsEntry("size", (long) i);
				}
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void aPoolThatRefusesWorkLeavesTheWholeFolderToTheWalker() throws IOException {
		List<Path> names = children(FolderStats.CHUNK * 5);
		FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, task -> {
			throw new RejectedExecutionException("shut down");
		});
		for (int i = 0; i < names.size(); i++) {
			assertThat(stats.get(i)).containsEntry("size", (long) i);
		}
	}

}
