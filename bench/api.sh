#!/usr/bin/env bash
# Read performance of the API (issue #2), against the local run, side by side in one run with
# pgbench select-only on the same PostgreSQL as the ceiling.
#
#   bench/api.sh                 # starts the local run if it is not up, loads the data once, measures
#   DURATION=30 bench/api.sh     # longer measurements
#
# Data: 1,000 projects and 100,000 storages written through the API (bench/load.py). Measured with
# wrk: GET of one storage, and page 1 vs page 1,000 (50 per page) of the project with 50,050 storages.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20}
# The JIT needs about two minutes of load on 2 cores before figures settle (C2 competes with the
# server for the same cores); the first endpoint warms the shared stack, the others warm their own path.
WARMUP=${WARMUP:-120}
WARMUP_NEXT=${WARMUP_NEXT:-30}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-2}
OUT=bench/out
mkdir -p "$OUT"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }

url=${PSS_URL:-http://localhost:8080}
if ! curl -sf -o /dev/null "$url/actuator/health"; then
  echo "starting the local run (log: $OUT/local-run.log)"
  rm -f .local/sandbox.env
  nohup mvn -B -q spring-boot:test-run >"$OUT/local-run.log" 2>&1 &
  for _ in $(seq 1 180); do [ -f .local/sandbox.env ] && break; sleep 1; done
fi
# shellcheck disable=SC1091
. .local/sandbox.env
curl -sf -o /dev/null "$PSS_URL/actuator/health"

storages=$(psql -qtAX -c "select count(*) from storages where deleted_at is null" 2>/dev/null || echo 0)
if [ "$storages" -lt 100000 ]; then
  python3 bench/load.py "$PSS_URL" | tee "$OUT/load.txt"
fi
load=$(cat "$OUT/load.txt" 2>/dev/null || echo "loaded earlier")

one="$PSS_URL/api/v1/projects/p-0500/storages/s-00025"
page1="$PSS_URL/api/v1/projects/big/storages?pageSize=50"
token=$(python3 bench/page_token.py "$page1" 1000)
page1000="$page1&pageToken=$token"
[ "$(curl -s -H "Authorization: Bearer $PSS_TOKEN" "$page1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" = 50 ]

# CPU time (clock ticks) of the service's JVM and of the PostgreSQL server (postmaster, its live
# backends, and the backends it has reaped): where each request's cost goes on the shared cores.
service_pid=$(ss -ltnpH "sport = :${PSS_URL##*:}" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
postmaster_pid=$(head -1 .local/postgres/postmaster.pid)
ticks() { awk '{print $14 + $15}' "/proc/$service_pid/stat"; }
pg_ticks() {
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster_pid/stat"
    for child in $(pgrep -P "$postmaster_pid"); do awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null; done
  } | awk '{sum += $1} END {print sum}'
}
per_request() { python3 -c "print(round(($2 - $1) / $(getconf CLK_TCK) / $3 * 1e6))"; } # before after count -> µs

measure() { # name url warm-up-seconds -> "rps p50 p99 service-µs/request postgres-µs/request"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${3}s" -H "Authorization: Bearer $PSS_TOKEN" "$2" >/dev/null # warm-up: JIT, caches
  local service_before pg_before
  service_before=$(ticks); pg_before=$(pg_ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $PSS_TOKEN" "$2" >"$OUT/wrk-$1.txt"
  local count
  count=$(awk '/requests in/ {print $1}' "$OUT/wrk-$1.txt")
  echo "$(awk '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print rps, p50, p99}' "$OUT/wrk-$1.txt")" \
    "$(per_request "$service_before" "$(ticks)" "$count")" "$(per_request "$pg_before" "$(pg_ticks)" "$count")"
}
read -r one_rps one_p50 one_p99 one_cpu one_pg < <(measure get-one "$one" "$WARMUP")
read -r p1_rps p1_p50 p1_p99 p1_cpu p1_pg < <(measure page-1 "$page1" "$WARMUP_NEXT")
read -r p1000_rps p1000_p50 p1000_p99 p1000_cpu p1000_pg < <(measure page-1000 "$page1000" "$WARMUP_NEXT")
# The floor of the stack itself: the same Tomcat, filter chain (the same bearer token is sent and
# checked) and MVC dispatch, with no database and a 15-byte body. GET one storage lies below it.
read -r floor_rps floor_p50 floor_p99 floor_cpu floor_pg < <(measure floor "$PSS_URL/actuator/health/liveness" "$WARMUP_NEXT")

psql -qtAX -c "select 1 from pg_database where datname = 'pgbench'" | grep -q 1 || psql -qX -c "create database pgbench"
PGDATABASE=pgbench pgbench -q -i -s 10 >/dev/null 2>&1
PGDATABASE=pgbench pgbench -S -n -c "$CONNECTIONS" -j "$THREADS" -T 5 >/dev/null 2>&1 # warm-up
pg_before=$(pg_ticks)
PGDATABASE=pgbench pgbench -S -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" >"$OUT/pgbench.txt" 2>&1
sleep 1 # the postmaster reaps the benchmark's backends, and counts their CPU, once they have exited
pg_tps=$(awk '/^tps/ {print $3; exit}' "$OUT/pgbench.txt")
pg_count=$(awk '/number of transactions actually processed/ {split($NF, n, "/"); print n[1]}' "$OUT/pgbench.txt")
pgbench_pg=$(per_request "$pg_before" "$(pg_ticks)" "$pg_count")

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
get_vs_pg=$(ratio "$one_rps" "$pg_tps")
floor_vs_pg=$(ratio "$floor_rps" "$pg_tps")
deep_cost=$(ratio "$p1_rps" "$p1000_rps")
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }

cat <<TABLE | tee "$OUT/api-results.md"
Run: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s after a warm-up of the same load (${WARMUP}s first, ${WARMUP_NEXT}s each next), pgbench -S -c$CONNECTIONS -j$THREADS -T$DURATION (scale 10), all on this machine.
Data: $load

| measurement | requests/s | p50 | p99 | service CPU µs/request | PostgreSQL CPU µs/request |
|---|---:|---:|---:|---:|---:|
| pgbench select-only (ceiling) | $pg_tps | | | | $pgbench_pg |
| GET one storage | $one_rps | $one_p50 | $one_p99 | $one_cpu | $one_pg |
| list page 1 (50 storages) | $p1_rps | $p1_p50 | $p1_p99 | $p1_cpu | $p1_pg |
| list page 1,000 (50 storages) | $p1000_rps | $p1000_p50 | $p1000_p99 | $p1000_cpu | $p1000_pg |
| stack floor: GET /actuator/health/liveness (same token, no database) | $floor_rps | $floor_p50 | $floor_p99 | $floor_cpu | $floor_pg |

| target | measured | verdict |
|---|---:|---|
| GET one storage ≥ 30% of pgbench select-only | $get_vs_pg × | $(verdict "$get_vs_pg >= 0.30") |
| (reference) stack floor ÷ pgbench select-only | $floor_vs_pg × | |
| page 1,000 costs ≤ 1.2× page 1 (page-1 rps ÷ page-1,000 rps) | $deep_cost × | $(verdict "$deep_cost <= 1.2") |
TABLE
