# Sourced by bench/backup.sh and bench/backup-memory.sh: the engine's build and one S3Proxy for a run.

# Compiles the engine and its harness; sets CP and MAIN.
build_engine() {
  mvn -B -q test-compile
  mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test >/dev/null
  CP="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
  MAIN=io.mlplatform.storage.backup.BackupBenchmark
}

# start_s3proxy DIR: serves buckets kept under DIR until the script exits; sets EP.
start_s3proxy() {
  java -Xmx1g -cp "$CP" $MAIN s3proxy "$1/s3" "$1/s3.port" > "$1/s3proxy.log" 2>&1 &
  S3PID=$!
  trap 'kill $S3PID 2>/dev/null || true' EXIT
  while [ ! -s "$1/s3.port" ]; do sleep 0.2; done
  EP="http://127.0.0.1:$(cat "$1/s3.port")"
}
