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
command -v sqlite3 >/dev/null || it_skip "no sqlite3 CLI"
command -v tcpdump >/dev/null || it_skip "no tcpdump"
it_need_root_netns_sipp

it_init attended
SB_INSTANCE="ia$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"

it_up
it_log "topology $TAG up; work dir $WORK"

it_start_dataplane
it_control_yaml
sed -i 's/^hotlines:/  - user: agent2\n    password: secret\nhotlines:/' "$WORK/control.yaml"
grep -q 'user: agent2' "$WORK/control.yaml" || it_fail "control.yaml: agent2 not added"
it_start_control

it_bg agent1 agt "$PYTHON" "$IT_DIR/attended_agent.py" agent1 secret 198.51.100.10 5070 \
	198.51.100.1:5060 agent2
it_sipp_agent agent2 agent2 5064 6020
it_bg tcpdump_agt agt tcpdump -nn -i agt0 -w "$WORK/agt0.pcap" udp and host 203.0.113.10
it_bg tcpdump_car car tcpdump -nn -i car0 -w "$WORK/car0.pcap" udp and src host 203.0.113.10
it_wait 10 "agent1 REGISTER answered 200" grep -q '^REGISTERED agent1' "$WORK/agent1.log"
it_wait_registered agent2 agent2
sleep 0.5

set +e
it_sipp_caller caller 1 1
rc=$?
wait "${IT_PIDS[agent1]}"
a1rc=$?
set -e
unset "IT_PIDS[agent1]"
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed; agent1 exit $a1rc"
for _ in $(seq 100); do
	[ "$(sqlite3 "$DB" 'select count(*) from cdr' 2>/dev/null || echo 0)" -ge 2 ] && break
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
to_a1=$(count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 5080")
to_a2=$(count "$WORK/agt0.pcap" "src host 203.0.113.10 and dst host 198.51.100.10 and dst port 6020")
to_car=$(count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and dst port 6000")
last_a1=$(tcpdump -tt -nn -r "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 5080" 2>/dev/null | tail -1 | cut -d' ' -f1)
first_a2=$(tcpdump -tt -nn -r "$WORK/agt0.pcap" "src host 203.0.113.10 and dst port 6020" 2>/dev/null | head -1 | cut -d' ' -f1)
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
check $a "(a) call ok (exit $rc, $ok ok, $failed failed); agent1 transferred (exit $a1rc); agent2 answered and got the BYE"
b=1
[ "$to_a1" -gt 0 ] && [ "$to_a2" -gt 0 ] && [ $((to_a1 + to_a2)) = "$PCAP_PKTS" ] &&
	[ -n "$last_a1" ] && [ -n "$first_a2" ] &&
	awk -v a="$last_a1" -v b="$first_a2" 'BEGIN { exit !(a < b) }' && b=0
check $b "(b) caller's RTP: $to_a1 to agent1 then $to_a2 to agent2, sum $((to_a1 + to_a2)) (want $PCAP_PKTS)"
c=1; [ "$to_a2" -gt 0 ] && [ "$to_car" = "$to_a2" ] && c=0
check $c "(c) the caller got $to_car echoes back (want $to_a2, all of agent2's)"
d=1
[ "$cdr" = "agent2 agent1 $PCAP_PKTS $to_a2 200" ] && [ "$cons" = "agent1 agent2 transfer" ] && d=0
check $d "(d) CDRs '$cdr' (want 'agent2 agent1 $PCAP_PKTS $to_a2 200'), consultation '$cons'"
e=1; grep -q "attended transfer by agent1 to agent2" "$WORK/control.log" 2>/dev/null && e=0
check $e "(e) sb-control logged the join"
[ "$fails" = 0 ] || it_fail "attended transfer checks failed"
echo "PASS: attended transfer; the caller's RTP moved from agent1 to agent2 on the dataplane, $to_a2 echoes back"
