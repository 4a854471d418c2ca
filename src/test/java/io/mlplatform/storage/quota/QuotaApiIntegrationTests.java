package io.mlplatform.storage.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.mlplatform.storage.ApiClient.Response;
import io.mlplatform.storage.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

class QuotaApiIntegrationTests extends IntegrationTestSupport {

	private static final String QUOTA = "/api/v1/projects/nlp/quota";

	private static final String STORAGES = "/api/v1/projects/nlp/storages";

	@BeforeEach
	void project() {
		createProject("nlp");
	}

	@Test
	void aNewProjectIsUnlimited() {
		Response quota = this.api.get(QUOTA);

		assertThat(quota.status()).isEqualTo(200);
		assertThat(quota.json().has("capacity")).isFalse();
		assertThat(quota.json().has("maxStorages")).isFalse();
		assertThat(quota.json().path("used").path("capacityBytes").asLong()).isZero();
		assertThat(quota.json().path("used").path("storages").asLong()).isZero();
		assertThat(quota.json().path("remaining").has("capacityBytes")).isFalse();
		assertThat(this.api.get("/api/v1/projects/nope/quota").status()).isEqualTo(404);
	}

	@Test
	void reportsUsedAndRemaining() {
		this.api.put(QUOTA, "{\"capacity\": \"1Ti\", \"maxStorages\": 5}");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"100Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"400Gi\"}");

		Response quota = this.api.get(QUOTA);

