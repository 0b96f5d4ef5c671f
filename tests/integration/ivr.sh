#!/bin/bash
# tests/integration/ivr.sh — an IVR menu on the real dataplane: SIPp
# callers press a menu digit in RFC 4733 (SIPp's dtmf_2833_N.pcap), the
# dataplane detects it (DTMF event to sb-control) while it plays the
# welcome prompt, the IVR sends the call to the queue the digit names and
# the queue's agent (a SIPp phone echoing RTP) answers.
#
#   ivr.sh [SB_DATAPLANE SB_CONTROL SBCTL]
#
# Menu main (prompt welcome, 1.5 s; timeout 1 s): 1 → queue sales (agent1
# alone), 2 → queue support (agent2 alone), no digit → support
# (timeout_action).  Three calls one after the other press 1, 2, nothing
# (sipp/caller-ivr.xml, field0 of an injection file).  Asserts:
#   (a) caller: exit 0, 3 successful;
#   (b) the IVR took digit '1' then '2' from the dataplane's DTMF events
#       (sb-control log), and a timeout for the third call;
#   (c) queue_event enter rows: sales, support, support, each with other
#       "ivr:main" (the menu path), and one connect per call with the
#       queue's agent; the CDRs name agent1, agent2, agent2;
#   (d) media after the IVR: per call every audio packet of the caller (236:
#       nobody waits here) relayed to the agent leg, all echoed back.
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3
it_gateway_begin ivr iv

"$PYTHON" "$IT_DIR/ivr_wav.py" "$WORK"
cat >"$WORK/control.yaml" <<EOF
instance: $SB_INSTANCE
sip:
  listen: [192.0.2.1:5060, 198.51.100.1:5060]
store:
  sqlite: $DB
auth:
  algorithms: [MD5]
prompts:
  welcome: $WORK/welcome.wav
  moh: $WORK/moh.wav
agents:
  - {user: agent1, password: secret}
  - {user: agent2, password: secret}
queues:
  - {name: sales, members: [agent1], moh: moh}
  - {name: support, members: [agent2], moh: moh}
ivrs:
  main:
    prompt: welcome
    timeout: 1
    retries: 0
    options: {"1": queue sales, "2": queue support}
    timeout_action: queue support
    max_retries_action: queue support
hotlines:
  - {number: "800100", ivr: main}
EOF
it_start_control
it_sipp_agent agent1 agent1 5060 6000
it_sipp_agent agent2 agent2 5062 6100
it_wait_registered agent1 agent1
it_wait_registered agent2 agent2

printf 'SEQUENTIAL\n1;\n2;\nx;\n' >"$WORK/digits.csv"
it_caller_argv caller 3 1
CALLER_ARGV[3]="$SIPP_DIR/caller-ivr.xml"
CALLER_ARGV+=(-inf "$WORK/digits.csv")
it_log "placing 3 calls to 800100 (IVR): digits 1, 2, none"
it_run_caller caller
it_wait_cdr 3
it_end_stats agent1 agent2 control

echo "---- queue_event"
sqlite3 -header -column "$DB" "select id, event, call_id, queue, agent, other, position, wait_ms
	from queue_event order by id" || true
echo "---- cdr"
sqlite3 -header -column "$DB" "select id, call_id, hotline, agent, status, caller_rx_pkts,
	agent_tx_pkts, agent_rx_pkts, caller_tx_pkts from cdr order by id" || true
echo "---- checks"
it_check_caller 3
set +e
it_py_checks "$DB" "$WORK/control.log" "$PCAP_PKTS" <<'PY'
import re, sqlite3, sys
import itcheck
from itcheck import check

db, log = sys.argv[1], open(sys.argv[2], errors="replace").read()
pkts = int(sys.argv[3])
digits = re.findall(r"IVR menu main: digit '(.)'", log)
check(digits == ["1", "2"], f"(b) the IVR took the digits 1 then 2 from the dataplane (got {digits})")
check(len(re.findall(r"IVR \(ivr:main[^)]*\) sends it to queue support", log)) == 2,
      "(b) two calls sent to support by the IVR (digit 2, then the timeout action)")
con = sqlite3.connect(db)
calls = [r[0] for r in con.execute("select call_id from cdr order by id")]
want = [("sales", "agent1"), ("support", "agent2"), ("support", "agent2")]
check(len(calls) == 3, f"(c) three CDR rows (got {len(calls)})")
for i, cid in enumerate(calls[:3]):
    q, ag = want[i]
    enter = con.execute("select queue, other from queue_event where call_id = ? and event = 'enter'",
                        (cid,)).fetchall()
    check(len(enter) == 1 and enter[0][0] == q and (enter[0][1] or "").startswith("ivr:main"),
          f"(c) call {i + 1}: one enter row in {q} via ivr:main (got {enter})")
    conn = con.execute("select queue, agent from queue_event where call_id = ? and event = 'connect'",
                       (cid,)).fetchall()
    check(conn == [(q, ag)], f"(c) call {i + 1}: one connect in {q} with {ag} (got {conn})")
    row = con.execute("select agent, agent_tx_pkts, agent_rx_pkts from cdr where call_id = ?",
                      (cid,)).fetchone()
    check(row[0] == ag, f"(c) call {i + 1}: CDR agent {ag} (got {row[0]})")
    check(row[1] == pkts and row[2] == pkts,
          f"(d) call {i + 1}: the caller's {pkts} audio packets relayed to the agent "
          f"and echoed back (got {row[1]}, {row[2]})")
sys.exit(1 if itcheck.fails else 0)
PY
prc=$?
set -e
[ "$IT_FAILS" = 0 ] && [ "$prc" = 0 ] || it_fail "IVR checks failed"
echo "PASS: 3 calls through the IVR menu (DTMF from the dataplane) to their queues' agents"
