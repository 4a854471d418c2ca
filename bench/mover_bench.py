#!/usr/bin/env python3
"""The mover steps of bench/backup.sh: B full, C incremental, restore of B, A full, each a backup or restore
the running service (the local run, executor process) hands to a fresh mover process.

  mover_bench.py WORKDIR S3PROXY_PID SERVICE_PID RESULTS EXTRA

Prints, per step, a row like bench/backup.sh's timed(): tool, operation, wall seconds (from the job's creation
to its end, as the service recorded them; the driver polls the service only once the mover has exited, so
that its polls cost the service nothing while the mover runs), bytes added to the bucket, the mover's peak RSS (KiB), the mover's CPU seconds, S3Proxy's
CPU seconds; and into EXTRA: mover API calls, S3 requests, first byte to S3 and first object stored after the process
started (ms),
the service's own CPU seconds during the step: its JVM's, then its PostgreSQL's.
"""
import glob
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_run  # noqa: E402

W, S3PID, SVCPID, RESULTS, EXTRA = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
LOCAL = os.path.join(W, "svc", ".local")
E = local_run.sandbox_env(LOCAL)
URL, TOKEN, SHARES = E["PSS_URL"], E["PSS_TOKEN"], E["PSS_SHARES_ROOT"]
POSTMASTER = None
cpu = local_run.cpu


def call(method, path, body=None):
    return local_run.call(URL, TOKEN, method, path, body)


def service_cpu():
    """CPU seconds of the service: its JVM, its PostgreSQL (postmaster and backends), and its JVM's threads; not
    its movers. A thread that ended in the step is in the JVM's total only."""
    return cpu(SVCPID), local_run.postgres_cpu(POSTMASTER), local_run.threads(SVCPID)


def service_split(before, after):
    """The service's CPU in a step: JVM, JIT compiler, request threads, garbage collector, the JVM's other threads
    by name, PostgreSQL."""
    jit, requests, gc, others = local_run.jvm_split(before[2], after[2])
    return after[0] - before[0], jit, requests, gc, others, after[1] - before[1]


def bucket_bytes():
    out = subprocess.run(["du", "-sb", os.path.join(W, "s3", "bench-mover")], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def storage(name, capacity, project="bench"):
    status, body = call("POST", "/api/v1/projects/%s/storages" % project, {
        "name": name, "capacity": capacity, "backupPolicy": {"retention": {"keepLast": 100}}})
    assert status in (200, 201), body
    while call("GET", "/api/v1/projects/%s/storages/%s" % (project, name))[1]["state"] != "Ready":
        time.sleep(0.1)
    return os.path.join(SHARES, project, name)


def await_end(path):
    # a poll is a request the service answers with its CPU: rare polls, and the job's own times for the figure
    while True:
        status, job = call("GET", path)
        if job["state"] not in ("Queued", "Running"):
            return job
        time.sleep(0.25)


instant = local_run.instant


def step(op, request, record=True):
    """Runs one backup or restore through the API, as a fresh mover process; records its figures (or only prints
    them)."""
    before, s3before, svcbefore = bucket_bytes(), cpu(S3PID), service_cpu()
    seen = set(glob.glob(os.path.join(W, "mover-time", "*")))
    path, body = request()
    # the mover's /usr/bin/time output, named after its run, once the mover has exited: the service is not
    # polled meanwhile (a client's polls are not what a mover costs the service: 17-22 polls of a backup
    # were 48-67 ms of its request threads' 0.5-0.6 s in B, 2026-12-05T07:10Z)
    for _ in range(12000):
        new = [f for f in glob.glob(os.path.join(W, "mover-time", "*")) if f not in seen and os.path.getsize(f) > 0]
        if new:
            break
        time.sleep(0.02)
    job = await_end(path)
    # from the request's commit (the job's creation) to its end, as the service recorded them
    seconds = instant(job["finishedAt"]) - instant(job["createdAt"])
    s3after, svcafter = cpu(S3PID), service_cpu()
    jvm, jit, handling, gc, others, database = service_split(svcbefore, svcafter)
    assert job["state"] == "Succeeded", job
    run = os.path.basename(new[0])
    rss, user, system = open(new[0]).read().split()[-3:]
    log = open("/tmp/pss-movers/%s.log" % run).read()
    line = [l for l in log.splitlines() if " committed: " in l][-1]
    calls = line.split(" mover API calls")[0].rsplit(" ", 1)[1]
    requests = line.split(" S3 requests")[0].rsplit(" ", 1)[1]
    # the first byte of a PUT's body sent, and the first PUT that succeeded (A's objects are 128 MiB PUTs)
    first = line.split("first byte to S3 ")[1].split(" ")[0] if "first byte to S3" in line else "-"
    if "first object stored " in line:
        first += " / " + line.split("first object stored ")[1].split(" ")[0]
    mover_cpu = float(user) + float(system)
    if record:
        with open(RESULTS, "a") as f:
            f.write("mover\t%s\t%.2f\t%d\t%s\t%.2f\t%.2f\n" % (op, seconds, bucket_bytes() - before, rss, mover_cpu,
                                                              s3after - s3before))
        with open(EXTRA, "a") as f:
            f.write("%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n" % (
                op, calls, requests, first, jvm, jit, handling, gc, database, mover_cpu))
    print("mover %s: %.2f s, %s API calls, %s S3 requests, first byte / object stored %s ms, service CPU %.2f s (JVM: %.2f JIT, %.2f "
          "request threads, %.2f GC; without JIT %.1f%% of the mover's) + %.2f s (PostgreSQL), mover CPU %.2f s, "
          "peak RSS %d MiB; the JVM's other threads: %s" % (
              op, seconds, calls, requests, first, jvm, jit, handling, gc, 100 * (jvm - jit) / mover_cpu, database,
              mover_cpu, int(rss) // 1024, ", ".join("%s %.2f" % (name, spent) for name, spent in
                                                     sorted(others.items(), key=lambda kv: -kv[1])[:8]) or "-"))
    return job


