package io.mlplatform.storage.cluster;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Whether two API server URLs name the same server, as a client would reach it. */
final class ApiServers {

	private ApiServers() {
	}

	static boolean same(String one, String other) {
		if (one == null || other == null) {
			return false;
		}
		try {
			return canonical(new URI(one.trim())).equals(canonical(new URI(other.trim())));
		}
		catch (URISyntaxException ex) {
			return false;
		}
	}

	private static String canonical(URI uri) {
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
		String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
		int port = uri.getPort() != -1 ? uri.getPort() : "http".equals(scheme) ? 80 : 443;
		String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
		return scheme + "://" + host + ":" + port + path;
	}

}
