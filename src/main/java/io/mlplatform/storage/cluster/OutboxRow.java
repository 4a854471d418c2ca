package io.mlplatform.storage.cluster;

import java.util.UUID;

/**
 * One claimed change on its way to a cluster.
 * @param createFirst the object was missing when the change was queued: create it without looking first
 */
record OutboxRow(long id, String cluster, String kind, String namespace, String name, UUID storageId, String action,
		String body, int attempts, boolean createFirst) {

	boolean isDelete() {
		return "delete".equals(this.action);
	}

	@Override
	public String toString() {
		return this.kind + " " + this.namespace + "/" + this.name + " (" + this.action + ", outbox " + this.id + ")";
	}

}
