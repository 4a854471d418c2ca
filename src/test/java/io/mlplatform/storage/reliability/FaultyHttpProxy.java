package io.mlplatform.storage.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP proxy on loopback in front of an S3 server that answers a share of requests itself with a
 * 500 or 503 in S3's own error format, and delays the others, as S3 does under load. Each request
 * travels on a connection of its own ({@code Connection: close} is added), so every request, not
 * every connection, draws its fate. The request is forwarded byte for byte otherwise: its signature
 * still holds.
 */
final class FaultyHttpProxy implements AutoCloseable {

	private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

	private final ServerSocket server;

	private final int target;

	private volatile double failureRate;

	private volatile int maxDelayMillis;

	private final AtomicLong forwarded = new AtomicLong();

	private final AtomicLong failed = new AtomicLong();

	private FaultyHttpProxy(ServerSocket server, int target) {
		this.server = server;
		this.target = target;
	}

	static FaultyHttpProxy start(int target) {
		try {
			FaultyHttpProxy proxy = new FaultyHttpProxy(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()), target);
			Thread acceptor = new Thread(proxy::accept, "faulty-http-proxy");
			acceptor.setDaemon(true);
			acceptor.start();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	int port() {
		return this.server.getLocalPort();
	}

	/** From now on this share of requests (0 to 1) fails, and the others wait up to this long first. */
	void faults(double failureRate, int maxDelayMillis) {
		this.failureRate = failureRate;
		this.maxDelayMillis = maxDelayMillis;
	}

	long forwarded() {
		return this.forwarded.get();
	}

	long failed() {
		return this.failed.get();
	}

	private void accept() {
		while (!this.server.isClosed()) {
			try {
				Socket client = this.server.accept();
				Thread thread = new Thread(() -> serve(client), "faulty-http-proxy-request");
				thread.setDaemon(true);
				thread.start();
			}
			catch (IOException ex) {
				// closed
			}
		}
	}

	private void serve(Socket client) {
		try (client) {
			InputStream in = client.getInputStream();
			byte[] head = readHead(in);
			if (head == null) {
				return;
			}
			ThreadLocalRandom random = ThreadLocalRandom.current();
			if (random.nextDouble() < this.failureRate) {
				this.failed.incrementAndGet();
				answerWithError(client.getOutputStream(), random.nextBoolean());
				return;
			}
			if (this.maxDelayMillis > 0) {
				Thread.sleep(random.nextInt(this.maxDelayMillis + 1));
			}
			this.forwarded.incrementAndGet();
			try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.target)) {
				OutputStream toUpstream = upstream.getOutputStream();
				toUpstream.write(withConnectionClose(head));
				toUpstream.flush();
				Thread body = new Thread(() -> {
					try {
						in.transferTo(toUpstream);
					}
					catch (IOException ex) {
						// the exchange ended
					}
				}, "faulty-http-proxy-body");
				body.setDaemon(true);
				body.start();
				upstream.getInputStream().transferTo(client.getOutputStream());
			}
		}
		catch (IOException ex) {
			// either side went away: the client sees its request fail, as on a broken connection
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** The request line and headers, up to and including the blank line; null if the client sent none. */
	private static byte[] readHead(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream(1024);
		int matched = 0;
		int next;
		while ((next = in.read()) != -1) {
			head.write(next);
			matched = (next == END_OF_HEAD[matched]) ? matched + 1 : (next == END_OF_HEAD[0] ? 1 : 0);
			if (matched == END_OF_HEAD.length) {
				return head.toByteArray();
			}
			if (head.size() > 64 * 1024) {
				throw new IOException("request head too large");
			}
		}
		return null;
	}

	private static byte[] withConnectionClose(byte[] head) {
		String text = new String(head, StandardCharsets.ISO_8859_1);
		StringBuilder rewritten = new StringBuilder(text.length() + 20);
		for (String line : text.substring(0, text.length() - 4).split("\r\n")) {
			if (!line.regionMatches(true, 0, "Connection:", 0, 11)) {
				rewritten.append(line).append("\r\n");
			}
		}
		rewritten.append("Connection: close\r\n\r\n");
		return rewritten.toString().getBytes(StandardCharsets.ISO_8859_1);
	}

	private static void answerWithError(OutputStream out, boolean slowDown) throws IOException {
		String code = slowDown ? "SlowDown" : "InternalError";
		String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code
				+ "</Code><Message>Injected by the reliability tests</Message></Error>";
		String status = slowDown ? "503 Slow Down" : "500 Internal Server Error";
		String response = "HTTP/1.1 " + status + "\r\nContent-Type: application/xml\r\nContent-Length: "
				+ body.length() + "\r\nConnection: close\r\n\r\n" + body;
		out.write(response.getBytes(StandardCharsets.ISO_8859_1));
		out.flush();
	}

	@Override
	public void close() {
		try {
			this.server.close();
		}
		catch (IOException ex) {
			// closed either way
		}
	}

}
