#!/bin/bash
# tests/integration/register.sh — sb-control's registrar with digest, driven
# by SIPp on 127.0.0.1 (no namespaces, no root, no dataplane):
#
#   good     sipp/reg-good.xml as agent1: 401, 200 with the binding, nc 2 on
#            the same nonce, Contact: * (SIPp 3.6.1 speaks MD5 only, so the
#            gateway challenges with auth.algorithms [MD5] here)
#   replay   SIPp's authorised REGISTER (nc 1) sent again from SIPp's port
#            as a new request: 401 without stale=true and no binding; then
#            a fresh digest (Python hashlib) on the new nonce: 200
#   bad      sipp/reg-bad.xml with a wrong password, and as an unknown
#            user: 401, then 403 for both
#
#   register.sh /path/to/sb-control
# Exit 0 pass, 1 fail, 77 when sipp or python3 is missing.
set -u
CONTROL=${1:?usage: register.sh SB_CONTROL}
IT_DIR=$(cd "$(dirname "$0")" && pwd)
SIPP_DIR=$IT_DIR/sipp
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
command -v sipp >/dev/null || { echo "SKIP: no sipp (Debian sip-tester)"; exit 77; }
command -v "$PYTHON" >/dev/null || { echo "SKIP: no python3"; exit 77; }
[ -x "$CONTROL" ] || { echo "FAIL: no sb-control at $CONTROL"; exit 1; }

WORK=$(mktemp -d /tmp/sb-register.XXXXXX)
CPID=
cleanup() {
	rc=$?
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in "$WORK"/*.log "$WORK"/*.err; do
			[ -s "$f" ] && { echo "======== $f"; tail -n 60 "$f"; }
		done
		echo "logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# three UDP ports free a moment ago: sb-control, SIPp, SIPp's second run
read -r PORT SPORT SPORT2 < <("$PYTHON" -c '
import socket
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

cat >"$WORK/sb.yaml" <<YAML
instance: reg$$
sip:
  listen: [127.0.0.1:$PORT]
auth:
  realm: switchboard
  algorithms: [MD5]
agents:
  - user: agent1
    password: secret
YAML
"$CONTROL" --config "$WORK/sb.yaml" --debug >"$WORK/control.log" 2>&1 &
CPID=$!
for i in $(seq 50); do
	ss -Hlun "sport = :$PORT" | grep -q . && break
	kill -0 "$CPID" 2>/dev/null || fail "sb-control exited"
	sleep 0.1
done

sipp_run() { # name scenario user password local-port
	timeout 20 sipp "127.0.0.1:$PORT" -sf "$SIPP_DIR/$2" -m 1 -s "$3" -au "$3" -ap "$4" \
		-i 127.0.0.1 -p "$5" -nostdin -timeout 10s -timeout_error \
		-trace_msg -message_file "$WORK/$1.msg" \
		-trace_err -error_file "$WORK/$1.err" >"$WORK/$1.log" 2>&1
}

sipp_run good reg-good.xml agent1 secret "$SPORT" || fail "reg-good.xml (exit $?)"
echo "good: 401, 200 with the binding, nc 2, Contact: * unregistered"

"$PYTHON" - "$WORK/good.msg" "$PORT" "$SPORT" <<'PY' || fail "replayed nonce"
import hashlib, re, socket, sys
msgs = open(sys.argv[1], newline="").read().split("-----------------------------------------------")
sent = [m.split("\n\n", 1)[1] for m in msgs if "UDP message sent" in m]
authd = [m for m in sent if "\r\nAuthorization:" in m]
assert authd, "no authorised REGISTER in SIPp's trace"
orig = authd[0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[3])))
s.settimeout(2)
dst = ("127.0.0.1", int(sys.argv[2]))

def req(text):
    s.sendto(text.encode(), dst)
    while True:
        r = s.recv(65535).decode()
        if not r.startswith("SIP/2.0 1"):
            return r

# the same credentials (nonce, nc 1) on a new request: a replay
replay = re.sub(r"branch=[^\r;]+", "branch=z9hG4bKreplay1", orig)
replay = re.sub(r"CSeq: \d+", "CSeq: 10", replay)
r = req(replay)
assert r.startswith("SIP/2.0 401 "), r
assert "stale=true" not in r, r
print("replay: 401 without stale=true")
# prove the credentials themselves are good: a fresh digest on the new nonce
nonce = re.search(r'nonce="([^"]+)"', r).group(1)
ruri = re.match(r"REGISTER (\S+)", orig).group(1)
md5 = lambda x: hashlib.md5(x.encode()).hexdigest()
ha1, ha2 = md5("agent1:switchboard:secret"), md5("REGISTER:" + ruri)
resp = md5(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}")
fresh = re.sub(r"Authorization: [^\r]+",
               f'Authorization: Digest username="agent1", realm="switchboard", nonce="{nonce}", '
               f'uri="{ruri}", response="{resp}", algorithm=MD5, qop=auth, nc=00000001, '
               f'cnonce="c0ffee"', replay)
fresh = re.sub(r"branch=[^\r;]+", "branch=z9hG4bKfresh1", fresh)
fresh = re.sub(r"CSeq: \d+", "CSeq: 11", fresh)
r = req(fresh)
assert r.startswith("SIP/2.0 200 "), r
assert r.count("\r\nContact: ") == 1, r
print("fresh digest after the replay: 200 with 1 binding")
PY

sipp_run badpw reg-bad.xml agent1 wrong "$SPORT2" || fail "wrong password not refused with 403"
sipp_run unknown reg-bad.xml mallory secret "$SPORT2" || fail "unknown user not refused with 403"
echo "bad: wrong password and unknown user both 401 then 403"

kill -0 "$CPID" 2>/dev/null || fail "sb-control died"
kill -TERM "$CPID"
wait "$CPID"
st=$?
CPID=
[ "$st" = 0 ] || fail "sb-control exit status $st"
grep -q "refused: wrong password" "$WORK/control.log" || fail "no wrong-password log line"
grep -q "refused: unknown user" "$WORK/control.log" || fail "no unknown-user log line"
grep -q "nonce count already used (replay)" "$WORK/control.log" || fail "no replay log line"
echo "PASS: registrar digest with SIPp (good, replayed nonce, bad password, unknown user)"
