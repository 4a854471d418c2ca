#!/bin/sh
# Lays out the mover in an image and trains its AOT cache: what the Dockerfile runs, and what
# bench/backup.sh (MOVER_AOT=1) runs to measure movers as the image starts them.
#
#   docker/mover-build.sh layout CLASSES CLASSPATH OUT   (a JDK: jar, java)
#       OUT/mover.jar (CLASSES, without the Boot jar's manifest), copies of the jars of the application's
#       CLASSPATH (`lib/*` will do) the mover needs (those MoverClassPath names: a JVM opens every jar before
#       the one a class is in), and OUT/java.args:
#       the JVM options and class path, for `java @OUT/java.args`
#   docker/mover-build.sh train OUT                (the java the movers run on, 25 or later)
#       OUT/mover.aot: classes loaded and linked, and method profiles, from a training run of the mover
#       itself (MoverTraining: a full and an incremental backup and a restore against an in-memory
#       stand-in of the mover API and S3). The cache holds for the same java and the same class path only:
#       run it with the runtime image's java, in the folder the movers run from.
set -eu
case "$1" in
layout)
  classes=$2 classpath=$3 out=$4
  mkdir -p "$out"
  jar --create --file "$out/mover.jar" -C "$classes" .
  path="$out/mover.jar"
  for entry in $(java -cp "$classes:$classpath" io.mlplatform.storage.mover.MoverClassPath | tr ':' ' '); do
    case "$entry" in
      *.jar) cp "$entry" "$out/" && path="$path:$out/$(basename "$entry")" ;;
    esac
  done
  # the same collector in training and in every run: the cache's archived objects are laid out for it
  printf -- '-XX:+UseSerialGC -cp %s\n' "$path" > "$out/java.args"
  ;;
train)
  out=$2
  work=$(mktemp -d)
  java @"$out/java.args" -XX:AOTCacheOutput="$out/mover.aot" -Xlog:aot=error,cds=error \
    io.mlplatform.storage.mover.MoverTraining "$work" > "$work.log" 2>&1 || { cat "$work.log"; exit 1; }
  grep "^Summary" "$work.log"
  rm -rf "$work" "$work.log"
  ;;
*)
  echo "usage: $0 layout CLASSES CLASSPATH OUT | train OUT" >&2; exit 64 ;;
esac
