#!/usr/bin/env python3
"""ng.py — a small client of rtpengine's ng control protocol (stdlib only).

The ng protocol: one UDP datagram per request, "COOKIE " followed by a
bencoded dictionary; the reply carries the same cookie.  For each call this
sends an `offer` (caller's SDP, from-tag) and then an `answer` (agent's SDP,
to-tag), flags replace origin/session-connection and ICE remove, and reads
the ports rtpengine allocated from the SDP it returns: the offer's reply is
what the agent sends to, the answer's reply is what the caller sends to.

  ng.py ping  --ng IP:PORT
  ng.py calls --ng IP:PORT --calls N --car-dests FILE --agt-dests FILE
              [--first K] [--caller IP:PORT] [--agent IP:PORT] [--window 16]
              [--prefix P]
  ng.py stats --ng IP:PORT          (rtpengine's "statistics" reply as JSON)

`calls` sets up calls K..K+N-1 (call-id P-i) and writes one A.B.C.D:PORT
per line: line i of --car-dests is where the caller sends the stream of the
i-th of these calls, line i of --agt-dests where the agent sends it.  It
keeps up to --window requests outstanding (rtpengine answers them in any
order) and retries a request that gets no reply within 1 s, up to 5 times.
Exit 0, 1 on failure (the reason on stderr), 2 on bad arguments.
"""
import argparse
import json
import os
import re
import socket
import sys
import time


# ---- bencode -------------------------------------------------------------

def benc(x):
    if isinstance(x, bytes):
        return str(len(x)).encode() + b":" + x
    if isinstance(x, str):
        return benc(x.encode())
    if isinstance(x, bool):
        return b"i%de" % int(x)
    if isinstance(x, int):
        return b"i%de" % x
    if isinstance(x, (list, tuple)):
        return b"l" + b"".join(benc(v) for v in x) + b"e"
    if isinstance(x, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in x.items())
        return b"d" + b"".join(benc(k) + benc(v) for k, v in items) + b"e"
    raise TypeError("cannot bencode %r" % type(x))


def bdec(b, i=0):
    """Decode one value at b[i:]; returns (value, next index).  Strings stay bytes."""
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c == b"l":
        out, i = [], i + 1
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while b[i:i + 1] != b"e":
            k, i = bdec(b, i)
            v, i = bdec(b, i)
            out[k.decode()] = v
        return out, i + 1
    if c.isdigit():
        j = b.index(b":", i)
        n = int(b[i:j])
        if j + 1 + n > len(b):
            raise ValueError("string runs past the end")
        return b[j + 1:j + 1 + n], j + 1 + n
    raise ValueError("bad bencode at offset %d" % i)


def to_json(v):
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, list):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    return v


# ---- transport -----------------------------------------------------------

