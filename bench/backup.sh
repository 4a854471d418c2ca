#!/usr/bin/env bash
# Backup engine benchmark (issue #4): our engine, rclone and restic against ONE in-process S3Proxy.
#   A = 8 x 128 MiB files; B = 20,000 x 16 KiB files in nested folders; C = B after changing 1% of it.
# Every tool backs up and restores the same data in the same run; figures are whole-operation wall
# times. "uploaded" is the growth of S3Proxy's bucket folders on disk; "peak RSS" from /usr/bin/time;
# CPU is each tool's own (the engine's JVM plus its PostgreSQL) and S3Proxy's while it served that step.
# Every tool warms S3Proxy up first, untimed, so none meets a colder server than another.
# Usage: bench/backup.sh [WORKDIR]   (needs: mvn, python3, rclone, restic, /usr/bin/time)
#   TOOLS="mover restic" runs only some of engine, mover, rclone, restic (default: all four, as the table wants)
#   WARM_FILES=N sizes the mover step's warm-up of the service (three backups of N new files; default 20000)
#   WARM_REQUESTS=N public API calls in that warm-up (default 2000): a replica that has answered more, as one
#   serving clients has, is warmer
#   REPEAT_B=N backs up B N more times after the mover's steps, each in a project of its own, and prints the
#   service's CPU for each (not tabled): how its share settles in a replica that has served movers for longer
#   MOVER_AOT=1 runs each mover as the image does (Dockerfile): on Temurin 25, from the layout and with the
#   AOT cache (JEP 483/514/515: classes loaded and linked, method profiles) that docker/mover-build.sh
#   makes, trained by MoverTraining; otherwise the service starts movers on its own JVM (the local run's way)
#   MOVER_JDK=/path/to/bin/java runs each mover on that java without a cache (Java 25 alone against MOVER_AOT=1)
#   SERVICE_JDK=/path/to/bin/java runs the service on that java (the image runs it on Temurin 25 too)
#   REPEAT_RESTORE=N restores B N more times through the mover, each paired with a restic restore of B run
#   right before or after it (alternating), and prints each pair's ratio: this machine's file creations cost
#   from 16 to over 300 us of CPU each within minutes (bench/RESULTS.md), so a restore compared with one run
#   minutes apart may meet another file system than its peer did
#   REPEAT_BACKUP=N backs up B N more times through the mover, each in a project of its own, paired with a restic
#   backup of B into a repository of its own run right before or after it (alternating), and prints each pair's
#   ratio, for the same reason
#   REPEAT_INCREMENTAL=N backs up B whole once more through the mover and with restic, then N times changes 1% of B
#   (as C does) and backs up that change through the mover and with restic, one right after the other (alternating)
#   SERVICE_OPTS sets the service's JVM options (default -Xms512m -Xmx512m: its heap fixed, as k8s/configmap.yaml
#   fixes it; a heap G1 may shrink started a concurrent marking cycle in each of the mover's backups)
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/pss-backup-bench}
JAVA_OPTS=${JAVA_OPTS:--Xmx512m}   # e.g. add -Dpss.backup.s3.checksum=when-required
rm -rf "$W"; mkdir -p "$W"
. bench/backup-lib.sh
build_engine

echo "generating data sets in $W ..."
python3 bench/backup_data.py a "$W/A"
python3 bench/backup_data.py b "$W/B"

start_s3proxy "$W"
echo "S3Proxy at $EP"

export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_ENDPOINT="$EP" \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=local-access-key RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=local-secret-key \
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true RCLONE_CONFIG_BENCH_REGION=us-east-1
RC="env -u AWS_CA_BUNDLE rclone --transfers 16 --checkers 16"
export RESTIC_PASSWORD=bench AWS_ACCESS_KEY_ID=local-access-key AWS_SECRET_ACCESS_KEY=local-secret-key \
  RESTIC_CACHE_DIR="$W/restic-cache"
R="env -u AWS_CA_BUNDLE restic"

