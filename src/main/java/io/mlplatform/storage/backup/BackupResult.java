package io.mlplatform.storage.backup;

/**
 * What a backup did.
 * @param filesRead files whose content was read (the others were unchanged since the previous snapshot)
 * @param bytesStored new content, not stored before in the project
 * @param bytesUploaded everything PUT, the manifest included
 */
public record BackupResult(String manifest, long entries, long files, long bytes, long filesRead, long bytesRead,
		long bytesStored, long bytesUploaded) {
}
