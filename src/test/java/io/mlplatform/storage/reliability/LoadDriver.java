package io.mlplatform.storage.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.mlplatform.storage.ApiClient;
import io.mlplatform.storage.ApiClient.Response;

/**
 * Clients of the API under load: each owns some projects and, until told to stop, creates, applies,
 * lists, resizes, backs up, restores, browses and deletes storages in them through real HTTP. It
 * records every answer per endpoint, every failure with when it happened, and what each accepted
 * change leaves behind ({@link ExpectedProject}), for the checks after the load.
 */
final class LoadDriver {

	static final long GI = 1024L * 1024 * 1024;

	/** Each project's quota: enough to grow for a while, small enough that clients run into it. */
	static final int QUOTA_GI = 12;

	static final int MAX_STORAGES = 6;

	/** Resizes stop here: a project full of storages then still fits its quota, so creates are not all refused. */
	static final int MAX_STORAGE_GI = 2;

	private final int port;

	private final String token;

	private final Path sharesRoot;

	private final List<ExpectedProject> projects = new ArrayList<>();

	private final Map<String, EndpointStats> endpoints = new ConcurrentHashMap<>();

	private final ConcurrentLinkedQueue<Incident> incidents = new ConcurrentLinkedQueue<>();

	private final ConcurrentLinkedQueue<String> contractViolations = new ConcurrentLinkedQueue<>();

	private final ConcurrentLinkedQueue<String> quotaViolations = new ConcurrentLinkedQueue<>();

	private volatile boolean stopping;

	/** A request that got no answer, or a 5xx: when, where, and what. */
	record Incident(long nanoTime, String endpoint, String outcome, boolean retryAfter) {
	}

	LoadDriver(int port, String token, Path sharesRoot) {
		this.port = port;
		this.token = token;
		this.sharesRoot = sharesRoot;
	}

	/** Creates the projects with their quotas, before any fault. */
	void createProjects(int count) {
		ApiClient api = client();
		for (int i = 1; i <= count; i++) {
			String name = "rl-%03d".formatted(i);
			Response created = api.post("/api/v1/projects", "{\"name\": \"" + name + "\"}");
			require(created, 200, 201);
			Response quota = api.put("/api/v1/projects/" + name + "/quota",
					"{\"capacity\": \"" + QUOTA_GI + "Gi\", \"maxStorages\": " + MAX_STORAGES + "}");
			require(quota, 200);
			this.projects.add(new ExpectedProject(name, created.json().path("namespace").asString()));
		}
	}

	List<ExpectedProject> projects() {
		return this.projects;
	}

	/** Runs the clients until {@link #stop()}; returns at once. */
	List<Thread> start(int clients) {
		if (clients > this.projects.size()) {
			throw new IllegalArgumentException("each client owns at least one project: " + clients + " clients, "
					+ this.projects.size() + " projects");
		}
		List<Thread> threads = new ArrayList<>();
		for (int c = 0; c < clients; c++) {
			List<ExpectedProject> owned = new ArrayList<>();
			for (int p = c; p < this.projects.size(); p += clients) {
				owned.add(this.projects.get(p));
			}
			Client client = new Client(client(), owned, new Random(c));
			Thread thread = new Thread(client::run, "load-client-" + c);
			thread.setDaemon(true);
			thread.start();
			threads.add(thread);
		}
		return threads;
	}

	void stop() {
		this.stopping = true;
	}

	Map<String, EndpointStats> endpoints() {
		return new java.util.TreeMap<>(this.endpoints);
	}

	List<Incident> incidents() {
		return List.copyOf(this.incidents);
	}

	List<String> contractViolations() {
		return List.copyOf(this.contractViolations);
	}

	List<String> quotaViolations() {
		return List.copyOf(this.quotaViolations);
	}

	long requests() {
		return this.endpoints.values().stream().mapToLong(EndpointStats::requests).sum();
	}

	ApiClient client() {
		return new ApiClient(this.port).as(this.token);
	}

	private static void require(Response response, int... statuses) {
		for (int status : statuses) {
			if (response.status() == status) {
				return;
			}
		}
		throw new IllegalStateException("Unexpected answer while setting up: " + response);
	}

	/** One client: its own projects, so what it expects of them is exact. */
	private final class Client {

		private final ApiClient api;

		private final List<ExpectedProject> owned;

		private final Random random;

		Client(ApiClient api, List<ExpectedProject> owned, Random random) {
			this.api = api;
			this.owned = owned;
			this.random = random;
		}

		void run() {
			while (!LoadDriver.this.stopping) {
				ExpectedProject project = this.owned.get(this.random.nextInt(this.owned.size()));
				int dice = this.random.nextInt(100);
				try {
					if (dice < 14) {
						create(project);
					}
					else if (dice < 24) {
						apply(project);
					}
					else if (dice < 50) {
						list(project);
					}
					else if (dice < 60) {
						resize(project);
					}
					else if (dice < 72) {
						backup(project);
					}
					else if (dice < 77) {
						restore(project);
					}
					else if (dice < 98) {
						browse(project);
					}
					else {
						delete(project);
					}
				}
				catch (RuntimeException ex) {
					// recorded where it happened; the client goes on as a real one would
				}
			}
		}

		private void create(ExpectedProject project) {
			if (project.live().size() >= MAX_STORAGES) {
				return;
			}
			String name = project.nextStorageName();
			Response response = call("POST storages", () -> this.api.post(storages(project),
					"{\"name\": \"" + name + "\", \"capacity\": \"1Gi\", \"backupPolicy\": {\"retention\": {\"keepLast\": 1000}}}"));
			project.created(name, response == null ? -1 : response.status());
		}

