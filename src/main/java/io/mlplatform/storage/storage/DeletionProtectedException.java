package io.mlplatform.storage.storage;

import io.mlplatform.storage.web.ConflictException;

class DeletionProtectedException extends ConflictException {

	private DeletionProtectedException(String detail) {
		super("deletion-protected", "Deletion protection is on", detail);
	}

	static DeletionProtectedException of(String storage) {
		return new DeletionProtectedException(("Storage '%s' has deletion protection. To delete it, first send "
				+ "PATCH with {\"deletionProtection\": false}, then DELETE again.").formatted(storage));
	}

}
