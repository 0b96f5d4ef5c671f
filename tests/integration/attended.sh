#!/bin/bash
# tests/integration/attended.sh — attended transfer with the media on the
# dataplane: SIPp caller -> sb-control -> agent1 (attended_agent.py), which
# calls agent2 by name (the consultation; agent2 is SIPp agent-answer.xml,
# RTP echo on 198.51.100.10:6020) and REFERs the customer call with
# ?Replaces= naming its consultation dialog, while the caller's audio
# plays.  sb-control joins the two calls: the caller's leg is CONNECTed
# to agent2's leg on the dataplane, agent1's two legs go.  So:
#   (a) the caller's call succeeds (SIPp exit 0); agent1 saw 202, NOTIFY
#       100, the BYE of its consultation and NOTIFY 200 (exit 0,
#       TRANSFERRED); agent2 answered and got the caller's BYE (ENDED);
#   (b) on agt0 the caller's RTP went first to agent1 (:5080, nobody
#       listens), then to agent2 (:6020); the two add up to every packet of
#       the pcap (none lost across the join);
#   (c) the caller got back every echo agent2 sent (car0);
#   (d) CDRs: the customer call with agent agent2, transferred_by agent1,
#       caller_rx = PCAP_PKTS, agent_rx = what agent2 got, status 200; the
#       consultation with hangup_by transfer;
#   (e) sb-control logged the join.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
#
#   attended.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump
it_gateway_begin attended ia
it_control_yaml
it_control_yaml_agent agent2
it_start_control

it_bg agent1 agt "$PYTHON" "$IT_DIR/attended_agent.py" agent1 secret 198.51.100.10 5070 \
	198.51.100.1:5060 agent2
it_sipp_agent agent2 agent2 5064 6020
it_capture agt host 203.0.113.10
it_capture car src host 203.0.113.10
it_wait 10 "agent1 REGISTER answered 200" grep -q '^REGISTERED agent1' "$WORK/agent1.log"
it_wait_registered agent2 agent2
sleep 0.5

it_caller_argv caller 1 1
it_run_caller caller
a1rc=0
wait "${IT_PIDS[agent1]}" || a1rc=$?
unset "IT_PIDS[agent1]"
it_log "agent1 exit $a1rc"
it_wait_cdr 2
sleep 0.5
it_stop tcpdump_agt
it_stop tcpdump_car

to_a1=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 5080")
to_a2=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6020")
to_car=$(it_pcap_count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and dst port 6000")
last_a1=$(it_pcap_ts last "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 5080")
first_a2=$(it_pcap_ts first "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6020")
cdr=$(sqlite3 "$DB" "select agent || ' ' || transferred_by || ' ' || caller_rx_pkts || ' ' || agent_rx_pkts || ' ' || status from cdr where transferred_by is not null" 2>/dev/null || true)
cons=$(sqlite3 "$DB" "select caller || ' ' || agent || ' ' || hangup_by from cdr where transferred_by is null" 2>/dev/null || true)
echo "---- RTP to agent1 $to_a1, to agent2 $to_a2 (last to agent1 $last_a1, first to agent2 $first_a2), to the caller $to_car"
echo "---- cdr: agent transferred_by caller_rx agent_rx status = $cdr; consultation: $cons"
echo "---- checks"
a=1
[ "$rc" = 0 ] && [ "$ok" = 1 ] && [ "$failed" = 0 ] && [ "$a1rc" = 0 ] &&
	grep -q '^TRANSFERRED agent1 to agent2' "$WORK/agent1.log" &&
	grep -q '^ANSWERED agent2' "$WORK/agent2.events" &&
	grep -q '^ENDED agent2' "$WORK/agent2.events" && a=0
it_check $a "(a) call ok (exit $rc, $ok ok, $failed failed); agent1 transferred (exit $a1rc); agent2 answered and got the BYE"
b=1
[ "$to_a1" -gt 0 ] && [ "$to_a2" -gt 0 ] && [ $((to_a1 + to_a2)) = "$PCAP_PKTS" ] &&
	[ -n "$last_a1" ] && [ -n "$first_a2" ] &&
	awk -v a="$last_a1" -v b="$first_a2" 'BEGIN { exit !(a < b) }' && b=0
it_check $b "(b) caller's RTP: $to_a1 to agent1 then $to_a2 to agent2, sum $((to_a1 + to_a2)) (want $PCAP_PKTS)"
c=1; [ "$to_a2" -gt 0 ] && [ "$to_car" = "$to_a2" ] && c=0
it_check $c "(c) the caller got $to_car echoes back (want $to_a2, all of agent2's)"
d=1
[ "$cdr" = "agent2 agent1 $PCAP_PKTS $to_a2 200" ] && [ "$cons" = "agent1 agent2 transfer" ] && d=0
it_check $d "(d) CDRs '$cdr' (want 'agent2 agent1 $PCAP_PKTS $to_a2 200'), consultation '$cons'"
e=1; grep -q "attended transfer by agent1 to agent2" "$WORK/control.log" 2>/dev/null && e=0
it_check $e "(e) sb-control logged the join"
[ "$IT_FAILS" = 0 ] || it_fail "attended transfer checks failed"
echo "PASS: attended transfer; the caller's RTP moved from agent1 to agent2 on the dataplane, $to_a2 echoes back"