		private void apply(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null) {
				return;
			}
			int round = this.random.nextInt(1000);
			Response response = call("PUT storage", () -> this.api.put(storage(project, storage),
					"{\"capacity\": \"" + storage.capacityGi() + "Gi\", \"labels\": {\"round\": \"r" + round + "\"}}"));
			storage.changed(response == null ? -1 : response.status(), storage.capacityGi());
		}

		private void list(ExpectedProject project) {
			switch (this.random.nextInt(3)) {
				case 0 -> call("GET storages", () -> this.api.get(storages(project) + "?pageSize=20"));
				case 1 -> call("GET projects", () -> this.api.get("/api/v1/projects?pageSize=20"));
				default -> {
					Response quota = call("GET quota", () -> this.api.get("/api/v1/projects/" + project.name() + "/quota"));
					if (quota != null && quota.status() == 200) {
						long used = quota.json().path("used").path("capacityBytes").asLong();
						long storages = quota.json().path("used").path("storages").asLong();
						if (used > QUOTA_GI * GI || storages > MAX_STORAGES) {
							LoadDriver.this.quotaViolations.add(project.name() + ": " + quota.body());
						}
					}
				}
			}
		}

		private void resize(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null) {
				return;
			}
			if (storage.capacityGi() >= MAX_STORAGE_GI) {
				return;
			}
			int grown = storage.capacityGi() + 1;
			Response response = call("PATCH storage",
					() -> this.api.patch(storage(project, storage), "{\"capacity\": \"" + grown + "Gi\"}"));
			storage.changed(response == null ? -1 : response.status(), grown);
		}

		private void backup(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null) {
				return;
			}
			writeFile(project, storage);
			Response response = call("POST backups", () -> this.api.post(storage(project, storage) + "/backups", null));
			if (response != null && response.status() == 202) {
				storage.backups().add(response.json().path("id").asString());
			}
		}

		private void restore(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null || storage.backups().isEmpty()) {
				return;
			}
			String backup = storage.backups().get(this.random.nextInt(storage.backups().size()));
			Response response = call("POST restores", () -> this.api.post(storage(project, storage) + "/restores",
					"{\"backup\": \"" + backup + "\"}"));
			if (response != null && response.status() == 202) {
				storage.restores().add(response.json().path("id").asString());
			}
		}

		private void browse(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null) {
				return;
			}
			if (storage.backups().isEmpty() || this.random.nextBoolean()) {
				call("GET storage", () -> this.api.get(storage(project, storage)));
				return;
			}
			String backup = storage.backups().get(this.random.nextInt(storage.backups().size()));
			if (this.random.nextBoolean()) {
				call("GET backup", () -> this.api.get(storage(project, storage) + "/backups/" + backup));
			}
			else {
				call("GET backup files", () -> this.api.get(storage(project, storage) + "/backups/" + backup + "/files"));
			}
		}

		private void delete(ExpectedProject project) {
			ExpectedStorage storage = project.anyLive(this.random);
			if (storage == null) {
				return;
			}
			Response response = call("DELETE storage", () -> this.api.delete(storage(project, storage)));
			storage.deleted(response == null ? -1 : response.status());
		}

		/** New content in the share before a backup, so each backup has something of its own to store. */
		private void writeFile(ExpectedProject project, ExpectedStorage storage) {
			Path share = LoadDriver.this.sharesRoot.resolve(project.namespace()).resolve(storage.name());
			if (!Files.isDirectory(share)) {
				return;
			}
			byte[] content = new byte[4096 + this.random.nextInt(60_000)];
			this.random.nextBytes(content);
			try {
				Files.write(share.resolve("f-" + System.nanoTime() + ".bin"), content);
			}
			catch (IOException ex) {
				// the share went with its storage in between
			}
		}

		/** @return the answer, or null when there was none (refused, reset, timed out) */
		private Response call(String endpoint, Supplier<Response> request) {
			long start = System.nanoTime();
			try {
				Response response = request.get();
				long took = System.nanoTime() - start;
				String outcome = response.status() >= 400 && response.status() < 500
						? response.status() + " " + response.problemType() : Integer.toString(response.status());
				stats(endpoint).record(outcome, took);
				if (response.status() >= 500) {
					LoadDriver.this.incidents.add(new Incident(System.nanoTime(), endpoint, outcome,
							response.header("Retry-After") != null));
				}
				return response;
			}
			catch (AssertionError ex) {
				// the answer departs from openapi.yaml: ApiClient's contract check
				LoadDriver.this.contractViolations.add(ex.getMessage());
				stats(endpoint).record("contract-violation", System.nanoTime() - start);
				LoadDriver.this.incidents.add(new Incident(System.nanoTime(), endpoint, "contract-violation", false));
				return null;
			}
			catch (UncheckedIOException ex) {
				stats(endpoint).record("io", System.nanoTime() - start);
				LoadDriver.this.incidents.add(new Incident(System.nanoTime(), endpoint, "io", false));
				return null;
			}
		}

		private EndpointStats stats(String endpoint) {
			return LoadDriver.this.endpoints.computeIfAbsent(endpoint, key -> new EndpointStats());
		}

	}

	private static String storages(ExpectedProject project) {
		return "/api/v1/projects/" + project.name() + "/storages";
	}

	private static String storage(ExpectedProject project, ExpectedStorage storage) {
		return storages(project) + "/" + storage.name();
	}

	static void sleep(long millis) {
		try {
			TimeUnit.MILLISECONDS.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
