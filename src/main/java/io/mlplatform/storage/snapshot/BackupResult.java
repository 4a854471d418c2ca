package io.mlplatform.storage.snapshot;

import java.util.List;

/**
 * What a backup did.
 * @param filesRead files whose content was read (the others were unchanged since the previous snapshot)
 * @param bytesStored new content, not stored before in the project
 * @param bytesUploaded everything PUT, the manifest included
 * @param skipped entries left out of the snapshot: deleted while the backup ran, a large file that
 * kept changing, or a name that is not valid UTF-8
 * @param skippedPaths the first of those, each with the reason
 */
public record BackupResult(String manifest, long entries, long files, long bytes, long filesRead, long bytesRead,
		long bytesStored, long bytesUploaded, long skipped, List<String> skippedPaths) {

	public BackupResult(String manifest, long entries, long files, long bytes, long filesRead, long bytesRead,
			long bytesStored, long bytesUploaded) {
		this(manifest, entries, files, bytes, filesRead, bytesRead, bytesStored, bytesUploaded, 0, List.of());
	}

}
