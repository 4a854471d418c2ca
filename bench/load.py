#!/usr/bin/env python3
"""Loads the benchmark data set through the API: 1,000 projects and 100,000 storages.

One project ("big") gets 50,050 storages so that page 1,000 of its list (50 per page) exists;
the other 999 projects get 50 each. Every row is written by a real POST, so the data is exactly
what the service itself writes. Re-running is safe: POST of an identical storage answers 200.
"""
import http.client
import json
import os
import random
import sys
import threading
import time
from urllib.parse import urlparse

BIG, BIG_COUNT, SMALL_PROJECTS, SMALL_COUNT = "big", 50_050, 999, 50


def jobs():
    yield ("big", [f"s-{i:05d}" for i in range(BIG_COUNT)])
    for p in range(1, SMALL_PROJECTS + 1):
        yield (f"p-{p:04d}", [f"s-{i:05d}" for i in range(SMALL_COUNT)])


def main(url, workers=8):
    target = urlparse(url)
    work = [(project, name) for project, names in jobs() for name in names]
    # interleaved, as real traffic would be: workers do not all queue on the big project's lock
    random.Random(42).shuffle(work)
    projects = [project for project, _ in jobs()]
    lock = threading.Lock()
    failures = []
    done = [0]

    def connection():
        return http.client.HTTPConnection(target.hostname, target.port, timeout=30)

    def post(conn, path, body):
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json",
                                                     "Authorization": "Bearer " + os.environ["PSS_TOKEN"]})
        response = conn.getresponse()
        payload = response.read()
        if response.status not in (200, 201):
            failures.append(f"{path} {body.get('name')}: {response.status} {payload[:200]!r}")

    def run(items, make_body, path_of):
        def worker(chunk):
            conn = connection()
            for item in chunk:
                post(conn, path_of(item), make_body(item))
                with lock:
                    done[0] += 1
            conn.close()

        threads = [threading.Thread(target=worker, args=(items[i::workers],)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    start = time.time()
    run(projects, lambda p: {"name": p, "labels": {"size": "big" if p == BIG else "small"}},
        lambda p: "/api/v1/projects")
    run(work, lambda w: {"name": w[1], "capacity": "1Gi",
                         "labels": {"tier": "hot" if int(w[1][2:]) % 2 else "cold"}},
        lambda w: f"/api/v1/projects/{w[0]}/storages")
    elapsed = time.time() - start
    if failures:
        print("\n".join(failures[:20]), file=sys.stderr)
        sys.exit(f"{len(failures)} requests failed")
    print(f"loaded {len(projects)} projects and {len(work)} storages in {elapsed:.1f} s "
          f"({(len(projects) + len(work)) / elapsed:.0f} writes/s)")


if __name__ == "__main__":
    main(sys.argv[1])
