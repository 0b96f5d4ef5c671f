#!/bin/bash
# tests/integration/restart.sh — a live call keeps its media across kill -9
# and restart of sb-dataplane (issue 3, item 7).
#
#   restart.sh [SB_DATAPLANE SB_CONTROL SBCTL]   (or those variables in the
#                                                environment; meson passes them)
#
# Topology: scripts/netns (TAG dpd<pid>).  SIPp caller (sipp/caller-restart.xml:
# g711a.pcap played three times, ~22 s of RTP) -> sb-control -> SIPp agent
# (echoes RTP), media on sb-dataplane (net_af_packet on dp0).  ~3 s into the
# call the dataplane is killed with SIGKILL; its frozen counters are read
# from the dead segment (sbctl), its DPDK runtime dir is removed, and it is
# started again with the same arguments.  Asserts:
#   (a) the caller's call succeeds (it hangs up itself at the end) and the
#       CDR says hangup_by caller, status 200, talk time >= 18 s: the call
#       stayed up while the dataplane was away;
#   (b) sb-control logged the loss, the re-attach to a new generation and
#       "re-programmed 1 calls (2 legs, 1 connections) ... 0 failed";
#   (c) the new dataplane has the call's two legs on the same local ports,
#       and their counters grow in both directions (two samples 3 s apart);
#   (d) tcpdump: after the restart the caller (car0) and the agent (agt0)
#       each receive >= 200 RTP packets from the media address;
#   (e) the CDR packet counts are the old generation's plus the new one's,
#       exactly, for both legs, and > 0 in each generation.
# Exit 77 when not root, no ip netns, no sipp/sqlite3/tcpdump, or binaries
# missing.
set -eu
. "$(dirname "$0")/lib.sh"

it_need_bins "$@"
command -v sqlite3 >/dev/null || it_skip "no sqlite3 CLI"
command -v tcpdump >/dev/null || it_skip "no tcpdump"
it_need_root_netns_sipp

TAG=${TAG:-dpd$$}
it_init restart
SB_INSTANCE="rs$TAG"
export SB_INSTANCE
DB="$WORK/switchboard.db"

sbctl() { ip netns exec "sb-gw-$TAG" "$SBCTL" --instance "$SB_INSTANCE" "$@"; }
now() { date +%s.%N; }

it_up
it_log "topology $TAG up; work dir $WORK"

it_dp_args

# ready = the segment of a generation other than $1 answers sbctl as ready
dp_gen() {
	sbctl stats 2>/dev/null | "$PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
print(d["generation"] if d.get("state") == "ready" else "")' 2>/dev/null || true
}

it_bg dataplane gw "$SB_DATAPLANE" "${IT_DP_ARGS[@]}"
dp1_ready() {
	it_alive dataplane || it_fail "sb-dataplane exited"
	[ -n "$(dp_gen)" ]
}
it_wait 20 "sb-dataplane segment /dev/shm/switchboard.$SB_INSTANCE" dp1_ready
GEN1=$(dp_gen)
it_log "sb-dataplane up (pid ${IT_PIDS[dataplane]}, generation $GEN1)"

it_control_yaml
it_start_control

it_sipp_agent agent agent1 5060 6000
it_wait_registered agent agent1

it_bg tcpdump_car car tcpdump -nn -tt -i car0 -w "$WORK/car0.pcap" udp and src host 203.0.113.10
it_bg tcpdump_agt agt tcpdump -nn -tt -i agt0 -w "$WORK/agt0.pcap" udp and src host 203.0.113.10
sleep 1

# ---- the caller, in the background: one long call
it_caller_argv caller 1 1
[ "${CALLER_ARGV[3]}" = "$SIPP_DIR/caller.xml" ] || it_fail "lib.sh: unexpected caller command line"
CALLER_ARGV[3]="$SIPP_DIR/caller-restart.xml"
it_bg caller car "${CALLER_ARGV[@]}"
answered() {
	it_alive caller || it_fail "SIPp caller ended before the call was answered"
	grep -q '^ANSWERED' "$WORK/agent.events" 2>/dev/null
}
it_wait 15 "the call answered by agent1" answered
it_log "call up; media flowing through generation $GEN1"
sleep 3
sbctl stats >"$WORK/stats-before.json"

# ---- kill -9, read the dead segment, restart with the same arguments
DP1_PID=${IT_PIDS[dataplane]}
[ "$(cat "/proc/$DP1_PID/comm" 2>/dev/null)" = "sb-dataplane" ] ||
	it_fail "pid $DP1_PID is not sb-dataplane ($(cat "/proc/$DP1_PID/comm" 2>/dev/null))"
