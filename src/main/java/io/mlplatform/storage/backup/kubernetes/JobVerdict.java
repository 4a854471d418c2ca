package io.mlplatform.storage.backup.kubernetes;

import java.util.List;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

/**
 * What a mover's Job and its pod say of an attempt: still waiting to run (and why), running, or ended
 * (and why: the pod's reason such as Evicted, the container's such as OOMKilled with its exit code and
 * termination message, the Job's such as DeadlineExceeded). An exit code never makes a run a success:
 * only its commit does.
 * @param reason why it waits or why it ended; null while it runs
 */
public record JobVerdict(State state, String reason) {

	public enum State {

		/** Not running yet: not scheduled, pulling its image, or its Job has no pod yet. */
		PENDING,

		RUNNING,

		/** Its pod or its Job ended; whether the run committed is the run's to say. */
		ENDED

	}

	private static final int MAX_MESSAGE = 500;

	public boolean ended() {
		return this.state == State.ENDED;
	}

	/** Whether it waits and nothing in the pod's or Job's status says why (the cluster's events may). */
	public boolean unexplained() {
		return this.state == State.PENDING && (this.reason == null || !this.reason.contains(": "));
	}

	/** @param pods the Job's pods (at most one: backoffLimit is 0) */
	public static JobVerdict of(Job job, List<Pod> pods) {
		Pod pod = pods.isEmpty() ? null : pods.get(pods.size() - 1);
		JobVerdict fromPod = (pod == null) ? null : of(pod);
		JobCondition ended = ended(job);
		// a Job that failed for a reason of its own (DeadlineExceeded: the Job controller stopped its pod) says
		// more than its pod, which only shows the signal it was stopped with; a failed pod's own reason
		// (BackoffLimitExceeded merely repeats that the pod failed) says more than such a Job
		if (ended != null && "Failed".equals(type(ended)) && !"BackoffLimitExceeded".equals(ended.getReason())) {
			String why = "Job failed: " + text(ended.getReason(), ended.getMessage());
			return new JobVerdict(State.ENDED, (fromPod != null && fromPod.ended()) ? why + "; " + fromPod.reason() : why);
		}
		if (fromPod != null && fromPod.ended()) {
			return fromPod;
		}
		if (ended != null) {
			return new JobVerdict(State.ENDED, "Job " + type(ended).toLowerCase() + ": "
					+ text(ended.getReason(), ended.getMessage()));
		}
		return (fromPod != null) ? fromPod : new JobVerdict(State.PENDING, "No pod yet");
	}

	/**
	 * The Job's condition that says it ended: Complete, Failed, or FailureTarget (Kubernetes 1.31 and
	 * later set it first, while the Job's pods are being stopped; the Job fails whatever they do).
	 */
	private static JobCondition ended(Job job) {
		if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) {
			return null;
		}
		return job.getStatus().getConditions().stream()
			.filter(c -> "True".equals(c.getStatus()) && ("Complete".equals(c.getType()) || "Failed".equals(c.getType())
					|| "FailureTarget".equals(c.getType())))
			.findFirst()
			.orElse(null);
	}

	private static String type(JobCondition condition) {
		return "Complete".equals(condition.getType()) ? "Complete" : "Failed";
	}

	private static JobVerdict of(Pod pod) {
		var status = pod.getStatus();
		if (status == null) {
			return new JobVerdict(State.PENDING, "No pod status yet");
		}
		ContainerStatus container = (status.getContainerStatuses() == null || status.getContainerStatuses().isEmpty())
				? null : status.getContainerStatuses().get(0);
		ContainerStateTerminated terminated = (container == null || container.getState() == null) ? null
				: container.getState().getTerminated();
		String phase = status.getPhase();
		if ("Failed".equals(phase) || "Succeeded".equals(phase) || terminated != null) {
			StringBuilder why = new StringBuilder();
			if (status.getReason() != null) {
				// the pod's own reason (Evicted, DeadlineExceeded, NodeLost) says more than its container's
				why.append(text(status.getReason(), status.getMessage()));
			}
			if (terminated != null) {
				why.append(why.isEmpty() ? "" : "; ")
					.append(text(terminated.getReason(), null))
					.append(" (exit code ").append(terminated.getExitCode()).append(")");
				if (terminated.getMessage() != null && !terminated.getMessage().isBlank()) {
					why.append(": ").append(shorten(terminated.getMessage().strip()));
				}
			}
			if (why.isEmpty()) {
				why.append("The pod ended ").append(phase);
			}
			return new JobVerdict(State.ENDED, why.toString());
		}
		if ("Running".equals(phase)) {
			return new JobVerdict(State.RUNNING, null);
		}
		ContainerStateWaiting waiting = (container == null || container.getState() == null) ? null
				: container.getState().getWaiting();
		if (waiting != null && waiting.getReason() != null) {
			// ErrImagePull, ImagePullBackOff, CreateContainerConfigError
			return new JobVerdict(State.PENDING, text(waiting.getReason(), waiting.getMessage()));
		}
		if (status.getConditions() != null) {
			for (PodCondition condition : status.getConditions()) {
				if ("PodScheduled".equals(condition.getType()) && "False".equals(condition.getStatus())) {
					return new JobVerdict(State.PENDING, text(condition.getReason(), condition.getMessage()));
				}
			}
		}
		return new JobVerdict(State.PENDING, "Pending");
	}

	static String text(String reason, String message) {
		String said = (reason == null || reason.isBlank()) ? "Unknown" : reason;
		return (message == null || message.isBlank()) ? said : said + ": " + shorten(message.strip());
	}

	private static String shorten(String message) {
		return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
	}

}
