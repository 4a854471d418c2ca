#!/usr/bin/env bash
# Bounded memory: backs up a tree of N tiny files (default 1,000,000 in 1,000 folders) with a 256 MiB
# heap, then backs it up again (incremental: the previous manifest streamed beside the walk).
# Usage: bench/backup-memory.sh [FILES] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
W=${2:-/tmp/pss-backup-memory}
rm -rf "$W"; mkdir -p "$W"
. bench/backup-lib.sh
build_engine
echo "creating $N files in $W/tree ..."
python3 - "$W/tree" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%04d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d" % i), "w") as f:
        f.write("file %d\n" % i)
PY
start_s3proxy "$W"
/usr/bin/time -v java -Xmx256m -Dpss.backup.pack-size=16MB -cp "$CP" $MAIN engine "$EP" "$W/engine" \
  "backup:m:1:$W/tree" "backup:m:2:$W/tree" > "$W/engine.log" 2> "$W/time.log" || { tail -40 "$W/engine.log" "$W/time.log"; exit 1; }
grep '^RESULT' "$W/engine.log"
grep -E 'Maximum resident|Elapsed' "$W/time.log"
