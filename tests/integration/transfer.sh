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
command -v sqlite3 >/dev/null || it_skip "no sqlite3 CLI"
command -v tcpdump >/dev/null || it_skip "no tcpdump"
it_need_root_netns_sipp

it_init transfer
SB_INSTANCE="ix$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"

it_up
it_log "topology $TAG up; work dir $WORK"

it_start_dataplane

# it_control_yaml's file with a second agent (agent2 on no hotline: reached
# by name through the transfer only)
it_control_yaml
sed -i 's/^hotlines:/  - user: agent2\n    password: secret\nhotlines:/' "$WORK/control.yaml"
grep -q 'user: agent2' "$WORK/control.yaml" || it_fail "control.yaml: agent2 not added"
it_start_control

it_bg agent1 agt sipp 198.51.100.1:5060 -sf "$SIPP_DIR/agent.xml" \
	-oocsf "$SIPP_DIR/agent-refer.xml" -m 1 -s agent1 -au agent1 -ap secret \
	-i 198.51.100.10 -p 5060 -mi 198.51.100.10 -mp 6000 -rtp_echo \
	-nostdin -default_behaviors all,-abortunexp \
	-trace_logs -log_file "$WORK/agent1.events" \
	-trace_msg -message_file "$WORK/agent1.msg" -trace_err -error_file "$WORK/agent1.err"
it_sipp_agent agent2 agent2 5064 6020
it_bg tcpdump_agt agt tcpdump -nn -i agt0 -w "$WORK/agt0.pcap" udp and host 203.0.113.10
it_bg tcpdump_car car tcpdump -nn -i car0 -w "$WORK/car0.pcap" udp and src host 203.0.113.10
it_wait_registered agent1 agent1
it_wait_registered agent2 agent2
sleep 0.5

set +e
it_sipp_caller caller 1 1
rc=$?
set -e
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
for _ in $(seq 100); do
	[ "$(sqlite3 "$DB" 'select count(*) from cdr' 2>/dev/null || echo 0)" -ge 1 ] && break
	sleep 0.1
done
sleep 0.5
it_stop tcpdump_agt
it_stop tcpdump_car

fails=0
check() { # cond-result msg
	if [ "$1" = 0 ]; then echo "  ok   $2"; else echo "  FAIL $2"; fails=$((fails + 1)); fi
}
count() { # pcap filter
	tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l
}
to_a1=$(count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6000")
to_a2=$(count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6020")
to_car=$(count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and dst port 6000")
# the last packet to agent1 is sent before the first to agent2
last_a1=$(tcpdump -tt -nn -r "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6000" 2>/dev/null | tail -1 | cut -d' ' -f1)
first_a2=$(tcpdump -tt -nn -r "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6020" 2>/dev/null | head -1 | cut -d' ' -f1)
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
check $a "(a) call ok (exit $rc, $ok ok, $failed failed); agent1 transferred and hung up; agent2 answered and got the BYE"
b=1
[ "$to_a1" -gt 0 ] && [ "$to_a2" -gt 0 ] && [ $((to_a1 + to_a2)) = "$PCAP_PKTS" ] &&
	[ -n "$last_a1" ] && [ -n "$first_a2" ] &&
	awk -v a="$last_a1" -v b="$first_a2" 'BEGIN { exit !(a < b) }' && b=0
check $b "(b) caller's RTP: $to_a1 to agent1 then $to_a2 to agent2, sum $((to_a1 + to_a2)) (want $PCAP_PKTS)"
c=1; [ "$to_car" = "$PCAP_PKTS" ] && c=0
check $c "(c) the caller got $to_car echoes back (want $PCAP_PKTS)"
d=1; [ "$cdr" = "agent2 agent1 $PCAP_PKTS $PCAP_PKTS 200" ] && d=0
check $d "(d) CDR agent2 transferred_by agent1, caller_rx = agent_rx = $PCAP_PKTS, status 200 (got '$cdr')"
e=1; grep -q "transferred by agent1 to agent2" "$WORK/control.log" 2>/dev/null && e=0
check $e "(e) sb-control logged the transfer"
offer=$(grep -aE '^m=audio [0-9]+ ' "$WORK/agent2.msg" 2>/dev/null | head -1 | tr -d '\r')
f=1; [[ "$offer" =~ ^m=audio\ [0-9]+\ RTP/AVP\ 8$ ]] && f=0
check $f "(f) agent2 offered the codec in use only ('$offer')"
[ "$fails" = 0 ] || it_fail "transfer checks failed"
echo "PASS: blind transfer by REFER; the caller's $PCAP_PKTS RTP packets reached agent1 then agent2, all echoed back"
