#!/usr/bin/env python3
"""tests/integration/attended_agent.py — an agent phone that makes an
attended transfer (stdlib only; SIPp cannot run two calls of its own from
one scenario).

    attended_agent.py USER PASSWORD LOCAL_IP LOCAL_PORT GATEWAY_IP:PORT TARGET

REGISTERs USER (digest, qop=auth when offered), answers the first INVITE
(the customer call; SDP PCMA at LOCAL_IP:LOCAL_PORT+10, where nothing
listens), calls TARGET by user name through the gateway (digest again:
agents' INVITEs are authenticated), then REFERs the customer call with
Refer-To: <sip:TARGET@gateway?Replaces=...> naming its own consultation
dialog.  Expects 202, NOTIFY "100 Trying", BYE of the consultation and
NOTIFY "200 OK" (any order), answers each, then hangs up the customer
call's dialog.  Prints one line per step; exit 0 when all of it happened
within 20 s, 1 otherwise.
"""
import random
import re
import socket
import sys
import time

from sipua import authz, hdr, register, status


def main():
    user, password, lip, lport, gw, target = sys.argv[1:7]
    lport = int(lport)
    gip, gport = gw.split(":")
    gaddr = (gip, int(gport))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lip, lport))
    deadline = time.time() + 20
    branch_no = [0]

    def log(msg):
        print(msg, flush=True)

    def branch():
        branch_no[0] += 1
        return "z9hG4bKatt%d%d" % (random.randrange(1 << 30), branch_no[0])

    def send(text, addr=gaddr):
        """Bare LFs become CRLF (bodies already in CRLF stay as they are)."""
        sock.sendto(re.sub(r"(?<!\r)\n", "\r\n", text).encode(), addr)

    def recv():
        while True:
            left = deadline - time.time()
            if left <= 0:
                log("FAIL: timed out")
                sys.exit(1)
            sock.settimeout(left)
            data, _ = sock.recvfrom(65535)
            msg = data.decode(errors="replace")
            if msg.startswith("OPTIONS "):  # keep-alive from the registrar
                respond(msg, 200, "OK")
                continue
            return msg

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

    def sdp(port):
        return ("v=0\no=agent 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n"
                "m=audio %d RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n"
                % (lip, lip, port)).replace("\n", "\r\n")

    def final(expect_method):
        """Next final response to our request (provisional ones skipped)."""
        while True:
            msg = recv()
            if status(msg) >= 200 and expect_method in hdr(msg, "CSeq"):
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
    c1_tag = "c1tag"
    respond(inv, 200, "OK", c1_tag, "Contact: <sip:%s@%s:%d>\nContent-Type: application/sdp\n"
            % (user, lip, lport), sdp(lport + 10))
    c1_callid = hdr(inv, "Call-ID")
    c1_target = re.search(r"<([^>]*)>", hdr(inv, "Contact")).group(1)
    c1_local = hdr(inv, "To") + ";tag=" + c1_tag      # our From in this dialog
    c1_remote = hdr(inv, "From")                      # our To
    while not recv().startswith("ACK "):
        pass
    log("ANSWERED %s" % c1_callid)
    time.sleep(0.5)  # some of the caller's audio reaches us first

    # ---- the consultation: TARGET by name, digest as every agent INVITE
    cons_uri = "sip:%s@%s:%s" % (target, gip, gport)
    cons_callid = "cons-%d@%s" % (random.randrange(1 << 30), lip)
    cons_tag = "constag"
    cons = ("INVITE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%%s;rport\nMax-Forwards: 70\n"
            "From: <sip:%s@%s>;tag=%s\nTo: <sip:%s@%s>\nCall-ID: %s\nCSeq: %%d INVITE\n"
            "Contact: <sip:%s@%s:%d>\n%%sContent-Type: application/sdp\nContent-Length: %d\n\n%s"
            % (cons_uri, lip, lport, user, gip, cons_tag, target, gip, cons_callid, user, lip,
               lport, len(sdp(lport + 12)), sdp(lport + 12)))
    br = branch()
    send(cons % (br, 1, ""))
    resp = final("INVITE")
    if status(resp) == 401:
        send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
             "From: <sip:%s@%s>;tag=%s\nTo: %s\nCall-ID: %s\nCSeq: 1 ACK\nContent-Length: 0\n\n"
             % (cons_uri, lip, lport, br, user, gip, cons_tag, hdr(resp, "To"), cons_callid))
        send(cons % (branch(), 2, authz(resp, user, password, "INVITE", cons_uri)))
        resp = final("INVITE")
    if status(resp) != 200:
        log("FAIL: consultation INVITE answered %d" % status(resp))
        return 1
    cons_to = hdr(resp, "To")
    cons_gw_tag = re.search(r"tag=([^;\s]+)", cons_to).group(1)
    cons_target = re.search(r"<([^>]*)>", hdr(resp, "Contact")).group(1)
    send("ACK %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
         "From: <sip:%s@%s>;tag=%s\nTo: %s\nCall-ID: %s\nCSeq: %s ACK\nContent-Length: 0\n\n"
         % (cons_target, lip, lport, branch(), user, gip, cons_tag, cons_to, cons_callid,
            hdr(resp, "CSeq").split()[0]))
    log("CONSULTING %s" % target)
    time.sleep(0.5)

    # ---- REFER in the customer call, Replaces naming the consultation
    replaces = "%s%%3Bto-tag%%3D%s%%3Bfrom-tag%%3D%s" % (
        cons_callid.replace("@", "%40"), cons_gw_tag, cons_tag)
    send("REFER %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
         "From: %s\nTo: %s\nCall-ID: %s\nCSeq: 1 REFER\nContact: <sip:%s@%s:%d>\n"
         "Refer-To: <sip:%s@%s?Replaces=%s>\nReferred-By: <sip:%s@%s>\nContent-Length: 0\n\n"
         % (c1_target, lip, lport, branch(), c1_local, c1_remote, c1_callid, user, lip, lport,
            target, gip, replaces, user, lip))
    resp = final("REFER")
    if status(resp) != 202:
        log("FAIL: REFER answered %d" % status(resp))
        return 1
    log("REFER 202")
    trying = done = cons_bye = False
    while not (trying and done and cons_bye):
        msg = recv()
        if msg.startswith("NOTIFY "):
            respond(msg, 200, "OK")
            body = msg.split("\r\n\r\n", 1)[1]
            trying |= body.startswith("SIP/2.0 100 ")
            if body.startswith("SIP/2.0 ") and not body.startswith("SIP/2.0 1"):
                if not body.startswith("SIP/2.0 200 "):
                    log("FAIL: transfer NOTIFY %s" % body.split("\r\n")[0])
                    return 1
                done = True
        elif msg.startswith("BYE ") and hdr(msg, "Call-ID") == cons_callid:
            respond(msg, 200, "OK")
            cons_bye = True
    log("NOTIFY 100, BYE of the consultation, NOTIFY 200")

    # ---- hang up the customer call's dialog ourselves
    send("BYE %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%s;rport\nMax-Forwards: 70\n"
         "From: %s\nTo: %s\nCall-ID: %s\nCSeq: 2 BYE\nContent-Length: 0\n\n"
         % (c1_target, lip, lport, branch(), c1_local, c1_remote, c1_callid))
    resp = final("BYE")
    if status(resp) != 200:
        log("FAIL: BYE answered %d" % status(resp))
        return 1
    log("TRANSFERRED %s to %s" % (user, target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
