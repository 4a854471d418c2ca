package io.mlplatform.storage.backup;

import java.net.URL;

/** A presigned GET; {@code range}, when set, is the {@code Range} header the URL was signed with. */
public record PresignedRead(URL url, String range) {
}
