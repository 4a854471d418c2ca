package io.mlplatform.storage.storage;

import io.mlplatform.storage.web.ConflictException;

/** A storage on its way out of its cluster cannot change any more (409). */
class StorageDeletingException extends ConflictException {

	private StorageDeletingException(String detail) {
		super("storage-deleting", "Storage is being deleted", detail);
	}

	static StorageDeletingException of(String storage) {
		return new StorageDeletingException(("Storage '%s' is being deleted; wait until GET answers 404, "
				+ "then create it again if needed.").formatted(storage));
	}

}
