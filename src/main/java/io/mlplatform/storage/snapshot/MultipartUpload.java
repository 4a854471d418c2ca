package io.mlplatform.storage.snapshot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How a file goes up as a multipart upload, whoever sends the requests (the service's SDK client, a
 * mover's presigned URLs): its parts in parallel, each with the CRC32C it was hashed with; completed
 * only if the file is still unchanged once every part is in; aborted on any failure.
 */
public final class MultipartUpload {

	private MultipartUpload() {
	}

	/**
	 * One part of the file.
	 * @param checksum its CRC32C (base64) from the hash pass; null when the file was not hashed (a manifest)
	 */
	public record Part(int number, long offset, long length, String checksum) {
	}

	/**
	 * Sends every part with {@code send} on {@code executor}, then {@code complete}s with what each answered.
	 * @param digest the file's hash pass, for each part's checksum; null for none
	 * @param abort called when anything failed, before the failure goes up
	 * @throws ChangedContentException if {@code unchanged} no longer holds once every part is in
	 */
	public static <T> void run(Path file, long size, long partSize, FileDigest digest, Executor executor,
			Function<Part, T> send, BooleanSupplier unchanged, Consumer<List<T>> complete, Consumer<RuntimeException> abort) {
		try {
			List<CompletableFuture<T>> futures = new ArrayList<>();
			// an empty content is still one (empty) part
			for (int number = 1; number == 1 || (long) (number - 1) * partSize < size; number++) {
				long offset = (number - 1) * partSize;
				Part part = new Part(number, offset, Math.min(partSize, size - offset),
						(digest != null) ? digest.part(number - 1) : null);
				futures.add(CompletableFuture.supplyAsync(() -> send.apply(part), executor));
			}
			List<T> sent = new ArrayList<>();
			for (CompletableFuture<T> future : futures) {
				try {
					sent.add(future.join());
				}
				catch (CompletionException ex) {
					throw (ex.getCause() instanceof RuntimeException runtime) ? runtime : ex;
				}
			}
			if (!unchanged.getAsBoolean()) {
				throw new ChangedContentException(file, null);
			}
			complete.accept(sent);
		}
		catch (RuntimeException ex) {
			abort.accept(ex);
			throw ex;
		}
	}

}
