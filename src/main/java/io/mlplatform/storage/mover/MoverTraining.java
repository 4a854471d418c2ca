package io.mlplatform.storage.mover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.json.JsonMapper;

import io.mlplatform.storage.mover.MoverProtocol.Claim;
import io.mlplatform.storage.mover.MoverProtocol.Content;
import io.mlplatform.storage.mover.MoverProtocol.Contents;
import io.mlplatform.storage.mover.MoverProtocol.ObjectName;
import io.mlplatform.storage.mover.MoverProtocol.Presign;
import io.mlplatform.storage.mover.MoverProtocol.Presigned;
import io.mlplatform.storage.mover.MoverProtocol.Settings;
import io.mlplatform.storage.snapshot.ObjectRef;
import io.mlplatform.storage.snapshot.SnapshotEngine;
import io.mlplatform.storage.snapshot.SnapshotLayout;

/**
 * The training run of the mover's AOT cache (JEP 483, 514, 515), as the image is built: a mover's JVM lives
 * for one run, and with the classes it loads, links and compiles ready in the cache it starts in about half
 * the time. A cache learns from a run, and an image build has no service, bucket or share, so this one runs
 * the mover itself ({@link Mover#run}) three times (a full backup, an incremental one, a restore, checked
 * byte for byte) against a stand-in of the mover API and of S3's presigned URLs, held in memory on the
 * loopback. Everything on the mover's side of the wire is the production code.
 * <p>
 * {@code java -XX:AOTCacheOutput=mover.aot -cp <the mover's class path> io.mlplatform.storage.mover.MoverTraining [folder]}
 */
public final class MoverTraining {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final String PROJECT = "training";

	private static final String STORAGE = "data";

	private static final SnapshotLayout LAYOUT = new SnapshotLayout("pss");

	/** Small enough that its large files go as multipart uploads, as a real share's would at 200 MB. */
	private static final Settings SETTINGS = new Settings(4L << 20, 8 << 20, 4, 8, 4096, 8L << 20, 16L << 20);

	private final Map<String, byte[]> objects = new ConcurrentHashMap<>();

	private final Map<String, Map<Integer, byte[]>> uploads = new ConcurrentHashMap<>();

	private final Map<String, Content> index = new ConcurrentHashMap<>();

	private final Map<String, Claim> runs = new ConcurrentHashMap<>();

	private volatile String newest;

	private final HttpServer server;

	private final ExecutorService threads = Executors.newFixedThreadPool(16, SnapshotEngine.daemon("training-api"));

