#!/bin/bash
# tests/integration/acd_sipp.sh — contact-centre queues (issue 6) with real
# SIPp phones: four agents (one SIPp each, registered by digest in sb-agt),
# many callers (SIPp in sb-car), sb-control and sb-dataplane (af_packet on
# dp0: every call's two media legs are programmed there) in sb-gw.  What
# each call did is read back from the store (tables queue_event and cdr)
# and the phones' logs, and checked by acd_check.py against what this
# script did, in one of two modes:
#
#   strategies  six queues over the same four agents (wrap-up 0), one
#               hotline each, calls placed one at a time unless said:
#     linear       4 calls: agent1 each time; then 4 calls two at a time:
#                  only agent1 and agent2 (the first free), both used
#     round-robin  5 calls: agent1 2 3 4 1; a second SIPp run of 3 calls
#                  goes on where the first stopped: 2 3 4 (memory)
#     fewest-calls agent1 paused (HTTP API): 3 calls to agents 2 3 4; agent1
#                  unpaused: 3 calls go 1 1 2 (round-robin would go 1 2 3)
#     least-talk   one 3 s call (agent1), then 6 short ones: each went to
#                  the member with the least talk time summed from the
#                  queue's own complete rows (agent1 never again)
#     longest-idle one call through the linear hotline frees agent1 last;
#                  then 4 calls: each to the agent whose last call ended
#                  longest ago (complete rows of every queue), agent1 last
#     random       20 short calls: every agent used, none above 12, and
#                  not the round-robin rotation
#     every call: caller saw 200, exactly one offer and one connect, the
#     CDR names the agent its connect row names (~22 s)
#
#   flow  agent1 and agent4 ring and never answer (sipp/agent-ring.xml),
#         agent2 and agent3 answer (and echo RTP):
#     ring-all     queue [agent1, agent2, agent4]: 2 calls; each offered to
#                  all three at once (3 offer rows), agent2 connects,
#                  agent1 and agent4 see a CANCEL each time; losing a
#                  ring-all is no ring-no-answer
#     no-answer    queue [agent1, agent2], ring_timeout 1 s, agent1
#                  max_noanswer 2, noanswer_delay 1 s: call 1 rings agent1
#                  1 s, then agent2; call 2 (1.2 s later) the same and
#                  agent1 is auto-paused (autopause row, API state
#                  paused); call 3 goes straight to agent2
#     abandon      agent3 held by a call with audio (sipp/caller.xml's
#                  pcap, echoed: all of it both ways through the dataplane
#                  per the CDR's packet counts); two callers queue for it and
#                  CANCEL after 1.5 s and 0.7 s (the second one first):
#                  abandon rows with positions 2 then 1 and their waits
#     overflow     still agent3 busy: a caller in a queue with max_wait 1 s
#                  moves to the overflow queue after >= 1 s and gets
#                  agent2; with max_len 1 and one caller waiting, the next
#                  caller overflows at once (full) and gets agent2 (~17 s)
#
#   tier2 tier-2 escalation, blind (b2bua/xfer.c to_queue): queues t1
#         [agent1] and t2 [agent2]; agent1 (sipp/agent-refer.xml with its
#         Refer-To turned to t2's hotline 800402; no RTP echo) answers a
#         caller with audio (caller.xml's pcap), REFERs it after 2 s,
#         sees NOTIFY 100 and 200 and hangs up; the caller waits in t2 and
#         agent2 (agent-answer.xml, RTP echo) answers: the rest of the
#         caller's audio reaches agent2 and comes back through the same two
#         legs (CDR packet counts: the agent leg's whole receive is
#         agent2's echo).  Rows enter/offer/connect/transfer in t1, enter
#         (other transfer:agent1)/offer/connect/complete in t2, the second
#         connect's wait the first one's plus the wait in t2; CDR agent2,
#         transferred_by agent1.  Then attended (b2bua/consult.c): agent3
#         (consult_agent.py, t1b [agent3]) answers a second caller and keys
#         *2 800402 #: the consultation call waits in t2 and agent2 answers
#         it through the engine; agent3 hears its tone echoed by agent2
#         through the mixer, *3, *4: the caller stays with agent2.  Rows
#         enter t2 (other consult:agent3)/offer/connect under the caller's
#         Call-ID, transfer agent3 -> agent2; CDR agent2, transferred_by
#         agent3 (~25 s)
#
#   skills  skills-based routing widening as the caller waits: queue sk
#           [agent1, agent2, agent3] needs billing 5, steps {after: 2,
#           level: 2} then {after: 4, any: true}; agent1 (billing 5) held
#           by a 9.5 s call with audio (caller.xml's pcap echoed: CDR
#           packet counts), agent2 billing 3, agent3 no billing.  A caller
#           is offered to nobody for 2 s, then to agent2 (offer row >= 2 s
#           and < 3.5 s after its enter, connect wait, CDR answer); agent2
#           paused (HTTP API), the next caller nobody for 4 s, then agent3
#           (>= 4 s, < 5.5 s) (~17 s)
#
#   callback  a callback dialled back through the outbound trunk (b2bua/
#         callback.c, agent-first): queue cb [agent2] (early_media, moh,
#         callback_digit 5); agent2 holds a caller with audio; a second
#         caller (sipp/caller-callback.xml, From 15550199) waits, presses 5
#         in RFC 4733 (dtmf_2833_5.pcap) and gets 480; a third caller
#         arrives after it and waits behind the kept place.  agent2 free:
#         the callback first (before the third caller), agent2 answers,
#         the trunk (a SIPp UAS, sipp/customer.xml, at 192.0.2.10:5090 in
#         the carrier namespace) is dialled sip:15550199@..., answers and
#         plays the pcap; agent2 echoes it: CDR packet counts of both
#         calls show the audio both ways; the customer hangs up; the third
#         caller gets agent2 (~30 s)
#
#   acd_sipp.sh MODE SB_DATAPLANE SB_CONTROL SBCTL
# Exit 0 pass, 1 fail, 77 when not root or without netns/veth/sipp.
set -eu
MODE=${1:?usage: acd_sipp.sh strategies|flow|tier2 SB_DATAPLANE SB_CONTROL SBCTL}
shift
. "$(dirname "$0")/lib.sh"
case "$MODE" in
strategies | flow) ;;
tier2) TAG=${TAG:-tier$$} ;;
callback) TAG=${TAG:-cb$$} ;;
skills) TAG=${TAG:-tzsk$$} ;;
*) it_fail "unknown mode '$MODE' (strategies, flow or tier2)" ;;
esac

