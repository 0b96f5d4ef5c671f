#!/bin/bash
# tests/integration/consult.sh — consultation, three-way and attended
# transfer keyed from the agent's phone, mixed by sb-dataplane: SIPp
# caller (PCMA pcap, 7 s) -> sb-control -> agent1 (consult_agent.py: a
# 600 Hz tone all along, RFC 4733 digits) which keys *2 2001 #, then *3,
# then *4; agent 2001 is SIPp agent-answer.xml echoing its RTP on
# 198.51.100.10:6020.  So:
#   (a) the caller's call succeeds (SIPp exit 0); agent1 got the gateway's
#       BYE after *4 (exit 0); 2001 answered and got the caller's BYE;
#   (b) consultation: agent1 hears its own tone back through the mixer and
#       2001's echo (>= 40 packets of 600 Hz in 1.2 s), while the caller
#       gets nothing (held, no music configured: <= 3 packets, car0);
#   (c) three-way: the caller gets the mix (>= 40 packets in its 1.2 s, car0)
#       and agent1 gets the mix too (>= 40 packets);
#   (d) after *4 the caller and 2001 are connected: the caller gets its own
#       30 ms frames back (2001's echo, relayed: >= 12 in 1.5 s), which it
#       never got before (the mixer sends 20 ms frames, and no one their
#       own voice);
#   (e) CDRs: the customer call with agent 2001, transferred_by agent1; the
#       consultation call agent1 -> 2001 with hangup_by transfer;
#   (f) the agent's digits never reached the caller (no RTP payload type
#       101 on car0: stripped on the agent's leg), yet sb-control got them.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
#
#   consult.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or in the environment)
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
it_need_call_env sqlite3 tcpdump
it_gateway_begin consult icn
it_control_yaml "feature_codes:
  consult: \"*2\"
  conference: \"*3\"
  complete: \"*4\"
  cancel: \"*5\""
it_control_yaml_agent '"2001"'
it_start_control

it_bg agent1 agt "$PYTHON" "$IT_DIR/consult_agent.py" agent1 secret 198.51.100.10 5070 \
	198.51.100.1:5060 2001
it_sipp_agent target 2001 5064 6020
it_capture car src host 203.0.113.10
it_wait 10 "agent1 REGISTER answered 200" grep -q '^REGISTERED agent1' "$WORK/agent1.log"
it_wait_registered target 2001
sleep 0.5

it_caller_argv caller 1 1
it_run_caller caller
a1rc=0
wait "${IT_PIDS[agent1]}" || a1rc=$?
unset "IT_PIDS[agent1]"
it_log "agent1 exit $a1rc"
it_wait_cdr 2
sleep 0.5
it_stop tcpdump_car

# when sb-control acted (its log's UTC stamps, as epoch seconds): the
# windows on car0 follow the gateway, not the agent's clock of keying
log_ts() { # pattern
	local iso
	iso=$(grep -m1 "$1" "$WORK/control.log" | cut -d' ' -f1)
	[ -n "$iso" ] && date -d "$iso" +%s.%N
}
plus() { awk -v t="$1" -v d="$2" 'BEGIN { printf "%.6f", t + d }'; }
t_cons=$(log_ts "consultation: 2001 answered" || true)
t_three=$(log_ts "three-way call" || true)
t_done=$(log_ts "attended transfer by agent1" || true)
read -r _ c_tone c_pkts < <(grep '^CONSULT ' "$WORK/agent1.log" || echo "CONSULT 0 0")
read -r _ t_pkts < <(grep '^THREEWAY ' "$WORK/agent1.log" || echo "THREEWAY 0")
# packets the gateway sent the caller in [from, to) (epoch seconds); big:
# only 30 ms frames (UDP 252 bytes: the caller's own pcap frames, echoed by
# 2001 and relayed as they are), not the 20 ms frames (172) of the agent
# and of the mixer
car_between() { # from to [big]
	local f="src host 203.0.113.10 and dst host 192.0.2.10 and dst port 6000"
	[ -n "${3:-}" ] && f="$f and greater 280"
	tcpdump -tt -nn -r "$WORK/car0.pcap" "$f" 2>/dev/null |
		awk -v a="$1" -v b="$2" '$1 + 0 >= a + 0 && $1 + 0 < b + 0 { n++ } END { print n + 0 }'
}
car_cons=-1 car_three=0 car_after=0 car_big_before=-1
if [ -n "$t_cons" ] && [ -n "$t_three" ] && [ -n "$t_done" ]; then
	car_cons=$(car_between "$(plus "$t_cons" 0.1)" "$t_three")
	car_three=$(car_between "$(plus "$t_three" 0.1)" "$t_done")
	car_after=$(car_between "$t_done" "$(plus "$t_done" 1.5)" big)
	car_big_before=$(car_between 0 "$t_done" big)
fi
te_car=$(it_pcap_count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and (udp[9] & 0x7f) = 101")
pcma_car=$(it_pcap_count "$WORK/car0.pcap" "src host 203.0.113.10 and dst host 192.0.2.10 and (udp[9] & 0x7f) = 8")
xfer=$(sqlite3 "$DB" "select agent || ' ' || transferred_by || ' ' || status from cdr where transferred_by is not null" 2>/dev/null || true)
cons=$(sqlite3 "$DB" "select caller || ' ' || agent || ' ' || hangup_by from cdr where transferred_by is null" 2>/dev/null || true)
echo "---- agent1: consultation $c_tone tone packets of $c_pkts, three-way $t_pkts packets"
echo "---- caller got $car_cons packets in the consultation, $car_three in the three-way, $car_after echoed frames in 1.5 s after the transfer ($car_big_before before)"
echo "---- cdr: transfer '$xfer', consultation '$cons'"
echo "---- checks"
it_check_caller 1
a=1
[ "$a1rc" = 0 ] && grep -q '^BYE' "$WORK/agent1.log" && grep -q "BYE" "$WORK/target.msg" && a=0
it_check $a "(a) agent1 left by the gateway's BYE after *4 (exit $a1rc), 2001 got the caller's BYE"
b=1
[ "${c_tone:-0}" -ge 40 ] && [ "$car_cons" -ge 0 ] && [ "$car_cons" -le 3 ] && b=0
it_check $b "(b) consultation: agent1 heard its tone back through 2001 ($c_tone of $c_pkts), the caller nothing ($car_cons)"
c=1
[ "$car_three" -ge 40 ] && [ "${t_pkts:-0}" -ge 40 ] && c=0
it_check $c "(c) three-way: the caller got the mix ($car_three packets), agent1 too ($t_pkts)"
d=1
[ "$car_after" -ge 12 ] && [ "$car_big_before" = 0 ] && grep -q "attended transfer by agent1 to 2001" "$WORK/control.log" && d=0
it_check $d "(d) after *4 the caller is connected to 2001 ($car_after echoed frames, $car_big_before before)"
e=1
[ "$xfer" = "2001 agent1 200" ] && [ "$cons" != "${cons/agent1 2001 transfer/}" ] && e=0
it_check $e "(e) CDRs: customer call '$xfer', consultation '$cons'"
f=1
[ "$te_car" = 0 ] && [ "$pcma_car" -gt 100 ] &&
	grep -q "agent agent1 consults 2001" "$WORK/control.log" && f=0
it_check $f "(f) the agent's digits reached sb-control, not the caller ($te_car telephone-event packets, $pcma_car PCMA)"
[ "$IT_FAILS" = 0 ] || it_fail "consultation checks failed"
echo "PASS: consultation, three-way and transfer keyed by the agent, mixed on the dataplane"
