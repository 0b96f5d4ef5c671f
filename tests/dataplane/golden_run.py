#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run one golden pcap test of sb-dataplane (python3 stdlib only).

  golden_run.py --dataplane BIN --golden DIR --name NAME --workdir DIR

Feeds golden/NAME.in.pcap through net_pcap with golden/NAME.preload, then
  1. compares the frames sent with golden/NAME.expect.pcap, byte for byte
     (no field is volatile: see gen_golden.py), in order;
  2. checks IPv4 header, UDP and ICMP checksums of every frame sent,
     computed here independently of both the dataplane and the generator;
  3. asserts the --stats-json counters listed in golden/NAME.expect.json
     (worker counters, every drop reason, per-leg counters and peers; a
     {"min", "max"} value is a range, for timing-dependent figures).
RTP timestamps after a re-anchoring depend on wall time: "ts_slack" groups
list (frame, offset) pairs whose 32-bit value may exceed the expected one
by a common D in [min (default 0), max]; the expected frames are shifted by that D (UDP
checksum recomputed) and then compared byte for byte like every other.
Exit 0 pass, 1 fail, 77 skip (not root, or DPDK cannot initialise).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

SKIP, FAIL = 77, 1


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic_le, = struct.unpack("<I", data[:4])
    if magic_le in (0xa1b2c3d4, 0xa1b23c4d):
        endian = "<"
    else:
        magic_be, = struct.unpack(">I", data[:4])
        if magic_be not in (0xa1b2c3d4, 0xa1b23c4d):
            raise ValueError("%s: bad pcap magic %#x" % (path, magic_le))
        endian = ">"
    linktype, = struct.unpack(endian + "I", data[20:24])
    if linktype != 1:
        raise ValueError("%s: link type %d, want Ethernet" % (path, linktype))
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if incl != orig:
            raise ValueError("%s: truncated capture of frame %d" % (path, len(frames)))
        frames.append(data[off:off + incl])
        off += incl
    return frames


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def check_checksums(i, fr):
    """Return a list of problems with the checksums of frame i."""
    errs = []
    if len(fr) < 34 or fr[12:14] != b"\x08\x00":
        return errs
    ihl = (fr[14] & 0xf) * 4
    ip = fr[14:14 + ihl]
    if csum(ip) != 0:
        errs.append("frame %d: bad IPv4 header checksum %#06x" % (i, struct.unpack("!H", ip[10:12])[0]))
    tl, = struct.unpack("!H", ip[2:4])
    proto = ip[9]
    l4 = fr[14 + ihl:14 + tl]
    if proto == 17 and len(l4) >= 8:
        ulen, uck = struct.unpack("!H", l4[4:6])[0], struct.unpack("!H", l4[6:8])[0]
        if ulen != len(l4):
            errs.append("frame %d: UDP length %d != IP payload %d" % (i, ulen, len(l4)))
        elif uck != 0:
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
            if csum(pseudo + l4) != 0:
                errs.append("frame %d: bad UDP checksum %#06x" % (i, uck))
    elif proto == 1 and csum(l4) != 0:
        errs.append("frame %d: bad ICMP checksum" % i)
    return errs


def describe(fr):
    if len(fr) >= 42 and fr[12:14] == b"\x08\x06":
        return "ARP op %d %s -> %s" % (fr[21], ".".join(map(str, fr[28:32])),
                                      ".".join(map(str, fr[38:42])))
    if len(fr) >= 42 and fr[12:14] == b"\x08\x00":
        sport, dport = struct.unpack("!HH", fr[34:38])
        return "IPv4 proto %d %s:%d -> %s:%d len %d" % (
            fr[23], ".".join(map(str, fr[26:30])), sport, ".".join(map(str, fr[30:34])), dport,
            len(fr))
    return "%d bytes ethertype %s" % (len(fr), fr[12:14].hex())


def compare_frames(got, want):
    errs = []
    for i in range(max(len(got), len(want))):
        if i >= len(got):
            errs.append("frame %d missing: want %s" % (i, describe(want[i])))
            continue
        if i >= len(want):
            errs.append("frame %d unexpected: %s" % (i, describe(got[i])))
            continue
        g, w = got[i], want[i]
        if g != w:
            diff = [o for o in range(max(len(g), len(w)))
                    if o >= len(g) or o >= len(w) or g[o] != w[o]]
            errs.append("frame %d differs at offsets %s (got %s / want %s)\n  got  %s\n  want %s"
                        % (i, diff[:16], describe(g), describe(w), g.hex(), w.hex()))
    return errs


def compare_stats(stats, exp):
    errs = []
    ws = stats["workers"][0]
    for k, v in exp["worker"].items():
        if k == "drop":
            for r, n in v.items():
                if ws["drop"].get(r) != n:
                    errs.append("drop %s: got %s want %d" % (r, ws["drop"].get(r), n))
            extra = set(ws["drop"]) - set(v)
            for r in extra:
                if ws["drop"][r] != 0:
                    errs.append("drop %s: got %d want 0" % (r, ws["drop"][r]))
        elif ws.get(k) != v:
            errs.append("worker %s: got %s want %s" % (k, ws.get(k), v))
    legs = {l["leg"]: l for l in stats["legs"]}
    for el in exp["legs"]:
        gl = legs.get(el["leg"])
        if gl is None:
            errs.append("leg %d missing from stats" % el["leg"])
            continue
        for k, v in el.items():
            if isinstance(v, dict):
                g = gl.get(k)
                if g is None or not v["min"] <= g <= v["max"]:
                    errs.append("leg %d %s: got %s want %d..%d" % (el["leg"], k, g, v["min"],
                                                                    v["max"]))
            elif gl.get(k) != v:
                errs.append("leg %d %s: got %s want %s" % (el["leg"], k, gl.get(k), v))
        if el["rx_pkts"] > el.get("rtcp_rx_pkts", 0) and not gl.get("last_rx_ns"):
            errs.append("leg %d: last_rx_ns not set" % el["leg"])  # RTP only: media timeout
    return errs


