#!/usr/bin/env bash
# Incremental backups (C) in one warm JVM: B once, then N-1 backups of it, each after a new 1% change,
# with the engine process's CPU and its JIT compiler's CPU around each one. Shows what a C costs once
# the service has been running for a while, and its phases (from the engine's log line).
# Usage: bench/backup-incremental.sh [N=40] [FROM=20] [WORKDIR]   (summary over backups FROM..N)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}
FROM=${2:-20}
W=${3:-/tmp/pss-backup-incremental}
rm -rf "$W"; mkdir -p "$W"
. bench/backup-lib.sh
build_engine
python3 bench/backup_data.py b "$W/B"
start_s3proxy "$W"
STEPS=("backup:b:1:$W/B")
for i in $(seq 2 "$N"); do
  STEPS+=("exec:python3 bench/backup_data.py mutate $W/B $((100 + i))" "exec:sync" "exec:bench/jvm-cpu.sh before$i"
    "backup:b:$i:$W/B" "exec:bench/jvm-cpu.sh after$i")
done
java ${JAVA_OPTS:--Xmx512m} -cp "$CP" $MAIN engine "$EP" "$W/engine" "${STEPS[@]}" > "$W/engine.log" 2>&1 \
  || { tail -40 "$W/engine.log"; exit 1; }
python3 - "$W/engine.log" "$FROM" "$(getconf CLK_TCK)" <<'PY'
import re, statistics, sys
log, first, tick = sys.argv[1], int(sys.argv[2]), 1000 / int(sys.argv[3])
cpu, rows = {}, []
for line in open(log):
    m = re.match(r"CPU (before|after)(\d+) (\d+) (\d+)", line)
    if m:
        cpu[(m.group(1), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)))
    m = re.search(r"Backup (\d+) of storage b .* in (\d+) ms \(previous snapshot (\d+) ms, walk and content (\d+) ms, manifest (\d+) ms(?:; (\d+) of its (\d+) parts copied)?\)", line)
    if m:
        rows.append([int(g or 0) for g in m.groups()])
print("backup  total ms  previous  walk  manifest  JVM CPU ms  JIT CPU ms  manifest parts copied")
picked = []
for n, total, prev, walk, manifest, copied, parts in rows:
    if n < 2 or ("after", n) not in cpu:
        continue
    b, a = cpu[("before", n)], cpu[("after", n)]
    row = (total, prev, walk, manifest, (a[0] - b[0]) * tick, (a[1] - b[1]) * tick)
    print("%6d  %8d  %8d  %4d  %8d  %10.0f  %10.0f  %d of %d" % ((n,) + row + (copied, parts)))
    if n >= first:
        picked.append(row)
if picked:
    med = [statistics.median(col) for col in zip(*picked)]
    print("median of backups %d..%d: %.0f ms (previous %.0f, walk %.0f, manifest %.0f); JVM CPU %.0f ms, JIT %.0f ms"
          % ((first, rows[-1][0]) + tuple(med)))
PY
