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