def backup(name, project="bench"):
    def request():
        status, job = call("POST", "/api/v1/projects/%s/storages/%s/backups" % (project, name))
        assert status == 202, job
        return "/api/v1/projects/%s/storages/%s/backups/%s" % (project, name, job["id"]), job
    return request


def restore(name, backup_id):
    def request():
        status, job = call("POST", "/api/v1/projects/bench/storages/%s/restores" % name,
                           {"backup": backup_id, "mode": "merge"})
        assert status == 202, job
        return "/api/v1/projects/bench/storages/%s/restores/%s" % (name, job["id"]), job
    return request


def empty(folder):
    for entry in os.listdir(folder):
        shutil.rmtree(os.path.join(folder, entry))
    subprocess.run(["sync"], check=True)


def restic_restore():
    """restic's restore of B into its folder emptied of its last restore, as the mover's storage is emptied of its
    own before each restore: (seconds, its CPU s). Deleting 20,000 files, then sync, slows what follows on this
    machine: with restic's folder removed after its restore instead, restic restored in 2.48-2.91 s when it
    followed the mover and 3.35-4.04 s when it followed its own removal, and the mover, which always follows one,
    lost the pairs where it went first (0.76-0.85x, 2026-12-05T19:10Z)."""
    target = os.path.join(W, "restore-restic-pair")
    if os.path.isdir(target):
        empty(target)
    else:
        os.makedirs(target)
        subprocess.run(["sync"], check=True)
    return restic(os.environ["RESTIC_PAIR"], "restore", "latest", "--target", target)


def restic(repository, *args, timed=True):
    """restic in B's folder on this repository: (seconds, its CPU s) if timed."""
    env = dict(os.environ, RESTIC_REPOSITORY=repository)
    times = os.path.join(W, "restic-pair.time")
    command = ["env", "-u", "AWS_CA_BUNDLE", "restic"] + list(args)
    start = time.time()
    subprocess.run((["/usr/bin/time", "-f", "%M %U %S", "-o", times] if timed else []) + command, check=True,
                   stdout=subprocess.DEVNULL, env=env, cwd=os.path.join(W, "B"))
    seconds = time.time() - start
    if not timed:
        return None
    rss, user, system = open(times).read().split()[-3:]
    return seconds, float(user) + float(system)


