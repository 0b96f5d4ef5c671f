#!/bin/bash
# tests/integration/media.sh — sb-dataplane alone in the topology, legs
# preloaded (--preload), no sb-control: isolates the media path.
#
#   media.sh [SB_DATAPLANE]          (or SB_DATAPLANE in the environment)
#
#   sb-gw : sb-dataplane on dp0, legs: 0 = 203.0.113.10:20000 <-> caller
#           192.0.2.10:6000, 1 = :20002 <-> agent 198.51.100.10:6000,
#           connected; sipp/fake-gw.xml answers the INVITE with SDP
#           pointing at leg 0
#   sb-agt: SIPp -rtp_echo (a UAS that never gets a call: only its echo)
#   sb-car: sipp/caller.xml plays g711a.pcap (236 RTP packets) to leg 0
#
# Asserts: the call succeeds; tcpdump on agt0 sees exactly 236 packets
# 203.0.113.10:20002 -> 198.51.100.10:6000 and 236 echoed back; on car0,
# exactly 236 packets 203.0.113.10:20000 -> 192.0.2.10:6000, none with a bad
# UDP checksum; the dataplane's --stats-json shows leg 0 and 1 with rx = tx
# = 236 and the worker relayed 472.
set -eu
. "$(dirname "$0")/lib.sh"

SB_DATAPLANE=${1:-${SB_DATAPLANE:-}}
[ -n "$SB_DATAPLANE" ] && [ -x "$SB_DATAPLANE" ] || it_skip "SB_DATAPLANE not built (${SB_DATAPLANE:-unset})"
it_need_root_netns_sipp
command -v tcpdump >/dev/null || it_skip "no tcpdump"

it_init media
SB_INSTANCE="im$TAG"
export SB_INSTANCE
it_up
it_log "topology $TAG up; work dir $WORK"

cat >"$WORK/legs.txt" <<EOF
leg 0 20000 192.0.2.10:6000
leg 1 20002 198.51.100.10:6000
connect 0 1
EOF
it_bg dataplane gw "$SB_DATAPLANE" -l 0 --no-huge -m 256 --no-pci \
	--file-prefix "sb$TAG" --vdev=net_af_packet0,iface=dp0,framecnt=4096 -- \
	--instance "$SB_INSTANCE" --media-ip 203.0.113.10 --prefix-len 24 \
	--gateway 203.0.113.1 --idle-us 100 --preload "$WORK/legs.txt" \
	--stats-json "$WORK/stats.json"
dp_ready() {
	it_alive dataplane || it_fail "sb-dataplane exited"
	[ -e "/dev/shm/switchboard.$SB_INSTANCE" ]
}
it_wait 20 "sb-dataplane segment /dev/shm/switchboard.$SB_INSTANCE" dp_ready
it_log "sb-dataplane up (pid ${IT_PIDS[dataplane]})"

it_bg fakegw gw sipp -sf "$SIPP_DIR/fake-gw.xml" -i 192.0.2.1 -p 5060 -m 1 -nostdin \
	-trace_msg -message_file "$WORK/fakegw.msg" -trace_err -error_file "$WORK/fakegw.err"
it_bg echo agt sipp -sn uas -i 198.51.100.10 -p 5060 -mi 198.51.100.10 -mp 6000 \
	-rtp_echo -nostdin
it_bg tcpdump_agt agt tcpdump -nn -i agt0 -w "$WORK/agt0.pcap" udp and host 203.0.113.10
it_bg tcpdump_car car tcpdump -nn -i car0 -w "$WORK/car0.pcap" udp and host 203.0.113.10
sleep 1

set +e
it_sipp_caller caller 1 1
rc=$?
set -e
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
sleep 0.3
it_stop tcpdump_agt
it_stop tcpdump_car
it_stop dataplane # writes --stats-json on exit

cnt() { tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l; }
to_agent=$(cnt "$WORK/agt0.pcap" 'src host 203.0.113.10 and src port 20002 and dst host 198.51.100.10 and dst port 6000')
echo_back=$(cnt "$WORK/agt0.pcap" 'src host 198.51.100.10 and src port 6000 and dst host 203.0.113.10 and dst port 20002')
to_caller=$(cnt "$WORK/car0.pcap" 'src host 203.0.113.10 and src port 20000 and dst host 192.0.2.10 and dst port 6000')
from_caller=$(cnt "$WORK/car0.pcap" 'src host 192.0.2.10 and dst host 203.0.113.10 and dst port 20000')
bad=$(for f in "$WORK/agt0.pcap" "$WORK/car0.pcap"; do tcpdump -nn -vv -r "$f" 2>/dev/null; done | grep -c 'bad udp cksum' || true)
echo "  caller -> leg 0: $from_caller; leg 1 -> agent: $to_agent; agent echo -> leg 1: $echo_back; leg 0 -> caller: $to_caller; bad UDP checksums: $bad"
echo "---- stats.json"
cat "$WORK/stats.json" 2>/dev/null || echo "(none)"

fails=0
expect() { # got want msg
	if [ "$1" = "$2" ]; then echo "  ok   $3 = $2"; else
		echo "  FAIL $3 = $1, expected $2"
		fails=$((fails + 1))
	fi
}
expect "$rc/$ok/$failed" "0/1/0" "caller exit/successful/failed"
expect "$from_caller" "$PCAP_PKTS" "caller -> 203.0.113.10:20000 on car0"
expect "$to_agent" "$PCAP_PKTS" "203.0.113.10:20002 -> agent on agt0"
expect "$echo_back" "$PCAP_PKTS" "agent echo -> 203.0.113.10:20002 on agt0"
expect "$to_caller" "$PCAP_PKTS" "203.0.113.10:20000 -> caller on car0"
expect "$bad" 0 "packets with bad UDP checksums"
read -r l0rx l0tx l1rx l1tx rel < <("$PYTHON" - "$WORK/stats.json" <<'PY' || echo "? ? ? ? ?"
import json, sys
d = json.load(open(sys.argv[1]))
legs = {l["leg"]: l for l in d["legs"]}
print(legs[0]["rx_pkts"], legs[0]["tx_pkts"], legs[1]["rx_pkts"], legs[1]["tx_pkts"],
      sum(w["relayed"] for w in d["workers"]))
PY
)
expect "$l0rx" "$PCAP_PKTS" "stats leg 0 rx_pkts"
expect "$l0tx" "$PCAP_PKTS" "stats leg 0 tx_pkts"
expect "$l1rx" "$PCAP_PKTS" "stats leg 1 rx_pkts"
expect "$l1tx" "$PCAP_PKTS" "stats leg 1 tx_pkts"
expect "$rel" "$((2 * PCAP_PKTS))" "stats workers relayed"
[ "$fails" = 0 ] || it_fail "$fails check(s) failed"
echo "PASS: sb-dataplane relayed $PCAP_PKTS packets each way, exactly"