	private MoverTraining() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		this.server.setExecutor(this.threads);
		this.server.createContext("/", this::handle);
		this.server.start();
	}

	public static void main(String[] args) throws IOException {
		Path work = (args.length > 0) ? Path.of(args[0]) : Files.createTempDirectory("mover-training");
		System.out.println(train(work));
		System.exit(0);
	}

	/** What a training did: files backed up, then restored identical. */
	public record Summary(long files, long bytes, long objects) {
	}

	/**
	 * Backs up a generated tree, changes some of it and backs it up again, restores the second snapshot into
	 * an empty folder and checks it against the tree.
	 * @throws IllegalStateException when a run did not commit or the restored tree differs
	 */
	public static Summary train(Path work) throws IOException {
		MoverTraining training = new MoverTraining();
		try {
			Path source = work.resolve("source");
			generate(source, 0);
			training.run("backup", source);
			generate(source, 1);
			training.run("backup", source);
			Path target = work.resolve("restored");
			Files.createDirectories(target);
			training.run("restore", target);
			Map<String, byte[]> expected = read(source);
			Map<String, byte[]> restored = read(target);
			if (!expected.keySet().equals(restored.keySet())
					|| expected.entrySet().stream().anyMatch(e -> !Arrays.equals(e.getValue(), restored.get(e.getKey())))) {
				throw new IllegalStateException("The restored tree differs from the one backed up");
			}
			return new Summary(restored.size(), restored.values().stream().mapToLong(b -> b.length).sum(),
					training.objects.size());
		}
		finally {
			training.server.stop(0);
			training.threads.shutdownNow();
		}
	}

	/**
	 * Files of the sizes a share holds (many small ones in folders, a few large ones), from a seeded
	 * generator; round 1 changes a tenth of the small ones, adds a few and replaces a large one.
	 */
	private static void generate(Path root, int round) throws IOException {
		Random random = new Random(round);
		for (int i = 0; i < 3000 + 20 * round; i++) {
			if (round == 0 || i % 10 == 0 || i >= 3000) {
				write(root.resolve("d" + (i % 12)).resolve("s" + (i % 7)).resolve("f" + i + ".bin"), random,
						1 + random.nextInt(16 << 10));
			}
		}
		if (round == 0) {
			write(root.resolve("large-0.bin"), random, 6 << 20);
		}
		write(root.resolve("large-1.bin"), random, (20 << 20) + round);
	}

	private static void write(Path file, Random random, int size) throws IOException {
		byte[] bytes = new byte[size];
		random.nextBytes(bytes);
		Files.createDirectories(file.getParent());
		Files.write(file, bytes);
	}

	private static Map<String, byte[]> read(Path root) throws IOException {
		Map<String, byte[]> files = new TreeMap<>();
		try (Stream<Path> walk = Files.walk(root)) {
			for (Path file : walk.filter(Files::isRegularFile).toList()) {
				files.put(root.relativize(file).toString(), Files.readAllBytes(file));
			}
		}
		return files;
	}

	private void run(String kind, Path folder) {
		UUID run = UUID.randomUUID();
		String backup = "backup".equals(kind) ? UUID.randomUUID().toString() : this.newest;
		this.runs.put(run.toString(), new Claim(run.toString(), kind, PROJECT, STORAGE, backup, "pss", SETTINGS, 1000,
				60_000, "merge", List.of()));
		int exit = Mover.run(Map.of(Mover.SERVICE_URL, "http://127.0.0.1:" + this.server.getAddress().getPort(),
				Mover.RUN, run.toString(), Mover.TOKEN, MoverProtocol.TOKEN_PREFIX + "training", Mover.PATH,
				folder.toString()));
		if (exit != Mover.COMMITTED) {
			throw new IllegalStateException("The training's " + kind + " ended with exit code " + exit);
		}
	}

	private void handle(HttpExchange exchange) {
		try (exchange) {
			try {
				route(exchange);
			}
			catch (IOException | RuntimeException ex) {
				// answered before the exchange closes: closed unanswered, the mover would retry it for minutes
				answer(exchange, 500, Map.of("detail", String.valueOf(ex)));
			}
		}
	}

	private void route(HttpExchange exchange) throws IOException {
		String path = exchange.getRequestURI().getPath();
		if (path.startsWith("/s3/")) {
			object(exchange, path.substring(4));
		}
		else if (path.startsWith(MoverProtocol.RUNS + "/")) {
			String rest = path.substring(MoverProtocol.RUNS.length() + 1);
			int end = rest.indexOf(':') < 0 ? rest.length() : rest.indexOf(':');
			int slash = rest.indexOf('/');
			int split = (slash >= 0 && slash < end) ? slash : end;
			Claim claim = this.runs.get(rest.substring(0, split));
			byte[] body = exchange.getRequestBody().readAllBytes();
			if (claim == null) {
				answer(exchange, 404, null);
			}
			else {
				answer(exchange, 200, api(claim, rest.substring(split), body));
			}
		}
		else {
			answer(exchange, 404, null);
		}
	}

	private void remember(List<Content> recorded) {
		recorded.forEach(content -> this.index.put(content.sha256(), (content.pack() != null) ? content
				: new Content(content.sha256(), content.size(), null, null, LAYOUT.blob(PROJECT, content.sha256()))));
	}

	private Object api(Claim claim, String action, byte[] body) {
		switch (action) {
			case ":claim":
				return claim;
			case ":heartbeat":
				return new MoverProtocol.Heartbeat(MoverProtocol.Heartbeat.CONTINUE);
			case ":previous":
				String gone = JSON.readValue(body, MoverProtocol.Previous.class).backup();
				return new MoverProtocol.Previous(this.newest == null || this.newest.equals(gone) ? null : this.newest);
			case "/contents:lookup":
				MoverProtocol.Lookup lookup = JSON.readValue(body, MoverProtocol.Lookup.class);
				// as the service does: what the look-up carries is recorded first
				if (lookup.record() != null) {
					remember(lookup.record());
				}
				List<Content> found = new ArrayList<>();
				lookup.sha256().forEach(sha256 -> {
					Content content = this.index.get(sha256);
					if (content != null) {
						found.add(content);
					}
				});
				return new Contents(found);
			case "/contents:record":
				remember(JSON.readValue(body, Contents.class).contents());
				return Map.of();
			case "/objects:presign":
				return presign(JSON.readValue(body, Presign.class));
			case "/packs:presign":
				List<MoverProtocol.PackSlot> slots = new ArrayList<>();
				for (int i = JSON.readValue(body, MoverProtocol.PackSlotsRequest.class).count(); i > 0; i--) {
					String id = UUID.randomUUID().toString();
					slots.add(new MoverProtocol.PackSlot(id, presign(new Presign("PUT",
							new MoverProtocol.ObjectName("pack", id, null), null, null, null, null, null, null))));
				}
				return new MoverProtocol.PackSlots(slots);
			case "/uploads:start":
				String uploadId = UUID.randomUUID().toString();
				this.uploads.put(uploadId, new ConcurrentHashMap<>());
				return new MoverProtocol.Upload(uploadId);
			case "/uploads:complete":
				MoverProtocol.UploadComplete complete = JSON.readValue(body, MoverProtocol.UploadComplete.class);
				Map<Integer, byte[]> parts = this.uploads.remove(complete.uploadId());
				byte[] whole = new byte[complete.parts().stream().mapToInt(part -> parts.get(part.partNumber()).length).sum()];
				int at = 0;
				for (MoverProtocol.Part part : complete.parts()) {
					byte[] bytes = parts.get(part.partNumber());
					System.arraycopy(bytes, 0, whole, at, bytes.length);
					at += bytes.length;
				}
				this.objects.put(key(complete.object()), whole);
				return Map.of();
			case "/uploads:abort":
				this.uploads.remove(JSON.readValue(body, MoverProtocol.UploadAbort.class).uploadId());
				return Map.of();
			case ":commit":
				if ("backup".equals(claim.kind())) {
					this.newest = claim.backup();
				}
				return Map.of();
			case ":fail":
				return Map.of();
			default:
				if (action.startsWith("/blobs/") && action.endsWith(":lookup")) {
					Content blob = this.index.get(action.substring(7, action.length() - 7));
					return new Contents((blob == null || blob.pack() != null) ? List.of() : List.of(blob));
				}
				throw new IllegalArgumentException("No such action: " + action);
		}
	}

	private Presigned presign(Presign presign) {
		String url = "http://127.0.0.1:" + this.server.getAddress().getPort() + "/s3/" + key(presign.object())
				+ ((presign.uploadId() == null) ? "" : "?uploadId=" + presign.uploadId() + "&partNumber=" + presign.partNumber());
		Map<String, List<String>> headers = new HashMap<>();
		if (presign.offset() != null) {
			headers.put("Range", List.of("bytes=" + presign.offset() + "-"
					+ ((presign.length() == null) ? "" : String.valueOf(presign.offset() + presign.length() - 1))));
		}
		return new Presigned(url, presign.method(), headers, java.time.Instant.now().plusSeconds(300));
	}

	private static String key(ObjectName name) {
		ObjectRef object = switch (name.kind()) {
			case "pack" -> ObjectRef.pack(name.id());
			case "blob" -> ObjectRef.blob(name.id());
			default -> ObjectRef.manifest(name.storage(), name.id());
		};
		return LAYOUT.key(PROJECT, object);
	}

	/** S3's side of a presigned URL: a PUT of an object or a part, a GET of an object or a range of it. */
	private void object(HttpExchange exchange, String key) throws IOException {
		String query = exchange.getRequestURI().getQuery();
		if ("PUT".equals(exchange.getRequestMethod())) {
			byte[] bytes;
			try (InputStream in = exchange.getRequestBody()) {
				bytes = in.readAllBytes();
			}
			if (query != null) {
				Map<String, String> parameters = new HashMap<>();
				for (String parameter : query.split("&")) {
					parameters.put(parameter.substring(0, parameter.indexOf('=')), parameter.substring(parameter.indexOf('=') + 1));
				}
				this.uploads.get(parameters.get("uploadId")).put(Integer.parseInt(parameters.get("partNumber")), bytes);
			}
			else {
				this.objects.put(key, bytes);
			}
			exchange.getResponseHeaders().add("ETag", eTag(bytes));
			exchange.sendResponseHeaders(200, -1);
			return;
		}
		byte[] bytes = this.objects.get(key);
		if (bytes == null) {
			byte[] error = "<Error><Code>NoSuchKey</Code></Error>".getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(404, error.length);
			exchange.getResponseBody().write(error);
			return;
		}
		exchange.getResponseHeaders().add("ETag", eTag(bytes));
		String range = exchange.getRequestHeaders().getFirst("Range");
		int from = 0;
		int to = bytes.length - 1;
		if (range != null) {
			String[] bounds = range.substring("bytes=".length()).split("-", -1);
			from = Integer.parseInt(bounds[0]);
			to = bounds[1].isEmpty() ? to : Math.min(to, Integer.parseInt(bounds[1]));
			exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + to + "/" + bytes.length);
		}
		// a length of 0 would mean a chunked body to this server; -1 is none
		exchange.sendResponseHeaders(range == null ? 200 : 206, (to < from) ? -1 : to - from + 1);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes, from, to - from + 1);
		}
	}

	private static String eTag(byte[] bytes) {
		return "\"" + Integer.toHexString(Arrays.hashCode(bytes)) + "-" + bytes.length + "\"";
	}

	private static void answer(HttpExchange exchange, int status, Object body) {
		try {
			byte[] bytes = (body == null) ? new byte[0] : JSON.writeValueAsBytes(body);
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(status, (bytes.length == 0) ? -1 : bytes.length);
			if (bytes.length > 0) {
				exchange.getResponseBody().write(bytes);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