# ---- warm-up, not timed. S3Proxy is a JVM as well: cold, it spent 6.5-7.1 core-s storing A against 5.3-5.7
# warm, on the same 2 cores as the tool it serves, so whichever tool went first met a colder server.
# Each tool now backs up and restores a small set (2 of A's files, 2 of B's 20 folders) into a bucket or
# project of its own before anything is timed. The engine's warm-up runs in a JVM of its own: its timed JVM
# still starts cold, and round 1 below is still that JVM's first backups.
WARMUP="$W/warmup"; mkdir -p "$WARMUP/set"
cp "$W/A/big0.bin" "$W/A/big1.bin" "$WARMUP/set/"; cp -r "$W/B/d00" "$W/B/d01" "$WARMUP/set/"
echo "== warm-up (not timed)"
java $JAVA_OPTS -cp "$CP" $MAIN engine "$EP" "$WARMUP/engine" "backup:warmup/set:1:$WARMUP/set" \
  "restore:warmup/set:1:$WARMUP/restore-engine" > "$WARMUP/engine.log" 2>&1 || { tail -50 "$WARMUP/engine.log"; exit 1; }
$RC mkdir bench:rclone-warmup
$RC copy "$WARMUP/set" bench:rclone-warmup/set && $RC copy bench:rclone-warmup/set "$WARMUP/restore-rclone"
(export RESTIC_REPOSITORY="s3:$EP/restic-warmup"; cd "$WARMUP/set"
  $R init > /dev/null
  $R backup --host bench . > /dev/null
  $R restore latest --target "$WARMUP/restore-restic" > /dev/null)
rm -rf "$WARMUP"

RESULTS="$W/results.tsv"; : > "$RESULTS"
bucket_bytes() { du -sb "$W/s3/$1" 2>/dev/null | cut -f1 || echo 0; }
# S3Proxy's CPU seconds so far (utime + stime of its JVM, in clock ticks of 1/100 s)
s3proxy_cpu() { awk '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$S3PID/stat"; }
# timed TOOL OP BUCKET CMD...: wall time, bytes added to the bucket, peak RSS, the tool's CPU, S3Proxy's CPU
timed() {
  local tool=$1 op=$2 bucket=$3; shift 3
  local before; before=$(bucket_bytes "$bucket")
  sync
  local s3before; s3before=$(s3proxy_cpu)
  local start; start=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$W/time.out" "$@" > "$W/last.log" 2>&1 || { cat "$W/last.log"; exit 1; }
  local end; end=$(date +%s.%N)
  local s3after; s3after=$(s3proxy_cpu)
  local after; after=$(bucket_bytes "$bucket")
  read -r rss user system < <(tail -1 "$W/time.out")
  printf "%s\t%s\t%.2f\t%d\t%d\t%.2f\t%.2f\n" "$tool" "$op" "$(echo "$end - $start" | bc)" $((after - before)) "$rss" \
    "$(echo "$user + $system" | bc)" "$(echo "$s3after - $s3before" | bc)" >> "$RESULTS"
  tail -1 "$RESULTS"
}

# ---- our engine: one JVM runs every step (JVM and embedded Postgres start are not in the step times).
# Round 1 is the JVM's first backups. Rounds 2 and 3 repeat A, B and C in the same JVM, each in a project of
# its own (so nothing of an earlier round is reused), as a service that has run backups before does them;
# their C is the median of three incremental backups, each after another 1% of B was rewritten with new
# content. Between rounds 2 and 3 the JVM runs WARM more backups of B in a project of their own, the first
# full and the rest incremental (not in the table): round 3 is a service that has been backing up for a
# while, its JIT compiler mostly done.
# "ceiling B" PUTs B's bytes as packs, as many at once as the engine does, with nothing else: the floor.
want() { [[ " ${TOOLS:-engine mover rclone restic} " == *" $1 "* ]]; }
WARM=${WARM:-20}
if want engine; then
echo "== engine"
STEPS=("backup:a:1:$W/A" "restore:a:1:$W/restore-engine-A"
  "backup:b:1:$W/B" "restore:b:1:$W/restore-engine-B"
  "exec:python3 bench/backup_data.py mutate $W/B" "backup:b:2:$W/B")
round() {  # round N FIRST_SEED
  STEPS+=("exec:rm -rf $W/restore-engine-B" "backup:round$1/b:1:$W/B" "restore:round$1/b:1:$W/restore-engine-B")
  for i in 2 3 4; do STEPS+=("exec:python3 bench/backup_data.py mutate $W/B $(($2 + i))" "backup:round$1/b:$i:$W/B"); done
  # A last: a B right after A's 2 GiB of backup and restore took 3.1-3.2 s where it took 1.6-1.9 s otherwise
  STEPS+=("exec:rm -rf $W/restore-engine-A" "backup:round$1/a:1:$W/A" "restore:round$1/a:1:$W/restore-engine-A")
}
round 2 2
for i in $(seq 1 "$WARM"); do STEPS+=("exec:python3 bench/backup_data.py mutate $W/B $((100 + i))" "backup:warm/b:$i:$W/B"); done
round 3 200
STEPS+=("ceiling:$W/B")
# every timed step, of every tool, starts with nothing left for the kernel to write back
SYNCED=(); for s in "${STEPS[@]}"; do case "$s" in exec:*) SYNCED+=("$s");; *) SYNCED+=("exec:sync" "$s");; esac; done
BENCH_S3PROXY_PID=$S3PID /usr/bin/time -f "%M" -o "$W/engine.time" java $JAVA_OPTS -cp "$CP" $MAIN engine "$EP" "$W/engine" "${SYNCED[@]}" \
  > "$W/engine.log" 2>&1 || { tail -50 "$W/engine.log"; exit 1; }
