package io.mlplatform.storage.reliability;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** One storage as its client's accepted changes left it, with the backups and restores it was answered 202 for. */
final class ExpectedStorage {

	private final String name;

	private volatile boolean certain;

	private volatile int capacityGi = 1;

	private volatile boolean deleted;

	private final List<String> backups = new CopyOnWriteArrayList<>();

	private final List<String> restores = new CopyOnWriteArrayList<>();

	ExpectedStorage(String name, boolean certain) {
		this.name = name;
		this.certain = certain;
	}

	String name() {
		return this.name;
	}

	boolean certain() {
		return this.certain;
	}

	int capacityGi() {
		return this.capacityGi;
	}

	boolean isDeleted() {
		return this.deleted;
	}

	List<String> backups() {
		return this.backups;
	}

	List<String> restores() {
		return this.restores;
	}

	/** An apply or resize to this capacity was answered with this status (negative: not at all). */
	void changed(int status, int capacityGi) {
		if (status == 200) {
			this.capacityGi = capacityGi;
		}
		else if (status < 0 || status >= 500) {
			this.certain = false;
		}
	}

	void deleted(int status) {
		if (status >= 200 && status < 300) {
			this.deleted = true;
		}
		else if (status < 0 || status >= 500) {
			this.certain = false;
		}
	}

}
