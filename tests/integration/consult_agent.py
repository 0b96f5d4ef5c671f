#!/usr/bin/env python3
"""tests/integration/consult_agent.py — an agent phone that consults,
makes a three-way call and completes the transfer with in-call codes
(RFC 4733 digits on its RTP; stdlib only).

    consult_agent.py USER PASSWORD LOCAL_IP LOCAL_PORT GATEWAY_IP:PORT TARGET

REGISTERs USER (digest), answers the first INVITE with PCMA and the
telephone-event number the gateway offered (media at LOCAL_PORT+10), sends
a 600 Hz tone (PCMA, 20 ms) all along and keys:
    *2 TARGET #   then 1.2 s of consultation (the target echoes what it
                  gets: the agent hears its own tone back through the mixer),
    *3            then 1.2 s of three-way,
    *4            and waits for the gateway's BYE (it left the call).
Prints "T <phase> <epoch>" at each step, "CONSULT <tone> <pkts>" (600 Hz
packets / packets received during the consultation), "THREEWAY <pkts>",
"BYE"; exit 0 when every SIP step happened within 25 s.
"""
import math
import random
import re
import select
import socket
import struct
import sys
import time

from sipua import hdr, register, status

SEG_AEND = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def lin2alaw(v):
    v >>= 3
    if v >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        v = -v - 1
    seg = 0
    while seg < 8 and v > SEG_AEND[seg]:
        seg += 1
    if seg >= 8:
        return 0x7F ^ mask
    a = seg << 4
    a |= (v >> 1) & 0xF if seg < 2 else (v >> seg) & 0xF
    return a ^ mask


def alaw2lin(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


ALAW = [alaw2lin(i) for i in range(256)]


def tone_ratio(payload, freq):
    """Share of the frame's energy at freq (Goertzel; 1.0 = a pure tone)."""
    x = [ALAW[b] for b in payload]
    n = len(x)
    energy = sum(s * s for s in x)
    if n == 0 or energy < n * 100 * 100:  # silence
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / 8000)
    s1 = s2 = 0.0
    for s in x:
        s1, s2 = s + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * power / (n * energy)


