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
command -v sqlite3 >/dev/null || it_skip "no sqlite3 CLI"
command -v tcpdump >/dev/null || it_skip "no tcpdump"
it_need_root_netns_sipp

it_init reinvite
SB_INSTANCE="ir$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"

it_up
it_log "topology $TAG up; work dir $WORK"

it_start_dataplane

it_control_yaml
it_start_control

it_bg agent agt sipp 198.51.100.1:5060 -sf "$SIPP_DIR/agent.xml" \
	-oocsf "$SIPP_DIR/agent-move.xml" -m 1 -s agent1 -au agent1 -ap secret \
	-i 198.51.100.10 -p 5060 -mi 198.51.100.10 -mp 6000 -rtp_echo \
	-nostdin -default_behaviors all,-abortunexp \
	-trace_logs -log_file "$WORK/agent.events" \
	-trace_msg -message_file "$WORK/agent.msg" -trace_err -error_file "$WORK/agent.err"
it_bg echo2 agt sipp -sn uas -i 198.51.100.10 -p 5062 -mi 198.51.100.10 -mp 6010 \
	-rtp_echo -nostdin
it_bg tcpdump_agt agt tcpdump -nn -i agt0 -w "$WORK/agt0.pcap" udp and host 203.0.113.10
it_wait_registered agent agent1
sleep 0.5

it_caller_argv caller 1 1
CALLER_ARGV[3]="$SIPP_DIR/caller-move.xml"
set +e
ip netns exec "sb-car-$TAG" "${CALLER_ARGV[@]}" >"$WORK/caller.log" 2>&1 </dev/null
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

fails=0
check() { # cond-result msg
	if [ "$1" = 0 ]; then echo "  ok   $2"; else echo "  FAIL $2"; fails=$((fails + 1)); fi
}
count() { # tcpdump filter
	tcpdump -nn -r "$WORK/agt0.pcap" "$1" 2>/dev/null | wc -l
}
to_new=$(count "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6010")
to_old=$(count "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6000")
cdr=$(sqlite3 "$DB" "select agent_rx_pkts || ' ' || caller_rx_pkts || ' ' || status from cdr" 2>/dev/null || true)
echo "---- cdr: agent_rx caller_rx status = $cdr"
echo "---- checks"
a=1; [ "$rc" = 0 ] && [ "$ok" = 1 ] && [ "$failed" = 0 ] && grep -q '^MOVED agent1' "$WORK/agent.events" && a=0
check $a "(a) call ok (exit $rc, $ok ok, $failed failed) and the agent answered the re-INVITE"
b=1; [ "$to_new" = "$PCAP_PKTS" ] && [ "$to_old" = 0 ] && b=0
check $b "(b) RTP to the agent: $to_new packets to :6010 (want $PCAP_PKTS), $to_old to :6000 (want 0)"
c=1; [ "$cdr" = "$PCAP_PKTS $PCAP_PKTS 200" ] && c=0
check $c "(c) CDR agent_rx = caller_rx = $PCAP_PKTS, status 200 (got '$cdr')"
d=1; grep -q "agent media moved to port 6010" "$WORK/control.log" 2>/dev/null && d=0
check $d "(d) sb-control logged the agent leg's move"
[ "$fails" = 0 ] || it_fail "re-INVITE media checks failed"
echo "PASS: the agent's media moved by re-INVITE; $PCAP_PKTS RTP packets followed it"
