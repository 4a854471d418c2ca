package io.mlplatform.storage.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What the load's accepted changes leave in one project. Only its client changes it; a change that
 * got no answer (or a 5xx) may or may not have happened, so its storage is only checked for agreeing
 * between PostgreSQL and the cluster, and the client leaves it alone from then on.
 */
final class ExpectedProject {

	private final String name;

	private final String namespace;

	private final List<ExpectedStorage> storages = new ArrayList<>();

	private int created;

	ExpectedProject(String name, String namespace) {
		this.name = name;
		this.namespace = namespace;
	}

	String name() {
		return this.name;
	}

	String namespace() {
		return this.namespace;
	}

	/** A name never used in this project before: a deleted storage's name may still be in use while it goes. */
	synchronized String nextStorageName() {
		return "s-" + (++this.created);
	}

	synchronized void created(String storage, int status) {
		if (status == 200 || status == 201) {
			this.storages.add(new ExpectedStorage(storage, true));
		}
		else if (status < 0 || status >= 500) {
			this.storages.add(new ExpectedStorage(storage, false));
		}
	}

	/** Storages the client may still change: there, and known exactly. */
	synchronized List<ExpectedStorage> live() {
		return this.storages.stream().filter(storage -> storage.certain() && !storage.isDeleted()).toList();
	}

	synchronized ExpectedStorage anyLive(Random random) {
		List<ExpectedStorage> live = live();
		return live.isEmpty() ? null : live.get(random.nextInt(live.size()));
	}

	synchronized List<ExpectedStorage> storages() {
		return List.copyOf(this.storages);
	}

}
