#!/bin/sh
# tests/kmod/run.sh — boot Debian's kernel under qemu with sb_relay.ko and
# run one static program inside; the verdict is the program's.
#
#   run.sh [--smp N] [--timeout S] [--mem M] [--bench] --out DIR --ko KO --prog PROG
#          [--prog PROG2 ...] [--file FILE ...] [-- ARGS...]
#
# Several --prog run one after the other in the same boot (each with ARGS);
# all but the last run with SBK_MORE=1 and must print "SBK-PART: PASS" and
# exit 0 on success (guest_lib's sbk_finish does); any other outcome ends
# the guest with that program's verdict.
#
# --file copies FILE into the initramfs as /BASENAME (e.g. a static
# sb-control that a program starts).
#
# --bench drops the allocator debugging (slub_debug, page poisoning) that
# the test boots with: it multiplies the cost of every skb.
#
# The kernel is the one the module was built for (DIR_OF_KO/KVER, written
# by kmod/build.sh), taken from /boot and /lib/modules, never `uname -r`.
# The ELF vmlinux is extracted from the bzImage once (cached in DIR) and
# booted through PVH; /dev/kvm is tried once per DIR and remembered (the
# nested /dev/kvm on our build machines cannot boot this kernel: TCG then).
# The initramfs holds busybox-static, veth.ko (+ pktgen.ko when present),
# sb_relay.ko and PROG, which must print "SBK-RESULT: PASS|FAIL|SKIP" and
# leave through isa-debug-exit.  We require both the marker line and the
# matching exit code ((rc << 1) | 1): qemu also exits 0 on SIGTERM.
#
# Exit: the guest program's 0 / 1 / 77; 77 also when qemu, busybox-static
# or the kernel image are missing (with the reason on stderr).
set -u
SMP=1 TIMEOUT=150 MEM=512 OUT= KO= PROG= PROGS= NPROG=0 BENCH=0 FILES=
while [ $# -gt 0 ]; do
	case "$1" in
	--smp) SMP=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--bench) BENCH=1; shift ;;
	--out) OUT=$2; shift 2 ;;
	--ko) KO=$2; shift 2 ;;
	--prog) PROG=$2; PROGS="$PROGS $2"; NPROG=$((NPROG + 1)); shift 2 ;;
	--file) FILES="$FILES $2"; shift 2 ;;
	--) shift; break ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
skip() { echo "SKIP: $*" >&2; exit 77; }
[ -n "$OUT" ] && [ -n "$KO" ] && [ -n "$PROG" ] || { echo "run.sh: --out, --ko and --prog are required" >&2; exit 2; }
[ -f "$KO" ] || skip "no $KO (kernel headers missing? see kmod/build.sh)"
for p in $PROGS; do [ -x "$p" ] || { echo "run.sh: no program $p" >&2; exit 1; }; done
for f in $FILES; do [ -f "$f" ] || { echo "run.sh: no file $f" >&2; exit 1; }; done
KVER=$(cat "$(dirname "$KO")/KVER" 2>/dev/null) || skip "no KVER next to $KO"
BZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER/kernel
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
BB=/bin/busybox
[ -x "$BB" ] || skip "busybox-static not installed"
# the initramfs has no libc: a dynamic busybox (package busybox) cannot run
ldd "$BB" >/dev/null 2>&1 && skip "$BB is dynamically linked (apt-get install busybox-static)"
[ -r "$BZ" ] || skip "kernel image $BZ not readable (apt-get install linux-image-amd64)"
VETH=$(ls "$MODDIR/drivers/net/veth.ko"* 2>/dev/null | head -n 1)
[ -n "$VETH" ] || skip "no veth.ko in $MODDIR"
mkdir -p "$OUT"

