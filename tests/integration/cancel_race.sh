#!/bin/bash
# tests/integration/cancel_race.sh — the CANCEL/200 race through the B2BUA:
# SIPp caller -> sb-control -> SIPp agent, media legs on sb-dataplane.
#
#   cancel_race.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
#   CALLS=N (20)
#
# The agent (sipp/agent-race.xml) rings and answers 20 ms later; the
# caller (sipp/caller-cancel-race.xml) CANCELs 0..60 ms after the 100, so
# the CANCEL meets the call at every stage: while sb-control sets up the
# legs (487; the agent never hears of the call), before the agent answered
# (the agent plays the crossing: its user picked up while the CANCEL was
# on its way, so it answers the CANCEL 200 and the INVITE 200 too;
# sb-control has already answered the caller 487 and must ACK and BYE that
# 200), while sb-control programs the answer (BYE to the agent), or after
# the caller has its 200 (the CANCEL changes nothing).  Per call the
# outcome must be consistent:
#   - 487 to the caller (CANCELLED); the agent's 200, if any, ACKed and its
#     dialog ended by sb-control's BYE; CDR status 487;
#   - or 200 to the caller (ANSWERED), which ACKs and BYEs; the agent gets
#     ACK and that BYE; CDR status 200.
# Asserts: (a) the caller: exit 0, CALLS successful, each call logged
# exactly one outcome, and both outcomes occurred; (b) CDR rows: one per
# call, 487 for CANCELLED and 200 for ANSWERED, all hung up by the caller;
# (c) every call the agent was invited to (and so answered) got its ACK
# and BYE; CANCELs crossed 200s (the agent logged CROSSED or CANCEL-LATE),
# only for CANCELLED calls, and sb-control hung up exactly that many 200s
# that came after it gave up; (d) nothing leaked: no active leg in the
# dataplane, no call in sb-control at shutdown, no transaction timed out.
# Exit 77 when not root, no ip netns, no sipp/sqlite3, or binaries missing.
set -eu
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-20}

it_need_bins "$@"
it_need_call_env sqlite3
it_gateway_begin cancel_race ic
it_control_yaml
it_start_control

it_sipp_agent_with agent agent1 5060 6000 agent-race.xml
it_wait_registered agent agent1

it_caller_argv caller "$CALLS" 1 192.0.2.1:5060 10
CALLER_ARGV[3]="$SIPP_DIR/caller-cancel-race.xml"
CALLER_ARGV+=(-trace_logs -log_file "$WORK/caller.events")
it_log "placing $CALLS calls, each CANCELled 0..60 ms after its 100"
it_run_caller caller
it_wait_cdr "$CALLS"
sleep 2 # the agent's last BYE, and the 1.5 s it lingers for late CANCELs
it_end_stats agent control

it_control_counters
echo "---- checks"
it_check_caller "$CALLS"

set +e
it_py_checks "$DB" "$CALLS" "$WORK" <<'PY'
import re, sys

import itcheck
from itcheck import cdr_rows, check, no_active_legs

db, calls, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ev = open(work + "/caller.events", errors="replace").read()
out = {}
dup = 0
for kind, n in re.findall(r"^(CANCELLED|ANSWERED) (\d+)", ev, re.M):
    dup += int(n) in out
    out[int(n)] = kind
check(sorted(out) == list(range(1, calls + 1)) and dup == 0,
      "(a) one outcome per call (%d logged, %d twice)" % (len(out), dup))
n_c = sum(1 for k in out.values() if k == "CANCELLED")
n_a = sum(1 for k in out.values() if k == "ANSWERED")
check(n_c > 0 and n_a > 0, "(a) both outcomes: %d CANCELLED, %d ANSWERED" % (n_c, n_a))

rows = cdr_rows(db)
st = sorted(str(r.get("status")) for r in rows)
by = {r.get("hangup_by") for r in rows}
check(len(rows) == calls and st.count("487") == n_c and st.count("200") == n_a
      and by == {"caller"},
      "(b) CDR: %d rows, %d with 487 and %d with 200, hung up by the caller (got %d rows, "
      "statuses %s, hangup_by %s)" % (calls, n_c, n_a, len(rows), sorted(set(st)), by))

aev = open(work + "/agent.events", errors="replace").read()
ended = len(re.findall(r"^ENDED ", aev, re.M))
late = len(re.findall(r"^(?:CROSSED|CANCEL-LATE) ", aev, re.M))
log = open(work + "/control.log", errors="replace").read()
# a CANCEL that comes while the legs are being set up ends the call before
# the agent is invited; every INVITE the agent got, it answered
invited = len(re.findall(r"call \d+: INVITE agent agent1 ", log))
check(ended == invited and invited >= n_a,
      "(c) the %d calls the agent was invited to and answered were all ACKed and ended by "
      "BYE (ENDED %d)" % (invited, ended))
crossed = log.count("agent answered after the call ended")
check(0 < late <= n_c and crossed == late,
      "(c) %d CANCELs crossed the agent's 200 (want 1..%d, the CANCELLED calls), "
      "sb-control hung up %d 200s that came after it gave up (want the same)"
      % (late, n_c, crossed))
check("calls still in memory" not in log, "(d) sb-control: no call left at shutdown")
m = re.search(r"(\d+) timeouts, (\d+) CANCELs", log)
check(m is not None and m.group(1) == "0",
      "(d) sb-control: no transaction timed out (%s)" % (m.group(0) if m else "no counters"))
no_active_legs(work + "/stats-end.json", "(d)")
print("---- outcomes: %d CANCELLED (487), %d ANSWERED (200); %d CANCELs crossed the "
      "agent's 200" % (n_c, n_a, late))
sys.exit(1 if itcheck.fails else 0)
PY
prc=$?
set -e
[ "$IT_FAILS" = 0 ] && [ "$prc" = 0 ] || it_fail "CANCEL/200 race checks failed"
echo "PASS: $CALLS CANCELs racing the agent's 200, every call consistent, nothing leaked"
