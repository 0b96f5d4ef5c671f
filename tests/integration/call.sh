#!/bin/bash
# tests/integration/call.sh — end to end: SIPp caller -> sb-control (B2BUA)
# -> SIPp agent, media anchored on sb-dataplane (DPDK, net_af_packet on dp0).
#
#   call.sh [SB_DATAPLANE SB_CONTROL SBCTL]    (or those variables in the
#                                               environment; meson passes them)
#   CALLS=N (2)   calls placed one after the other
#
# Topology: scripts/netns (TAG = our pid).  Asserts:
#   (a) SIPp caller: exit 0, CALLS successful, 0 failed;
#   (b) media went through the dataplane, exactly: for every call the CDR
#       has caller_rx_pkts = agent_tx_pkts = agent_rx_pkts = caller_tx_pkts
#       = 236 (the RTP packets in g711a.pcap; the agent echoes each one), the
#       workers' "relayed" total is CALLS x 2 x 236, and while a call is up
#       `sbctl stats` shows its legs;
#   (c) one CDR row per call in SQLite: hotline 800100, agent agent1,
#       status 200, times in order.
# Exit 77 when not root, no ip netns, no sipp/sqlite3, or binaries missing.
set -eu
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-2}

it_need_bins "$@"
it_need_call_env sqlite3
EXPECT_RELAYED=$((CALLS * 2 * PCAP_PKTS))

# ---- the topology and sb-dataplane
it_gateway_begin call it

# ---- sb-control
it_control_yaml
it_start_control

# ---- the agent phone
it_sipp_agent agent agent1 5060 6000
it_wait_registered agent agent1

# ---- a look at the legs while the first call is up (sbctl stats, sbctl leg)
(
	for _ in $(seq 300); do
		grep -q '^ANSWERED' "$WORK/agent.events" 2>/dev/null && break
		sleep 0.1
	done
	sleep 3 # mid-call: the pcap is playing
	sbctl stats >"$WORK/stats-mid.json" 2>"$WORK/stats-mid.stderr"
	idx=$("$PYTHON" -c 'import json, sys
legs = [l for l in json.load(open(sys.argv[1])).get("legs", []) if l.get("active")]
print(legs[0].get("idx", legs[0].get("leg")) if legs else "")' "$WORK/stats-mid.json" 2>/dev/null)
	[ -n "$idx" ] && sbctl leg "$idx" >"$WORK/leg-mid.json" 2>"$WORK/leg-mid.stderr"
) &
IT_PIDS["midcall"]=$!
IT_NAMES+=(midcall)

# ---- the caller
it_log "placing $CALLS call(s) to 800100"
it_caller_argv caller "$CALLS" 1
it_run_caller caller
a_rc=1
[ "$rc" = 0 ] && [ "$ok" = "$CALLS" ] && [ "$failed" = 0 ] && a_rc=0

# ---- CDRs (the store writes off the call path: give it a moment)
it_wait_cdr "$CALLS"
wait "${IT_PIDS["midcall"]}" 2>/dev/null || true
unset "IT_PIDS[midcall]"
sbctl stats >"$WORK/stats-end.json" 2>"$WORK/stats-end.stderr" || true

echo "---- cdr"
sqlite3 -header -column "$DB" "select id, call_id, caller, hotline, agent, start_ms, answer_ms, end_ms, hangup_by, status, caller_rx_pkts, caller_tx_pkts, agent_rx_pkts, agent_tx_pkts, caller_rx_bytes, agent_rx_bytes from cdr order by id" 2>&1 || true
echo "---- sbctl stats, mid-call"
cat "$WORK/stats-mid.json" "$WORK/stats-mid.stderr" 2>/dev/null || true
echo
echo "---- sbctl leg IDX, mid-call"
cat "$WORK/leg-mid.json" "$WORK/leg-mid.stderr" 2>/dev/null || true
echo
echo "---- sbctl stats, at the end"
cat "$WORK/stats-end.json" "$WORK/stats-end.stderr" 2>/dev/null || true
echo
echo "---- checks"
it_check $a_rc "(a) SIPp caller: exit 0, $CALLS successful, 0 failed (got exit $rc, $ok, $failed)"

set +e
it_py_checks "$DB" "$CALLS" "$PCAP_PKTS" "$WORK/stats-mid.json" "$WORK/stats-end.json" "$EXPECT_RELAYED" <<'PY'
import json, sys

import itcheck
from itcheck import cdr_rows, check

db, calls, pkts, mid, end, relayed_want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])

