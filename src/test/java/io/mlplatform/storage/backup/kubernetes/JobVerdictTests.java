package io.mlplatform.storage.backup.kubernetes;

import java.util.List;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a mover's Job and pod, as a real cluster reports them, say of its attempt. */
class JobVerdictTests {

	private static final Job RUNNING_JOB = new JobBuilder().withNewMetadata().withName("j").endMetadata().build();

	@Test
	void aJobPastItsDeadlineEndedWithTheJobsReason() {
		Job job = new JobBuilder(RUNNING_JOB).withNewStatus()
			.withConditions(new JobConditionBuilder().withType("Failed").withStatus("True").withReason("DeadlineExceeded")
				.withMessage("Job was active longer than specified deadline").build())
			.endStatus()
			.build();

		JobVerdict verdict = JobVerdict.of(job, List.of());

		assertThat(verdict.ended()).isTrue();
		assertThat(verdict.reason()).isEqualTo("Job failed: DeadlineExceeded: Job was active longer than specified deadline");
	}

	@Test
	void aJobStoppedAtItsDeadlineSaysSoBeforeTheSignalItsPodWasStoppedWith() {
		Job job = new JobBuilder(RUNNING_JOB).withNewStatus()
			.withConditions(new JobConditionBuilder().withType("FailureTarget").withStatus("True")
				.withReason("DeadlineExceeded").withMessage("Job was active longer than specified deadline").build())
			.endStatus()
			.build();
		Pod pod = new PodBuilder().withNewStatus().withPhase("Failed")
			.withContainerStatuses(new ContainerStatusBuilder().withName("mover")
				.withState(new ContainerStateBuilder().withNewTerminated().withExitCode(143).withReason("Error")
					.endTerminated().build())
				.build())
			.endStatus()
			.build();

		JobVerdict verdict = JobVerdict.of(job, List.of(pod));

		assertThat(verdict.ended()).isTrue();
		assertThat(verdict.reason())
			.isEqualTo("Job failed: DeadlineExceeded: Job was active longer than specified deadline; Error (exit code 143)");
	}

	@Test
	void aFailedPodSaysMoreThanTheJobThatFailedBecauseOfIt() {
		Job job = new JobBuilder(RUNNING_JOB).withNewStatus()
			.withConditions(new JobConditionBuilder().withType("Failed").withStatus("True")
				.withReason("BackoffLimitExceeded").withMessage("Job has reached the specified backoff limit").build())
			.endStatus()
			.build();
		Pod pod = new PodBuilder().withNewStatus().withPhase("Failed").withReason("Evicted")
			.withMessage("The node was low on resource: memory.")
			.endStatus()
			.build();

		assertThat(JobVerdict.of(job, List.of(pod)).reason()).isEqualTo("Evicted: The node was low on resource: memory.");
	}

	@Test
	void aJobWithoutAPodOrAPodWithoutAReasonIsUnexplained() {
		Pod pending = new PodBuilder().withNewStatus().withPhase("Pending").endStatus().build();
		Pod unschedulable = new PodBuilder().withNewStatus().withPhase("Pending")
			.withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
				.withReason("Unschedulable").withMessage("0/3 nodes are available.").build())
			.endStatus()
			.build();

		assertThat(JobVerdict.of(RUNNING_JOB, List.of()).unexplained()).isTrue();
		assertThat(JobVerdict.of(RUNNING_JOB, List.of(pending)).unexplained()).isTrue();
		assertThat(JobVerdict.of(RUNNING_JOB, List.of(unschedulable)).unexplained()).isFalse();
	}

	@Test
	void aPodThatCannotPullItsImageWaitsWithThePullError() {
		Pod pod = new PodBuilder().withNewStatus().withPhase("Pending")
			.withContainerStatuses(new ContainerStatusBuilder().withName("mover")
				.withState(new ContainerStateBuilder().withNewWaiting().withReason("ImagePullBackOff")
					.withMessage("Back-off pulling image \"registry/pss@sha256:abc\"").endWaiting().build())
				.build())
			.endStatus()
			.build();

		JobVerdict verdict = JobVerdict.of(RUNNING_JOB, List.of(pod));

		assertThat(verdict.state()).isEqualTo(JobVerdict.State.PENDING);
		assertThat(verdict.reason()).isEqualTo("ImagePullBackOff: Back-off pulling image \"registry/pss@sha256:abc\"");
	}

	@Test
	void anUnscheduledPodWaitsWithTheSchedulersMessage() {
		Pod pod = new PodBuilder().withNewStatus().withPhase("Pending")
			.withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
				.withReason("Unschedulable").withMessage("0/3 nodes are available: 3 node(s) had untolerated taint.").build())
			.endStatus()
			.build();

		assertThat(JobVerdict.of(RUNNING_JOB, List.of(pod)).reason())
			.isEqualTo("Unschedulable: 0/3 nodes are available: 3 node(s) had untolerated taint.");
	}

	@Test
	void aFailedContainerEndsWithItsExitCodeAndTerminationMessage() {
		Pod pod = new PodBuilder().withNewStatus().withPhase("Failed")
			.withContainerStatuses(new ContainerStatusBuilder().withName("mover")
				.withState(new ContainerStateBuilder().withNewTerminated().withExitCode(64).withReason("Error")
					.withMessage("PSS_MOVER_RUN is not set\n").endTerminated().build())
				.build())
			.endStatus()
			.build();

		JobVerdict verdict = JobVerdict.of(RUNNING_JOB, List.of(pod));

		assertThat(verdict.ended()).isTrue();
		assertThat(verdict.reason()).isEqualTo("Error (exit code 64): PSS_MOVER_RUN is not set");
	}

	@Test
	void aRunningPodRuns() {
		Pod pod = new PodBuilder().withNewStatus().withPhase("Running").endStatus().build();

		assertThat(JobVerdict.of(RUNNING_JOB, List.of(pod))).isEqualTo(new JobVerdict(JobVerdict.State.RUNNING, null));
	}

}