# ---- vmlinux (ELF with a PVH entry note) out of the bzImage, cached ----
VMLINUX=$OUT/vmlinux-$KVER
if [ ! -s "$VMLINUX" ]; then
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$BZ" | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$BZ" | xz -dc --single-stream >"$VMLINUX.tmp" 2>/dev/null
	fi
	if [ -s "$VMLINUX.tmp" ] && [ "$(head -c 4 "$VMLINUX.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		mv "$VMLINUX.tmp" "$VMLINUX"
	else
		rm -f "$VMLINUX.tmp"
		VMLINUX=$BZ # slower: the bzImage's own decompressor
	fi
fi

# ---- initramfs ----
ROOT=$OUT/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp"
cp "$BB" "$ROOT/bin/busybox"
for a in sh ip insmod rmmod mount poweroff cat echo sleep; do ln -s busybox "$ROOT/bin/$a"; done
cp "$VETH" "$ROOT/veth.ko"
PKTGEN=$(ls "$MODDIR/net/core/pktgen.ko"* 2>/dev/null | head -n 1)
[ -n "$PKTGEN" ] && cp "$PKTGEN" "$ROOT/pktgen.ko"
cp "$KO" "$ROOT/sb_relay.ko"
i=0
: >"$ROOT/progs"
for p in $PROGS; do
	i=$((i + 1))
	cp "$p" "$ROOT/prog$i"
	echo "prog$i" >>"$ROOT/progs"
done
echo "$NPROG" >"$ROOT/nprogs"
for f in $FILES; do cp "$f" "$ROOT/$(basename "$f")"; done
: >"$ROOT/args"
for a in "$@"; do printf '%s\n' "$a" >>"$ROOT/args"; done
cat >"$ROOT/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "SBK-BOOTED"
set --
while IFS= read -r a; do set -- "$@" "$a"; done </args
i=0
last=$(cat /nprogs)
for p in $(cat /progs); do
	i=$((i + 1))
	echo "SBK-RUN: $p"
	if [ "$i" -lt "$last" ]; then
		SBK_MORE=1 "/$p" "$@" && continue
		echo "SBK-RESULT: FAIL ($p exited with $? without a verdict)"
		poweroff -f
	fi
	"/$p" "$@"
done
echo "SBK-RESULT: FAIL (program exited with $? without a verdict)"
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet) >"$OUT/initramfs.cpio" || { echo "run.sh: cpio failed" >&2; exit 1; }

APPEND="console=ttyS0 rdinit=/init panic=-1 panic_on_warn=1 oops=panic loglevel=4 tsc=reliable mitigations=off nokaslr"
[ "$BENCH" = 1 ] || APPEND="$APPEND slub_debug=FZPU page_poison=1 init_on_free=1"

boot() { # accel timeout logfile
	cpu=max; [ "$1" = kvm ] && cpu=host
	timeout -k 2 "$2" "$QEMU" -machine q35,accel="$1" -cpu "$cpu" -smp "$SMP" -m "$MEM" \
		-nodefaults -nographic -no-reboot -serial stdio -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$VMLINUX" -initrd "$OUT/initramfs.cpio" -append "$APPEND" \
		</dev/null >"$3" 2>&1
}

# ---- accelerator: KVM only if it really boots this kernel (probe once) ----
ACCEL=${SBK_ACCEL:-}
if [ -z "$ACCEL" ]; then
	if [ -f "$OUT/accel" ]; then
		ACCEL=$(cat "$OUT/accel")
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		boot kvm 8 "$OUT/kvm-probe.log"
		if grep -q SBK-BOOTED "$OUT/kvm-probe.log"; then ACCEL=kvm; else ACCEL=tcg; fi
		echo "$ACCEL" >"$OUT/accel"
		[ "$ACCEL" = tcg ] && echo "run.sh: /dev/kvm did not boot $KVER in 8 s: using TCG (once per $OUT)" >&2
	else
		ACCEL=tcg
	fi
fi

LOG=$OUT/console.log
start=$(date +%s.%N)
boot "$ACCEL" "$TIMEOUT" "$LOG"
qrc=$?
end=$(date +%s.%N)
cat "$LOG"
secs=$(echo "$end $start" | awk '{ printf "%.1f", $1 - $2 }')
echo "run.sh: $KVER, accel=$ACCEL, smp=$SMP, qemu exit $qrc, ${secs}s" >&2
marker=$(grep -a -o 'SBK-RESULT: [A-Z]*' "$LOG" | tail -n 1)
parts=$(grep -a -c '^SBK-PART: PASS' "$LOG")
case "$qrc:$marker:$parts" in
"1:SBK-RESULT: PASS:$((NPROG - 1))") exit 0 ;;
"155:SBK-RESULT: SKIP:"*) exit 77 ;;
esac
if grep -aq -e 'Kernel panic' -e 'WARNING:' -e 'BUG:' "$LOG"; then
	echo "run.sh: the guest kernel warned or panicked" >&2
fi
[ "$qrc" = 124 ] && echo "run.sh: timeout after ${TIMEOUT}s" >&2
echo "run.sh: FAIL (qemu exit $qrc, marker '${marker:-none}')" >&2
exit 1