def restic_backup(n):
    """restic's backup of B into a repository of its own (initialized untimed), as backup.sh times its B: (seconds,
    its CPU s)."""
    repository = os.environ["RESTIC_PAIR"] + "-b%d" % (n + 1)
    restic(repository, "init", timed=False)
    return restic(repository, "backup", "--host", "bench", ".")


def mover_step(op, request):
    """A backup or restore through the mover, printed and not tabled: (seconds, the mover's CPU s)."""
    job = step(op, request, record=False)
    run = sorted(glob.glob(os.path.join(W, "mover-time", "*")), key=os.path.getmtime)[-1]
    rss, user, system = open(run).read().split()[-3:]
    return instant(job["finishedAt"]) - instant(job["createdAt"]), float(user) + float(system)


def paired(what, n, mover, restic):
    """Runs the two one right after the other, restic first every other time, and prints the pair."""
    if n % 2:
        (restic_s, restic_cpu), (mover_s, mover_cpu) = restic(), mover()
    else:
        (mover_s, mover_cpu), (restic_s, restic_cpu) = mover(), restic()
    print("paired %s (%d, %s first): mover %.2f s (CPU %.2f s), restic %.2f s (CPU %.2f s): mover vs restic %.2fx" % (
        what, n + 1, "restic" if n % 2 else "mover", mover_s, mover_cpu, restic_s, restic_cpu, restic_s / mover_s))


def project_with_b(project):
    """A project of its own, with a storage b holding B (hard links: the same files, nothing copied)."""
    call("POST", "/api/v1/projects", {"name": project})
    call("PUT", "/api/v1/projects/%s/quota" % project, {"capacity": "1Pi", "maxStorages": 10})
    folder = storage("b", "10Gi", project)
    subprocess.run(["cp", "-al", os.path.join(W, "B") + "/.", folder], check=True)
    subprocess.run(["sync"], check=True)


def paired_backups(n):
    """One full backup of B through the mover, in a project of its own, and one by restic into a repository of its
    own: neither finds anything stored."""
    def mover():
        project_with_b("pair%d" % n)
        return mover_step("backup B paired (%d)" % (n + 1), backup("b", "pair%d" % n))
    paired("backup B", n, mover, lambda: restic_backup(n))


def paired_incrementals(count):
    """count incremental backups of B changed by 1% (as C is), each through the mover and by restic one right after
    the other. Both back up the same files: the mover's storage holds hard links to B's, which each change
    rewrites in place. Each first backs up B whole, untimed."""
    project_with_b("incremental")
    mover_step("backup B before the paired C's", backup("b", "incremental"))
    repository = os.environ["RESTIC_PAIR"] + "-c"
    restic(repository, "init", timed=False)
    restic(repository, "backup", "--host", "bench", ".", timed=False)
    for n in range(count):
        subprocess.run([sys.executable, "bench/backup_data.py", "mutate", os.path.join(W, "B"), str(300 + n)],
                       check=True)
        subprocess.run(["sync"], check=True)
        paired("backup C", n, lambda: mover_step("backup C paired (%d)" % (n + 1), backup("b", "incremental")),
               lambda: restic(repository, "backup", "--host", "bench", "."))


def paired_restores(n, b, backup_id):
    """One restore of B through the mover and one by restic, each into its folder emptied of its last restore."""
    def mover():
        empty(b)
        return mover_step("restore B again (%d)" % (n + 1), restore("b", backup_id))
    paired("restore B", n, mover, restic_restore)


