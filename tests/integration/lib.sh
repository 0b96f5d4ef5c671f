# tests/integration/lib.sh — shared by the integration tests and scripts/demo.
# Sourced (bash).  Provides:
#   it_init NAME          TAG, WORK (temp dir), the EXIT/INT/TERM trap
#   it_skip MSG           exit 77 with a message
#   it_need_root_netns_sipp
#   it_up                 scripts/netns up $TAG
#   it_bg NAME NS CMD...  start CMD in namespace NS (car|agt|gw) in the
#                         background, stdout+stderr to $WORK/NAME.log; its pid
#                         is remembered and it is ended (by that pid) on exit
#   it_stop NAME          end one started process (TERM, then KILL after 5 s)
#   it_wait SECS MSG CMD... poll CMD every 0.1 s until it succeeds or fail
#   it_fail MSG           print MSG, logs follow from the trap, exit 1
#   it_sipp_agent NAME USER PORT MPORT   the agent phone (agent.xml) in sb-agt
#   it_need_bins, it_start_dataplane, it_control_yaml [EXTRA], it_start_control,
#   it_wait_registered NAME USER   the gateway as the call tests start it
#   it_need_call_env [CMD...], it_gateway_begin NAME PREFIX, sbctl,
#   it_control_yaml_agent USER, it_sipp_agent_with NAME USER PORT MPORT SF
#   [OPT...], it_run_caller NAME, it_wait_cdr N, it_control_counters,
#   it_check RESULT MSG (IT_FAILS), it_py_checks ARGS (itcheck.py),
#   it_pcap_count PCAP FILTER, it_pcap_ts first|last PCAP FILTER,
#   it_capture NS FILTER, it_end_stats NAME..., it_check_caller CALLS
#                         what the call tests repeat (see each below)
# On exit the trap ends every started process, removes the topology, prints
# the logs when the exit status is not 0 or 77 (or IT_VERBOSE=1), and
# removes WORK unless IT_KEEP=1 (or it failed: then WORK is kept and named).

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SB_ROOT=$(cd "$IT_DIR/../.." && pwd)
NETNS="$SB_ROOT/scripts/netns"
SIPP_DIR=${SIPP_DIR:-$IT_DIR/sipp}
PCAP=/usr/share/sip-tester/g711a.pcap
# Debian's python3 (stdlib only); a pyenv shim on PATH costs ~0.7 s a start
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
# RTP packets in $PCAP: 236 packets, all 10.1.3.143:5000 -> 10.1.6.18:2006,
# UDP payload 252 bytes (12-byte RTP header + 240 bytes PCMA = 30 ms),
# spanning 7.05 s (tcpdump -nr /usr/share/sip-tester/g711a.pcap | wc -l).
PCAP_PKTS=236
PCAP_RTP_BYTES=252

declare -A IT_PIDS=()
IT_NAMES=()
IT_TAG_UP=0
IT_CLEANUP_HOOK=""

it_log() { echo "[$(date +%T)] $*"; }

it_skip() {
	echo "SKIP: $*"
	exit 77
}

it_fail() {
	echo "FAIL: $*"
	exit 1
}

it_need_root_netns_sipp() {
	[ "$(id -u)" = 0 ] || it_skip "not root (network namespaces need root)"
	command -v ip >/dev/null || it_skip "no ip (iproute2)"
	ip netns list >/dev/null 2>&1 || it_skip "no 'ip netns'"
	command -v ethtool >/dev/null || it_skip "no ethtool"
	command -v sipp >/dev/null || it_skip "no sipp (Debian sip-tester)"
	[ -r "$PCAP" ] || it_skip "no $PCAP (Debian sip-tester)"
	# a veth pair in a scratch namespace: the kernel may lack veth
	local probe="sb-probe-$$"
	if ! ip netns add "$probe" 2>/dev/null; then
		it_skip "cannot create a network namespace"
	fi
	if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null
		it_skip "no veth support"
	fi
	ip netns del "$probe" 2>/dev/null
	return 0
}

