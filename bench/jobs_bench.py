#!/usr/bin/env python3
"""One executor's half of bench/jobs.sh (issue #16): N storages backed up at once through the running local
run, timed from the first request to the last backup's end, with the service's CPU per backup.

  jobs_bench.py WORKDIR SERVICE_PID EXECUTOR STORAGES FILES RESULTS

Writes one tab-separated row to RESULTS: executor, storages, drain seconds (the first job's creation to the
last one's end, as the service recorded them), backups Succeeded, attempts, Jobs seen in the cluster, distinct
Job names the attempts recorded, the service's JVM CPU seconds and of it its JIT's and its request threads' (the
rest includes the in-process mock cluster and simulated kubelet), its PostgreSQL's, and the movers' (children of
the JVM: the kubelet's pods, or none for executor local).
"""
import os
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_run  # noqa: E402

W, SVCPID, EXECUTOR, STORAGES, FILES, RESULTS = (sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                                                  int(sys.argv[5]), sys.argv[6])
LOCAL = os.path.join(W, ".local")
E = local_run.sandbox_env(LOCAL)
URL, TOKEN, SHARES = E["PSS_URL"], E["PSS_TOKEN"], E["PSS_SHARES_ROOT"]
MOVER_LABEL = "storage.mlplatform.io/component=mover"


def call(method, path, body=None):
    return local_run.call(URL, TOKEN, method, path, body)


def kube_server():
    server = token = None
    for line in open(E["KUBECONFIG"]):
        line = line.strip()
        if line.startswith("server:"):
            server = line.split(":", 1)[1].strip()
        elif line.startswith("token:"):
            token = line.split(":", 1)[1].strip()
    return server, token


def service_cpu():
    """The JVM's own CPU (not its children's) and its threads'."""
    return local_run.cpu(SVCPID), local_run.threads(SVCPID)


def children_cpu():
    """CPU of the JVM's children that ended and were waited for (the kubelet's mover processes)."""
    fields = local_run.stat("/proc/%d/stat" % SVCPID)[2]
    return (int(fields[13]) + int(fields[14])) / local_run.TICK


def split(before, after):
    jit, requests, _, _ = local_run.jvm_split(before[1], after[1])
    return after[0] - before[0], jit, requests


class JobWatch(threading.Thread):
    """Lists our mover Jobs in the in-memory cluster every 200 ms and keeps every uid it saw: a Job lives at
    least as long as its mover's JVM takes to start, so none is missed."""

    def __init__(self):
        super().__init__(daemon=True)
        self.server, self.token = kube_server()
        self.uids = set()
        self.stopped = False

    def run(self):
        selector = urllib.parse.quote(MOVER_LABEL)
        while not self.stopped:
            status, jobs = local_run.call(self.server, self.token, "GET",
                                          "/apis/batch/v1/jobs?labelSelector=" + selector)
            if status == 200:
                for job in jobs.get("items", []):
                    self.uids.add(job["metadata"]["uid"])
            time.sleep(0.2)


def main():
    call("POST", "/api/v1/projects", {"name": "drain"})
    status, body = call("PUT", "/api/v1/projects/drain/quota", {"capacity": "1Pi", "maxStorages": STORAGES + 10})
    assert status == 200, body
    names = ["s%03d" % i for i in range(STORAGES)]
    for name in names:
        status, body = call("POST", "/api/v1/projects/drain/storages", {"name": name, "capacity": "1Gi"})
        assert status in (200, 201), body
    for index, name in enumerate(names):
        while call("GET", "/api/v1/projects/drain/storages/" + name)[1]["state"] != "Ready":
            time.sleep(0.1)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "backup_data.py"), "fresh",
                        os.path.join(SHARES, "drain", name, "data"), str(index), str(FILES)], check=True)
    subprocess.run(["sync"], check=True)

    watch = JobWatch()
    watch.start()
    postmaster = local_run.postmaster(LOCAL)
    svc_before, pg_before, kids_before = service_cpu(), local_run.postgres_cpu(postmaster), children_cpu()
    jobs = {}
    for name in names:
        status, job = call("POST", "/api/v1/projects/drain/storages/%s/backups" % name)
        assert status == 202, job
        jobs[name] = job["id"]
    # one poll at a time, in the queue's order (first come, first claimed): a poll is a request the service
    # answers with its CPU, and the drain's figure comes from the jobs' own times, not from when a poll saw them
    ended = {}
    for name, job_id in jobs.items():
        while True:
            status, job = call("GET", "/api/v1/projects/drain/storages/%s/backups/%s" % (name, job_id))
            if job["state"] not in ("Queued", "Running"):
                ended[name] = job
                break
            time.sleep(0.25)
    svc_after, pg_after, kids_after = service_cpu(), local_run.postgres_cpu(postmaster), children_cpu()
    watch.stopped = True
    watch.join()

    start = min(local_run.instant(job["createdAt"]) for job in ended.values())
    end = max(local_run.instant(job["finishedAt"]) for job in ended.values())
    succeeded = sum(1 for job in ended.values() if job["state"] == "Succeeded")
    attempts = [attempt for job in ended.values() for attempt in job.get("attempts", [])]
    job_names = {attempt["kubernetesJob"] for attempt in attempts if attempt.get("kubernetesJob")}
    jvm, jit, requests = split(svc_before, svc_after)
    with open(RESULTS, "a") as f:
        f.write("%s\t%d\t%.2f\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n" % (
            EXECUTOR, STORAGES, end - start, succeeded, len(attempts), len(watch.uids), len(job_names), jvm, jit,
            requests, pg_after - pg_before, kids_after - kids_before))
    print("%s: %d storages drained in %.2f s, %d Succeeded, %d attempts, %d Jobs seen, %d Job names; service JVM "
          "%.2f s (JIT %.2f, request threads %.2f), PostgreSQL %.2f s, movers %.2f s" % (
              EXECUTOR, STORAGES, end - start, succeeded, len(attempts), len(watch.uids), len(job_names), jvm, jit,
              requests, pg_after - pg_before, kids_after - kids_before))
    failed = [job for job in ended.values() if job["state"] != "Succeeded"]
    assert not failed, failed[:3]


if __name__ == "__main__":
    main()