def main():
    global POSTMASTER
    POSTMASTER = local_run.postmaster(LOCAL)
    call("POST", "/api/v1/projects", {"name": "bench"})
    call("PUT", "/api/v1/projects/bench/quota", {"capacity": "1Pi", "maxStorages": 100})
    # the service is a long-running process that has served movers before: its JIT has compiled the mover API's
    # paths before the timed steps (one small backup left the service's JIT compiling through B, 1.7 core-s;
    # three of 4,000 files still left 1.1 core-s of JIT and 0.57 s of request threads in B, 2026-12-05T04:26Z).
    # Three backups of WARM_FILES new files each (default 20,000, B's count) and a restore, in a storage of
    # their own: the mover API has then answered for as many files as B's backup asks of it, three times.
    warm = storage("warm", "10Gi")
    for seed in range(3):
        subprocess.run([sys.executable, "bench/backup_data.py", "fresh", os.path.join(warm, "w%d" % seed), str(seed),
                        os.environ.get("WARM_FILES", "20000")], check=True)
        status, job = call("POST", "/api/v1/projects/bench/storages/warm/backups")
        assert await_end("/api/v1/projects/bench/storages/warm/backups/" + job["id"])["state"] == "Succeeded"
    shutil.rmtree(os.path.join(warm, "w0"))
    status, job = call("POST", "/api/v1/projects/bench/storages/warm/restores", {"backup": job["id"], "mode": "merge"})
    assert await_end("/api/v1/projects/bench/storages/warm/restores/" + job["id"])["state"] == "Succeeded"
    # and the public API's path, which every call shares, as any client's polls would have. WARM_REQUESTS=n
    # (default 2,000) sets how many: a replica serving the UI, team leads and CI has answered far more before a
    # mover calls it, and the request path the mover API shares with them (Tomcat, filters, Spring MVC, Jackson)
    # is compiled by C2 only after some 10,000 calls
    for _ in range(int(os.environ.get("WARM_REQUESTS", "2000"))):
        call("GET", "/api/v1/projects/bench/storages/warm/restores/" + job["id"])
    # the warm-up wrote some 60,000 rows: PostgreSQL's upkeep of them (autovacuum, analyze) runs now, not in the
    # timed steps (with the larger warm-up and without this, B's PostgreSQL CPU went from 0.44 to 0.70 s)
    subprocess.run(["psql", "-q", "-c", "VACUUM (ANALYZE)"], check=True,
                   env=dict(os.environ, **{k: E[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")}))
    b = storage("b", "10Gi")
    # hard links: the same files as B, nothing copied
    subprocess.run(["cp", "-al", os.path.join(W, "B") + "/.", b], check=True)
    full = step("backup B", backup("b"))
    subprocess.run([sys.executable, "bench/backup_data.py", "mutate", b], check=True)
    step("backup C", backup("b"))
    # restore of B into its storage emptied: every file written, as the peers restore into an empty folder
    empty(b)
    step("restore B", restore("b", full["id"]))
    a = storage("a", "10Gi")
    subprocess.run(["cp", "-al", os.path.join(W, "A") + "/.", a], check=True)
    step("backup A", backup("a"))
    # REPEAT_B=n: n more full backups of B, each in a project of its own (so nothing is deduplicated), printed
    # and not tabled: how the service's share settles in a replica that has served movers for longer
    for n in range(int(os.environ.get("REPEAT_B", "0"))):
        project_with_b("repeat%d" % n)
        step("backup B again (%d)" % (n + 1), backup("b", "repeat%d" % n), record=False)
    # REPEAT_BACKUP=n: n more full backups of B, each paired with restic's full backup of B just before or after it
    for n in range(int(os.environ.get("REPEAT_BACKUP", "0"))):
        paired_backups(n)
    # REPEAT_INCREMENTAL=n: n more incremental backups of B changed by 1%, each paired with restic's of the same change
    if int(os.environ.get("REPEAT_INCREMENTAL", "0")):
        paired_incrementals(int(os.environ["REPEAT_INCREMENTAL"]))
    # REPEAT_RESTORE=n: n more restores of B, each paired with restic's restore of B just before or after it; restic
    # restores once untimed first, so that each of its timed restores, as each of the mover's, removes one before it
    if int(os.environ.get("REPEAT_RESTORE", "0")):
        restic_restore()
    for n in range(int(os.environ.get("REPEAT_RESTORE", "0"))):
        paired_restores(n, b, full["id"])


if __name__ == "__main__":
    main()
