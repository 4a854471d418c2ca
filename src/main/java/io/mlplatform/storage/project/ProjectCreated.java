package io.mlplatform.storage.project;

import java.util.UUID;

/** Published inside the creating transaction, so what listeners write commits or rolls back with the project. */
public record ProjectCreated(UUID projectId, String name) {
}
