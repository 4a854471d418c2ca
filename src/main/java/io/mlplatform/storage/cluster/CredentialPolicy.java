package io.mlplatform.storage.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.client.utils.Serialization;

import org.springframework.stereotype.Component;

import io.mlplatform.storage.web.FieldError;

/**
 * What credentials the service agrees to use. A cluster registered through the API may read only
 * kubeconfig files inside {@code pss.cluster.kubeconfig-directory} (else an admin could make the
 * service read any file its pod can), and may not send the pod's own service account token to a
 * server of its choosing. No kubeconfig, from anywhere, may carry an {@code exec} or
 * {@code auth-provider} plugin: the client would run that command inside the service's pod.
 */
@Component
class CredentialPolicy {

	/** Larger is not a kubeconfig; reading it whole would only cost memory. */
	private static final long MAX_KUBECONFIG_BYTES = 1 << 20;

	private final Path directory;

	CredentialPolicy(ClusterProperties properties) {
		this.directory = properties.kubeconfigDirectory().toAbsolutePath().normalize();
	}

	/** A registration through the API: refuses, naming each field, what the service must not use. */
	void checkRegistration(ClusterSpec spec) {
		List<FieldError> errors = new ArrayList<>();
		Credentials credentials = spec.credentials();
		if (Credentials.IN_CLUSTER.equals(credentials.type()) && spec.apiServerUrl() != null) {
			errors.add(new FieldError("apiServerUrl", spec.apiServerUrl(),
					"must be left out with inCluster credentials: the service's own token would be sent to that server"));
		}
		if (Credentials.KUBECONFIG.equals(credentials.type())) {
			Path file = insideDirectory(credentials.path());
			if (file == null) {
				// the reference is not echoed back: it says where credentials are
				errors.add(new FieldError("credentials.path", null,
						"must name a file inside the service's kubeconfig directory " + this.directory
								+ " (pss.cluster.kubeconfig-directory), without '..' and not through a link leading out of it"));
			}
			else if (Files.isRegularFile(file)) {
				String kubeconfig = read(file);
				if (usesPlugin(kubeconfig)) {
					errors.add(new FieldError("credentials.path", null, PLUGIN_REFUSED));
				}
				else if (spec.apiServerUrl() != null) {
					String server = serverOf(kubeconfig, credentials.context());
					if (server != null && !ApiServers.same(spec.apiServerUrl(), server)) {
						errors.add(new FieldError("apiServerUrl", spec.apiServerUrl(), SERVER_MISMATCH));
					}
				}
			}
		}
		if (!errors.isEmpty()) {
			throw CredentialsRejectedException.of(errors);
		}
	}

	static final String SERVER_MISMATCH = "must be the server the kubeconfig's context names, or be left out: "
			+ "the kubeconfig's credentials are sent to that server only";

	/** The server a kubeconfig's context names; null when the file does not say (the client refuses it later). */
	private static String serverOf(String kubeconfig, String context) {
		try {
			return io.fabric8.kubernetes.client.Config.fromKubeconfig(context, kubeconfig, null).getMasterUrl();
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	static final String PLUGIN_REFUSED = "names a kubeconfig whose user runs an exec or auth-provider plugin, "
			+ "which would run a command inside the service; use a token or a client certificate";

	/**
	 * The kubeconfig file of an API-registered cluster, checked again when it is used: the file may
	 * have become a link leading out of the directory since it was registered.
	 */
	Path kubeconfigOfRegistered(String path) {
		Path file = insideDirectory(path);
		if (file == null) {
			throw new IllegalStateException("the kubeconfig is not inside the service's kubeconfig directory");
		}
		return file;
	}

	/** Refuses a kubeconfig that would make the client run a command. */
	static String withoutPlugins(String kubeconfig) {
		if (usesPlugin(kubeconfig)) {
			throw new IllegalStateException("the kubeconfig's user runs an exec or auth-provider plugin, which the service refuses");
		}
		return kubeconfig;
	}

	static String read(Path file) {
		try {
			if (Files.size(file) > MAX_KUBECONFIG_BYTES) {
				throw new IllegalStateException("the kubeconfig file is larger than 1 MiB");
			}
			return Files.readString(file);
		}
		catch (IOException ex) {
			// the exception's message names the file: say only that it cannot be read
			throw new UncheckedIOException("the kubeconfig file cannot be read", new IOException(ex.getClass().getSimpleName()));
		}
	}

	/** Every user of the file counts, not only the current context's: a context is one edit away. */
	static boolean usesPlugin(String kubeconfig) {
		io.fabric8.kubernetes.api.model.Config parsed;
		try {
			parsed = Serialization.unmarshal(kubeconfig, io.fabric8.kubernetes.api.model.Config.class);
		}
		catch (RuntimeException ex) {
			return false; // not a kubeconfig at all: the client refuses it when connecting
		}
		if (parsed == null || parsed.getUsers() == null) {
			return false;
		}
		for (NamedAuthInfo user : parsed.getUsers()) {
			if (user != null && user.getUser() != null
					&& (user.getUser().getExec() != null || user.getUser().getAuthProvider() != null)) {
				return true;
			}
		}
		return false;
	}

	/** The file inside the directory, or null when the path leads (or links) out of it. */
	private Path insideDirectory(String path) {
		Path given;
		try {
			given = Path.of(path);
		}
		catch (InvalidPathException ex) {
			return null;
		}
		for (Path segment : given) {
			if ("..".equals(segment.toString())) {
				return null;
			}
		}
		Path file = this.directory.resolve(given).normalize();
		if (!file.startsWith(this.directory) || file.equals(this.directory)) {
			return null;
		}
		if (Files.exists(file)) {
			try {
				if (!file.toRealPath().startsWith(this.directory.toRealPath())) {
					return null;
				}
			}
			catch (IOException ex) {
				return null;
			}
		}
		return file;
	}

}
