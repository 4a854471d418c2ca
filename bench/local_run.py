"""What bench drivers share about a running local run (mvn spring-boot:test-run or the benchmarks' own): the
values its .local/sandbox.env exports, its API with the admin token there, its PostgreSQL and /proc CPU."""
import datetime
import glob
import re
import json
import os
import urllib.error
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def sandbox_env(local):
    """The variables LOCAL/sandbox.env exports (PSS_URL, PSS_TOKEN, PSS_SHARES_ROOT, KUBECONFIG, ...)."""
    values = {}
    for line in open(os.path.join(local, "sandbox.env")):
        if line.startswith("export "):
            key, _, value = line[7:].strip().partition("=")
            values[key] = value
    return values


def call(base, token, method, path, body=None):
    """One HTTP call; answers (status, parsed JSON or None), a 4xx or 5xx included."""
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def stat(path):
    """A /proc stat file: (the thread's or process's name, its own CPU seconds, the fields after its name)."""
    with open(path) as f:
        text = f.read()
    fields = text.rsplit(")", 1)[1].split()
    return text[text.index("(") + 1:text.rindex(")")], (int(fields[11]) + int(fields[12])) / TICK, fields


def cpu(pid):
    return stat("/proc/%d/stat" % pid)[1]


def postmaster(local):
    """The local run's PostgreSQL: zonky's pg_ctl detaches it from the JVM, so it is found by its data folder."""
    data = os.path.join(local, "postgres").encode()
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/postgres") and data in args:
            return int(path.split("/")[2])
    raise SystemExit("the local run's PostgreSQL (data in %s) is not running" % data.decode())


def children(pid):
    """Every process below pid."""
    found = []
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = stat(path)[2]
        except (OSError, ValueError):
            continue
        if int(fields[1]) == pid:
            child = int(path.split("/")[2])
            found.append(child)
            found.extend(children(child))
    return found


def postgres_cpu(postmaster_pid):
    """CPU seconds of the postmaster and its backends."""
    total = 0.0
    for pid in [postmaster_pid] + children(postmaster_pid):
        try:
            total += cpu(pid)
        except OSError:
            pass
    return total


def threads(pid):
    """{thread's stat path: (name, CPU seconds)} of a JVM."""
    found = {}
    for path in glob.glob("/proc/%d/task/[0-9]*/stat" % pid):
        try:
            name, seconds, _ = stat(path)
        except OSError:
            continue
        found[path] = (name, seconds)
    return found


def jvm_split(before, after):
    """Of a JVM's CPU between two threads() readings: its JIT compiler's (compiler threads and the code cache
    sweeper), its request threads', its garbage collector's (G1's pause and concurrent threads), and the rest by
    thread name (numbers dropped: pools are one name)."""
    jit = requests = gc = 0.0
    others = {}
    for path, (name, seconds) in after.items():
        spent = seconds - before.get(path, (name, 0.0))[1]
        if "CompilerThre" in name or name.startswith("Sweeper thread"):
            jit += spent
        elif name.startswith("http-nio-"):
            requests += spent
        elif name.startswith(("GC Thread", "G1 ")):
            gc += spent
        elif spent > 0:
            group = re.sub(r"[-#]?[0-9]+$", "", name)
            others[group] = others.get(group, 0.0) + spent
    return jit, requests, gc, others


def instant(text):
    """An API timestamp (RFC 3339, UTC) as epoch seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
