#!/usr/bin/env python3
"""Time from a storage POST returning to its ProjectStorage existing in the cluster.

Run against the local run (mvn spring-boot:test-run), after `. .local/sandbox.env`:
    python3 bench/cluster_sync.py [COUNT]
One client POSTs COUNT storages (default 1,000) into a fresh project, one after another. After each
POST returns it GETs the object from the in-memory Kubernetes API (server from $KUBECONFIG) every
2 ms until it exists (the mock serves watches only over websockets), then goes on to the next.
The lag of one storage is (object first seen) - (POST response read), so it includes up to one poll
interval plus one GET; "at first look" counts storages whose object was there on the first GET.
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

POLL = 0.002  # seconds between GETs of the object while waiting for it


def k8s_server():
    with open(os.environ["KUBECONFIG"]) as kubeconfig:
        for line in kubeconfig:
            if line.strip().startswith("server:"):
                return urlparse(line.split("server:", 1)[1].strip())
    raise SystemExit("no server in $KUBECONFIG")


def main(count):
    api = urlparse(os.environ["PSS_URL"])
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["PSS_TOKEN"]}
    project = "bench-sync-%d" % int(time.time())
    conn = http.client.HTTPConnection(api.hostname, api.port, timeout=30)
    conn.request("POST", "/api/v1/projects", json.dumps({"name": project}), headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 201, response.status

    server = k8s_server()
    k8s = http.client.HTTPConnection(server.hostname, server.port, timeout=30)

    def exists(name):
        k8s.request("GET", "/apis/storage.mlplatform.io/v1alpha1/namespaces/%s/projectstorages/%s" % (project, name),
                    headers={"Authorization": "Bearer local"})
        response = k8s.getresponse()
        response.read()
        return response.status == 200

    returned, added = {}, {}
    started = time.monotonic()
    for i in range(count):
        name = "s-%05d" % i
        conn.request("POST", "/api/v1/projects/%s/storages" % project,
                     json.dumps({"name": name, "capacity": "1Gi"}), headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 201, (name, response.status)
        returned[name] = time.monotonic()
        deadline = returned[name] + 30
        while time.monotonic() < deadline:
            if exists(name):
                added[name] = time.monotonic()
                break
            time.sleep(POLL)
    elapsed = time.monotonic() - started

    missing = [name for name in returned if name not in added]
    lags = sorted(max(0.0, added[name] - returned[name]) * 1000 for name in returned if name in added)
    before = sum(1 for name in returned if name in added and added[name] - returned[name] < 0.0015)
    p99 = lags[min(len(lags) - 1, int(round(0.99 * len(lags))) - 1)]
    print("| storages | storages/s (POST + wait) | lag median | lag p99 | lag max | at first look | missing |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print("| %d | %.0f | %.1f ms | %.1f ms | %.1f ms | %d | %d |" % (
        count, count / elapsed, statistics.median(lags), p99, lags[-1], before, len(missing)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