def main():
    user, password, lip, lport, gw, target = sys.argv[1:7]
    lport = int(lport)
    gip, gport = gw.split(":")
    gaddr = (gip, int(gport))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lip, lport))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((lip, lport + 10))
    rtp.setblocking(False)
    deadline = time.time() + 25
    nb = [0]

    def log(msg):
        print(msg, flush=True)

    def branch():
        nb[0] += 1
        return "z9hG4bKcons%d%d" % (random.randrange(1 << 30), nb[0])

    def send(text):
        sock.sendto(re.sub(r"(?<!\r)\n", "\r\n", text).encode(), gaddr)

    def respond(req, code, reason, to_tag=None, extra="", body=""):
        vias = re.findall(r"^(Via:.*?)\r$", req, re.M | re.I)
        to = hdr(req, "To")
        if to_tag and "tag=" not in to:
            to += ";tag=" + to_tag
        out = "SIP/2.0 %d %s\n" % (code, reason) + "\n".join(vias) + "\n"
        out += "From: %s\nTo: %s\nCall-ID: %s\nCSeq: %s\n%s" % (
            hdr(req, "From"), to, hdr(req, "Call-ID"), hdr(req, "CSeq"), extra)
        out += "Content-Length: %d\n\n%s" % (len(body), body)
        send(out)

    def sip_poll(timeout):
        """One SIP message within timeout (OPTIONS answered here), or None."""
        r, _, _ = select.select([sock], [], [], max(0.0, timeout))
        if not r:
            return None
        msg = sock.recvfrom(65535)[0].decode(errors="replace")
        if msg.startswith("OPTIONS "):
            respond(msg, 200, "OK")
            return None
        return msg

    def recv():
        while True:
            left = deadline - time.time()
            if left <= 0:
                log("FAIL: timed out")
                sys.exit(1)
            msg = sip_poll(left)
            if msg:
                return msg

    def final(method):
        while True:
            msg = recv()
            if status(msg) >= 200 and method in hdr(msg, "CSeq"):
                return msg

    # ---- REGISTER with digest (sipua.py)
    rc = register(send, final, branch, user, password, lip, lport, gaddr)
    if rc != 200:
        log("FAIL: REGISTER answered %d" % rc)
        return 1
    log("REGISTERED %s" % user)

    # ---- the customer call
    while True:
        inv = recv()
        if inv.startswith("INVITE "):
            break
    body = inv.split("\r\n\r\n", 1)[1]
    mip = re.search(r"c=IN IP4 ([0-9.]+)", body).group(1)
    mport = int(re.search(r"m=audio (\d+)", body).group(1))
    te = re.search(r"a=rtpmap:(\d+) telephone-event/8000", body)
    if te is None:
        log("FAIL: no telephone-event offered")
        return 1
    te = int(te.group(1))
    sdp = ("v=0\no=agent 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n"
           "m=audio %d RTP/AVP 8 %d\na=rtpmap:8 PCMA/8000\n"
           "a=rtpmap:%d telephone-event/8000\na=fmtp:%d 0-15\na=sendrecv\n"
           % (lip, lip, lport + 10, te, te, te)).replace("\n", "\r\n")
    respond(inv, 200, "OK", "agtag",
            "Contact: <sip:%s@%s:%d>\nContent-Type: application/sdp\n" % (user, lip, lport),
            sdp)
    log("ANSWERED te=%d media %s:%d" % (te, mip, mport))

    seq = [random.randrange(1 << 16)]
    ts = [random.randrange(1 << 31)]
    tone = bytes(lin2alaw(int(8000 * math.sin(2 * math.pi * 600 * i / 8000)))
                 for i in range(160))
    stats = {"pkts": 0, "tone": 0}
    bye = [None]

    def rtp_send(pt, payload, marker=False, tstamp=None):
        seq[0] = (seq[0] + 1) & 0xffff
        h = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq[0],
                        ts[0] if tstamp is None else tstamp, 0x5e5e0002)
        rtp.sendto(h + payload, (mip, mport))

    def drain():
        while True:
            try:
                data, src = rtp.recvfrom(2048)
            except BlockingIOError:
                return
            if src[0] != mip or len(data) <= 12 or (data[1] & 0x7F) != 8:
                continue
            stats["pkts"] += 1
            if tone_ratio(data[12:], 600) > 0.5:
                stats["tone"] += 1

    def run(secs):
        """The tone for secs; RTP received counted, SIP watched for BYE."""
        end = time.time() + secs
        nxt = time.time()
        while time.time() < end:
            if time.time() >= nxt:
                ts[0] = (ts[0] + 160) & 0xffffffff
                rtp_send(8, tone)
                nxt += 0.02
            drain()
            msg = sip_poll(min(0.005, max(0.0, nxt - time.time())))
            if msg and msg.startswith("BYE "):
                respond(msg, 200, "OK")
                bye[0] = msg
            elif msg and msg.startswith("ACK "):
                log("ACKED")

    def key(digits):
        for d in digits:
            ev = "0123456789*#".index(d)  # RFC 4733 events 0-9, 10 *, 11 #
            ts[0] = (ts[0] + 160) & 0xffffffff
            start = ts[0]
            for i in range(3):
                rtp_send(te, struct.pack("!BBH", ev, 10, 160 * (i + 1)), marker=(i == 0),
                         tstamp=start)
                time.sleep(0.02)
                drain()
            for _ in range(3):
                rtp_send(te, struct.pack("!BBH", ev, 0x80 | 10, 160 * 4), tstamp=start)
            ts[0] = (ts[0] + 160 * 4) & 0xffffffff
            run(0.04)

    run(0.3)
    key("*2" + target + "#")
    log("T DIGITS %.6f" % time.time())
    run(0.3)  # the target answers
    stats.update(pkts=0, tone=0)
    log("T CONSULT %.6f" % time.time())
    run(1.2)
    log("CONSULT %d %d" % (stats["tone"], stats["pkts"]))
    key("*3")
    run(0.2)
    stats.update(pkts=0, tone=0)
    log("T THREEWAY %.6f" % time.time())
    run(1.2)
    log("THREEWAY %d" % stats["pkts"])
    log("T COMPLETE %.6f" % time.time())
    key("*4")
    while bye[0] is None and time.time() < deadline:
        run(0.1)
    if bye[0] is None:
        log("FAIL: no BYE after *4")
        return 1
    log("BYE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