# (c) + (b): the CDR rows (none if the file or the table is missing)
rows = cdr_rows(db)
check(len(rows) == calls, f"(c) {calls} CDR row(s) (got {len(rows)})")
for r in rows:
    tag = f"cdr {r.get('id')} ({r.get('call_id')})"
    check(str(r.get("hotline")) == "800100", f"(c) {tag}: hotline 800100 (got {r.get('hotline')!r})")
    check(r.get("agent") == "agent1", f"(c) {tag}: agent agent1 (got {r.get('agent')!r})")
    check(str(r.get("status")) == "200", f"(c) {tag}: status 200 (got {r.get('status')!r})")
    check("15550100" in str(r.get("caller")), f"(c) {tag}: caller 15550100 (got {r.get('caller')!r})")
    s, a, e = r.get("start_ms"), r.get("answer_ms"), r.get("end_ms")
    ok = all(isinstance(x, int) for x in (s, a, e)) and s <= a <= e and 7000 <= e - a <= 15000
    check(ok, f"(c) {tag}: start <= answer <= end, talk 7-15 s (got {s}, {a}, {e})")
    for col in ("caller_rx_pkts", "agent_tx_pkts", "agent_rx_pkts", "caller_tx_pkts"):
        check(r.get(col) == pkts, f"(b) {tag}: {col} = {pkts} (got {r.get(col)})")
    crb, arb = r.get("caller_rx_bytes"), r.get("agent_rx_bytes")
    check(isinstance(crb, int) and crb == arb and crb > 0 and crb % pkts == 0,
          f"(b) {tag}: caller_rx_bytes = agent_rx_bytes = {pkts} x size (got {crb}, {arb})")

def load(p):
    try:
        return json.load(open(p))
    except Exception as e:
        return e

def walk(o, key):
    """every value under a key named `key`, anywhere in the document"""
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v, key)

m = load(mid)
check(not isinstance(m, Exception), f"(b) sbctl stats mid-call is one JSON object ({m if isinstance(m, Exception) else 'ok'})")
if isinstance(m, dict):
    legs = m.get("legs")
    if legs is None:
        legs = next(walk(m, "legs"), None)
    if isinstance(legs, dict):
        legs = list(legs.values())
    if isinstance(legs, list):
        legs = [l for l in legs if not isinstance(l, dict) or l.get("active", 1)]
    check(isinstance(legs, list) and len(legs) >= 2, f"(b) mid-call: at least 2 active legs (got {None if legs is None else len(legs)})")
lg = load(sys.argv[4].replace("stats-mid.json", "leg-mid.json"))
check(isinstance(lg, dict) and isinstance(lg.get("rx_pkts"), int) and lg["rx_pkts"] > 0,
      f"(b) mid-call: sbctl leg IDX shows a leg receiving ({lg if isinstance(lg, Exception) else 'rx_pkts %s' % lg.get('rx_pkts')})")
e = load(end)
check(not isinstance(e, Exception), f"(b) sbctl stats at the end is one JSON object ({e if isinstance(e, Exception) else 'ok'})")
if isinstance(e, dict):
    rel = [v for v in walk(e, "relayed") if isinstance(v, int)]
    check(len(rel) > 0 and sum(rel) == relayed_want,
          f"(b) workers relayed {relayed_want} packets in all (got {rel})")
sys.exit(1 if itcheck.fails else 0)
PY
prc=$?
set -e
[ "$IT_FAILS" = 0 ] && [ "$prc" = 0 ] || it_fail "end-to-end checks failed"
echo "PASS: $CALLS call(s) through sb-control and sb-dataplane, $PCAP_PKTS RTP packets each way per call"
