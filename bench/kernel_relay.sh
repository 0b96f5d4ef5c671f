#!/bin/sh
# bench/kernel_relay.sh RUN_SH KO PROG OUTDIR [secs runs] — boot the qemu guest
# with 2 vCPUs and run bench/kernel_relay.c in it; print its table and end
# with its JSON line.  77 when the guest cannot run (see tests/kmod/run.sh).
set -u
RUN=$1 KO=$2 PROG=$3 OUT=$4
shift 4
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
"$RUN" --bench --smp 2 --timeout 240 --out "$OUT" --ko "$KO" --prog "$PROG" -- "$@" >"$LOG"
rc=$?
if [ "$rc" != 0 ]; then
	cat "$LOG"
	exit "$rc"
fi
sed -n 's/^BENCH| //p' "$LOG" | tr -d '\r'
