#!/bin/bash
# tests/integration/media_timeout.sh — a call whose media stops is hung up
# by the gateway when the dataplane's media timeout expires (issue 3, item 5
# seen from control).
#
#   media_timeout.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or the environment)
#
# Topology: scripts/netns (TAG dpdt<pid>).  sb-control with
# "media: timeout: 3"; the SIPp caller (sipp/caller-timeout.xml) plays
# g711a.pcap once (236 RTP packets, 7.05 s; the agent echoes them), then
# goes silent and waits for a BYE.  Asserts:
#   (a) the caller gets the gateway's BYE (its scenario succeeds) and the
#       agent gets one too (its "ENDED" log line);
#   (b) sb-control logged the dataplane's SB_EVT_MEDIA_TIMEOUT and hung up
#       because of it;
#   (c) the CDR: hangup_by media_timeout, status 200, 236 packets each way,
#       ended 3-9 s after the media stopped (talk time 10-16 s).
# Exit 77 when not root, no ip netns, no sipp/sqlite3, or binaries missing.
set -eu
. "$(dirname "$0")/lib.sh"

TIMEOUT_S=3

it_need_bins "$@"
command -v sqlite3 >/dev/null || it_skip "no sqlite3 CLI"
# control and dataplane share this header: no event type, no timeouts
grep -q "struct sb_evt_timeout" "$SB_ROOT/common/include/sb/dp_abi.h" ||
	it_skip "the dataplane does not send SB_EVT_MEDIA_TIMEOUT yet (no struct sb_evt_timeout in sb/dp_abi.h)"
it_need_root_netns_sipp

TAG=${TAG:-dpdt$$}
it_init media_timeout
SB_INSTANCE="mt$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"

it_up
it_log "topology $TAG up; work dir $WORK"

it_start_dataplane

it_control_yaml "media:
  timeout: $TIMEOUT_S"
it_start_control

it_sipp_agent agent agent1 5060 6000
it_wait_registered agent agent1

it_log "placing a call that goes silent after the pcap (media timeout ${TIMEOUT_S} s)"
it_caller_argv caller 1 1
[ "${CALLER_ARGV[3]}" = "$SIPP_DIR/caller.xml" ] || it_fail "lib.sh: unexpected caller command line"
CALLER_ARGV[3]="$SIPP_DIR/caller-timeout.xml"
set +e
ip netns exec "sb-car-$TAG" "${CALLER_ARGV[@]}" >"$WORK/caller.log" 2>&1 </dev/null
rc=$?
set -e
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
for _ in $(seq 50); do
	[ "$(sqlite3 "$DB" "select count(*) from cdr" 2>/dev/null || echo 0)" -ge 1 ] &&
		grep -q '^ENDED' "$WORK/agent.events" 2>/dev/null && break
	sleep 0.1
done

echo "---- control log (media)"
grep -E "media:|call [0-9]+:|cdr:" "$WORK/control.log" || true
echo "---- checks"
set +e
"$PYTHON" - "$WORK" "$DB" "$rc" "$ok" "$failed" "$PCAP_PKTS" "$TIMEOUT_S" <<'PY'
import os, re, sqlite3, sys

work, db, rc, ok, failed, pkts, tmo = sys.argv[1:8]
pkts, tmo = int(pkts), int(tmo)
fails = 0

def check(cond, msg):
    global fails
    print(("  ok   " if cond else "  FAIL ") + msg)
    if not cond:
        fails += 1

check(rc == "0" and ok == "1" and failed == "0",
      f"(a) the caller got the gateway's BYE: exit 0, 1 successful (got exit {rc}, {ok}, {failed})")
ev = open(os.path.join(work, "agent.events")).read() if os.path.exists(os.path.join(work, "agent.events")) else ""
check(re.search(r"^ENDED ", ev, re.M) is not None, "(a) the agent got a BYE too (ENDED)")
log = open(os.path.join(work, "control.log")).read()
check(re.search(r"media: leg \d+ .* reports a media timeout", log) is not None,
      "(b) sb-control received SB_EVT_MEDIA_TIMEOUT")
check(re.search(r"call \d+: media timeout on the (caller|agent) leg; hanging up both sides", log) is not None,
      "(b) sb-control hung up because of it")
cols = ("hangup_by", "status", "answer_ms", "end_ms", "crx", "ctx", "arx", "atx")
rows = [dict(zip(cols, t)) for t in sqlite3.connect(db).execute(
    "select hangup_by, status, answer_ms, end_ms, caller_rx_pkts, caller_tx_pkts, "
    "agent_rx_pkts, agent_tx_pkts from cdr").fetchall()] if os.path.exists(db) else []
check(len(rows) == 1, f"(c) one CDR row (got {len(rows)})")
r = rows[0] if rows else {}
check(r.get("hangup_by") == "media_timeout" and r.get("status") == 200,
      f"(c) CDR hangup_by media_timeout, status 200 (got {r.get('hangup_by')!r}, {r.get('status')!r})")
check(all(r.get(k) == pkts for k in ("crx", "ctx", "arx", "atx")),
      f"(c) CDR {pkts} packets each way (got {[r.get(k) for k in ('crx', 'ctx', 'arx', 'atx')]})")
talk = (r.get("end_ms") or 0) - (r.get("answer_ms") or 0)
check(7000 + tmo * 1000 <= talk <= 7000 + tmo * 1000 + 6000,
      f"(c) hung up {tmo}-{tmo + 6} s after the media stopped (talk {talk} ms)")
sys.exit(1 if fails else 0)
PY
prc=$?
set -e
[ "$prc" = 0 ] || it_fail "media timeout checks failed"
echo "PASS: the silent call was hung up on the dataplane's media timeout"
