#!/bin/bash
# tests/integration/reinvite.sh — the media follows a re-INVITE: SIPp caller
# -> sb-control -> SIPp agent, media on sb-dataplane (DPDK, net_af_packet).
#
#   reinvite.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
#
# The caller (sipp/caller-move.xml) re-INVITEs right after the call is up;
# the agent (sipp/agent-move.xml) answers it from another RTP port (6010,
# where a second SIPp echoes RTP; nothing echoes on 6000 any more; not
# 6002: SIPp binds media port + 2 for video).  Only
# then does the caller play g711a.pcap.  sb-control relays the re-INVITE
# into the agent's dialog and re-points the agent leg (LEG_MOD); so:
#   (a) the call succeeds (SIPp exit 0) and the agent logged MOVED;
#   (b) on agt0 every RTP packet from the media address goes to
#       198.51.100.10:6010 (PCAP_PKTS of them), none to :6000;
#   (c) the CDR: agent_rx_pkts = caller_rx_pkts = PCAP_PKTS (the echo from
#       the new port was accepted and relayed back to the caller);
#   (d) sb-control logged the move.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump
it_gateway_begin reinvite ir
it_control_yaml
it_start_control

it_sipp_agent_with agent agent1 5060 6000 agent-move.xml -rtp_echo
it_bg echo2 agt sipp -sn uas -i 198.51.100.10 -p 5062 -mi 198.51.100.10 -mp 6010 \
	-rtp_echo -nostdin
it_capture agt host 203.0.113.10
it_wait_registered agent agent1
sleep 0.5

it_caller_argv caller 1 1
CALLER_ARGV[3]="$SIPP_DIR/caller-move.xml"
it_run_caller caller
it_wait_cdr 1
sleep 0.5
it_stop tcpdump_agt

to_new=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6010")
to_old=$(it_pcap_count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6000")
cdr=$(sqlite3 "$DB" "select agent_rx_pkts || ' ' || caller_rx_pkts || ' ' || status from cdr" 2>/dev/null || true)
echo "---- cdr: agent_rx caller_rx status = $cdr"
echo "---- checks"
a=1; [ "$rc" = 0 ] && [ "$ok" = 1 ] && [ "$failed" = 0 ] && grep -q '^MOVED agent1' "$WORK/agent.events" && a=0
it_check $a "(a) call ok (exit $rc, $ok ok, $failed failed) and the agent answered the re-INVITE"
b=1; [ "$to_new" = "$PCAP_PKTS" ] && [ "$to_old" = 0 ] && b=0
it_check $b "(b) RTP to the agent: $to_new packets to :6010 (want $PCAP_PKTS), $to_old to :6000 (want 0)"
c=1; [ "$cdr" = "$PCAP_PKTS $PCAP_PKTS 200" ] && c=0
it_check $c "(c) CDR agent_rx = caller_rx = $PCAP_PKTS, status 200 (got '$cdr')"
d=1; grep -q "agent media moved to port 6010" "$WORK/control.log" 2>/dev/null && d=0
it_check $d "(d) sb-control logged the agent leg's move"
[ "$IT_FAILS" = 0 ] || it_fail "re-INVITE media checks failed"
echo "PASS: the agent's media moved by re-INVITE; $PCAP_PKTS RTP packets followed it"
