package io.mlplatform.storage.backup.kubernetes;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What a cluster's events say of a mover's Job and pod that did not run, where their status says
 * nothing: the Job controller's {@code FailedCreate} (a quota or an admission policy refused the pod, so
 * there is no pod to read), the scheduler's {@code FailedScheduling}, the kubelet's {@code FailedMount}.
 * Read once per attempt that reached its pending timeout without a reason, by the objects' names in the
 * project's namespace; events are never watched.
 */
public final class MoverJobEvents {

	private MoverJobEvents() {
	}

	/** The newest warning about any of these objects of the namespace, as {@code Reason: message}; null when none. */
	public static String newestWarning(KubernetesClient client, String namespace, List<String> objects) {
		return objects.stream()
			.flatMap(name -> client.v1().events().inNamespace(namespace)
				.withField("involvedObject.name", name)
				.list()
				.getItems()
				.stream()
				// a server that ignores the field selector answers with more: only these objects' events count
				.filter(event -> event.getInvolvedObject() != null && name.equals(event.getInvolvedObject().getName())))
			.filter(event -> "Warning".equals(event.getType()))
			.max(Comparator.comparing(MoverJobEvents::time))
			.map(event -> JobVerdict.text(event.getReason(), event.getMessage()))
			.orElse(null);
	}

	/** When it was last seen; the oldest field set first by older clusters, the newest by newer ones. */
	private static String time(Event event) {
		if (event.getLastTimestamp() != null) {
			return event.getLastTimestamp();
		}
		if (event.getEventTime() != null && event.getEventTime().getTime() != null) {
			return event.getEventTime().getTime();
		}
		return Objects.toString(event.getMetadata().getCreationTimestamp(), "");
	}

}
