#!/bin/bash
# tests/integration/recording.sh — a recorded call (issue 7) through the
# whole gateway: SIPp caller -> sb-control (hotline `record: true`) -> SIPp
# agent (echoes RTP), media and recording on sb-dataplane (--rec-dir).
#
#   recording.sh done     [SB_DATAPLANE SB_CONTROL SBCTL]
#   recording.sh crash    [SB_DATAPLANE SB_CONTROL SBCTL]
#   recording.sh diskfull [SB_DATAPLANE SB_CONTROL SBCTL]
#
# done: the call ends normally (the caller hangs up after ~22 s).  Asserts:
# the call (caller exit 0, CDR 200); the file is a valid stereo WAV with
# audio on both channels, no .part left; the index row says done (state 1),
# complete, 1000 per mille, no error, the file's size, a duration within
# 1 s of the talk time (the recording starts at the answer).
#
# crash: --rec-segment-s 1.  5 s into the call the dataplane is killed with
# SIGKILL and started again with the same arguments.  Asserts:
#   (a) the call goes on (caller exit 0, CDR status 200, talk >= 18 s);
#   (b) the restart's recovery pass repaired the .part: the file is a WAV
#       now (RIFF/WAVE, stereo, 8 kHz, data size = file size - 4096, no
#       .part left), it has audio on both channels, and its duration is
#       the recorded time up to the kill minus at most one segment (1 s)
#       and the 200 ms reorder window (and not more than the time up to the
#       kill);
#   (c) the index row (SQLite) says recovered (state 2), incomplete, with
#       that duration and the file's size.
# diskfull: --rec-dir is a 128 KiB tmpfs made here (removed at exit), the
# file fills it ~8 s into the ~22 s call.  Asserts:
#   (a) the call goes on: caller exit 0, CDR 200, and the caller and the
#       agent each receive >= 300 RTP packets after the disk filled (tcpdump);
#   (b) sb-control logged the recording error (No space left on device);
#   (c) the index row: state done (1) with err -ENOSPC, incomplete, a share
#       below 1000 per mille; the file is a valid WAV whose data fills what
#       the disk had room for.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
set -eu
MODE=${1:-}
case "$MODE" in done | crash | diskfull) ;; *) echo "usage: $0 done|crash|diskfull ..."; exit 2 ;; esac
shift
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump

TAG=${TAG:-rc$$}
it_init "rec-$MODE"
SB_INSTANCE="rec$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"
REC="$WORK/rec"
mkdir -p "$REC"
unmount_rec() { mountpoint -q "$REC" && umount "$REC"; return 0; }
IT_CLEANUP_HOOK=unmount_rec
if [ "$MODE" = diskfull ]; then
	mount -t tmpfs -o size=128k sbrec "$REC" || it_skip "cannot mount a tmpfs"
fi
now() { date +%s.%N; }

it_up
it_log "topology $TAG up; work dir $WORK"
it_dp_args
IT_DP_ARGS+=(--rec-dir "$REC" --rec-segment-s 1)
it_bg dataplane gw "$SB_DATAPLANE" "${IT_DP_ARGS[@]}"
it_wait 20 "sb-dataplane segment /dev/shm/switchboard.$SB_INSTANCE" it_dp_ready

cat >"$WORK/control.yaml" <<EOF
instance: $SB_INSTANCE
sip:
  listen: [192.0.2.1:5060, 198.51.100.1:5060]
store:
  sqlite: $DB
auth:
  algorithms: [MD5]
recording:
  dir: $REC
  segment_s: 1
agents:
  - user: agent1
    password: secret
    tenant: acme
hotlines:
  - number: "800100"
    agents: [agent1]
    record: true
EOF
it_start_control
it_sipp_agent agent agent1 5060 6000
it_wait_registered agent agent1
it_bg tcpdump_car car tcpdump -nn -tt -i car0 -w "$WORK/car0.pcap" udp and src host 203.0.113.10
it_bg tcpdump_agt agt tcpdump -nn -tt -i agt0 -w "$WORK/agt0.pcap" udp and src host 203.0.113.10
sleep 1

