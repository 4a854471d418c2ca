package io.mlplatform.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@link java.net.http.HttpClient} refuses to send (a target
 * that is not a URI, raw bytes in the request line or headers). One request per connection.
 */
public final class RawHttp {

	private static final int TIMEOUT_MILLIS = 30_000;

	private final int port;

	public RawHttp(int port) {
		this.port = port;
	}

	public record Response(int status, Map<String, String> headers, String body) {

		public String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

		@Override
		public String toString() {
			return this.status + " " + this.body;
		}

	}

	/**
	 * Sends a request line with the target as given (its bytes as ISO-8859-1, so any byte can be sent),
	 * the headers, and the body with its Content-Length.
	 */
	public Response send(String method, String target, byte[] body, String... headers) {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		write(head, method + " " + target + " HTTP/1.1\r\nHost: localhost:" + this.port + "\r\nConnection: close\r\n");
		for (int i = 0; i + 1 < headers.length; i += 2) {
			write(head, headers[i] + ": " + headers[i + 1] + "\r\n");
		}
		if (body != null) {
			write(head, "Content-Length: " + body.length + "\r\n");
		}
		write(head, "\r\n");
		if (body != null) {
			head.writeBytes(body);
		}
		return exchange(head.toByteArray());
	}

	public Response get(String target, String... headers) {
		return send("GET", target, null, headers);
	}

	/** Sends exactly these bytes and reads the answer until the server closes the connection. */
	public Response exchange(byte[] request) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5_000);
			socket.setSoTimeout(TIMEOUT_MILLIS);
			OutputStream out = socket.getOutputStream();
			try {
				out.write(request);
				out.flush();
			}
			catch (IOException ex) {
				// the server may answer and close before it read all we sent: read what it said
			}
			return parse(socket.getInputStream());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static Response parse(InputStream in) throws IOException {
		byte[] all = in.readAllBytes();
		String text = new String(all, StandardCharsets.ISO_8859_1);
		// interim answers (100 Continue to an Expect header) come before the real one
		while (text.startsWith("HTTP/1.1 1") && text.indexOf("\r\n\r\n") > 0) {
			int skip = text.indexOf("\r\n\r\n") + 4;
			all = java.util.Arrays.copyOfRange(all, skip, all.length);
			text = text.substring(skip);
		}
		int end = text.indexOf("\r\n\r\n");
		if (end < 0) {
			throw new IOException("No complete response: " + text);
		}
		String[] lines = text.substring(0, end).split("\r\n");
		int status = Integer.parseInt(lines[0].split(" ")[1]);
		Map<String, String> headers = new LinkedHashMap<>();
		for (int i = 1; i < lines.length; i++) {
			int colon = lines[i].indexOf(':');
			headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
					lines[i].substring(colon + 1).trim());
		}
		byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
		if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
			rest = dechunk(rest);
		}
		return new Response(status, headers, new String(rest, StandardCharsets.UTF_8));
	}

	private static byte[] dechunk(byte[] chunked) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		int at = 0;
		while (at < chunked.length) {
			int lineEnd = indexOf(chunked, at);
			if (lineEnd < 0) {
				break;
			}
			String sizeLine = new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1);
			int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
			if (size == 0) {
				break;
			}
			out.write(chunked, lineEnd + 2, size);
			at = lineEnd + 2 + size + 2;
		}
		return out.toByteArray();
	}

	private static int indexOf(byte[] bytes, int from) {
		for (int i = from; i + 1 < bytes.length; i++) {
			if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
				return i;
			}
		}
		return -1;
	}

	private static void write(ByteArrayOutputStream out, String text) {
		out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
	}

	/** Header pairs for a bearer token. */
	public static List<String> bearer(String token) {
		List<String> headers = new ArrayList<>();
		headers.add("Authorization");
		headers.add("Bearer " + token);
		return headers;
	}

}