class Ng:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.addr = (host, int(port))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.connect(self.addr)
        self.seq = 0
        self.tag = "%x" % os.getpid()

    def cookie(self):
        self.seq += 1
        return ("%s_%d" % (self.tag, self.seq)).encode()

    def send(self, cookie, msg):
        self.sock.send(cookie + b" " + benc(msg))

    def recv(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(65535)
        cookie, _, body = data.partition(b" ")
        val, _ = bdec(body)
        return cookie, val

    def request(self, msg, timeout=1.0, tries=5):
        for _ in range(tries):
            c = self.cookie()
            self.send(c, msg)
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                try:
                    rc, val = self.recv(max(0.01, end - time.monotonic()))
                except socket.timeout:
                    break
                if rc == c:
                    return val
        raise RuntimeError("no reply from rtpengine at %s:%d to %s" %
                           (self.addr[0], self.addr[1], msg.get("command")))


# ---- SDP -----------------------------------------------------------------

def sdp(ip, port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
            % (sess, ip, ip, port))


M_RE = re.compile(rb"^m=audio (\d+) ", re.M)
C_RE = re.compile(rb"^c=IN IP4 ([0-9.]+)", re.M)


def sdp_media(reply, what):
    if reply.get("result") != b"ok":
        raise RuntimeError("%s: rtpengine says %s: %s" % (
            what, to_json(reply.get("result")), to_json(reply.get("error-reason", b""))))
    body = reply.get("sdp", b"")
    m, c = M_RE.search(body), C_RE.search(body)
    if not m or not c:
        raise RuntimeError("%s: no m=audio / c= line in the returned SDP:\n%s" %
                           (what, body.decode(errors="replace")))
    return "%s:%s" % (c.group(1).decode(), m.group(1).decode())


FLAGS = {"replace": ["origin", "session-connection"], "ICE": "remove"}


def calls(ng, first, n, caller, agent, window, prefix, car_out, agt_out):
    cip, cport = caller.rsplit(":", 1)
    aip, aport = agent.rsplit(":", 1)
    car = [None] * n  # where the caller sends (answer reply)
    agt = [None] * n  # where the agent sends (offer reply)
    # state per call: 0 offer pending, 1 answer pending, 2 done
    pending = {}      # cookie -> (call, kind, msg, sent_at, tries)
    nxt = 0
    done = 0
    t0 = time.monotonic()

    def msg_for(i, kind):
        m = {"call-id": "%s-%d" % (prefix, first + i), "from-tag": "ft%d" % (first + i)}
        m.update(FLAGS)
        if kind == "offer":
            m.update(command="offer", sdp=sdp(cip, int(cport), first + i + 1))
        else:
            m.update(command="answer", sdp=sdp(aip, int(aport), first + i + 1))
            m["to-tag"] = "tt%d" % (first + i)
        return m

    def submit(i, kind, tries=0):
        m = msg_for(i, kind)
        c = ng.cookie()
        ng.send(c, m)
        pending[c] = (i, kind, m, time.monotonic(), tries)

    while done < n:
        while nxt < n and len(pending) < window:
            submit(nxt, "offer")
            nxt += 1
        try:
            c, val = ng.recv(0.2)
        except socket.timeout:
            now = time.monotonic()
            for ck, (i, kind, m, at, tries) in list(pending.items()):
                if now - at > 1.0:
                    del pending[ck]
                    if tries >= 5:
                        raise RuntimeError("call %d: no reply to %s after 5 tries" % (i, kind))
                    submit(i, kind, tries + 1)
            continue
        if c not in pending:
            continue  # a late reply to a request already retried
        i, kind, _, _, _ = pending.pop(c)
        if kind == "offer":
            agt[i] = sdp_media(val, "call %d offer" % i)
            submit(i, "answer")
        else:
            car[i] = sdp_media(val, "call %d answer" % i)
            done += 1
    with open(car_out, "w") as f:
        f.write("".join(d + "\n" for d in car))
    with open(agt_out, "w") as f:
        f.write("".join(d + "\n" for d in agt))
    dt = time.monotonic() - t0
    print(json.dumps({"calls": n, "seconds": round(dt, 3),
                      "calls_per_s": round(n / dt, 1) if dt > 0 else None}))


def main():
    ap = argparse.ArgumentParser(description="rtpengine ng client")
    ap.add_argument("cmd", choices=["ping", "calls", "stats"])
    ap.add_argument("--ng", default="127.0.0.1:2223")
    ap.add_argument("--calls", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--caller", default="192.0.2.10:6000")
    ap.add_argument("--agent", default="198.51.100.10:6000")
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--prefix", default="sbbench")
    ap.add_argument("--car-dests")
    ap.add_argument("--agt-dests")
    a = ap.parse_args()
    ng = Ng(a.ng)
    try:
        if a.cmd == "ping":
            r = ng.request({"command": "ping"}, timeout=0.5, tries=1)
            if r.get("result") != b"pong":
                raise RuntimeError("ping: unexpected reply %r" % to_json(r))
            print("pong")
        elif a.cmd == "stats":
            print(json.dumps(to_json(ng.request({"command": "statistics"}))))
        else:
            if a.calls < 1 or not a.car_dests or not a.agt_dests:
                ap.error("calls needs --calls N >= 1, --car-dests and --agt-dests")
            calls(ng, a.first, a.calls, a.caller, a.agent, a.window, a.prefix, a.car_dests, a.agt_dests)
    except (RuntimeError, OSError, ValueError) as e:
        print("ng.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
