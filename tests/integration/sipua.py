"""tests/integration/sipua.py — what the Python phones of the integration
tests (attended_agent.py, consult_agent.py, supervisor.py) share: header
and status parsing, the MD5 digest answer (RFC 2617/7616, sb-control's
realm and nonce) and a REGISTER with a digest retry.  Stdlib only; the
scripts keep their own sockets, loops and timeouts.
"""
import hashlib
import re


def hdr(msg, name):
    """The value of header NAME in MSG (CRLF lines), or ""."""
    m = re.search(r"^" + re.escape(name) + r":\s*(.*?)\r$", msg, re.M | re.I)
    return m.group(1) if m else ""


def status(msg):
    """A response's status code, 0 for a request."""
    return int(msg.split()[1]) if msg.startswith("SIP/2.0 ") else 0


def authz(resp, user, password, method, uri):
    """The Authorization header line answering RESP's WWW-Authenticate."""
    ch = hdr(resp, "WWW-Authenticate")
    realm = re.search(r'realm="([^"]*)"', ch).group(1)
    nonce = re.search(r'nonce="([^"]*)"', ch).group(1)
    ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
    if "qop" in ch:
        cnonce, nc = "0a4f113b", "00000001"
        r = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2)).encode())
        return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"\n'
                % (user, realm, nonce, uri, r.hexdigest(), nc, cnonce))
    r = hashlib.md5(("%s:%s:%s" % (ha1, nonce, ha2)).encode())
    return ('Authorization: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5\n' % (user, realm, nonce, uri, r.hexdigest()))


def register(send, final, branch, user, password, lip, lport, gaddr):
    """REGISTER USER's contact LIP:LPORT at GADDR, answering one digest
    challenge; returns the final status (200 on success).  send(text),
    final(method) and branch() are the caller's."""
    gip = gaddr[0]
    reg_uri = "sip:%s:%s" % gaddr
    reg = ("REGISTER %s SIP/2.0\nVia: SIP/2.0/UDP %s:%d;branch=%%s;rport\n"
           "Max-Forwards: 70\nFrom: <sip:%s@%s>;tag=reg1\nTo: <sip:%s@%s>\n"
           "Call-ID: reg-%s-%d\nCSeq: %%d REGISTER\nContact: <sip:%s@%s:%d>\n"
           "Expires: 300\n%%sContent-Length: 0\n\n"
           % (reg_uri, lip, lport, user, gip, user, gip, user, lport, user, lip, lport))
    send(reg % (branch(), 1, ""))
    resp = final("REGISTER")
    if status(resp) == 401:
        send(reg % (branch(), 2, authz(resp, user, password, "REGISTER", reg_uri)))
        resp = final("REGISTER")
    return status(resp)
