#!/bin/sh
# Syscalls per operation from a trace of op-cost.mjs run with STOWAGE_MARK=1:
#   STOWAGE_MARK=1 strace -f -o /tmp/t node adapters/fs/scripts/op-cost.mjs 200 1
#   sh adapters/fs/scripts/syscalls-per-op.sh /tmp/t 200
# Prints, per operation, the syscalls made between its marker and the next, divided by n
# (futex/epoll/clock noise of the event loop included, so read it as an upper bound).
trace=$1
n=$2
awk -v n="$n" '
  /__mark__\// { match($0, /__mark__\/[a-z_]+/); op = substr($0, RSTART + 9, RLENGTH - 9); next }
  op != "" && /^[0-9]+ +[a-z_0-9]+\(/ { split($2, a, "("); count[op "|" a[1]]++; total[op]++ }
  END {
    for (k in count) { split(k, p, "|"); if (count[k] / n >= 0.05) printf "%-16s %-14s %6.2f\n", p[1], p[2], count[k] / n }
    for (o in total) printf "%-16s %-14s %6.2f\n", o, "TOTAL", total[o] / n
  }' "$trace" | sort
