package io.mlplatform.storage.backup;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import software.amazon.awssdk.services.s3.model.S3Object;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.snapshot.Manifest;
import io.mlplatform.storage.snapshot.SnapshotEntry;
import io.mlplatform.storage.snapshot.SnapshotLayout;

import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/** What the bucket really holds of a project, against the backup space the API reports. */
final class BucketSpace {

	private BucketSpace() {
	}

	/**
	 * The quota's figure is the sum of the sizes of the project's objects as listed; each live storage's
	 * exclusive and shared bytes are what its listed manifests reference, computed here.
	 */
	static void assertMatches(ApiClient api, S3Store store, SnapshotLayout layout, String project) {
		List<S3Object> objects = store.list(layout.project(project)).toList();
		long listed = objects.stream().mapToLong(S3Object::size).sum();
		long used = api.get("/api/v1/projects/" + project + "/quota").json().path("used").path("backupBytes").asLong();
		assertThat(used).as("used.backupBytes against the bucket's %d objects", objects.size()).isEqualTo(listed);

		Map<String, Map<String, Long>> contents = new HashMap<>();
		Map<String, Long> manifestBytes = new HashMap<>();
		for (S3Object object : objects) {
			if (!object.key().startsWith(layout.snapshots(project))) {
				continue;
			}
			String storageId = object.key().substring(layout.snapshots(project).length()).split("/")[0];
			manifestBytes.merge(storageId, object.size(), Long::sum);
			Map<String, Long> referenced = contents.computeIfAbsent(storageId, id -> new HashMap<>());
			try (Manifest.Reader reader = new Manifest.Reader(store.get(object.key()))) {
				while (reader.hasNext()) {
					SnapshotEntry entry = reader.next();
					if (entry.sha256() != null) {
						referenced.put(entry.sha256(), entry.size());
					}
				}
			}
		}
		for (JsonNode storage : api.get("/api/v1/projects/" + project + "/storages").json().path("items")) {
			String id = storage.path("id").asString();
			Map<String, Long> mine = contents.getOrDefault(id, Map.of());
			Set<String> others = new HashSet<>();
			contents.forEach((other, referenced) -> {
				if (!other.equals(id)) {
					others.addAll(referenced.keySet());
				}
			});
			long exclusive = manifestBytes.getOrDefault(id, 0L);
			long shared = 0;
			for (Map.Entry<String, Long> content : mine.entrySet()) {
				if (others.contains(content.getKey())) {
					shared += content.getValue();
				}
				else {
					exclusive += content.getValue();
				}
			}
			JsonNode space = api
				.get("/api/v1/projects/" + project + "/storages/" + storage.path("name").asString() + "/backup-space")
				.json();
			assertThat(space.path("exclusiveBytes").asLong()).as("exclusive bytes of " + storage.path("name"))
				.isEqualTo(exclusive);
			assertThat(space.path("sharedBytes").asLong()).as("shared bytes of " + storage.path("name")).isEqualTo(shared);
		}
	}


}
