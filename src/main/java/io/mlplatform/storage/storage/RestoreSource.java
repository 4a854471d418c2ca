package io.mlplatform.storage.storage;

import java.util.List;

import io.swagger.v3.oas.annotations.media.Schema;

/** Where a new storage's first contents come from. */
@Schema(name = "RestoreSource", description = "Fill a new storage from a backup of another storage of the project")
public record RestoreSource(@Schema(description = "Storage the backup belongs to", example = "imagenet") String storage,
		@Schema(description = "Backup id", example = "0f8e4c1a-5b7d-4d7e-9a51-3c2b1f0e9d8a") String backup,
		@Schema(description = "Only these files or folders of the backup; all when absent",
				example = "[\"datasets/train/\"]") List<String> paths) {
}
