package io.mlplatform.storage.snapshot;

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
import java.util.concurrent.Future;
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
		// nothing is read before the walker asks, nor ahead of the first child: it may be a folder
		assertThat(queued).isEmpty();
		assertThat(stats.get(0)).containsEntry("size", 0L);
		assertThat(queued).isEmpty();

		for (int i = 1; i < names.size(); i++) {
			assertThat(stats.get(i)).containsEntry("size", (long) i);
			// chunks of 32 from child 1 on: the walker's and up to 3 more, 9 in all
			int chunk = (i - 1) / FolderStats.CHUNK;
			assertThat(queued).as("chunks handed out at child %d", i).hasSize(Math.min(9, chunk + FolderStats.AHEAD));
		}
		// the walker ran every chunk itself: what the pool starts late is already done and does nothing
		assertThat(queued).allMatch(task -> ((Future<?>) task).isDone() && !((Future<?>) task).isCancelled());
	}

	@Test
	void rereadsWhatWasReadAheadOnceTheWalkerComesBackFromASubfolder() throws IOException {
		List<Path> names = children(FolderStats.CHUNK * 3);
		List<Runnable> queued = new ArrayList<>();
		FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, queued::add);
		assertThat(stats.get(0)).containsEntry("size", 0L);
		assertThat(stats.get(1)).containsEntry("size", 1L);
		queued.forEach(Runnable::run);
		// meanwhile (the walk of a subfolder at child 1) children in the walker's chunk and ahead of it change
		Files.writeString(this.folder.resolve(names.get(2)), "changed");
		Files.writeString(this.folder.resolve(names.get(FolderStats.CHUNK + 2)), "changed too");
		assertThat(queued).hasSize(2).allMatch(task -> ((Future<?>) task).isDone());

		stats.reread(2);

		assertThat(stats.get(2)).containsEntry("size", 7L);
		assertThat(stats.get(FolderStats.CHUNK + 2)).containsEntry("size", 11L);
		assertThat(stats.get(FolderStats.CHUNK * 3 - 1)).containsEntry("size", FolderStats.CHUNK * 3 - 1L);
	}

	@Test
	void closingCancelsTheChunksNoThreadHasStarted() throws IOException {
		List<Path> names = children(FolderStats.CHUNK * 10);
		List<Runnable> queued = new ArrayList<>();
		FolderStats stats = new FolderStats(this.folder, names, ATTRIBUTES, queued::add);
		stats.get(0);
		stats.get(1);

		stats.close();

		assertThat(queued).hasSize(FolderStats.AHEAD).allMatch(task -> ((Future<?>) task).isCancelled());
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
