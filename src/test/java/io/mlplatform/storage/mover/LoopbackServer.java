package io.mlplatform.storage.mover;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

/** A service (or S3) on the loopback, started, that answers each request as a test says and then closes it. */
final class LoopbackServer {

	private LoopbackServer() {
	}

	static HttpServer answering(HttpHandler answer) throws IOException {
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
		server.createContext("/", exchange -> {
			try (exchange) {
				answer.handle(exchange);
			}
		});
		server.start();
		return server;
	}

}