it_need_bins "$@"
it_need_call_env
TAG=${TAG:-ccs$$}
it_gateway_begin "acd-$MODE" "acd${MODE:0:1}"
API=127.0.0.1:8080
TOKEN=acd-test-token

# ---- config ----------------------------------------------------------------
callback_yaml() { # callback mode: the trunk, queue cb with a callback digit
	"$PYTHON" "$IT_DIR/ivr_wav.py" "$WORK" >/dev/null
	agents_yaml
	cat <<EOF
prompts:
  moh: $WORK/moh.wav
outbound:
  proxy: 192.0.2.10:5090
  from_user: "800501"
queues:
  - name: cb
    members: [agent2]
    wrap_up: 0
    moh: moh
    early_media: true
    callback_digit: "5"
hotlines:
  - number: "800501"
    queue: cb
EOF
}
agents_yaml() { # extra lines per agent (indented 4), for agent1..4
	local i
	echo "agents:"
	for i in 1 2 3 4; do
		printf '  - user: agent%s\n    password: secret\n' "$i"
		[ -n "${1:-}" ] && [ "$i" = 1 -o "$i" = 4 ] && printf '%s\n' "$1"
	done
	return 0
}

skills_yaml() { # mode skills: billing 5 needed, widening after 2 s and 4 s
	cat <<EOF
skills: [billing]
agents:
  - user: agent1
    password: secret
    skills: {billing: 5}
  - user: agent2
    password: secret
    skills: {billing: 3}
  - user: agent3
    password: secret
  - user: agent4
    password: secret
queues:
  - name: hold
    members: [agent1]
    wrap_up: 0
  - name: sk
    members: [agent1, agent2, agent3]
    wrap_up: 0
    skills: {billing: 5}
    steps:
      - {after: 2, level: 2}
      - {after: 4, any: true}
hotlines:
  - number: "800501"
    queue: hold
  - number: "800502"
    queue: sk
EOF
}

