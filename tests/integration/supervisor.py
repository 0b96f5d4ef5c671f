#!/usr/bin/env python3
"""tests/integration/supervisor.py — a supervisor's phone (stdlib only).

    supervisor.py USER PASSWORD LOCAL_IP LOCAL_PORT GATEWAY_IP:PORT CODE AGENT GO

REGISTERs USER (digest), waits for the file GO (the test creates it once
the customer call is up), dials CODE+AGENT (digest: agents' INVITEs
are authenticated) with SDP PCMA at LOCAL_IP:LOCAL_PORT+10, and counts the
RTP the gateway sends there: for 1.5 s as it is, then after sending the
RFC 4733 digit 6 (barge) for another 1.5 s, then hangs up.  Prints
"RTP <listen> <barge>" and "DONE <epoch of the BYE's 200>"; exit 0 when every SIP step succeeded
within 25 s (the counts are the test's to judge).
"""
import os
import random
import re
import socket
import struct
import sys
import time

from sipua import authz, hdr, register, status


def main():
    user, password, lip, lport, gw, code, agent, go = sys.argv[1:9]
    lport = int(lport)
    gip, gport = gw.split(":")
    gaddr = (gip, int(gport))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lip, lport))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind((lip, lport + 10))
    deadline = time.time() + 25
    nb = [0]

    def log(msg):
        print(msg, flush=True)

    def branch():
        nb[0] += 1
        return "z9hG4bKsup%d%d" % (random.randrange(1 << 30), nb[0])

    def send(text):
        sock.sendto(re.sub(r"(?<!\r)\n", "\r\n", text).encode(), gaddr)

    def recv():
        while True:
            left = deadline - time.time()
            if left <= 0:
                log("FAIL: timed out")
                sys.exit(1)
            sock.settimeout(left)
            data, _ = sock.recvfrom(65535)
            return data.decode(errors="replace")

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
    while not os.path.exists(go):
        if time.time() > deadline:
            log("FAIL: no go")
            return 1
        time.sleep(0.05)

    sdp = ("v=0\no=sup 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n"
           "m=audio %d RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\n"
           "a=rtpmap:101 telephone-event/8000\na=sendrecv\n"
           % (lip, lip, lport + 10)).replace("\n", "\r\n")
    uri = "sip:%s%s@%s:%s" % (code, agent, gip, gport)
    callid = "sup-%d@%s" % (random.randrange(1 << 30), lip)
    inv = ("INVITE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%%s;rport\nMax-Forwards: 70\n"
           "From: <sip:%s@%s>;tag=suptag\nTo: <sip:%s%s@%s>\nCall-ID: %s\nCSeq: %%d INVITE\n"
           "Contact: <sip:%s@%s:%d>\n%%sContent-Type: application/sdp\nContent-Length: %d\n\n%s"
           % (uri, lip, lport, user, gip, code, agent, gip, callid, user, lip, lport, len(sdp),
              sdp))
    br = branch()
    send(inv % (br, 1, ""))
    resp = final("INVITE")
    if status(resp) == 401:
        send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
             "From: <sip:%s@%s>;tag=suptag\nTo: %s\nCall-ID: %s\nCSeq: 1 ACK\n"
             "Content-Length: 0\n\n" % (uri, lip, lport, br, user, gip, hdr(resp, "To"), callid))
        send(inv % (branch(), 2, authz(resp, user, password, "INVITE", uri)))
        resp = final("INVITE")
    if status(resp) != 200:
        log("FAIL: INVITE answered %d" % status(resp))
        return 1
    to = hdr(resp, "To")
    target = re.search(r"<([^>]*)>", hdr(resp, "Contact")).group(1)
    body = resp.split("\r\n\r\n", 1)[1]
    mport = int(re.search(r"m=audio (\d+)", body).group(1))
    mip = re.search(r"c=IN IP4 ([0-9.]+)", body).group(1)
    send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
         "From: <sip:%s@%s>;tag=suptag\nTo: %s\nCall-ID: %s\nCSeq: 2 ACK\nContent-Length: 0\n\n"
         % (target, lip, lport, branch(), user, gip, to, callid))
    log("SUPERVISING %s%s" % (code, agent))

    seq = [random.randrange(1 << 16)]
    ts = [random.randrange(1 << 31)]

    def rtp_send(pt, payload, marker=False, tstamp=None):
        seq[0] = (seq[0] + 1) & 0xffff
        h = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq[0],
                        ts[0] if tstamp is None else tstamp, 0x5e5e0001)
        rtp.sendto(h + payload, (mip, mport))

    def count(secs, silence=True):
        """RTP from the gateway for secs, while we send PCMA silence."""
        n = 0
        end = time.time() + secs
        nxt = time.time()
        while time.time() < end:
            if silence and time.time() >= nxt:
                ts[0] = (ts[0] + 160) & 0xffffffff
                rtp_send(8, b"\xd5" * 160)
                nxt += 0.02
            rtp.settimeout(0.005)
            try:
                data, src = rtp.recvfrom(2048)
            except socket.timeout:
                continue
            if src[0] == mip and len(data) >= 12:
                n += 1
        return n

    listen = count(1.5)
    # RFC 4733 digit 6: start (marker), updates, three end packets
    ts[0] = (ts[0] + 160) & 0xffffffff
    start = ts[0]
    for i in range(6):
        rtp_send(101, struct.pack("!BBH", 6, 10, 160 * (i + 1)), marker=(i == 0), tstamp=start)
        time.sleep(0.02)
    for _ in range(3):
        rtp_send(101, struct.pack("!BBH", 6, 0x80 | 10, 160 * 7), tstamp=start)
    ts[0] = (ts[0] + 160 * 7) & 0xffffffff
    barge = count(1.5)
    log("RTP %d %d" % (listen, barge))

    send("BYE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
         "From: <sip:%s@%s>;tag=suptag\nTo: %s\nCall-ID: %s\nCSeq: 3 BYE\nContent-Length: 0\n\n"
         % (target, lip, lport, branch(), user, gip, to, callid))
    resp = final("BYE")
    if status(resp) != 200:
        log("FAIL: BYE answered %d" % status(resp))
        return 1
    log("DONE %.6f" % time.time())
    return 0


if __name__ == "__main__":
    sys.exit(main())