T_KILL=$(now)
kill -KILL "$DP1_PID"
wait "$DP1_PID" 2>/dev/null || true
unset "IT_PIDS[dataplane]"
it_log "sb-dataplane (pid $DP1_PID) killed with SIGKILL"
# counters are frozen now: read them where the dead dataplane left them
sbctl stats >"$WORK/stats-dead.json" || it_fail "sbctl could not read the dead segment"
lost_logged() { grep -q "media: dataplane $SB_INSTANCE generation .* lost" "$WORK/control.log"; }
it_wait 5 "sb-control noticing the dataplane is gone" lost_logged
# kill -9 leaves the EAL runtime dir (and its lock files) behind
rm -rf "/var/run/dpdk/sb$TAG"
it_bg dataplane gw "$SB_DATAPLANE" "${IT_DP_ARGS[@]}"
dp2_ready() {
	it_alive dataplane || it_fail "the restarted sb-dataplane exited"
	local g
	g=$(dp_gen)
	[ -n "$g" ] && [ "$g" != "$GEN1" ]
}
it_wait 20 "the restarted sb-dataplane's segment (new generation)" dp2_ready
GEN2=$(dp_gen)
T_UP=$(now)
it_log "sb-dataplane restarted (pid ${IT_PIDS[dataplane]}, generation $GEN2) $(
	"$PYTHON" -c "print('%.1f' % ($T_UP - $T_KILL))") s after the kill"
reprogrammed() { grep -q "media: re-programmed" "$WORK/control.log"; }
it_wait 10 "sb-control re-programming the call" reprogrammed
T_REPROG=$(now)
sleep 3
sbctl stats >"$WORK/stats-after1.json"
sleep 3
sbctl stats >"$WORK/stats-after2.json"

# ---- the caller hangs up by itself
set +e
wait "${IT_PIDS[caller]}"
rc=$?
set -e
unset "IT_PIDS[caller]"
read -r ok failed _ < <(it_sipp_counts "$WORK/caller.csv")
it_log "caller: exit $rc, $ok successful, $failed failed"
cdr_count() { sqlite3 "$DB" "select count(*) from cdr" 2>/dev/null || echo 0; }
for _ in $(seq 100); do
	[ "$(cdr_count)" -ge 1 ] && break
	sleep 0.1
done
sleep 0.5
it_stop tcpdump_car
it_stop tcpdump_agt

