#!/usr/bin/env python3
"""test_tools.py — the relay_veth benchmark's own tools, without root.

  test_tools.py UDPGEN NG_PY

1. udpgen sends to itself on 127.0.0.1 (one socket, its own streams come
   back as the "peer" streams): every packet it sent is counted once, per
   stream, with no sequence gap, duplicate or foreign packet.
2. udpgen rejects a bad destination with FILE:LINE and exit 2.
3. ng.py's bencode: round trip, and decoding an rtpengine-style reply, and
   the port/address read from the SDP it carries.
Exit 0 pass, 1 fail.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile

fails = 0


def check(cond, what):
    global fails
    print("  %s %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        fails += 1


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    udpgen, ngpy = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sb-bench-tools.")
    dests = os.path.join(work, "dests")

    # 1. loopback: 20 streams x 100 pps x 0.5 s = 1000 packets
    port = free_udp_port()
    with open(dests, "w") as f:
        f.write("# comment\n" + "127.0.0.1:%d\n" % port * 20)
    r = subprocess.run([udpgen, "--bind", "127.0.0.1:%d" % port, "--dests", dests,
                        "--ssrc-base", "0x30000000", "--peer-ssrc-base", "0x30000000",
                        "--pps", "100", "--duration-ms", "500", "--drain-ms", "200",
                        # 10 ms ticks: the last packets get 20 ms of grace, a
                        # loaded machine's scheduling delay must not fail this
                        "--tick-us", "10000"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    check(r.returncode == 0, "udpgen loopback exits 0 (%s)" % r.stderr.strip())
    try:
        g = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        g = {}
    check(g.get("target") == 1000, "target = 20 streams x 100 pps x 0.5 s = 1000 (%s)" % g.get("target"))
    check(g.get("sent") == 1000 and g.get("unsent") == 0, "all 1000 sent (%s)" % g.get("sent"))
    check(g.get("recv") == g.get("sent"), "received = sent (%s)" % g.get("recv"))
    check(g.get("seq_gaps") == 0 and g.get("dup_or_late") == 0 and g.get("foreign") == 0,
          "no gap, duplicate or foreign packet")
    check(g.get("rx_per_stream") == [50] * 20, "50 per stream (%s)" % g.get("rx_per_stream"))
    check(g.get("lat_p50_us", -1) > 0, "latency measured (p50 %s us)" % g.get("lat_p50_us"))

    # 1b. a sink that hears nothing of its peer counts the loss
    with open(dests, "w") as f:
        f.write("127.0.0.1:%d\n" % free_udp_port() * 4)
    r = subprocess.run([udpgen, "--bind", "127.0.0.1:%d" % port, "--dests", dests,
                        "--ssrc-base", "1", "--peer-ssrc-base", "1000", "--peer-streams", "4",
                        "--duration-ms", "100", "--drain-ms", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    g = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
    check(g.get("recv") == 0 and g.get("streams_zero") == 4,
          "nothing received: 4 silent streams (%s)" % g.get("streams_zero"))

    # 2. a bad destination: FILE:LINE, exit 2
    with open(dests, "w") as f:
        f.write("127.0.0.1:5000\n192.0.2.300:5000\n")
    r = subprocess.run([udpgen, "--bind", "127.0.0.1:%d" % port, "--dests", dests,
                        "--ssrc-base", "1", "--peer-ssrc-base", "2"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    check(r.returncode == 2 and ("%s:2:" % dests) in r.stderr,
          "bad destination -> exit 2 naming %s:2 (%r)" % (os.path.basename(dests), r.stderr.strip()))

    # 3. bencode
    spec = importlib.util.spec_from_file_location("ng", ngpy)
    ng = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ng)
    msg = {"command": "offer", "replace": ["origin", "session-connection"], "n": 3}
    enc = ng.benc(msg)
    check(enc == b"d7:command5:offer1:ni3e7:replacel6:origin18:session-connectionee",
          "bencode sorts keys and encodes lists/ints (%r)" % enc)
    dec, end = ng.bdec(enc)
    check(end == len(enc) and ng.to_json(dec) == msg, "bencode round trip")
    body = (b"v=0\r\no=- 1 1 IN IP4 203.0.113.20\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\n"
            b"m=audio 30012 RTP/AVP 0\r\n")
    reply, _ = ng.bdec(ng.benc({"result": "ok", "sdp": body}))
    check(ng.sdp_media(reply, "test") == "203.0.113.20:30012", "port and address from the SDP")
    try:
        ng.sdp_media({"result": b"error", "error-reason": b"Unknown call-id"}, "call 7 answer")
        check(False, "an error reply raises")
    except RuntimeError as e:
        check("Unknown call-id" in str(e) and "call 7 answer" in str(e),
              "an error reply names the call and rtpengine's reason (%s)" % e)
    try:
        ng.bdec(b"5:ab")
        check(False, "a truncated string raises")
    except ValueError:
        check(True, "a truncated string raises")

    for f in os.listdir(work):
        os.unlink(os.path.join(work, f))
    os.rmdir(work)
    print("%s: %d check(s) failed" % ("FAIL" if fails else "PASS", fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