{
	cat <<EOF
instance: $SB_INSTANCE
sip:
  listen: [192.0.2.1:5060, 198.51.100.1:5060]
store:
  sqlite: $DB
auth:
  algorithms: [MD5]   # SIPp 3.6.1 computes MD5 digests only
api:
  listen: $API
  tokens: [{token: $TOKEN, tenant: default}]
EOF
	if [ "$MODE" = callback ]; then
		callback_yaml
	elif [ "$MODE" = skills ]; then
		skills_yaml
	elif [ "$MODE" = tier2 ]; then
		agents_yaml
		cat <<EOF
feature_codes:
  consult: "*2"
  conference: "*3"
  complete: "*4"
  cancel: "*5"
queues:
  - name: t1
    members: [agent1]
    wrap_up: 1
  - name: t2
    members: [agent2]
    transfer_priority: 5
  - name: t1b
    members: [agent3]
hotlines:
  - number: "800401"
    queue: t1
  - number: "800402"
    queue: t2
  - number: "800403"
    queue: t1b
EOF
	elif [ "$MODE" = strategies ]; then
		agents_yaml
		echo "queues:"
		for s in linear round-robin fewest-calls least-talk-time longest-idle random; do
			printf '  - name: q-%s\n    strategy: %s\n    members: [agent1, agent2, agent3, agent4]\n    wrap_up: 0\n    max_wait: 30\n' "$s" "$s"
		done
		echo "hotlines:"
		n=800201
		for s in linear round-robin fewest-calls least-talk-time longest-idle random; do
			printf '  - number: "%s"\n    queue: q-%s\n' "$n" "$s"
			n=$((n + 1))
		done
	else
		# agent1 and agent4 never answer: paused after 2 in a row, offered
		# again 1 s after a no-answer
		agents_yaml "    max_noanswer: 2
    noanswer_delay: 1"
		cat <<EOF
queues:
  - name: all
    strategy: ring-all
    members: [agent1, agent2, agent4]
    wrap_up: 0
    ring_timeout: 5
  - name: na
    strategy: linear
    members: [agent1, agent2]
    wrap_up: 0
    ring_timeout: 1
  - name: busy
    members: [agent3]
    wrap_up: 0
  - name: ab
    members: [agent3]
    wrap_up: 0
  - name: ovw
    members: [agent3]
    max_wait: 1
    overflow: spill
  - name: ovl
    members: [agent3]
    max_len: 1
    overflow: spill
  - name: spill
    members: [agent2]
    wrap_up: 0
hotlines:
  - number: "800301"
    queue: all
  - number: "800302"
    queue: na
  - number: "800303"
    queue: busy
  - number: "800304"
    queue: ab
  - number: "800305"
    queue: ovw
  - number: "800306"
    queue: ovl
EOF
	fi
} >"$WORK/control.yaml"
it_start_control

# ---- the agents --------------------------------------------------------------
if [ "$MODE" = tier2 ]; then
	# agent1 transfers to t2's hotline: agent-refer.xml with that target
	mkdir -p "$WORK/sipp"
	cp "$SIPP_DIR/agent.xml" "$WORK/sipp/"
	sed 's|<sip:agent2@\[remote_ip\]>|<sip:800402@[remote_ip]>|' \
		"$SIPP_DIR/agent-refer.xml" >"$WORK/sipp/agent-refer.xml"
	grep -q 'sip:800402@' "$WORK/sipp/agent-refer.xml" ||
		it_fail "agent-refer.xml: no Refer-To to rewrite"
	SIPP_DIR="$WORK/sipp" it_sipp_agent_with agent1 agent1 5060 6000 agent-refer.xml
fi
for i in 1 2 3 4; do
	[ "$MODE" = tier2 ] && { [ "$i" = 1 ] || [ "$i" = 3 ]; } && continue
	sf=agent-answer.xml
	[ "$MODE" = flow ] && { [ "$i" = 1 ] || [ "$i" = 4 ]; } && sf=agent-ring.xml
	it_sipp_agent_with "agent$i" "agent$i" $((5058 + 2 * i)) $((5900 + 100 * i)) "$sf" -rtp_echo
done
for i in 1 2 3 4; do
	[ "$MODE" = tier2 ] && [ "$i" = 3 ] && continue # consult_agent.py, later
	it_wait_registered "agent$i" "agent$i"
done

# ---- helpers ---------------------------------------------------------------
RUNS=0
# SIPp caller argv in CARGV: NAME HOTLINE CALLS LIMIT HOLD_MS [SCENARIO]; each
# run its own SIP and media port (runs may overlap).
caller_argv() {
	local name=$1 hl=$2 n=$3 lim=$4 d=$5 sf=${6:-caller-short.xml}
	RUNS=$((RUNS + 1))
	CARGV=(sipp 192.0.2.1:5060 -sf "$SIPP_DIR/$sf" -s "$hl"
		-i 192.0.2.10 -p $((5100 + 2 * RUNS)) -mi 192.0.2.10 -mp $((7000 + 10 * RUNS))
		-m "$n" -l "$lim" -r 10 -d "$d" -nostdin
		-default_behaviors all,-abortunexp -timeout 40s -timeout_error
		-trace_stat -stf "$WORK/$name.csv" -fd 1
		-trace_logs -log_file "$WORK/$name.events"
		-trace_msg -message_file "$WORK/$name.msg"
		-trace_err -error_file "$WORK/$name.err")
	echo "$name $hl $n" >>"$WORK/runs.txt"
}

