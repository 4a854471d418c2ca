#!/bin/sh
# Run by the engine harness as an exec: step: prints "CPU LABEL PROCESS_TICKS JIT_TICKS" for the JVM
# that started it (clock ticks of user+system time; JIT = its C1/C2 compiler threads).
p=$PPID; [ "$(cat /proc/$p/comm)" = java ] || p=$(awk '{print $4}' /proc/$p/stat)
jit=0
for t in /proc/$p/task/*; do
  case "$(cat "$t/comm")" in C1\ Comp*|C2\ Comp*) jit=$((jit + $(sed 's/.*) //' "$t/stat" | awk '{print $12+$13}')));; esac
done
echo "CPU $1 $(sed 's/.*) //' /proc/$p/stat | awk '{print $12+$13}') $jit"
