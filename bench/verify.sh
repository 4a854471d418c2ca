#!/usr/bin/env bash
# Verification benchmark (issue #18): our verification of data set B (bench/backup.sh's 20,000 x 16 KiB files)
# at dataFraction=1.0 against `restic check --read-data` of the same data, against ONE in-process S3Proxy, in
# one run. Both read every byte of the snapshot back from S3 and check every content's hash; restic also
# decrypts, which our unencrypted packs do not need.
# Ours is the engine's verification (Snapshots.verify, what the service's worker runs for
# POST …/backups/{id}:verify {"dataFraction": 1.0}) in a JVM over an embedded PostgreSQL, as bench/backup.sh
# runs the engine; the job around it (claim, lease, result row) adds a few database round trips.
# Each is timed three times: the first is a cold JVM (ours) or an empty cache (restic); the table takes the median.
# Usage: bench/verify.sh [WORKDIR]   (needs: mvn, python3, restic, /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/pss-verify-bench}
JAVA_OPTS=${JAVA_OPTS:--Xmx512m}
rm -rf "$W"; mkdir -p "$W"
. bench/backup-lib.sh
build_engine

echo "generating data set B in $W ..."
python3 bench/backup_data.py b "$W/B"
start_s3proxy "$W"
echo "S3Proxy at $EP"

export RESTIC_PASSWORD=bench AWS_ACCESS_KEY_ID=local-access-key AWS_SECRET_ACCESS_KEY=local-secret-key \
  RESTIC_CACHE_DIR="$W/restic-cache" RESTIC_REPOSITORY="s3:$EP/restic-b"
R="env -u AWS_CA_BUNDLE restic"
$R init > /dev/null
(cd "$W/B" && $R backup --host bench . > /dev/null)
echo "restic backed up B"

RESULTS="$W/results.tsv"; : > "$RESULTS"
for i in 1 2 3; do
  start=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$W/time.out" $R check --read-data > "$W/restic-check.log" 2>&1 \
    || { cat "$W/restic-check.log"; exit 1; }
  end=$(date +%s.%N)
  read -r rss user system < <(tail -1 "$W/time.out")
  printf "restic\tcheck --read-data B (%d)\t%.2f\t%d\t%.2f\n" "$i" "$(echo "$end - $start" | bc)" "$rss" \
    "$(echo "$user + $system" | bc)" | tee -a "$RESULTS"
done

BENCH_S3PROXY_PID=$S3PID /usr/bin/time -f "%M" -o "$W/engine.time" java $JAVA_OPTS -cp "$CP" $MAIN engine "$EP" \
  "$W/engine" "backup:b:1:$W/B" "verify:b:1" "verify:b:1" "verify:b:1" > "$W/engine.log" 2>&1 \
  || { tail -50 "$W/engine.log"; exit 1; }
RSS=$(tail -1 "$W/engine.time")
n=0
grep '^RESULT verify' "$W/engine.log" | while read -r _ step secs files bytes _ cpu postgres _; do
  n=$((n + 1))
  printf "engine\tverify B at 1.0 (%d)\t%s\t%s\t%s\t%s\t%s\n" "$n" "${secs#seconds=}" "$RSS" "${cpu#cpu=}" \
    "${files#files=}" "${bytes#bytes=}" | tee -a "$RESULTS"
done

median() { grep -P "^$1\t" "$RESULTS" | cut -f3 | sort -n | sed -n 2p; }
OURS=$(median engine); THEIRS=$(median restic)
echo
echo "| tool | operation | median of 3 (s) |"
echo "|---|---|---|"
echo "| engine | verify B, dataFraction=1.0 | $OURS |"
echo "| restic 0.14 | check --read-data B | $THEIRS |"
printf "ratio engine / restic: %.2f (target <= 1.0)\n" "$(echo "$OURS / $THEIRS" | bc -l)"