def fix_udp_csum(fr):
    """Recompute the UDP checksum of an Ethernet/IPv4/UDP frame (if it had one)."""
    ihl = (fr[14] & 0xf) * 4
    u = 14 + ihl
    ulen, = struct.unpack("!H", fr[u + 4:u + 6])
    if fr[u + 6:u + 8] == b"\0\0":
        return fr
    fr[u + 6:u + 8] = b"\0\0"
    c = csum(bytes(fr[26:34]) + struct.pack("!BBH", 0, 17, ulen) + bytes(fr[u:u + ulen]))
    fr[u + 6:u + 8] = struct.pack("!H", c or 0xffff)
    return fr


def apply_ts_slack(got, want, groups):
    """Shift the expected re-anchored timestamps by the D the dataplane chose."""
    errs, want = [], [bytearray(w) for w in want]
    for g in groups:
        f0, o0 = g["fields"][0]
        if f0 >= len(got) or o0 + 4 > len(got[f0]):
            continue  # compare_frames reports the missing frame
        d = (struct.unpack("!I", got[f0][o0:o0 + 4])[0] -
             struct.unpack("!I", want[f0][o0:o0 + 4])[0]) & 0xffffffff
        if d >= 1 << 31:
            d -= 1 << 32
        if not g.get("min", 0) <= d <= g["max"]:
            errs.append("frame %d: re-anchored timestamp advanced %d more than expected "
                        "(allowed %d..%d)" % (f0, d, g.get("min", 0), g["max"]))
            continue
        for f, o in g["fields"]:
            v, = struct.unpack("!I", want[f][o:o + 4])
            want[f][o:o + 4] = struct.pack("!I", (v + d) & 0xffffffff)
            fix_udp_csum(want[f])
    return errs, [bytes(w) for w in want]


def eal_unavailable(stderr):
    """EAL failed for want of resources, not because our arguments are wrong."""
    return ("cannot initialise DPDK EAL" in stderr
            and "Invalid 'command line' arguments" not in stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--preload", help="use this preload file instead of golden/NAME.preload")
    ap.add_argument("--expect-error", help="expect exit 2 with this text on stderr")
    a = ap.parse_args()

    if os.geteuid() != 0:
        print("SKIP: needs root for DPDK")
        return SKIP
    g = os.path.join(a.golden, a.name)
    with open(g + ".expect.json") as f:
        exp = json.load(f)
    os.makedirs(a.workdir, exist_ok=True)
    tag = "%s-%d" % (a.name, os.getpid())
    out_pcap = os.path.join(a.workdir, "dp-%s.out.pcap" % a.name)
    stats_json = os.path.join(a.workdir, "dp-%s.stats.json" % a.name)
    for p in (out_pcap, stats_json):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [a.dataplane, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
           "--file-prefix=sbdp-" + tag, "--log-level=lib.eal:warning",
           "--vdev=net_pcap0,rx_pcap=%s.in.pcap,tx_pcap=%s" % (g, out_pcap),
           "--", "--instance", "golden-" + tag, "--preload", a.preload or g + ".preload",
           "--stats-json", stats_json] + exp["args"]
    print("+ " + " ".join(cmd))
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        print("FAIL: sb-dataplane did not exit within 30 s")
        return FAIL
    finally:  # EAL leaves its runtime directory behind (--in-memory needs hugepages)
        shutil.rmtree("/var/run/dpdk/sbdp-" + tag, ignore_errors=True)
    sys.stdout.write(r.stdout)
    sys.stdout.write(r.stderr)
    if a.expect_error is not None:
        if r.returncode == 2 and a.expect_error in r.stderr:
            print("PASS: exit 2 with '%s'" % a.expect_error)
            return 0
        if eal_unavailable(r.stderr):
            print("SKIP: DPDK cannot initialise here")
            return SKIP
        print("FAIL: want exit 2 and '%s', got exit %d" % (a.expect_error, r.returncode))
        return FAIL
    if r.returncode != 0:
        if eal_unavailable(r.stderr):
            print("SKIP: DPDK cannot initialise here")
            return SKIP
        print("FAIL: sb-dataplane exited %d" % r.returncode)
        return FAIL
    if os.path.exists("/dev/shm/switchboard.golden-" + tag):
        print("FAIL: shared segment left behind after a clean exit")
        return FAIL

    errs = []
    got = read_pcap(out_pcap)
    want = read_pcap(g + ".expect.pcap")
    e, want = apply_ts_slack(got, want, exp.get("ts_slack", []))
    errs += e
    errs += compare_frames(got, want)
    for i, fr in enumerate(got):
        errs += check_checksums(i, fr)
    with open(stats_json) as f:
        stats = json.load(f)
    errs += compare_stats(stats, exp)
    if errs:
        print("FAIL: %s (%s)" % (a.name, exp["doc"]))
        for e in errs:
            print("  " + e)
        return FAIL
    print("PASS: %s: %d frames in, %d out as expected; counters match (%s)"
          % (a.name, stats["workers"][0]["rx_pkts"], len(got), exp["doc"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