# the new generation's final counters: the legs are deleted but their
# counters stay readable until the index is reused
LEGS=$("$PYTHON" -c 'import json, sys
print(" ".join(str(l["idx"]) for l in json.load(open(sys.argv[1]))["legs"]))' "$WORK/stats-after1.json")
for i in $LEGS; do
	sbctl leg "$i" >"$WORK/leg-end-$i.json"
done

echo "---- control log (media)"
grep -E "media:|call [0-9]+:|cdr:" "$WORK/control.log" || true
echo "---- cdr"
sqlite3 -header -column "$DB" "select call_id, hangup_by, status, start_ms, answer_ms, end_ms, caller_rx_pkts, caller_tx_pkts, agent_rx_pkts, agent_tx_pkts, caller_rx_bytes, agent_rx_bytes from cdr" || true
echo "---- checks"
set +e
"$PYTHON" - "$WORK" "$DB" "$rc" "$ok" "$failed" "$GEN1" "$GEN2" "$T_REPROG" "$SB_INSTANCE" <<'PY'
import glob, json, os, re, sqlite3, subprocess, sys

work, db, rc, ok, failed, gen1, gen2, t_reprog, inst = sys.argv[1:10]
t_reprog = float(t_reprog)
fails = 0

def check(cond, msg):
    global fails
    print(("  ok   " if cond else "  FAIL ") + msg)
    if not cond:
        fails += 1

def load(name):
    try:
        return json.load(open(os.path.join(work, name)))
    except Exception as e:
        return {"error": str(e)}

def legs(d):
    return {l["idx"]: l for l in d.get("legs", [])}

# (a) the call
check(rc == "0" and ok == "1" and failed == "0",
      f"(a) SIPp caller: exit 0, 1 successful, 0 failed (got exit {rc}, {ok}, {failed})")
con = sqlite3.connect(db)
con.row_factory = sqlite3.Row
rows = [dict(r) for r in con.execute("select * from cdr")]
check(len(rows) == 1, f"(a) one CDR row (got {len(rows)})")
r = rows[0] if rows else {}
check(r.get("hangup_by") == "caller" and r.get("status") == 200,
      f"(a) CDR hangup_by caller, status 200 (got {r.get('hangup_by')!r}, {r.get('status')!r})")
talk = (r.get("end_ms") or 0) - (r.get("answer_ms") or 0)
check(talk >= 18000, f"(a) talk time >= 18 s: the call stayed up (got {talk} ms)")

# (b) control's log
log = open(os.path.join(work, "control.log")).read()
check(re.search(rf"media: dataplane {inst} generation {gen1.lstrip('0')} lost: ", log) is not None,
      f"(b) control logged the loss of generation {gen1}")
check(re.search(rf"re-attached to dataplane {inst}: new generation {gen2.lstrip('0')} "
                rf"\(was {gen1.lstrip('0')}\)", log) is not None,
      f"(b) control logged the re-attach to generation {gen2}")
m = re.search(r"re-programmed (\d+) calls \((\d+) legs, (\d+) connections\).* (\d+) failed", log)
check(m is not None and m.groups() == ("1", "2", "1", "0"),
      f"(b) control re-programmed 1 call, 2 legs, 1 connection, 0 failed (got {m.group(0) if m else None})")
check("hanging up" not in log, "(b) control did not hang up on its own")

# (c) the new generation carries the same legs, counters growing
before, dead = legs(load("stats-before.json")), legs(load("stats-dead.json"))
a1, a2 = legs(load("stats-after1.json")), legs(load("stats-after2.json"))
check(len(dead) == 2 and all(l["rx_pkts"] > 0 and l["tx_pkts"] > 0 for l in dead.values()),
      f"(c) old generation: 2 legs with traffic both ways when killed ({[(i, l['rx_pkts'], l['tx_pkts']) for i, l in dead.items()]})")
check(sorted((i, l["local_port"]) for i, l in a1.items()) ==
      sorted((i, l["local_port"]) for i, l in dead.items()),
      f"(c) new generation: the same legs on the same ports ({sorted((i, l['local_port']) for i, l in a1.items())})")
grow = all(i in a2 and a2[i]["rx_pkts"] > a1[i]["rx_pkts"] > 0 and
           a2[i]["tx_pkts"] > a1[i]["tx_pkts"] > 0 for i in a1)
check(len(a1) == 2 and grow,
      f"(c) new generation: rx and tx grow on both legs ({[(i, a1[i]['rx_pkts'], a2.get(i, {}).get('rx_pkts')) for i in a1]})")

# (d) RTP reaches both phones after the restart
def after(pcap):
    out = subprocess.run(["tcpdump", "-nn", "-tt", "-r", pcap], capture_output=True, text=True).stdout
    n = 0
    for line in out.splitlines():
        try:
            if float(line.split()[0]) > t_reprog:
                n += 1
        except (ValueError, IndexError):
            pass
    return n
nc, na = after(os.path.join(work, "car0.pcap")), after(os.path.join(work, "agt0.pcap"))
check(nc >= 200, f"(d) caller received >= 200 RTP packets after the restart (got {nc})")
check(na >= 200, f"(d) agent received >= 200 RTP packets after the restart (got {na})")

# (e) CDR = old generation + new generation, exactly
end = {}
for p in glob.glob(os.path.join(work, "leg-end-*.json")):
    l = json.load(open(p))
    end[l["idx"]] = l
# the caller's leg is the one whose peer is the caller
ca = [i for i, l in dead.items() if l.get("peer", "").startswith("192.0.2.10:")]
ag = [i for i, l in dead.items() if l.get("peer", "").startswith("198.51.100.10:")]
check(len(ca) == 1 and len(ag) == 1, f"(e) caller and agent legs identified by peer ({ca}, {ag})")
if len(ca) == 1 and len(ag) == 1 and rows:
    c, g = ca[0], ag[0]
    for col, leg, key in (("caller_rx_pkts", c, "rx_pkts"), ("caller_tx_pkts", c, "tx_pkts"),
                          ("agent_rx_pkts", g, "rx_pkts"), ("agent_tx_pkts", g, "tx_pkts"),
                          ("caller_rx_bytes", c, "rx_bytes"), ("agent_rx_bytes", g, "rx_bytes")):
        old, new = dead[leg][key], end.get(leg, {}).get(key, -1)
        check(old > 0 and new > 0 and r.get(col) == old + new,
              f"(e) CDR {col} = old {old} + new {new} (got {r.get(col)})")
sys.exit(1 if fails else 0)
PY
prc=$?
set -e
[ "$prc" = 0 ] || it_fail "restart checks failed"
echo "PASS: the call kept its media across kill -9 and restart of sb-dataplane ($GEN1 -> $GEN2)"
