#!/bin/bash
# tests/integration/overload_sipp.sh — 503 under overload, driven by SIPp:
# SIPp caller -> sb-control (sip.overload.max_cps 2, max_calls 4) -> four
# SIPp agents on one hotline, media legs on sb-dataplane.
#
#   overload_sipp.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
#   CALLS=N (30)  RATE=R (10/s)
#
# The caller (sipp/caller-overload.xml) offers CALLS calls at RATE per
# second, five times max_cps; each is either refused (503, whose
# Retry-After SIPp checks with a regexp and logs) or a whole call held
# 1 s and ended by the caller's BYE.  max_calls = the number of agents, so
# an admitted call always finds a free agent (never 480).  Asserts:
#   (a) the caller: exit 0, CALLS successful (refused or completed), 0
#       failed: no call lost;
#   (b) some refused, some completed, refused + completed = CALLS, every
#       Retry-After within retry_after..2*retry_after (jitter);
#   (c) sb-control counted the refusals: its "refused above max_cps" is
#       > 0 and its two 503 counters add up to the refused calls;
#   (d) in-dialog requests kept flowing: every completed call has a CDR row
#       (status 200, hung up by the caller), every one reached an agent and
#       its BYE too (agents logged ENDED), and a BYE was answered while
#       INVITEs were still being refused (SIPp clock ticks in the logs);
#   (e) nothing leaked: no active leg in the dataplane, no call in sb-control.
# Exit 77 when not root, no ip netns, no sipp/sqlite3, or binaries missing.
set -eu
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-30}
RATE=${RATE:-10}
MAX_CPS=2
RETRY_AFTER=2
AGENTS=4

it_need_bins "$@"
it_need_call_env sqlite3
it_gateway_begin overload io

{
	cat <<EOF2
instance: $SB_INSTANCE
sip:
  listen: [192.0.2.1:5060, 198.51.100.1:5060]
  overload:
    max_cps: $MAX_CPS
    max_calls: $AGENTS
    retry_after: $RETRY_AFTER
store:
  sqlite: $DB
auth:
  algorithms: [MD5]
agents:
EOF2
	for i in $(seq "$AGENTS"); do
		printf '  - user: agent%d\n    password: secret\n' "$i"
	done
	echo "hotlines:"
	echo "  - number: \"800100\""
	echo "    agents: [$(seq -s ', ' -f 'agent%g' "$AGENTS")]"
} >"$WORK/control.yaml"
it_start_control

for i in $(seq "$AGENTS"); do
	it_sipp_agent_with "agent$i" "agent$i" $((5058 + 2 * i)) $((5990 + 10 * i)) agent-answer.xml
done
for i in $(seq "$AGENTS"); do
	it_wait_registered "agent$i" "agent$i"
done

it_caller_argv caller "$CALLS" "$CALLS" 192.0.2.1:5060 "$RATE"
CALLER_ARGV[3]="$SIPP_DIR/caller-overload.xml"
CALLER_ARGV+=(-d 1000 -trace_logs -log_file "$WORK/caller.events")
it_log "offering $CALLS calls at $RATE/s; max_cps $MAX_CPS, max_calls $AGENTS"
it_run_caller caller

completed=$(grep -c '^COMPLETED' "$WORK/caller.events" 2>/dev/null || true)
it_wait_cdr "${completed:-0}"
sleep 1 # the agents' BYE transactions
it_end_stats control

echo "---- sb-control's counters"
grep -E "overload: [0-9]+ INVITEs|calls still in memory|[0-9]+ messages in" "$WORK/control.log" || true
echo "---- checks"
it_check_caller "$CALLS"

set +e
it_py_checks "$DB" "$CALLS" "$WORK" "$RETRY_AFTER" "$AGENTS" <<'PY'
import glob, re, sys

import itcheck
from itcheck import cdr_rows, check, no_active_legs

db, calls, work, ra_base, agents = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
ev = open(work + "/caller.events", errors="replace").read()
refused = [(int(n), int(r), int(t)) for n, r, t in
           re.findall(r"^REFUSED (\d+) retry-after (\d+) at (\d+)", ev, re.M)]
done = [(int(n), int(t)) for n, t in re.findall(r"^COMPLETED (\d+) at (\d+)", ev, re.M)]
nums = sorted([n for n, _, _ in refused] + [n for n, _ in done])
check(len(refused) > 0 and len(done) > 0 and nums == list(range(1, calls + 1)),
      "(b) %d refused + %d completed = %d calls, each once" % (len(refused), len(done), calls))
ras = sorted({r for _, r, _ in refused})
check(bool(ras) and all(ra_base <= r <= 2 * ra_base for r in ras),
      "(b) Retry-After in %d..%d (got %s)" % (ra_base, 2 * ra_base, ras))

log = open(work + "/control.log", errors="replace").read()
m = re.search(r"overload: (\d+) INVITEs refused above max_cps, (\d+) at max_calls", log)
if m:
    cps, mc = map(int, m.groups())
    check(cps > 0 and cps + mc == len(refused),
          "(c) sb-control: %d refused above max_cps + %d at max_calls = %d refused"
          % (cps, mc, len(refused)))
else:
    check(False, "(c) sb-control's overload counters in its log")

rows = cdr_rows(db)
good = [r for r in rows if str(r.get("status")) == "200" and r.get("hangup_by") == "caller"
        and isinstance(r.get("answer_ms"), int)]
check(len(rows) == len(done) and len(good) == len(done),
      "(d) %d CDR rows, all answered and hung up by the caller (got %d rows, %d so)"
      % (len(done), len(rows), len(good)))
ended = 0
for f in glob.glob(work + "/agent*.events"):
    ended += len(re.findall(r"^ENDED ", open(f, errors="replace").read(), re.M))
check(ended == len(done), "(d) the agents answered %d BYEs (want %d)" % (ended, len(done)))
if done and refused:
    first_bye, last_503 = min(t for _, t in done), max(t for _, _, t in refused)
    check(first_bye < last_503,
          "(d) a BYE got its 200 (at %d ms) while INVITEs were still refused (last 503 at "
          "%d ms)" % (first_bye, last_503))
check("calls still in memory" not in log, "(e) sb-control: no call left at shutdown")
no_active_legs(work + "/stats-end.json", "(e)")
sys.exit(1 if itcheck.fails else 0)
PY
prc=$?
set -e
[ "$IT_FAILS" = 0 ] && [ "$prc" = 0 ] || it_fail "overload checks failed"
echo "PASS: $CALLS calls at $RATE/s against max_cps $MAX_CPS: refused with 503 + Retry-After or completed, none lost"
