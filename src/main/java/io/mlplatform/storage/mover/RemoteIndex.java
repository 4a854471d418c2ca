package io.mlplatform.storage.mover;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.mlplatform.storage.mover.MoverProtocol.Content;
import io.mlplatform.storage.mover.MoverProtocol.Contents;
import io.mlplatform.storage.snapshot.ContentIndex;
import io.mlplatform.storage.snapshot.ContentLocation;

/** The project's content index as a mover reaches it: look-ups and records through the mover API, in batches. */
final class RemoteIndex implements ContentIndex {

	private final MoverClient service;

	RemoteIndex(MoverClient service) {
		this.service = service;
	}

	/** As many as one call takes: each batch is a round trip to the service. */
	@Override
	public int batch() {
		return MoverProtocol.MAX_LOOKUP;
	}

	@Override
	public Map<String, ContentLocation> find(Collection<String> sha256s) {
		Map<String, ContentLocation> found = new HashMap<>();
		List<String> all = new ArrayList<>(sha256s);
		for (int from = 0; from < all.size(); from += MoverProtocol.MAX_LOOKUP) {
			List<String> batch = all.subList(from, Math.min(all.size(), from + MoverProtocol.MAX_LOOKUP));
			this.service.post("/contents:lookup", new MoverProtocol.Lookup(batch), Contents.class)
				.contents()
				.forEach(content -> found.put(content.sha256(), location(content)));
		}
		return found;
	}

	@Override
	public ContentLocation findBlob(String sha256) {
		List<Content> found = this.service.post("/blobs/" + sha256 + ":lookup", null, Contents.class).contents();
		return found.isEmpty() ? null : location(found.get(0));
	}

	@Override
	public void record(List<ContentLocation> contents) {
		for (int from = 0; from < contents.size(); from += MoverProtocol.MAX_RECORD) {
			List<Content> batch = contents.subList(from, Math.min(contents.size(), from + MoverProtocol.MAX_RECORD))
				.stream()
				.map(location -> new Content(location.sha256(), location.size(), location.pack(), location.offset(),
						null))
				.toList();
			this.service.post("/contents:record", new Contents(batch), null);
		}
	}

	private static ContentLocation location(Content content) {
		return (content.pack() != null)
				? ContentLocation.packed(content.sha256(), content.size(), content.pack(), content.offset())
				: ContentLocation.blob(content.sha256(), content.size(), content.blob());
	}

}
