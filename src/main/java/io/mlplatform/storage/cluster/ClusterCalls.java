package io.mlplatform.storage.cluster;

import java.time.Duration;

import io.fabric8.kubernetes.client.KubernetesClientException;

import org.springframework.stereotype.Component;

/**
 * How the service retries what it writes into a cluster, for every writer: the reconciler's custom
 * resources and the movers' Jobs. A failed call is one of three kinds, each handled alike everywhere:
 * the cluster was not reached (down, overloaded: 5xx or 429, no answer) and the write waits for a growing
 * backoff; it met another writer's change (409); or the cluster refused it (another 4xx). The cluster's
 * health (reachable, last error, failures counted) says what every writer saw.
 */
@Component
public final class ClusterCalls {

	/** Why a call to a cluster failed. */
	public enum Failure {

		/** Down, overloaded or not answering: try again after a backoff. */
		UNREACHABLE,

		/** Another writer's change met this one (409): try again. */
		CONFLICT,

		/** The cluster answered no: trying again changes nothing until someone acts. */
		REFUSED

	}

	private final ReconcilerProperties properties;

	private final ClusterHealth health;

	ClusterCalls(ReconcilerProperties properties, ClusterHealth health) {
		this.properties = properties;
		this.health = health;
	}

	public static Failure classify(RuntimeException ex) {
		if (ex instanceof KubernetesClientException k8s && k8s.getCode() >= 400 && k8s.getCode() < 500) {
			return (k8s.getCode() == 409) ? Failure.CONFLICT : (k8s.getCode() == 429) ? Failure.UNREACHABLE : Failure.REFUSED;
		}
		return Failure.UNREACHABLE;
	}

	/**
	 * A failure as a job's reason shows it: its code and the API server's message, or, where no answer came,
	 * what the connection met (fabric8 says only that an error occurred).
	 */
	public static String describe(RuntimeException ex) {
		String described = Reconciler.describe(ex);
		Throwable cause = ex;
		while (cause.getCause() != null && cause.getCause() != cause) {
			cause = cause.getCause();
		}
		if (cause == ex || (ex instanceof KubernetesClientException k8s && k8s.getCode() > 0)) {
			return described;
		}
		String more = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
		return (described + " (" + more + ")").length() > 1000 ? described : described + " (" + more + ")";
	}

	/** How long to wait after this many failures in a row. */
	public Duration backoff(int failures) {
		return this.properties.backoff(failures);
	}

	/** How long a claimed write belongs to the instance that claimed it. */
	public Duration lease() {
		return this.properties.lease();
	}

	/** A call reached the cluster. */
	public void reached(String cluster) {
		this.health.reached(cluster);
	}

	/** A call failed; an unreachable cluster shows as such, with the error (which must name no credentials). */
	public void failed(String cluster, Failure failure, String error) {
		this.health.applyFailed(cluster, switch (failure) {
			case UNREACHABLE -> "unreachable";
			case CONFLICT -> "conflict";
			case REFUSED -> "refused";
		});
		if (failure == Failure.UNREACHABLE) {
			this.health.unreachable(cluster, "Cluster '" + cluster + "' unreachable: " + error);
		}
	}

}
