#!/bin/bash
# tests/integration/supervise.sh — a supervisor on a live call, media mixed
# by sb-dataplane: SIPp caller (PCMA pcap, 7 s) -> sb-control -> agent1
# (SIPp, RTP echo on 198.51.100.10:6020); once the call is up, boss
# (supervisor.py, `supervisor: true`) dials *51agent1, counts the RTP the
# gateway sends it for 1.5 s (listen), sends the RFC 4733 digit 6 (barge),
# counts again for 1.5 s, hangs up.  So:
#   (a) the caller's call succeeds (SIPp exit 0, 1 ok);
#   (b) boss registered, was answered, and got the mix: RTP from the gateway
#       in listen mode and in barge mode (>= 25 packets each: 20 ms frames);
#   (c) the digit reached sb-control as a DTMF event from the dataplane and
#       switched the supervisor listen -> barge;
#   (d) boss's BYE returned the call to a plain connection (logged), and the
#       agent kept getting the caller's audio after it (agt0 capture);
#   (e) CDRs: the customer call and the supervisor's (hotline *51agent1).
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
#
#   supervise.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump
it_gateway_begin supervise isv
it_control_yaml
it_control_yaml_agent boss
sed -i '/^  - user: boss$/{n;s/$/\n    supervisor: true/}' "$WORK/control.yaml"
grep -q "supervisor: true" "$WORK/control.yaml" || it_fail "control.yaml: boss not a supervisor"
it_start_control

it_bg boss agt "$PYTHON" "$IT_DIR/supervisor.py" boss secret 198.51.100.10 5070 \
	198.51.100.1:5060 '*51' agent1 "$WORK/sup.go"
it_sipp_agent agent1 agent1 5064 6020
it_capture agt host 203.0.113.10
it_wait 10 "boss REGISTER answered 200" grep -q '^REGISTERED boss' "$WORK/boss.log"
it_wait_registered agent1 agent1
sleep 0.5

it_caller_argv caller 1 1
it_bg caller car "${CALLER_ARGV[@]}"
it_wait 10 "the customer call is up" grep -q 'call [0-9]*: up' "$WORK/control.log"
touch "$WORK/sup.go"
brc=0
wait "${IT_PIDS[boss]}" || brc=$?
unset "IT_PIDS[boss]"
rc=0
wait "${IT_PIDS[caller]}" || rc=$?
unset "IT_PIDS[caller]"
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "boss exit $brc; caller exit $rc, $ok successful, $failed failed"
it_wait_cdr 2
sleep 0.3
it_stop tcpdump_agt

read -r _ listen barge < <(grep '^RTP ' "$WORK/boss.log" || echo "RTP 0 0")
done_ts=$(sed -n 's/^DONE //p' "$WORK/boss.log")
last_agent=$(it_pcap_ts last "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6020")
cdr=$(sqlite3 "$DB" "select hotline || ' ' || status from cdr order by id" 2>/dev/null | tr '\n' ',' || true)
echo "---- boss: RTP listen $listen barge $barge, BYE done at ${done_ts:-?}; last RTP to agent1 at ${last_agent:-?}"
echo "---- cdr: $cdr"
echo "---- checks"
it_check_caller 1
b=1
[ "$brc" = 0 ] && grep -q '^SUPERVISING \*51agent1' "$WORK/boss.log" &&
	[ "${listen:-0}" -ge 25 ] && [ "${barge:-0}" -ge 25 ] && b=0
it_check $b "(b) boss supervised (exit $brc) and got the mix: $listen packets listening, $barge barging (want >= 25 each)"
c=1
grep -q "supervisor of call [0-9]* switches listen -> barge" "$WORK/control.log" 2>/dev/null &&
	c=0
it_check $c "(c) the dataplane's DTMF event switched the supervisor listen -> barge"
d=1
grep -q "plain connection again" "$WORK/control.log" 2>/dev/null && [ -n "$done_ts" ] &&
	[ -n "$last_agent" ] &&
	awk -v a="$last_agent" -v b="$done_ts" 'BEGIN { exit !(a > b + 0.5) }' && d=0
it_check $d "(d) back to a plain connection; the agent still got audio after the supervisor left"
e=1
case "$cdr" in *"800100 200"*"*51agent1 200"* | *"*51agent1 200"*"800100 200"*) e=0 ;; esac
it_check $e "(e) CDRs of the call and of the supervision ($cdr)"
[ "$IT_FAILS" = 0 ] || it_fail "supervision checks failed"
echo "PASS: listen and barge on the dataplane's mixer, DTMF mode switch, back to a connection"
