#!/usr/bin/env bash
# Mixed load with faults (issue #17, parts 3 and 4), the long version of FaultsUnderLoadIntegrationTests:
# CLIENTS concurrent clients across PROJECTS projects create, apply, list, resize, back up, restore,
# browse and delete storages through real HTTP for DURATION seconds, against two service instances
# on a stand of their own: one in this JVM running backups in its JVM, one in a child JVM running
# them as mover processes (EXECUTOR=process; local: in its JVM); embedded PostgreSQL and the mock
# cluster API behind TCP proxies that cut them, S3Proxy behind an HTTP proxy that fails 10% of
# requests with 500/503 and delays the others by up to 100 ms. Faults, in order: S3 (from the start
# to 80% of the run), a mover killed with -9 mid-run (EXECUTOR=process), the child instance killed
# with -9 while it holds jobs, PostgreSQL gone for DB_OUTAGE seconds, the cluster API gone for
# CLUSTER_OUTAGE seconds. Then it checks what is left (see io.mlplatform.storage.reliability.Verification) and
# prints the table bench/RESULTS.md takes; exits 1 on any finding.
#
#   bench/soak.sh                                       # the issue's run: 600 s, 50 clients, 200 projects
#   DURATION=180 CLIENTS=20 PROJECTS=60 bench/soak.sh   # a shorter one
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"

DURATION=${DURATION:-600}
CLIENTS=${CLIENTS:-50}
PROJECTS=${PROJECTS:-200}
EXECUTOR=${EXECUTOR:-process}
DB_OUTAGE=${DB_OUTAGE:-30}
CLUSTER_OUTAGE=${CLUSTER_OUTAGE:-120}

. bench/backup-lib.sh
build_engine

echo "soak: ${DURATION}s, $CLIENTS clients, $PROJECTS projects, executor $EXECUTOR (log: $OUT/soak.log)"
status=0
java -Xmx2g -cp "$CP" io.mlplatform.storage.reliability.Soak "$DURATION" "$CLIENTS" "$PROJECTS" "$EXECUTOR" \
  "$DB_OUTAGE" "$CLUSTER_OUTAGE" "$OUT/soak-report.md" >"$OUT/soak.log" 2>&1 || status=$?
grep '^\[faults-under-load' "$OUT/soak.log" || true
{
  echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores;" \
    "command: DURATION=$DURATION CLIENTS=$CLIENTS PROJECTS=$PROJECTS EXECUTOR=$EXECUTOR DB_OUTAGE=$DB_OUTAGE CLUSTER_OUTAGE=$CLUSTER_OUTAGE bench/soak.sh"
  echo
  cat "$OUT/soak-report.md" 2>/dev/null || echo "no report: see $OUT/soak.log"
} | tee "$OUT/soak-results.md"
exit $status