RSS=$(tail -1 "$W/engine.time")
grep '^RESULT' "$W/engine.log" | while read -r _ step secs files bytes uploaded cpu postgres s3proxy; do
  case "$step" in
    backup:a:1:*) op="backup A";; restore:a:1:*) op="restore A";;
    backup:b:1:*) op="backup B";; restore:b:1:*) op="restore B";; backup:b:2:*) op="backup C";;
    backup:round?/a:1:*) r=${step#backup:round}; op="backup A, round ${r%%/*}";;
    restore:round?/a:1:*) r=${step#restore:round}; op="restore A, round ${r%%/*}";;
    backup:round?/b:1:*) r=${step#backup:round}; op="backup B, round ${r%%/*}";;
    restore:round?/b:1:*) r=${step#restore:round}; op="restore B, round ${r%%/*}";;
    backup:round?/b:*) r=${step#backup:round}; n=${r#*/b:}; op="backup C, round ${r%%/*} #${n%%:*}";;
    ceiling:*) op="ceiling B";;
    *) continue;;
  esac
  # the engine's CPU is its JVM's and its PostgreSQL's: the index is part of the engine
  printf "engine\t%s\t%s\t%s\t%s\t%s\t%s\n" "$op" "${secs#seconds=}" "${uploaded#uploaded=}" "$RSS" \
    "$(echo "${cpu#cpu=} + ${postgres#postgres=}" | bc)" "${s3proxy#s3proxy=}" >> "$RESULTS"
done
if cmp -s <(cd "$W/A" && find . -type f -exec sha256sum {} + | sort) <(cd "$W/restore-engine-A" && find . -type f -exec sha256sum {} + | sort); then
  echo "engine restore A identical (round 3)"
else
  echo "engine restore A differs from A"; exit 1
fi
rm -rf "$W/restore-engine-A" "$W/restore-engine-B" "$W/B"; python3 bench/backup_data.py b "$W/B"
fi

# ---- the mover (issue #15): the service (the local run's code, on this S3Proxy, executor process) hands each
# backup and restore to a fresh mover process, as every Kubernetes Job will be: a cold JVM each time, so its
# peers are restic and rclone as they are. Times run from the API request to the job's end, so they include
# the queue, the process's start and its claim. The mover's peak RSS and CPU come from /usr/bin/time around
# it; the service's CPU (its JVM and PostgreSQL) is measured over the same step.
MOVER_EXTRA="$W/mover-extra.tsv"; : > "$MOVER_EXTRA"
if want mover; then
echo "== mover"
export RESTIC_PAIR="s3:$EP/restic-pair"
if [ "${REPEAT_RESTORE:-0}" -gt 0 ]; then
  # B as restic stores it, untimed, for the paired restores (B is unchanged yet)
  (export RESTIC_REPOSITORY="$RESTIC_PAIR"; cd "$W/B" && $R init > /dev/null && $R backup --host bench . > /dev/null)
fi
mkdir -p "$W/svc" "$W/mover-time"
$RC mkdir bench:bench-mover
ACP="$PWD/target/test-classes:$PWD/target/classes:$(cat target/bench-classpath.txt)"
# MOVER_JDK: the java the movers run on (default the service's), to tell a JDK's share from an AOT cache's
MOVER_JAVA=${MOVER_JDK:-java}
MOVER_ARGS=""
if [ -n "${MOVER_AOT:-}" ]; then
  # the mover as the image starts it (Dockerfile): laid out and its cache trained by docker/mover-build.sh,
  # on Temurin 25, with the image's class path (java.args) in place of the one the service passes
  J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin
  docker/mover-build.sh layout target/classes "$(cat target/bench-classpath.txt)" "$W/image/mover"
  PATH="$J25:$PATH" docker/mover-build.sh train "$W/image/mover"
  MOVER_JAVA="$J25/java"
  MOVER_ARGS="@$W/image/mover/java.args -XX:AOTCache=$W/image/mover/mover.aot"
fi
cat > "$W/mover.sh" <<SH
#!/usr/bin/env bash
# the service passes the mover JVM's options (its heap sized from the engine's settings) in JDK_JAVA_OPTIONS
# and its lean class path in CLASSPATH
exec /usr/bin/time -f "%M %U %S" -o "$W/mover-time/\$PSS_MOVER_RUN" $MOVER_JAVA $MOVER_ARGS ${MOVER_OPTS:-} io.mlplatform.storage.mover.Mover
SH
chmod +x "$W/mover.sh"
# SERVICE_JDK: the java the service runs on (default the machine's); the image runs it on Temurin 25 as well
LOCAL_ROOT="$W/svc/.local" ${SERVICE_JDK:-java} ${SERVICE_OPTS:--Xms512m -Xmx512m} -DLOCAL_USAGE_EVERY=PT1H -cp "$ACP" io.mlplatform.storage.LocalProjectStorageApplication --server.port=0 \
  --LOCAL_PG_PORT=54339 --pss.backup.s3.endpoint="$EP" --pss.backup.s3.bucket=bench-mover \
  --pss.worker.executor=process --pss.mover.keep-logs=true --pss.mover.command[0]="$W/mover.sh" \
  --pss.worker.scheduler-enabled=false --pss.reconciler.resync=6h > "$W/service.log" 2>&1 &
SVC=$!
trap 'kill $S3PID $SVC 2>/dev/null || true' EXIT
for i in $(seq 1 240); do [ -s "$W/svc/.local/sandbox.env" ] && break; sleep 0.5; done
[ -s "$W/svc/.local/sandbox.env" ] || { tail -50 "$W/service.log"; exit 1; }
python3 bench/mover_bench.py "$W" "$S3PID" "$SVC" "$RESULTS" "$MOVER_EXTRA"
kill $SVC; wait $SVC 2>/dev/null || true
rm -rf "$W/B"; python3 bench/backup_data.py b "$W/B"
if cmp -s <(cd "$W/B" && find . -type f -exec sha256sum {} + | sort) \
    <(cd "$W/svc/.local/shares/bench/b" && find . -type f -exec sha256sum {} + | sort); then
  echo "mover restore B identical"
else
  echo "mover restore B differs from B"; exit 1
fi
rm -rf "$W/svc/.local/shares"
fi

# ---- rclone copy
if want rclone; then
echo "== rclone"
$RC mkdir bench:rclone-bench
timed rclone "backup A" rclone-bench $RC copy "$W/A" bench:rclone-bench/A
timed rclone "restore A" rclone-bench $RC copy bench:rclone-bench/A "$W/restore-rclone-A"
timed rclone "backup B" rclone-bench $RC copy "$W/B" bench:rclone-bench/B
timed rclone "restore B" rclone-bench $RC copy bench:rclone-bench/B "$W/restore-rclone-B"
python3 bench/backup_data.py mutate "$W/B"
timed rclone "backup C" rclone-bench $RC copy "$W/B" bench:rclone-bench/B
# the machine's floor for B as one stream: the whole tree as a single tar object
timed rclone "ceiling B" rclone-bench sh -c "tar -C '$W/B' -cf - . | $RC rcat bench:rclone-bench/B.tar"
rm -rf "$W/restore-rclone-A" "$W/restore-rclone-B" "$W/B"; python3 bench/backup_data.py b "$W/B"
fi

# ---- restic backup
if want restic; then
echo "== restic"
export RESTIC_REPOSITORY="s3:$EP/restic-bench"
$R init > /dev/null
(cd "$W/A" && timed restic "backup A" restic-bench $R backup --tag a --host bench .)
timed restic "restore A" restic-bench $R restore latest --tag a --target "$W/restore-restic-A"
(cd "$W/B" && timed restic "backup B" restic-bench $R backup --tag b --host bench .)
timed restic "restore B" restic-bench $R restore latest --tag b --target "$W/restore-restic-B"
python3 bench/backup_data.py mutate "$W/B"
(cd "$W/B" && timed restic "backup C" restic-bench $R backup --tag b --host bench .)
fi

# ---- the table
python3 - "$RESULTS" "$WARM" "$MOVER_EXTRA" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
# (seconds, bytes uploaded, peak RSS KiB, the tool's CPU s, S3Proxy's CPU s)
t = {(r[0], r[1]): (float(r[2]), int(r[3]), int(r[4]), float(r[5]), float(r[6])) for r in rows}
work = {"backup A": ("MB/s", 1024), "restore A": ("MB/s", 1024), "backup B": ("files/s", 20000),
        "restore B": ("files/s", 20000), "backup C": ("files/s", 20000)}
print("| operation | engine s | rclone s | restic s | engine rate | speed-up vs rclone | speed-up vs restic | uploaded engine / rclone / restic (MiB) | peak RSS engine / rclone / restic (MiB) |")
print("|---|---|---|---|---|---|---|---|---|")
for op, (unit, amount) in work.items():
    e, r, s = t.get(("engine", op)), t.get(("rclone", op)), t.get(("restic", op))
    if not e:
        continue
    rate = amount / e[0]
    def ratio(p):
        return "%.2fx" % (p[0] / e[0]) if p else "-"
    def mib(p, i):
        return "%.0f" % (p[i] / 1048576) if p else "-"
    print("| %s | %.2f | %s | %s | %.0f %s | %s | %s | %s / %s / %s | %s / %s / %s |" % (
        op, e[0], "%.2f" % r[0] if r else "-", "%.2f" % s[0] if s else "-", rate, unit, ratio(r), ratio(s),
        mib(e, 1), mib(r, 1), mib(s, 1), "%.0f" % (e[2] / 1024), "%.0f" % (r[2] / 1024) if r else "-",
        "%.0f" % (s[2] / 1024) if s else "-"))
for n in (2, 3):
    cs = sorted(v for (tool, op), v in t.items() if tool == "engine" and op.startswith("backup C, round %d #" % n))
    if not cs:
        continue
    t[("engine", "backup C, round %d" % n)] = cs[len(cs) // 2]
    print("\nRound %d, the same JVM again (a project of its own; C is the median of %d incremental backups%s):\n"
          % (n, len(cs), "; after %d more backups of B, the first full" % int(sys.argv[2]) if n == 3 else ""))
    print("| operation | engine s | engine rate | speed-up vs rclone | speed-up vs restic |")
    print("|---|---|---|---|---|")
    for op, (unit, amount) in work.items():
        e, r, s = t.get(("engine", op + ", round %d" % n)), t.get(("rclone", op)), t.get(("restic", op))
        if e:
            print("| %s | %.2f | %.0f %s | %s | %s |" % (op, e[0], amount / e[0], unit,
                  "%.2fx" % (r[0] / e[0]) if r else "-", "%.2fx" % (s[0] / e[0]) if s else "-"))
print("\nCPU seconds of each operation: the tool's own (the engine's JVM with its PostgreSQL) + S3Proxy's while"
      " serving it. On these 2 cores, half their sum is the least wall time that CPU allows.\n")
print("| operation | engine | rclone | restic |")
print("|---|---|---|---|")
def cpu(p):
    return "%.1f + %.1f (%.2f s)" % (p[3], p[4], (p[3] + p[4]) / 2) if p else "-"
for name in ("", ", round 2", ", round 3"):
    for op in work:
        e = t.get(("engine", op + name))
        if e:
            peers = (t.get(("rclone", op)), t.get(("restic", op))) if not name else (None, None)
            print("| %s%s | %s | %s | %s |" % (op, name, cpu(e), cpu(peers[0]), cpu(peers[1])))
print()
for name in ("", ", round 2", ", round 3"):
    eb, ec = t.get(("engine", "backup B" + name)), t.get(("engine", "backup C" + name))
    if eb and ec:
        print("engine backup C / backup B time%s: %.1f%%" % (name or ", round 1", 100 * ec[0] / eb[0]))
if any(tool == "mover" for tool, _ in t):
    extra = {r[0]: r[1:] for r in (l.rstrip("\n").split("\t") for l in open(sys.argv[3]) if l.strip())}
    print("\nThe mover: a fresh process per run, started by the service (from the API request to the job's end):\n")
    print("| operation | mover s | restic s | rclone s | mover vs restic | mover vs rclone | peak RSS mover / restic (MiB) |"
          " mover API calls | S3 requests | first byte to S3 / first object stored (ms after start) | service JVM CPU / mover CPU |"
          " of it JIT / request threads / GC | service JVM without JIT | service's PostgreSQL CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for op in ("backup B", "backup C", "restore B", "backup A"):
        m, r, s = t.get(("mover", op)), t.get(("rclone", op)), t.get(("restic", op))
        if not m:
            continue
        calls, requests, first, service, jit, handling, gc, database, mover = extra[op]
        service, jit, handling, gc, database, mover = map(float, (service, jit, handling, gc, database, mover))
        print("| %s | %.2f | %s | %s | %s | %s | %.0f / %s | %s | %s | %s | %.2f / %.2f s (%.1f%%) |"
              " %.2f / %.2f (%.1f%%) / %.2f s | %.2f s (%.1f%%) | %.2f s (%.1f%%) |" % (
            op, m[0], "%.2f" % s[0] if s else "-", "%.2f" % r[0] if r else "-",
            "%.2fx" % (s[0] / m[0]) if s else "-", "%.2fx" % (r[0] / m[0]) if r else "-",
            m[2] / 1024, "%.0f" % (s[2] / 1024) if s else "-", calls, requests, first, service, mover,
            100 * service / mover, jit, handling, 100 * handling / mover, gc, service - jit,
            100 * (service - jit) / mover, database, 100 * database / mover))
ce, cr, sb = t.get(("engine", "ceiling B")), t.get(("rclone", "ceiling B")), t.get(("restic", "backup B"))
if ce and cr and sb:
    print("\nceiling for B: its bytes PUT as packs by our client %.2f s; one tar stream through rclone rcat %.2f s;"
          " 3x restic's B would be %.2f s" % (ce[0], cr[0], sb[0] / 3))
PY