it_caller_argv caller 1 1
CALLER_ARGV[3]="$SIPP_DIR/caller-restart.xml"
it_bg caller car "${CALLER_ARGV[@]}"
answered() {
	it_alive caller || it_fail "SIPp caller ended before the call was answered"
	grep -q "recording .* to " "$WORK/control.log" 2>/dev/null
}
it_wait 15 "the call answered and recorded" answered
T_ANS=$(now)
PART=$(grep -o "recording [0-9]* to [^ ]*" "$WORK/control.log" | head -1 | awk '{print $4}')
it_log "recording to $REC/$PART"

T_KILL=0
T_FULL=0
if [ "$MODE" = crash ]; then
	sleep 5
	DP1_PID=${IT_PIDS[dataplane]}
	T_KILL=$(now)
	kill -KILL "$DP1_PID"
	wait "$DP1_PID" 2>/dev/null || true
	unset "IT_PIDS[dataplane]"
	[ -s "$REC/$PART.part" ] || it_fail "no $PART.part after the kill"
	it_log "sb-dataplane killed; $PART.part is $(stat -c %s "$REC/$PART.part") bytes"
	rm -rf "/var/run/dpdk/sb$TAG"
	it_bg dataplane gw "$SB_DATAPLANE" "${IT_DP_ARGS[@]}"
	recovered() { grep -q "recorder: recovered" "$WORK/dataplane.log" 2>/dev/null; }
	it_wait 20 "the restarted sb-dataplane recovering the .part" recovered
	indexed() { [ "$(sqlite3 "$DB" "select state from recording" 2>/dev/null)" = 2 ]; }
	it_wait 10 "the index marking the recording recovered" indexed
elif [ "$MODE" = diskfull ]; then
	full() { grep -q "recording .* error" "$WORK/control.log" 2>/dev/null; }
	it_wait 20 "the disk filling up (recording error)" full
	T_FULL=$(now)
	it_log "disk full $("$PYTHON" -c "print('%.1f' % ($T_FULL - $T_ANS))") s into the call"
fi

set +e
wait "${IT_PIDS[caller]}"
rc=$?
set -e
unset "IT_PIDS[caller]"
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
done_or_cdr() { [ "$(sqlite3 "$DB" "select count(*) from cdr" 2>/dev/null)" -ge 1 ]; }
it_wait 10 "the CDR" done_or_cdr
if [ "$MODE" != crash ]; then
	closed() { [ "$(sqlite3 "$DB" "select state from recording" 2>/dev/null)" = 1 ]; }
	it_wait 10 "the recording closed (DONE)" closed
fi
sleep 0.5
it_stop tcpdump_car
it_stop tcpdump_agt

echo "---- control log (recording)"
grep -E "recording|cdr:" "$WORK/control.log" || true
grep -E "recorder" "$WORK/dataplane.log" || true
echo "---- index"
sqlite3 -header -column "$DB" "select * from recording" || true
ls -laR "$REC" || true
echo "---- checks"
set +e
"$PYTHON" - "$MODE" "$WORK" "$DB" "$REC" "$PART" "$rc" "$ok" "$failed" "$T_ANS" "$T_KILL" "$T_FULL" <<'PY'
import os, sqlite3, struct, subprocess, sys

mode, work, db, rec, part, rc, ok, failed = sys.argv[1:9]
t_ans, t_kill, t_full = map(float, sys.argv[9:12])
fails = 0

def check(cond, msg):
    global fails
    print(("  ok   " if cond else "  FAIL ") + msg)
    if not cond:
        fails += 1

check(rc == "0" and ok == "1" and failed == "0",
      f"(a) SIPp caller: exit 0, 1 successful, 0 failed (got exit {rc}, {ok}, {failed})")
con = sqlite3.connect(db)
con.row_factory = sqlite3.Row
cdr = [dict(r) for r in con.execute("select * from cdr")]
check(len(cdr) == 1 and cdr[0]["status"] == 200, "(a) one CDR, status 200")
talk = (cdr[0]["end_ms"] - cdr[0]["answer_ms"]) if cdr else 0
check(talk >= 18000, f"(a) talk time >= 18 s (got {talk} ms)")
rows = [dict(r) for r in con.execute("select * from recording")]
check(len(rows) == 1 and rows[0]["path"] == part, f"(c) one index row for {part} ({rows})")
row = rows[0] if rows else {}

