#!/bin/bash
# tests/integration/selftest.sh — the topology and the SIPp scenarios,
# without the gateway: known good before sb-control/sb-dataplane are in
# the path.
#
#   sb-gw : registrar stub (sipp/registrar.xml: 401 challenge, digest check, 200)
#   sb-agt: agent phone (agent.xml + agent-answer.xml, -rtp_echo)
#   sb-car: caller (caller.xml) calling the agent directly, routed by sb-gw
#
# Asserts: the agent registers through the digest challenge; the caller's
# call succeeds; on agt0 exactly PCAP_PKTS RTP packets went each way (the
# pcap, and its echo), with no bad UDP checksum; on dp0 no packet at all
# (nothing is addressed to the media range).  Exit 77 when not root or
# without ip netns / sipp.
set -eu
. "$(dirname "$0")/lib.sh"

it_need_root_netns_sipp
command -v tcpdump >/dev/null || it_skip "no tcpdump"
it_init selftest
it_up
it_log "topology $TAG up; work dir $WORK"

it_bg registrar gw sipp -sf "$SIPP_DIR/registrar.xml" -i 198.51.100.1 -p 5060 \
	-m 1 -nostdin -trace_msg -message_file "$WORK/registrar.msg" \
	-trace_err -error_file "$WORK/registrar.err"
it_bg tcpdump_agt agt tcpdump -l -nn -vv -i agt0 -w "$WORK/agt0.pcap" udp portrange 6000-6001
it_bg tcpdump_dp0 gw tcpdump -l -nn -i dp0 -w "$WORK/dp0.pcap" ip
sleep 0.5
it_sipp_agent agent agent1 5060 6000
it_wait 5 "agent1 REGISTER answered 200" it_registered agent agent1
it_log "agent1 registered (through the 401 challenge)"

set +e
it_sipp_caller caller 1 1 198.51.100.10:5060
rc=$?
set -e
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
[ "$rc" = 0 ] && [ "$ok" = 1 ] && [ "$failed" = 0 ] || it_fail "caller call did not succeed"
grep -q "^ENDED agent1 call" "$WORK/agent.events" || it_fail "agent did not see the BYE"

sleep 0.5 # last echoes
it_stop tcpdump_agt
it_stop tcpdump_dp0
fwd=$(tcpdump -nn -r "$WORK/agt0.pcap" 'src host 192.0.2.10 and src port 6000 and dst host 198.51.100.10 and dst port 6000' 2>/dev/null | wc -l)
back=$(tcpdump -nn -r "$WORK/agt0.pcap" 'src host 198.51.100.10 and src port 6000 and dst host 192.0.2.10 and dst port 6000' 2>/dev/null | wc -l)
bad=$(tcpdump -nn -vv -r "$WORK/agt0.pcap" 2>/dev/null | grep -c 'bad udp cksum' || true)
dp0=$(tcpdump -nn -r "$WORK/dp0.pcap" 2>/dev/null | wc -l)
it_log "RTP caller->agent $fwd, echo agent->caller $back (pcap holds $PCAP_PKTS), bad checksums $bad, frames on dp0 $dp0"
[ "$fwd" = "$PCAP_PKTS" ] || it_fail "caller->agent RTP: $fwd packets, expected $PCAP_PKTS"
[ "$back" = "$PCAP_PKTS" ] || it_fail "echo RTP: $back packets, expected $PCAP_PKTS"
[ "$bad" = 0 ] || it_fail "$bad packets with bad UDP checksums (offloads still on?)"
[ "$dp0" = 0 ] || it_fail "$dp0 unexpected frames on dp0"
echo "PASS: topology and SIPp scenarios (1 call, $PCAP_PKTS RTP packets each way)"
