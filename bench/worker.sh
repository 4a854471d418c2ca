#!/usr/bin/env bash
# Scheduled worker (issue #6) on the local run's PostgreSQL and S3:
#   (a) 10,000 storages whose schedules fall due at once: time until all are Queued, and none twice,
#       with 1 and with 3 service instances ticking the scheduler;
#   (b) 1,000 small backups (one file each) drained by 1 and by 3 worker instances.
#
#   bench/worker.sh                              # starts the local run if it is not up (worker off), measures
#   SERVER_PORT=18080 LOCAL_PG_PORT=54339 bench/worker.sh   # beside another local run
#
# The instances are io.mlplatform.storage.backup.WorkerFleet: each has a replica's own engine, pools,
# S3 client and connection pool and the service's default settings, all in one JVM beside the local
# run. The local run is started with its own worker, scheduler and reconciler off, so the instance
# count is exact (a local run already up must have been started so: see below).
# Data: 100 projects (wb-001 … wb-100) × 100 storages, inserted with SQL once (real rows: the API
# lists them, Ready); round (b) uses the first 1,000 of them with a new small file each round.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"

port=${SERVER_PORT:-8080}
url="http://localhost:$port"
if ! curl -sf -o /dev/null "$url/actuator/health"; then
  echo "starting the local run on port $port (log: $OUT/worker-local-run.log)"
  rm -f .local/sandbox.env
  SERVER_PORT=$port PSS_WORKER_ENABLED=false PSS_WORKER_SCHEDULER_ENABLED=false PSS_RECONCILER_ENABLED=false \
    nohup mvn -B -q spring-boot:test-run >"$OUT/worker-local-run.log" 2>&1 &
  for _ in $(seq 1 300); do [ -f .local/sandbox.env ] && break; sleep 1; done
fi
# shellcheck disable=SC1091
. .local/sandbox.env
[ "$PSS_URL" = "$url" ] || { echo "sandbox.env is for $PSS_URL, not $url: another local run wrote it" >&2; exit 1; }
curl -sf -o /dev/null "$PSS_URL/actuator/health"

. bench/backup-lib.sh
build_engine

projects=$(psql -qtAX -c "select count(*) from projects where name like 'wb-%'")
if [ "$projects" -lt 100 ]; then
  echo "inserting 100 projects with 100 storages each"
  start=$(date +%s.%N)
  psql -qX -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
INSERT INTO projects (id, name, namespace, created_at, updated_at, version)
SELECT gen_random_uuid(), 'wb-' || lpad(p::text, 3, '0'), 'wb-' || lpad(p::text, 3, '0'), now(), now(), 0
FROM generate_series(1, 100) p;
INSERT INTO quotas (project_id, updated_at, version) SELECT id, now(), 0 FROM projects WHERE name LIKE 'wb-%';
-- as the operator reports a provisioned storage: Ready for generation 1
INSERT INTO storages (id, project_id, name, cluster, capacity_bytes, access_mode, backup_enabled, backup_schedule,
    backup_time_zone, backup_before_delete, lifecycle, generation, phase, sync_state, observed_generation,
    created_at, updated_at, version, next_backup_at)
SELECT gen_random_uuid(), p.id, 's-' || lpad(s::text, 4, '0'), 'local', 1073741824, 'ReadWriteMany', true,
    '0 3 * * *', 'UTC', false, 'Active', 1, 'Ready', 'Synced', 1, now(), now(), 0, now() + interval '1 day'
FROM projects p, generate_series(1, 100) s WHERE p.name LIKE 'wb-%';
COMMIT;
SQL
  echo "inserted in $(echo "$(date +%s.%N) - $start" | bc) s"
fi
shown=$(curl -sf -H "Authorization: Bearer $PSS_TOKEN" "$PSS_URL/api/v1/projects/wb-100/storages/s-0100" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[ "$shown" = Ready ] || { echo "the API shows wb-100/s-0100 as $shown" >&2; exit 1; }

fleet() { java -Xmx1g -cp "$CP" io.mlplatform.storage.backup.WorkerFleet "$@" 2>"$OUT/worker-fleet.err" | grep '^BENCH' | tee -a "$OUT/worker-bench.txt"; }
: > "$OUT/worker-bench.txt"
fleet schedule 1
fleet schedule 3
fleet drain 1
fleet drain 3

field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"$1"; }
row_schedule() {
  local line; line=$(grep "BENCH schedule instances=$1 " "$OUT/worker-bench.txt")
  printf '| 10,000 storages due at once → all `Queued`, %s instance(s) ticking | %s s | %s backups, %s distinct storages |\n' \
    "$1" "$(field "$line" seconds)" "$(field "$line" queued)" "$(field "$line" distinct)"
}
row_drain() {
  local line; line=$(grep "BENCH drain instances=$1 " "$OUT/worker-bench.txt")
  local secs; secs=$(field "$line" seconds)
  printf '| 1,000 small backups drained by %s instance(s), 4 jobs each | %s s (%s backups/s) | %s succeeded, %s claimed twice |\n' \
    "$1" "$secs" "$(python3 -c "print(f'{$(field "$line" succeeded) / $secs:.1f}')")" \
    "$(field "$line" succeeded)" "$(field "$line" claimed-twice)"
}
{
  echo "Run: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $(nproc) cores, local run at $PSS_URL (its worker off), instances in one JVM beside it."
  echo
  echo '| what | time | check |'
  echo '|---|---:|---|'
  row_schedule 1; row_schedule 3; row_drain 1; row_drain 3
} | tee "$OUT/worker-results.md"
