#!/usr/bin/env bash
# Issue #16's benchmark: STORAGES storages (FILES files of 16 KiB each) backed up at once on the local run,
# through executor local (the engine in the service's JVM) and through executor kubernetes (a Job per attempt
# in the in-memory cluster, run by the simulated kubelet as a mover process), one after the other in one run:
# time to drain, Jobs created against attempts, and the service's CPU per backup. Each half starts a fresh
# local run of its own (embedded PostgreSQL, S3Proxy, the mock cluster) with the scheduler off.
#
#   bench/jobs.sh                          # 100 storages of 200 files
#   STORAGES=20 FILES=100 bench/jobs.sh    # a shorter one
set -euo pipefail
cd "$(dirname "$0")/.."
STORAGES=${STORAGES:-100}
FILES=${FILES:-200}
JAVA_OPTS=${JAVA_OPTS:--Xmx1g}
W=${W:-/tmp/pss-jobs-bench}
rm -rf "$W"; mkdir -p "$W"
RESULTS="$W/results.tsv"; : > "$RESULTS"

. bench/backup-lib.sh
build_engine
ACP="$PWD/target/test-classes:$PWD/target/classes:$(cat target/bench-classpath.txt)"

port=54351
for executor in local kubernetes; do
  echo "== executor $executor: $STORAGES storages of $FILES files"
  mkdir -p "$W/$executor"
  LOCAL_ROOT="$W/$executor/.local" java $JAVA_OPTS -Dpss.worker.executor=$executor -DLOCAL_USAGE_EVERY=PT1H -cp "$ACP" \
    io.mlplatform.storage.LocalProjectStorageApplication --server.port=0 --LOCAL_PG_PORT=$port \
    --pss.worker.scheduler-enabled=false --pss.reconciler.resync=6h > "$W/$executor/service.log" 2>&1 &
  SVC=$!
  trap 'kill $SVC 2>/dev/null || true' EXIT
  for i in $(seq 1 240); do [ -s "$W/$executor/.local/sandbox.env" ] && break; sleep 0.5; done
  [ -s "$W/$executor/.local/sandbox.env" ] || { tail -50 "$W/$executor/service.log"; exit 1; }
  python3 bench/jobs_bench.py "$W/$executor" "$SVC" "$executor" "$STORAGES" "$FILES" "$RESULTS"
  kill $SVC; wait $SVC 2>/dev/null || true
  port=$((port + 1))
done

python3 - "$RESULTS" <<'PY'
import sys
rows = {r[0]: r for r in (line.rstrip("\n").split("\t") for line in open(sys.argv[1]))}
print("\n| executor | storages | drain s | Succeeded | attempts | Jobs seen | Job names | service JVM CPU s"
      " (JIT / request threads) | per backup | PostgreSQL CPU s | movers' CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for executor in ("local", "kubernetes"):
    r = rows.get(executor)
    if r:
        n = int(r[1])
        print("| %s | %s | %s | %s | %s | %s | %s | %s (%s / %s) | %.3f s | %s | %s |" % (
            executor, r[1], r[2], r[3], r[4], r[5] if executor == "kubernetes" else "-",
            r[6] if executor == "kubernetes" else "-", r[7], r[8], r[9], float(r[7]) / n, r[10], r[11]))
if "local" in rows and "kubernetes" in rows:
    print("\nkubernetes against local: drain %.2fx the time; the service's JVM CPU per backup %.2fx" % (
        float(rows["kubernetes"][2]) / float(rows["local"][2]), float(rows["kubernetes"][7]) / float(rows["local"][7])))
PY
