#!/bin/sh
# kmod/build.sh — build sb_relay.ko out of tree, into OUTDIR, against
# Debian's linux-headers (never `uname -r`: the host kernel here is not the
# one we build for).  The sources are copied to OUTDIR/src so kbuild's
# outputs never land in the source tree.
#
#   kmod/build.sh OUTDIR            -> OUTDIR/sb_relay.ko, OUTDIR/KVER
#   KVER=6.1.0-56-amd64 kmod/build.sh OUTDIR
#   kmod/build.sh --probe           -> prints KVER, exit 0; 77 without headers
#
# W=1 always, and -Werror (Kbuild); sparse (C=2) when installed, and any
# sparse or compiler warning about our files fails the build.
# Exit 0 built, 1 failed, 77 no kernel headers (callers skip).
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: build.sh OUTDIR | --probe}

# The newest version that has both headers (build link) and a kernel image.
if [ -z "${KVER:-}" ]; then
	KVER=
	for d in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -e "/lib/modules/$d/build/Makefile" ] && [ -e "/boot/vmlinuz-$d" ] && KVER=$d
	done
fi
if [ -z "$KVER" ] || [ ! -e "/lib/modules/$KVER/build/Makefile" ]; then
	echo "build.sh: no kernel headers with a matching /boot/vmlinuz-* (install linux-headers-amd64 linux-image-amd64)" >&2
	exit 77
fi
KDIR=/lib/modules/$KVER/build
if [ "$OUT" = --probe ]; then
	echo "$KVER"
	exit 0
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

mkdir -p "$OUT/src/lib" "$OUT/src/uapi"
# copy only what changed, so kbuild's own dependency tracking still works
for f in Kbuild main.c table.c dev.c ring.c sbk.h lib/sbk_logic.h uapi/sb_relay.h; do
	cmp -s "$SRC/$f" "$OUT/src/$f" 2>/dev/null || cp "$SRC/$f" "$OUT/src/$f"
done

CHECK=
if command -v sparse >/dev/null 2>&1; then
	CHECK="C=2"
fi
LOG="$OUT/build.log"
if ! make -s -C "$KDIR" M="$OUT/src" W=1 $CHECK modules >"$LOG" 2>&1; then
	cat "$LOG" >&2
	echo "build.sh: make failed (log $LOG)" >&2
	exit 1
fi
# sparse reports but does not fail; W=1 warnings would already be errors.
if grep -E "$OUT/src/.*(warning|error):|^[a-z/]*\.[ch]:[0-9]+:[0-9]+: (warning|error):" "$LOG" >&2; then
	echo "build.sh: warnings (log $LOG)" >&2
	exit 1
fi
cp "$OUT/src/sb_relay.ko" "$OUT/sb_relay.ko"
echo "$KVER" >"$OUT/KVER"
echo "build.sh: $OUT/sb_relay.ko for $KVER (W=1${CHECK:+ $CHECK} -Werror clean)"