path = os.path.join(rec, part)
check(not os.path.exists(path + ".part"), "(b) no .part left")
data = open(path, "rb").read() if os.path.exists(path) else b""
ok_hdr = len(data) >= 4096 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"
fmt = struct.unpack_from("<HHIIHH", data, 20) if ok_hdr else (0,) * 6
dsize = struct.unpack_from("<I", data, 4092)[0] if ok_hdr else -1
check(ok_hdr and fmt[1] == 2 and fmt[2] == 8000 and dsize == len(data) - 4096 and
      struct.unpack_from("<I", data, 4)[0] == len(data) - 8,
      f"(b) a valid stereo 8 kHz WAV, data size = file size - 4096 (fmt {fmt[:3]}, data {dsize}, file {len(data)})")
bps = 2 if fmt[0] == 1 else 1
frames = max(dsize, 0) // (2 * bps)
dur_ms = frames * 1000 // 8000

try:
    import audioop
    raw = data[4096:4096 + frames * 2 * bps]
    lin = raw if bps == 2 else (audioop.ulaw2lin(raw, 2) if fmt[0] == 7 else audioop.alaw2lin(raw, 2))
    lv = [audioop.rms(audioop.tomono(lin, 2, 1, 0), 2), audioop.rms(audioop.tomono(lin, 2, 0, 1), 2)]
    check(lv[0] > 100 and lv[1] > 100, f"(b) audio on both channels (rms left {lv[0]}, right {lv[1]})")
except ImportError as e:  # audioop gone (Python >= 3.13): say so
    print(f"  note: no audioop ({e}): channel levels not checked")

if mode == "crash":
    up_to_kill = (t_kill - t_ans) * 1000
    check(row.get("state") == 2 and row.get("complete") == 0,
          f"(c) index: recovered (state 2), incomplete (got state {row.get('state')}, complete {row.get('complete')})")
    check(row.get("duration_ms") == dur_ms and row.get("bytes") == len(data),
          f"(c) index duration {row.get('duration_ms')} ms = file's {dur_ms} ms, bytes {row.get('bytes')} = {len(data)}")
    # answered -> "recording to" logged -> kill: at most one 1 s segment +
    # the 200 ms reorder window lost, never more audio than time
    check(up_to_kill - 1200 - 400 <= dur_ms <= up_to_kill + 300,
          f"(b) recovered {dur_ms} ms of the {up_to_kill:.0f} ms recorded before the kill (at most one segment lost)")
elif mode == "done":
    check(row.get("state") == 1 and row.get("complete") == 1 and row.get("share_pm") == 1000 and
          row.get("err") == 0, f"(c) index: done, complete, 1000 per mille, no error (got {row})")
    check(row.get("duration_ms") == dur_ms and row.get("bytes") == len(data),
          f"(c) index duration {row.get('duration_ms')} ms = file's {dur_ms} ms, bytes {row.get('bytes')} = {len(data)}")
    check(abs(dur_ms - talk) <= 1000, f"(c) recorded {dur_ms} ms of a {talk} ms talk time")
else:
    check(row.get("state") == 1 and row.get("err") == -28 and row.get("complete") == 0 and
          0 < (row.get("share_pm") or 0) < 1000,
          f"(c) index: done, err -ENOSPC, incomplete, share < 1000 (got {row})")
    check(len(data) > 64 * 1024, f"(c) the file holds what the disk had room for ({len(data)} bytes)")
    log = open(os.path.join(work, "control.log")).read()
    check("No space left on device" in log, "(b) control logged the recording error (ENOSPC)")
    def after(pcap):
        out = subprocess.run(["tcpdump", "-nn", "-tt", "-r", pcap], capture_output=True, text=True).stdout
        return sum(1 for l in out.splitlines() if l.split() and float(l.split()[0]) > t_full)
    nc, na = after(os.path.join(work, "car0.pcap")), after(os.path.join(work, "agt0.pcap"))
    check(nc >= 300 and na >= 300, f"(a) RTP relayed after the disk filled: caller {nc}, agent {na} packets (>= 300)")
sys.exit(1 if fails else 0)
PY
prc=$?
set -e
[ "$prc" = 0 ] || it_fail "recording checks failed"
echo "PASS: recording ($MODE)"
