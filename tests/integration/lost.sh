#!/bin/bash
# tests/integration/lost.sh — packet loss on the signalling path: SIPp
# caller -> sb-control (B2BUA) -> SIPp agent, media legs on sb-dataplane,
# with both SIPp ends losing LOST % of the SIP messages they send and of
# those they receive (SIPp -lost: "voluntary" loss, both directions).
#
#   lost.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
#   CALLS=N (30)  LOST=P (10)
#
# The caller (sipp/caller-short.xml) places CALLS short calls one after
# the other (INVITE, 200, ACK, 200 ms, BYE) to the hotline; the agent
# (agent.xml registering with digest through the same loss, then
# agent-answer.xml for each call) answers.  Only retransmissions can bring
# a call through: SIPp's (INVITE, BYE, the agent's 200, REGISTER) and
# sb-control's (its INVITE and BYE to the agent, its 2xx to the caller
# until the ACK, absorbed duplicates).  Asserts:
#   (a) the caller: exit 0, CALLS successful, 0 failed;
#   (b) CALLS CDR rows in SQLite, each complete: hotline, agent, status 200,
#       start <= answer <= end, hung up by the caller;
#   (c) the loss was real and retransmissions recovered it: both SIPp
#       ends lost messages (their -trace_msg notes each one), some sent and
#       some received, the caller retransmitted (-trace_stat
#       Retransmissions(C) > 0), and sb-control's shutdown counters show
#       retransmissions sent or duplicates absorbed;
#   (d) nothing leaked: no calls in sb-control at shutdown, no leg active
#       in the dataplane (sbctl stats).
# Exit 77 when not root, no ip netns, no sipp/sqlite3, or binaries missing.
set -eu
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-30}
LOST=${LOST:-10}

it_need_bins "$@"
it_need_call_env sqlite3
it_gateway_begin lost il
it_control_yaml
it_start_control

# the agent phone, losing LOST % both ways (REGISTER included)
it_sipp_agent_with agent agent1 5060 6000 agent-answer.xml -lost "$LOST"
it_wait_registered agent agent1

# ~0.8 s a call on average (retransmissions wait 500 ms and more)
CALLER_TIMEOUT=${CALLER_TIMEOUT:-90}
it_caller_argv caller "$CALLS" 1 192.0.2.1:5060 10
CALLER_ARGV[3]="$SIPP_DIR/caller-short.xml"
CALLER_ARGV+=(-d 200 -lost "$LOST")
it_log "placing $CALLS calls to 800100 with $LOST % loss at both SIPp ends"
it_run_caller caller
it_wait_cdr "$CALLS"
# the agent's BYE transactions may still be retransmitting: give them a
# moment, then look at the dataplane's legs and stop control for its counters
sleep 2
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
rows = cdr_rows(db)
bad = []
for r in rows:
    s, a, e = r.get("start_ms"), r.get("answer_ms"), r.get("end_ms")
    if not (str(r.get("hotline")) == "800100" and r.get("agent") == "agent1"
            and str(r.get("status")) == "200" and r.get("hangup_by") == "caller"
            and all(isinstance(x, int) for x in (s, a, e)) and s <= a <= e):
        bad.append(r)
check(len(rows) == calls and not bad,
      "(b) %d complete CDR rows (hotline, agent1, 200, times in order, hung up by the "
      "caller): got %d rows, %d incomplete %s" % (calls, len(rows), len(bad), bad[:2]))


def last_row(path):
    """the last line of a SIPp ';'-separated CSV as {column: value}"""
    try:
        lines = [l.rstrip("\n").split(";") for l in open(path) if l.strip()]
        return dict(zip(lines[0], lines[-1]))
    except (OSError, IndexError):
        return {}


# SIPp's message trace notes each message it loses, in both scenarios
# of the agent (its -trace_counts covers only the -sf one, agent.xml)
lost = {}
for who in ("caller", "agent"):
    msg = open("%s/%s.msg" % (work, who), errors="replace").read()
    lost[who] = (msg.count("message voluntary lost (while sending)"),
                 len(re.findall(r"message (?:\(retrans\) )?lost \(recv\)", msg)))
    check(sum(lost[who]) > 0, "(c) SIPp %s lost %d messages it sent and %d it received"
          % ((who,) + lost[who]))
check(sum(v[0] for v in lost.values()) > 0 and sum(v[1] for v in lost.values()) > 0,
      "(c) loss in both directions")
st = last_row(work + "/caller.csv")
rt = st.get("Retransmissions(C)", "")
rt = int(rt) if rt.strip().isdigit() else 0
check(rt > 0, "(c) SIPp caller retransmitted %d times" % rt)

log = open(work + "/control.log", errors="replace").read()
m = re.search(r"(\d+) retransmitted requests absorbed, (\d+) retransmissions sent, "
              r"(\d+) timeouts", log)
if m:
    absorbed, sent, tmo = map(int, m.groups())
    # Each alone is down to chance (30 calls at 10 % loss: ~4 % of runs
    # lose no response to a request SIPp then repeats); both zero means
    # sb-control's transaction layer took no part in the recovery.
    check(absorbed + sent > 0,
          "(c) sb-control: %d retransmitted requests absorbed, %d retransmissions sent "
          "(%d transaction timeouts)" % (absorbed, sent, tmo))
else:
    check(False, "(c) sb-control's transaction counters in its log")
check("calls still in memory" not in log, "(d) sb-control: no call left at shutdown")
no_active_legs(work + "/stats-end.json", "(d)")
sys.exit(1 if itcheck.fails else 0)
PY
prc=$?
set -e
[ "$IT_FAILS" = 0 ] && [ "$prc" = 0 ] || it_fail "lossy signalling checks failed"
echo "PASS: $CALLS calls through sb-control with $LOST % SIP loss at both SIPp ends"
