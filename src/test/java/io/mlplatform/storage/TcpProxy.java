package io.mlplatform.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on the loopback address in front of a port: what a test stops and starts again to cut a
 * client off from a server for a while (a replica restarting, a network blip), on the same port.
 */
public final class TcpProxy implements AutoCloseable {

	private final int port;

	private volatile int target;

	private volatile ServerSocket server;

	private final Set<Socket> open = ConcurrentHashMap.newKeySet();

	private TcpProxy(int port) {
		this.port = port;
	}

	/** A proxy on a free port; it forwards once {@link #forwardTo} names the target. */
	public static TcpProxy start() {
		try (ServerSocket probe = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			TcpProxy proxy = new TcpProxy(probe.getLocalPort());
			probe.close();
			proxy.resume();
			return proxy;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	public int port() {
		return this.port;
	}

	public void forwardTo(int port) {
		this.target = port;
	}

	/** Refuses connections and drops the open ones, as a stopped server does. */
	public synchronized void stop() {
		try {
			if (this.server != null) {
				this.server.close();
			}
		}
		catch (IOException ex) {
			// closed either way
		}
		this.open.forEach(TcpProxy::closeQuietly);
		this.open.clear();
	}

	/** Listens again on the same port. */
	public synchronized void resume() {
		try {
			ServerSocket server = new ServerSocket();
			server.setReuseAddress(true);
			server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.port));
			this.server = server;
			Thread acceptor = new Thread(() -> accept(server), "tcp-proxy-" + this.port);
			acceptor.setDaemon(true);
			acceptor.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void accept(ServerSocket server) {
		while (!server.isClosed()) {
			try {
				Socket client = server.accept();
				Socket upstream = new Socket(InetAddress.getLoopbackAddress(), this.target);
				this.open.add(client);
				this.open.add(upstream);
				pump(client, upstream);
				pump(upstream, client);
			}
			catch (IOException ex) {
				// stopped, or the target refused: the client sees its connection end
			}
		}
	}

	private void pump(Socket from, Socket to) {
		Thread thread = new Thread(() -> {
			try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
				in.transferTo(out);
			}
			catch (IOException ex) {
				// one side ended
			}
			finally {
				closeQuietly(from);
				closeQuietly(to);
				this.open.remove(from);
				this.open.remove(to);
			}
		}, "tcp-proxy-pump");
		thread.setDaemon(true);
		thread.start();
	}

	private static void closeQuietly(Socket socket) {
		try {
			socket.close();
		}
		catch (IOException ex) {
			// closed either way
		}
	}

	@Override
	public void close() {
		stop();
	}

}