# Place the calls in the foreground; fail unless every one succeeded.
calls() { # name hotline calls limit hold_ms [scenario]
	local rc=0 ok failed
	caller_argv "$@"
	ip netns exec "sb-car-$TAG" "${CARGV[@]}" >"$WORK/$1.log" 2>&1 </dev/null || rc=$?
	read -r ok failed _ < <(it_sipp_counts "$WORK/$1.csv")
	it_log "$1: $3 calls to $2: exit $rc, $ok successful, $failed failed"
	[ "$rc" = 0 ] && [ "$ok" = "$3" ] && [ "$failed" = 0 ] ||
		it_fail "$1: expected $3 successful calls (exit $rc, $ok ok, $failed failed)"
}

# The same in the background (process NAME); calls_wait NAME CALLS checks it.
calls_bg() { # name hotline calls limit hold_ms [scenario]
	caller_argv "$@"
	it_bg "$1" car "${CARGV[@]}"
}
calls_wait() { # name calls
	local rc=0 ok failed
	wait "${IT_PIDS[$1]}" || rc=$?
	unset "IT_PIDS[$1]"
	read -r ok failed _ < <(it_sipp_counts "$WORK/$1.csv")
	it_log "$1: exit $rc, $ok successful, $failed failed"
	[ "$rc" = 0 ] && [ "$ok" = "$2" ] && [ "$failed" = 0 ] ||
		it_fail "$1: expected $2 successful calls (exit $rc, $ok ok, $failed failed)"
}

