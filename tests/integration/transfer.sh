#!/bin/bash
# tests/integration/transfer.sh — blind transfer by REFER with the media on
# the dataplane: SIPp caller -> sb-control -> SIPp agent1, which REFERs the
# call to agent2 (a second SIPp phone) while the caller's audio plays;
# media on sb-dataplane (DPDK, net_af_packet).
#
#   transfer.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
#
# agent1 (sipp/agent-refer.xml, RTP echo on 198.51.100.10:6000) answers,
# 2 s into the caller's g711a.pcap sends REFER to agent2, gets 202 and the
# NOTIFYs 100/200 (logs TRANSFERRED), then hangs up its own dialog.
# agent2 (sipp/agent-answer.xml, SIP 5064, RTP echo on :6020) is INVITEd
# by sb-control with the SDP of the agent-side leg agent1 had; the caller
# never hears a re-INVITE.  So:
#   (a) the caller's call succeeds (SIPp exit 0), agent1 logged
#       TRANSFERRED and ENDED, agent2 ANSWERED and ENDED (the caller's BYE
#       reached it);
#   (b) on agt0, RTP from the media address went first to :6000, then to
#       :6020, and the two add up to every packet of the pcap (none lost
#       across the switch);
#   (c) the caller got every echo back (car0: PCAP_PKTS packets from the
#       media address), i.e. agent2's echo came back on the same legs;
#   (d) the CDR: agent agent2, transferred_by agent1, caller_rx =
#       agent_rx = PCAP_PKTS, status 200;
#   (e) sb-control logged the transfer;
#   (f) agent2 was offered only the codec in use (PCMA, payload type 8,
#       of the caller's 8 0): the caller's stream goes on unchanged.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump
it_gateway_begin transfer ix

# it_control_yaml's file with a second agent (agent2 on no hotline: reached
# by name through the transfer only)
it_control_yaml
it_control_yaml_agent agent2
it_start_control

it_sipp_agent_with agent1 agent1 5060 6000 agent-refer.xml -rtp_echo
it_sipp_agent agent2 agent2 5064 6020
it_capture agt host 203.0.113.10
it_capture car src host 203.0.113.10
it_wait_registered agent1 agent1
it_wait_registered agent2 agent2
sleep 0.5

it_caller_argv caller 1 1
it_run_caller caller
it_wait_cdr 1
sleep 0.5
it_stop tcpdump_agt
it_stop tcpdump_car

to_a1=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6000")
to_a2=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6020")
to_car=$(it_pcap_count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and dst port 6000")
# the last packet to agent1 is sent before the first to agent2
last_a1=$(it_pcap_ts last "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6000")
first_a2=$(it_pcap_ts first "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6020")
cdr=$(sqlite3 "$DB" "select agent || ' ' || ifnull(transferred_by, '-') || ' ' || caller_rx_pkts || ' ' || agent_rx_pkts || ' ' || status from cdr" 2>/dev/null || true)
echo "---- RTP to agent1 $to_a1, to agent2 $to_a2 (last to agent1 $last_a1, first to agent2 $first_a2), to the caller $to_car"
echo "---- cdr: agent transferred_by caller_rx agent_rx status = $cdr"
echo "---- checks"
a=1
[ "$rc" = 0 ] && [ "$ok" = 1 ] && [ "$failed" = 0 ] &&
	grep -q '^TRANSFERRED agent1' "$WORK/agent1.events" &&
	grep -q '^ENDED agent1' "$WORK/agent1.events" &&
	grep -q '^ANSWERED agent2' "$WORK/agent2.events" &&
	grep -q '^ENDED agent2' "$WORK/agent2.events" && a=0
it_check $a "(a) call ok (exit $rc, $ok ok, $failed failed); agent1 transferred and hung up; agent2 answered and got the BYE"
b=1
[ "$to_a1" -gt 0 ] && [ "$to_a2" -gt 0 ] && [ $((to_a1 + to_a2)) = "$PCAP_PKTS" ] &&
	[ -n "$last_a1" ] && [ -n "$first_a2" ] &&
	awk -v a="$last_a1" -v b="$first_a2" 'BEGIN { exit !(a < b) }' && b=0
it_check $b "(b) caller's RTP: $to_a1 to agent1 then $to_a2 to agent2, sum $((to_a1 + to_a2)) (want $PCAP_PKTS)"
c=1; [ "$to_car" = "$PCAP_PKTS" ] && c=0
it_check $c "(c) the caller got $to_car echoes back (want $PCAP_PKTS)"
d=1; [ "$cdr" = "agent2 agent1 $PCAP_PKTS $PCAP_PKTS 200" ] && d=0
it_check $d "(d) CDR agent2 transferred_by agent1, caller_rx = agent_rx = $PCAP_PKTS, status 200 (got '$cdr')"
e=1; grep -q "transferred by agent1 to agent2" "$WORK/control.log" 2>/dev/null && e=0
it_check $e "(e) sb-control logged the transfer"
offer=$(grep -aE '^m=audio [0-9]+ ' "$WORK/agent2.msg" 2>/dev/null | head -1 | tr -d '\r')
f=1; [[ "$offer" =~ ^m=audio\ [0-9]+\ RTP/AVP\ 8$ ]] && f=0
it_check $f "(f) agent2 offered the codec in use only ('$offer')"
[ "$IT_FAILS" = 0 ] || it_fail "transfer checks failed"
echo "PASS: blind transfer by REFER; the caller's $PCAP_PKTS RTP packets reached agent1 then agent2, all echoed back"