it_print_logs() {
	local f
	for f in "$WORK"/*.log "$WORK"/*.err "$WORK"/*.screen; do
		[ -s "$f" ] || continue
		echo "======== $f (last 80 lines)"
		tail -n 80 "$f"
	done
}

it_stop() { # name
	local name=$1 pid i
	pid=${IT_PIDS[$name]:-}
	[ -n "$pid" ] || return 0
	unset "IT_PIDS[$name]"
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		it_log "$name (pid $pid) ignored SIGTERM for 5 s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

it_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	set +e
	[ -n "$IT_CLEANUP_HOOK" ] && $IT_CLEANUP_HOOK
	# last started, first ended (SIPp, then control, then the dataplane)
	for ((i = ${#IT_NAMES[@]} - 1; i >= 0; i--)); do
		it_stop "${IT_NAMES[$i]}"
	done
	[ "$IT_TAG_UP" = 1 ] && "$NETNS" down "$TAG"
	# our DPDK runtime dir and shm segment, named by our unique TAG
	rm -rf "/var/run/dpdk/sb$TAG" 2>/dev/null
	[ -n "${SB_INSTANCE:-}" ] && rm -f "/dev/shm/switchboard.$SB_INSTANCE" 2>/dev/null
	# logs on failure (not on skip, nor on Ctrl-C)
	if { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "$rc" != 130 ]; } || [ "${IT_VERBOSE:-0}" = 1 ]; then
		[ -d "$WORK" ] && it_print_logs
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "logs kept in $WORK"
	elif [ "${IT_KEEP:-0}" = 1 ]; then
		echo "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}

it_init() { # name
	TAG=${TAG:-$$}
	WORK=$(mktemp -d "/tmp/sb-$1.XXXXXX")
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

it_up() {
	IT_TAG_UP=1
	"$NETNS" up "$TAG" >"$WORK/netns.log" 2>&1 || {
		cat "$WORK/netns.log"
		it_fail "scripts/netns up $TAG"
	}
}

it_bg() { # name ns cmd...
	local name=$1 ns="sb-$2-$TAG"
	shift 2
	ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	IT_PIDS[$name]=$!
	IT_NAMES+=("$name")
	echo "$*" >"$WORK/$name.cmd"
}

it_alive() { # name
	local pid=${IT_PIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

it_wait() { # secs msg cmd...
	local secs=$1 msg=$2 i n
	shift 2
	n=$((secs * 10))
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	it_fail "timed out after ${secs}s: $msg"
}

# The agent phone: REGISTER as USER at the gateway's agent side, answer
# calls, echo RTP (-rtp_echo) on 198.51.100.10:MPORT.
it_sipp_agent() { # name user sip-port media-port [registrar]
	local name=$1 user=$2 port=$3 mport=$4 reg=${5:-198.51.100.1:5060}
	it_bg "$name" agt sipp "$reg" -sf "$SIPP_DIR/agent.xml" \
		-oocsf "$SIPP_DIR/agent-answer.xml" -m 1 \
		-s "$user" -au "$user" -ap "${AGENT_PASSWORD:-secret}" \
		-i 198.51.100.10 -p "$port" -mi 198.51.100.10 -mp "$mport" -rtp_echo \
		-nostdin -default_behaviors all,-abortunexp \
		-trace_logs -log_file "$WORK/$name.events" \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err"
}

it_registered() { # name user
	grep -q "^REGISTERED $2\$" "$WORK/$1.events" 2>/dev/null
}

# The caller's command line in CALLER_ARGV: CALLS calls, at most LIMIT at a
# time, RATE new calls per second, to TARGET (the gateway's carrier side).
it_caller_argv() { # name calls limit [target] [rate]
	local name=$1 calls=$2 limit=$3 target=${4:-192.0.2.1:5060} rate=${5:-10}
	CALLER_ARGV=(sipp "$target" -sf "$SIPP_DIR/caller.xml"
		-s "${HOTLINE:-800100}" -i 192.0.2.10 -p 5060 -mi 192.0.2.10 -mp 6000
		-m "$calls" -l "$limit" -r "$rate" -nostdin
		-default_behaviors all,-abortunexp
		-timeout "${CALLER_TIMEOUT:-50}s" -timeout_error
		-trace_stat -stf "$WORK/$name.csv" -fd 1
		-trace_screen -screen_file "$WORK/$name.screen"
		-trace_msg -message_file "$WORK/$name.msg"
		-trace_err -error_file "$WORK/$name.err")
}

# Run the caller in the foreground; its exit status is SIPp's (0: all calls
# succeeded).
it_sipp_caller() { # name calls limit [target]
	it_caller_argv "$@"
	ip netns exec "sb-car-$TAG" "${CALLER_ARGV[@]}" >"$WORK/$1.log" 2>&1 </dev/null
}

# "successful failed current" cumulative call counts from a SIPp -trace_stat CSV
it_sipp_counts() { # csv
	"$PYTHON" "$IT_DIR/sbstat.py" sipp "$1"
}

# ---- the gateway, as every call test starts it ----------------------------

# $1..$3 (or the environment): the binaries; exit 77 naming the one missing.
it_need_bins() { # [dataplane control sbctl]
	SB_DATAPLANE=${1:-${SB_DATAPLANE:-}}
	SB_CONTROL=${2:-${SB_CONTROL:-}}
	SBCTL=${3:-${SBCTL:-}}
	local b
	for b in SB_DATAPLANE SB_CONTROL SBCTL; do
		[ -n "${!b}" ] && [ -x "${!b}" ] || it_skip "$b not built (${!b:-unset})"
	done
}

# sb-dataplane's command line for this TAG and SB_INSTANCE, in IT_DP_ARGS.
it_dp_args() {
	IT_DP_ARGS=(-l 0 --no-huge -m 256 --no-pci --file-prefix "sb$TAG"
		--vdev=net_af_packet0,iface=dp0,framecnt=4096 --
		--instance "$SB_INSTANCE" --media-ip 203.0.113.10 --prefix-len 24
		--gateway 203.0.113.1 --idle-us 100)
}

# Start sb-dataplane in the gateway and wait for its segment.
it_start_dataplane() {
	it_dp_args
	it_bg dataplane gw "$SB_DATAPLANE" "${IT_DP_ARGS[@]}"
	it_wait 20 "sb-dataplane segment /dev/shm/switchboard.$SB_INSTANCE" it_dp_ready
	it_log "sb-dataplane up (pid ${IT_PIDS[dataplane]})"
}
it_dp_ready() {
	it_alive dataplane || it_fail "sb-dataplane exited"
	[ -e "/dev/shm/switchboard.$SB_INSTANCE" ]
}

# sb-control's config in $WORK/control.yaml: both SIP sides, the store in
# $DB, agent1/secret on hotline 800100, and EXTRA (YAML top-level keys) if
# given.  SIPp 3.6.1 (the agent phones) computes MD5 digests only, so the
# challenge offers MD5 alone (the default is SHA-256 first; RFC 8760).
it_control_yaml() { # [extra-yaml]
	cat >"$WORK/control.yaml" <<EOF
instance: $SB_INSTANCE
sip:
  listen: [192.0.2.1:5060, 198.51.100.1:5060]
store:
  sqlite: $DB
auth:
  algorithms: [MD5]
${1:-}
agents:
  - user: agent1
    password: secret
hotlines:
  - number: "800100"
    agents: [agent1]
EOF
}

# Start sb-control on $WORK/control.yaml and wait until it listens on both
# sides and has attached to the dataplane.
it_start_control() {
	# shellcheck disable=SC2086
	it_bg control gw "$SB_CONTROL" ${SB_CONTROL_ARGS:---config} "$WORK/control.yaml"
	it_wait 10 "sb-control listening on both sides and attached to the dataplane" \
		it_control_ready
	it_log "sb-control up (pid ${IT_PIDS[control]})"
}
it_control_ready() {
	it_alive control || it_fail "sb-control exited"
	[ "$(ip netns exec "sb-gw-$TAG" ss -Hlun 'sport = :5060' | wc -l)" -ge 2 ] &&
		grep -q "media: attached to dataplane" "$WORK/control.log"
}

# Wait until the SIPp agent NAME (started by it_sipp_agent or by hand) has
# registered USER.
it_wait_registered() { # name user
	it_wait 10 "$2 REGISTER answered 200 by sb-control" it_agent_ok "$1" "$2"
	it_log "$2 registered"
}
it_agent_ok() {
	it_alive "$1" || it_fail "SIPp $1 exited"
	it_registered "$1" "$2"
}

# ---- what the call tests repeat around the gateway -------------------------

# Skip (77) unless root, ip netns, veth and SIPp are there, and each
# command named (sqlite3, tcpdump ...) is on PATH.
it_need_call_env() { # [cmd...]
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || it_skip "no $c"
	done
	it_need_root_netns_sipp
}

# it_init NAME; SB_INSTANCE=PREFIX$TAG (exported: sbctl and the cleanup use
# it; PREFIX is unique per test), DB in WORK; the topology up and
# sb-dataplane started.  sb-control is left to the test (its config varies).
it_gateway_begin() { # name instance-prefix
	it_init "$1"
	SB_INSTANCE="$2$TAG"
	export SB_INSTANCE
	DB="$WORK/switchboard.db"
	it_up
	it_log "topology $TAG up; work dir $WORK"
	it_start_dataplane
}

# sbctl on this test's dataplane, from the gateway namespace.
sbctl() { ip netns exec "sb-gw-$TAG" "$SBCTL" --instance "$SB_INSTANCE" "$@"; }

# Add agent USER (password secret) to $WORK/control.yaml, before hotlines:
# an agent on no hotline, reached by name (transfers).
it_control_yaml_agent() { # user
	sed -i "s/^hotlines:/  - user: $1\n    password: secret\nhotlines:/" "$WORK/control.yaml"
	grep -q "user: $1\$" "$WORK/control.yaml" || it_fail "control.yaml: $1 not added"
}

# A SIPp agent phone like it_sipp_agent's (REGISTER by agent.xml at the
# gateway's agent side, traced to $WORK/NAME.events/.msg/.err), answering
# calls with sipp/SCENARIO and given SIPp options (-rtp_echo, -lost P ...).
it_sipp_agent_with() { # name user sip-port media-port scenario [sipp-option...]
	local name=$1 user=$2 port=$3 mport=$4 sf=$5
	shift 5
	it_bg "$name" agt sipp 198.51.100.1:5060 -sf "$SIPP_DIR/agent.xml" \
		-oocsf "$SIPP_DIR/$sf" -m 1 \
		-s "$user" -au "$user" -ap "${AGENT_PASSWORD:-secret}" \
		-i 198.51.100.10 -p "$port" -mi 198.51.100.10 -mp "$mport" "$@" \
		-nostdin -default_behaviors all,-abortunexp \
		-trace_logs -log_file "$WORK/$name.events" \
		-trace_msg -message_file "$WORK/$name.msg" \
		-trace_err -error_file "$WORK/$name.err"
}

# Run CALLER_ARGV (from it_caller_argv NAME ..., then adjusted) in the
# carrier namespace in the foreground; set rc (SIPp's exit status, 0: all
# calls succeeded) and ok/failed (its cumulative counts in $WORK/NAME.csv).
it_run_caller() { # name
	rc=0
	ip netns exec "sb-car-$TAG" "${CALLER_ARGV[@]}" >"$WORK/$1.log" 2>&1 </dev/null || rc=$?
	read -r ok failed _ < <(it_sipp_counts "$WORK/$1.csv")
	it_log "$1: exit $rc, $ok successful, $failed failed"
}

# Wait up to 10 s for N rows in $DB's cdr table; no failure here: the
# checks that follow say what is missing.
it_wait_cdr() { # n
	local i
	for i in $(seq 100); do
		[ "$(sqlite3 "$DB" 'select count(*) from cdr' 2>/dev/null || echo 0)" -ge "$1" ] &&
			return 0
		sleep 0.1
	done
	return 0
}

# sb-control's SIP counters and leftover calls, as it logs them at exit.
it_control_counters() {
	echo "---- sb-control's counters"
	grep -E "sip: (transactions|[0-9]+ messages in)|calls still in memory" \
		"$WORK/control.log" || true
}

# One check's line; RESULT 0 is ok, anything else counts in IT_FAILS.
IT_FAILS=0
it_check() { # result msg
	if [ "$1" = 0 ]; then
		echo "  ok   $2"
	else
		echo "  FAIL $2"
		IT_FAILS=$((IT_FAILS + 1))
	fi
}

# The checks written in Python (heredoc on stdin) with itcheck.py importable.
it_py_checks() { # args...
	PYTHONPATH="$IT_DIR${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" - "$@"
}

# Packets in a capture that match a tcpdump filter.
it_pcap_count() { # pcap filter
	tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l
}

# The time stamp (s.us) of the first or the last packet matching FILTER.
it_pcap_ts() { # first|last pcap filter
	local pick="head"
	[ "$1" = last ] && pick=tail
	tcpdump -tt -nn -r "$2" "$3" 2>/dev/null | $pick -1 | cut -d' ' -f1
}

# Capture UDP on NS's interface (car|agt: car0, agt0) into $WORK/NS0.pcap,
# as process tcpdump_NS; FILTER is tcpdump's (after "udp and").
it_capture() { # ns filter...
	local ns=$1
	shift
	it_bg "tcpdump_$ns" "$ns" tcpdump -nn -i "${ns}0" -w "$WORK/${ns}0.pcap" udp and "$@"
}

# After the calls: sbctl stats into $WORK/stats-end.json, then the named
# processes ended in order (sb-control last: it logs its counters at exit).
it_end_stats() { # name...
	local n
	sbctl stats >"$WORK/stats-end.json" 2>"$WORK/stats-end.stderr" || true
	for n in "$@"; do
		it_stop "$n"
	done
}

# Check (a) of the tests that place CALLS calls: the caller (it_run_caller)
# exited 0 with CALLS successful and none failed.
it_check_caller() { # calls
	local a=1
	[ "$rc" = 0 ] && [ "$ok" = "$1" ] && [ "$failed" = 0 ] && a=0
	it_check $a "(a) caller: exit 0, $1 successful, 0 failed (got exit $rc, $ok, $failed)"
}