# The HTTP API from inside the gateway namespace (stdlib Python): METHOD
# /v1/PATH [BODY]; the answer on stdout, exit 1 unless 2xx.
api() { # method path [body]
	ip netns exec "sb-gw-$TAG" "$PYTHON" - "$API" "$TOKEN" "$@" <<'PY'
import sys, urllib.request
api, token, method, path = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
req = urllib.request.Request("http://%s/v1/%s" % (api, path), data=body, method=method,
                             headers={"Authorization": "Bearer " + token,
                                      "Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=5).read().decode())
PY
}
agent_state() { # name state: POST /v1/agents/NAME/state
	api POST "agents/$1/state" "{\"state\":\"$2\"}" >>"$WORK/api.log" 2>&1 ||
		it_fail "API: $2 $1 refused (see api.log)"
}
api_get() { # path
	api GET "$1"
}

count_lines() { # file pattern
	grep -c "$2" "$1" 2>/dev/null || true
}

skills_calls() { # mode skills
	# agent1 (billing 5) held for 9.5 s by a call with audio (caller.xml's
	# pcap, echoed), longer than the two waits below
	mkdir -p "$WORK/sipp"
	sed 's|<pause milliseconds="8000"/>|<pause milliseconds="9500"/>|' \
		"$SIPP_DIR/caller.xml" >"$WORK/sipp/caller-long.xml"
	grep -q 'milliseconds="9500"' "$WORK/sipp/caller-long.xml" ||
		it_fail "caller.xml: no 8 s pause to lengthen"
	SIPP_DIR="$WORK/sipp" calls_bg hold 800501 1 1 0 caller-long.xml
	it_wait 5 "agent1 answered the holding call" grep -q "ANSWERED agent1" "$WORK/agent1.events"
	# nobody free has billing 5; after 2 s level 2 will do: agent2
	calls sk1 800502 1 1 300
	# agent2 paused: after 2 s nobody still, after 4 s any member: agent3
	agent_state agent2 pause
	calls sk2 800502 1 1 300
	calls_wait hold 1
	NCALLS=3
}

# ---- callback mode (b2bua/callback.c) ----------------------------------------
callback_calls() {
	# agent2 busy ~8 s with a caller whose audio it echoes
	calls_bg hold 800501 1 1 0 caller.xml
	it_wait 5 "agent2 answered the holding call" grep -q "ANSWERED agent2" "$WORK/agent2.events"
	# the customer behind the trunk, waiting to be called back
	it_bg customer car sipp -sf "$SIPP_DIR/customer.xml" -i 192.0.2.10 -p 5090 \
		-mi 192.0.2.10 -mp 7600 -m 1 -nostdin -timeout 60s -timeout_error \
		-default_behaviors all,-abortunexp -trace_stat -stf "$WORK/customer.csv" -fd 1 \
		-trace_logs -log_file "$WORK/customer.events" \
		-trace_msg -message_file "$WORK/customer.msg" \
		-trace_err -error_file "$WORK/customer.err"
	calls cbk 800501 1 1 0 caller-callback.xml # waits, presses 5, 480
	calls_bg later 800501 1 1 200             # behind the kept place
	calls_wait hold 1
	calls_wait later 1
	local rc=0
	wait "${IT_PIDS[customer]}" || rc=$?
	unset "IT_PIDS[customer]"
	[ "$rc" = 0 ] || it_fail "the trunk's customer (sipp/customer.xml) exited $rc"
	# CDRs: hold, the callback request (480), the callback's agent and
	# customer calls, the later caller
	NCALLS=5
}

# ---- the calls ---------------------------------------------------------------
if [ "$MODE" = callback ]; then
	callback_calls
elif [ "$MODE" = skills ]; then
	skills_calls
elif [ "$MODE" = tier2 ]; then
	# caller.xml: the pcap (7 s) from the start, BYE after 8 s; agent1
	# hands it over 2 s after its answer
	calls tier2 800401 1 1 0 caller.xml
	it_wait 5 "agent1 saw its transfer done" grep -q "ENDED agent1" "$WORK/agent1.events"
	# attended: agent3 (consult_agent.py: its steps within 25 s of its
	# start) keys *2 800402 #, *3, *4
	it_bg agent3 agt "$PYTHON" "$IT_DIR/consult_agent.py" agent3 secret 198.51.100.10 5070 \
		198.51.100.1:5060 800402
	it_wait 10 "agent3 REGISTER answered 200" grep -q '^REGISTERED agent3' "$WORK/agent3.log"
	calls tier2b 800403 1 1 0 caller.xml
	it_wait 10 "agent3 left after *4" grep -q '^BYE' "$WORK/agent3.log"
	# CDRs: the blind call, the attended caller's, its consultation call
	NCALLS=3
elif [ "$MODE" = strategies ]; then
	calls lin1 800201 4 1 200
	calls lin2 800201 4 2 1500
	calls rr1 800202 5 1 200
	calls rr2 800202 3 1 200
	agent_state agent1 pause
	calls fc1 800203 3 1 200
	agent_state agent1 unpause
	calls fc2 800203 3 1 200
	calls lt1 800204 1 1 3000
	calls lt2 800204 6 1 400
	calls li0 800201 1 1 200
	calls li1 800205 4 1 200
	calls rnd 800206 20 1 50
	NCALLS=54
else
	calls ra 800301 2 1 300
	# ring-all: agent1 and agent4 saw a CANCEL for each call
	printf '%s %s\n' "$(count_lines "$WORK/agent1.events" "CANCELLED agent1")" \
		"$(count_lines "$WORK/agent4.events" "CANCELLED agent4")" >"$WORK/cancelled.txt"
	# after its no-answer agent1 rests 1 s (noanswer_delay): call 2 comes
	# after that, else it would go straight to agent2
	calls na1 800302 1 1 200
	sleep 1.2
	calls na2 800302 1 1 200
	calls na3 800302 1 1 200
	api_get agents >"$WORK/agents-after-na.json" || it_fail "API: GET /v1/agents"
	# agent3 busy for the rest (8 s): abandon and overflow queue behind it.
	# This call carries audio: caller.xml plays the pcap, agent3 echoes it
	# through the dataplane's two legs (CDR packet counts)
	calls_bg hold 800303 1 1 0 caller.xml
	it_wait 5 "agent3 answered the holding call" grep -q "ANSWERED agent3" "$WORK/agent3.events"
	calls_bg ab1 800304 1 1 1500 caller-abandon.xml
	sleep 0.3
	calls_bg ab2 800304 1 1 700 caller-abandon.xml
	calls_wait ab2 1
	calls_wait ab1 1
	calls ovw 800305 1 1 200
	calls_bg ovl1 800306 1 1 1500 caller-abandon.xml
	sleep 0.4
	calls ovl2 800306 1 1 200
	calls_wait ovl1 1
	calls_wait hold 1
	NCALLS=11
fi

it_wait_cdr "$NCALLS"
sleep 0.5 # the last complete rows follow the CDR through the same writer
it_end_stats
"$PYTHON" "$IT_DIR/acd_check.py" "$MODE" "$WORK" "$DB" || it_fail "checks failed"
it_log "PASS"