		assertThat(quota.json().path("capacity").asString()).isEqualTo("1Ti");
		assertThat(quota.json().path("capacityBytes").asLong()).isEqualTo(1L << 40);
		assertThat(quota.json().path("used").path("capacity").asString()).isEqualTo("500Gi");
		assertThat(quota.json().path("used").path("storages").asLong()).isEqualTo(2);
		assertThat(quota.json().path("remaining").path("capacity").asString()).isEqualTo("524Gi");
		assertThat(quota.json().path("remaining").path("storages").asLong()).isEqualTo(3);
	}

	@Test
	void refusesAStorageBeyondTheCapacityAndSaysWhatRemains() {
		this.api.put(QUOTA, "{\"capacity\": \"1Ti\"}");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"900Gi\"}");

		Response refused = this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"200Gi\"}");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("quota-exceeded");
		assertThat(refused.json().path("type").asString()).endsWith("/quota-exceeded");
		assertThat(refused.json().path("detail").asString()).contains("124Gi remains").contains("200Gi");
		assertThat(count("select count(*) from storages")).isEqualTo(1);
		assertThat(this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"124Gi\"}").status()).isEqualTo(201);
	}

	@Test
	void refusesAResizeBeyondTheCapacity() {
		this.api.put(QUOTA, "{\"capacity\": \"1Ti\"}");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"512Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"256Gi\"}");

		Response refused = this.api.patch(STORAGES + "/a", "{\"capacity\": \"1Ti\"}");
		Response refusedByPut = this.api.put(STORAGES + "/a", "{\"capacity\": \"800Gi\"}");
		Response fits = this.api.patch(STORAGES + "/a", "{\"capacity\": \"768Gi\"}");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("quota-exceeded");
		assertThat(refusedByPut.status()).isEqualTo(409);
		assertThat(fits.status()).isEqualTo(200);
		assertThat(count("select sum(capacity_bytes) from storages")).isEqualTo(1L << 40);
	}

	@Test
	void refusesAStorageBeyondTheCount() {
		this.api.put(QUOTA, "{\"maxStorages\": 1}");
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");

		Response refused = this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"1Gi\"}");

		assertThat(refused.status()).isEqualTo(409);
		assertThat(refused.problemType()).isEqualTo("quota-exceeded");
		assertThat(refused.json().path("detail").asString()).contains("at most 1 storages");
		this.api.delete(STORAGES + "/a");
		awaitGone(STORAGES + "/a");
		assertThat(this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"1Gi\"}").status()).isEqualTo(201);
	}

	@Test
	void limitsBelowUsageAreAllowedAndBlockOnlyGrowth() {
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"100Gi\"}");

		Response lowered = this.api.put(QUOTA, "{\"capacity\": \"50Gi\"}");

		assertThat(lowered.status()).isEqualTo(200);
		assertThat(lowered.json().path("remaining").path("capacityBytes").asLong()).isZero();
		assertThat(this.api.patch(STORAGES + "/a", "{\"labels\": {\"still\": \"editable\"}}").status()).isEqualTo(200);
		assertThat(this.api.patch(STORAGES + "/a", "{\"capacity\": \"101Gi\"}").status()).isEqualTo(409);
	}

	@Test
	void patchChangesOneLimitAndNullRemovesIt() {
		Response set = this.api.put(QUOTA, "{\"capacity\": \"2Ti\", \"maxStorages\": 10}");

		Response patched = this.api.patch(QUOTA, "{\"maxStorages\": 20}", "If-Match", set.etag());
		assertThat(patched.json().path("capacity").asString()).isEqualTo("2Ti");
		assertThat(patched.json().path("maxStorages").asInt()).isEqualTo(20);

		Response removed = this.api.patch(QUOTA, "{\"capacity\": null}");
		assertThat(removed.json().has("capacity")).isFalse();
		assertThat(count("select count(*) from quotas where capacity_bytes is null and max_storages = 20")).isEqualTo(1);
		assertThat(this.api.patch(QUOTA, "{\"maxStorages\": 1}", "If-Match", set.etag()).status()).isEqualTo(412);
	}

	@Test
	void theEtagChangesWhenUsageDoes() {
		String before = this.api.get(QUOTA).etag();
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"1Gi\"}");

		assertThat(this.api.get(QUOTA, "If-None-Match", before).status()).isEqualTo(200);
		assertThat(this.api.put(QUOTA, "{}", "If-Match", before).status()).isEqualTo(412);
	}

	@Test
	void refusesInvalidLimitsWithoutWriting() {
		Response invalid = this.api.put(QUOTA, "{\"capacity\": \"-1Gi\", \"maxStorages\": -2}");
		Response fraction = this.api.put(QUOTA, "{\"maxStorages\": 1.5}");
		Response string = this.api.put(QUOTA, "{\"maxStorages\": \"10\"}");

		assertThat(invalid.status()).isEqualTo(400);
		assertThat(invalid.json().path("errors").size()).isEqualTo(2);
		assertThat(fraction.status()).isEqualTo(400);
		assertThat(fraction.json().path("errors").get(0).path("field").asString()).isEqualTo("maxStorages");
		assertThat(string.status()).isEqualTo(400);
		assertThat(count("select count(*) from quotas where capacity_bytes is null and max_storages is null"))
			.isEqualTo(1);
	}

	@Test
	void countedUsageMatchesTheStoragesAfterEveryKindOfChange() {
		this.api.post(STORAGES, "{\"name\": \"a\", \"capacity\": \"10Gi\"}");
		this.api.post(STORAGES, "{\"name\": \"b\", \"capacity\": \"20Gi\"}");
		this.api.put(STORAGES + "/c", "{\"capacity\": \"30Gi\"}");
		this.api.patch(STORAGES + "/a", "{\"capacity\": \"15Gi\"}");
		this.api.patch(STORAGES + "/b", "{\"labels\": {\"x\": \"y\"}}");
		this.api.delete(STORAGES + "/c");
		awaitGone(STORAGES + "/c");
		this.api.post(STORAGES, "{\"name\": \"c\", \"capacity\": \"1Gi\"}");

		long counted = count("select used_bytes from quotas");
		long summed = count("select sum(capacity_bytes) from storages where deleted_at is null");
		assertThat(counted).isEqualTo(summed).isEqualTo(36L << 30);
		assertThat(count("select used_storages from quotas")).isEqualTo(3);
		assertThat(this.api.get(QUOTA).json().path("used").path("capacity").asString()).isEqualTo("36Gi");
	}

	@Test
	void usageOfHugeStoragesSaturatesInsteadOfFailing() {
		for (int i = 0; i < 10; i++) {
			assertThat(this.api.post(STORAGES, "{\"name\": \"s%d\", \"capacity\": \"1Ei\"}".formatted(i)).status())
				.isEqualTo(201);
		}
		Response quota = this.api.get(QUOTA);

		assertThat(quota.status()).isEqualTo(200);
		assertThat(quota.json().path("used").path("capacityBytes").asLong()).isEqualTo(Long.MAX_VALUE);
		assertThat(this.api.put(QUOTA, "{\"capacity\": \"1Ei\"}").status()).isEqualTo(200);
		assertThat(this.api.post(STORAGES, "{\"name\": \"more\", \"capacity\": \"1Gi\"}").problemType())
			.isEqualTo("quota-exceeded");
	}

	@Test
	void fiftyParallelCreatesAgainstOneTebibyteLeaveExactlyTen() throws Exception {
		this.api.put(QUOTA, "{\"capacity\": \"1Ti\"}");

		Map<Integer, Long> statuses = inParallel(50,
				i -> this.api.post(STORAGES, "{\"name\": \"s%02d\", \"capacity\": \"100Gi\"}".formatted(i)));

		assertThat(statuses).containsOnlyKeys(201, 409);
		assertThat(statuses.get(201)).isEqualTo(10);
		assertThat(count("select count(*) from storages where deleted_at is null")).isEqualTo(10);
		assertThat(count("select sum(capacity_bytes) from storages")).isLessThanOrEqualTo(1L << 40);
	}

	@Test
	void parallelResizesNeverOvershootTheQuota() throws Exception {
		this.api.put(QUOTA, "{\"capacity\": \"100Gi\"}");
		for (int i = 0; i < 10; i++) {
			this.api.post(STORAGES, "{\"name\": \"s%d\", \"capacity\": \"1Gi\"}".formatted(i));
		}

		Map<Integer, Long> statuses = inParallel(10,
				i -> this.api.patch(STORAGES + "/s" + i, "{\"capacity\": \"20Gi\"}"));

		assertThat(statuses.get(200)).isEqualTo(4);
		assertThat(count("select sum(capacity_bytes) from storages")).isEqualTo((4 * 20L + 6) << 30);
	}

	@Test
	void parallelIdenticalProjectCreatesMakeOneProject() throws Exception {
		for (int round = 0; round < 5; round++) {
			String name = "race-" + round;
			Map<Integer, Long> statuses = inParallel(20,
					i -> this.api.post("/api/v1/projects", "{\"name\": \"%s\"}".formatted(name)));

			assertThat(statuses).as(name).containsOnlyKeys(200, 201);
			assertThat(statuses.get(201)).isEqualTo(1);
			assertThat(count("select count(*) from projects where name = ?", name)).isEqualTo(1);
			assertThat(count("select count(*) from quotas q join projects p on p.id = q.project_id where p.name = ?",
					name))
				.isEqualTo(1);
		}
	}

	static Map<Integer, Long> inParallel(int calls, Function<Integer, Response> call) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(calls);
		try {
			CountDownLatch start = new CountDownLatch(1);
			List<Future<Response>> futures = new ArrayList<>();
			for (int i = 0; i < calls; i++) {
				int n = i;
				Callable<Response> task = () -> {
					start.await();
					return call.apply(n);
				};
				futures.add(pool.submit(task));
			}
			start.countDown();
			List<Response> responses = new ArrayList<>();
			for (Future<Response> future : futures) {
				responses.add(future.get());
			}
			return responses.stream().collect(Collectors.groupingBy(Response::status, Collectors.counting()));
		}
		finally {
			pool.shutdownNow();
		}
	}

}
