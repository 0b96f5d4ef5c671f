#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the golden pcap tests of sb-dataplane (python3 stdlib only).

For every scenario this writes into golden/:
  NAME.in.pcap      frames fed to the dataplane (net_pcap rx_pcap)
  NAME.expect.pcap  frames the dataplane must send, in order
  NAME.preload      legs (--preload)
  NAME.expect.json  extra arguments and the counters --stats-json must show

Expected frames are built here from first principles (fresh headers and
checksums computed by this script), never by running the dataplane.
IP id and TOS are kept by the relay, so frames compare byte for byte.  The
one volatile field is the RTP timestamp after a re-anchoring: the dataplane
advances it by the wall time elapsed since the last packet of the old
source, at least one frame; this model assumes the replay takes no time
except the "at N sleep" pauses.  expect.json lists those fields under
"ts_slack": the runner accepts one common extra advance D (min <= D <= max;
min < 0 only for the TSC rate estimate's error over a pause) per group and
checks everything else byte for byte.
Stats that depend on timing (round-trip time) are given as {"min", "max"}.
Run:  python3 gen_golden.py [OUTDIR]
"""
import json
import os
import socket
import struct
import sys

DROP_REASONS = ["SHORT", "NOT_IPV4", "BAD_IP", "FRAG", "IP_OPTS", "NOT_MINE", "NOT_UDP",
                "NO_LEG", "BAD_SRC", "BAD_RTP", "NO_FWD", "NO_ARP", "TX_FULL",
                "PUNT_FULL", "ARP_OTHER"]

DP_MAC = "02:70:63:61:70:00"      # net_pcap0's MAC in DPDK 22.11
MEDIA_IP = "203.0.113.10"
PREFIX = 24
GW_IP = "203.0.113.1"
GW_MAC = "02:00:00:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"
ARGS = ["--media-ip", MEDIA_IP, "--prefix-len", str(PREFIX), "--gateway", GW_IP,
        "--port-min", "20000", "--port-span", "10000",
        "--arp-retry-ms", "5000", "--exit-idle-ms", "300"]


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def arp(op, sha, spa, tha, tpa, htype=1):
    return struct.pack("!HHBBH", htype, 0x0800, 6, 4, op) + mac(sha) + ip4(spa) + mac(tha) + ip4(tpa)


def ipv4(src, dst, proto, payload, ttl=64, ident=0x1234, tos=0, frag=0, opts=b"",
         total_len=None, bad_csum=False, version=4):
    ihl = 5 + len(opts) // 4
    tl = total_len if total_len is not None else 20 + len(opts) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, tl, ident, frag, ttl, proto, 0,
                      ip4(src), ip4(dst)) + opts
    c = csum(hdr)
    if bad_csum:
        c ^= 0x5555
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload, with_csum=True, length=None):
    ln = length if length is not None else 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, ln, 0)
    c = 0
    if with_csum:
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, ln)
        c = csum(pseudo + h + payload) or 0xffff
    return struct.pack("!HHHH", sport, dport, ln, c) + payload


def rtp(seq, n=160, pt=0, ts=None, ssrc=0x1234abcd, marker=False, version=2):
    ts = seq * 160 if ts is None else ts
    hdr = struct.pack("!BBHII", version << 6, (0x80 if marker else 0) | pt, seq & 0xffff,
                      ts & 0xffffffff, ssrc)
    return hdr + bytes((seq + i) & 0xff for i in range(n - 12))


# ---- RTCP builders ----
def rtcp_hdr(count, pt, words, pad=False):
    return struct.pack("!BBH", 0x80 | (0x20 if pad else 0) | count, pt, words - 1)


def rtcp_rb(ssrc, frac=0, cum=0, ext=0, jit=0, lsr=0, dlsr=0):
    return struct.pack("!IIIIII", ssrc, (frac << 24) | (cum & 0xffffff), ext, jit, lsr, dlsr)


def rtcp_sr(ssrc, ntp_sec, ntp_frac, ts, blocks=()):
    body = struct.pack("!IIIIII", ssrc, ntp_sec, ntp_frac, ts, 100, 16000) + b"".join(blocks)
    return rtcp_hdr(len(blocks), 200, 1 + len(body) // 4) + body


def rtcp_rr(ssrc, blocks=()):
    body = struct.pack("!I", ssrc) + b"".join(blocks)
    return rtcp_hdr(len(blocks), 201, 1 + len(body) // 4) + body


def rtcp_sdes(ssrc, cname=b"ab"):
    chunk = struct.pack("!I", ssrc) + bytes([1, len(cname)]) + cname + b"\0"
    chunk += b"\0" * (-len(chunk) % 4)
    return rtcp_hdr(1, 202, 1 + len(chunk) // 4) + chunk


def rtcp_bye(*ssrcs):
    return rtcp_hdr(len(ssrcs), 203, 1 + len(ssrcs)) + b"".join(struct.pack("!I", x) for x in ssrcs)


def rtcp_walk(b):
    """(pt, count, off, len) of each packet of a well-formed compound."""
    out, off = [], 0
    while off < len(b):
        words, = struct.unpack("!H", b[off + 2:off + 4])
        ln = (words + 1) * 4
        out.append((b[off + 1], b[off] & 0x1f, off, ln))
        off += ln
    return out


def be32(b, o):
    return struct.unpack("!I", b[o:o + 4])[0]


def put32(b, o, v):
    b[o:o + 4] = struct.pack("!I", v & 0xffffffff)


STATIC_CLOCK = {0: 8000, 3: 8000, 4: 8000, 5: 8000, 7: 8000, 8: 8000, 9: 8000, 12: 8000,
                13: 8000, 15: 8000, 18: 8000, 6: 16000, 16: 11025, 17: 22050, 10: 44100,
                11: 44100}


class Src:
    """RFC 3550 A.1 receive state, as common/rtp.c keeps it."""

    def __init__(self, ssrc, seq):
        self.ssrc = ssrc
        self.init_seq(seq)
        self.max_seq = (seq - 1) & 0xffff
        self.probation = 2

    def init_seq(self, seq):
        self.base_seq, self.max_seq, self.bad_seq = seq, seq, 65537
        self.cycles = self.received = 0

    def update(self, seq):
        udelta = (seq - self.max_seq) & 0xffff
        if self.probation:
            if seq == (self.max_seq + 1) & 0xffff:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self.init_seq(seq)
                    self.received += 1
            else:
                self.probation, self.max_seq = 1, seq
            return
        if udelta < 3000:
            if seq < self.max_seq:
                self.cycles += 65536
            self.max_seq = seq
        elif udelta <= 65536 - 100:
            if seq == self.bad_seq:
                self.init_seq(seq)
            else:
                self.bad_seq = (seq + 1) & 0xffff
                return
        self.received += 1

    def stats(self):
        ext = self.cycles + self.max_seq
        exp = 0 if self.probation or self.received == 0 else ext - self.base_seq + 1
        return {"ssrc": self.ssrc, "ext_max_seq": ext, "received": self.received,
                "expected": exp, "lost": exp - self.received, "cycles": self.cycles >> 16}


def pad60(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def udp_frame(src_mac, dst_mac, src, dst, sport, dport, payload, ttl=64, ident=0x1234, tos=0,
              with_csum=True):
    return eth(dst_mac, src_mac, 0x0800,
               ipv4(src, dst, 17, udp(src, dst, sport, dport, payload, with_csum),
                    ttl=ttl, ident=ident, tos=tos))


def in_subnet(a):
    m = (0xffffffff << (32 - PREFIX)) & 0xffffffff
    ai, = struct.unpack("!I", ip4(a))
    bi, = struct.unpack("!I", ip4(MEDIA_IP))
    return (ai & m) == (bi & m)


def arp_request_out(target):
    return eth(BCAST, DP_MAC, 0x0806, arp(1, DP_MAC, MEDIA_IP, "00:00:00:00:00:00", target))


class Scenario:
    """A model of the dataplane for one test: legs, neighbours, counters."""

    def __init__(self, name, doc, args=None):
        self.name, self.doc = name, doc
        self.args = args or ARGS
        self.slack = []      # re-anchoring groups: {"max": N, "fields": [[frame, off], ...]}
        self.now_ms = 0      # model time: only "at N sleep" advances it (the replay is instant)
        self.ranges = {}     # (leg, key) -> (min, max) for timing-dependent stats
        self.legs = {}
        self.neigh = {}
        self.asked = set()
        self.inp, self.out, self.preload = [], [], []
        self.w = {"rx_pkts": 0, "tx_pkts": 0, "relayed": 0, "arp_replies": 0,
                  "arp_requests": 0, "drop": {r: 0 for r in DROP_REASONS}}
        self.ask(GW_IP)  # proactive: gateway at start

    # -- model helpers --
    def nexthop(self, ip):
        return ip if in_subnet(ip) else GW_IP

    def ask(self, nh):
        if nh in self.asked:      # rate limit: one per next hop per retry interval
            return
        self.asked.add(nh)
        self.emit(arp_request_out(nh))
        self.w["arp_requests"] += 1

    def emit(self, frame, leg=None, payload=0):
        self.out.append(frame)
        self.w["tx_pkts"] += 1
        if leg is not None:
            self.legs[leg]["tx_pkts"] += 1
            self.legs[leg]["tx_bytes"] += payload

    def leg(self, idx, port, peer=None, flags=(), pt=(), timeout=None, rtcp=None):
        """pt: (in, out, clock or None) maps of packets received on this leg."""
        peer_s = "%s:%d" % peer if peer else "-"
        opts = list(flags) + ["pt=%d:%d%s" % (i, o, "/%d" % c if c else "") for i, o, c in pt]
        if timeout:
            opts.append("timeout=%d" % timeout)
        if rtcp:
            opts.append("rtcp=%d" % rtcp)
        self.preload.append("leg %d %d %s %s" % (idx, port, peer_s, " ".join(opts)))
        sdp = peer if peer else None
        self.legs[idx] = {"leg": idx, "local_port": port, "peer_ip": peer[0] if peer else "0.0.0.0",
                          "peer_port": peer[1] if peer else 0, "flags": set(flags),
                          "sdp": sdp, "may_latch": "latch" in flags or sdp is None,
                          "lstate": 0, "ln": 0, "learned": False,
                          "mux": "mux" in flags, "rtcp_cfg": rtcp, "rtcp_locked": False,
                          "pt": list(pt), "fwd": None, "active": 1,
                          "out": None, "resync": False, "src": None, "reanchors": 0,
                          "slack_group": None, "sr_lsr": None,
                          "rx_pkts": 0, "rx_bytes": 0, "tx_pkts": 0, "tx_bytes": 0,
                          "rej_src": 0, "drops": 0, "rtcp_rx_pkts": 0, "sr_rx": 0,
                          "rr_blocks_rx": 0, "remote_fraction_lost": 0, "remote_lost": 0,
                          "timeouts": 0}
        self.rtcp_derive(self.legs[idx])
        if peer:
            self.ask(self.nexthop(peer[0]))

    def rtcp_derive(self, l):
        if l["peer_port"] == 0:
            l["rtcp_port"] = 0
        elif l["rtcp_cfg"] and l["sdp"] == (l["peer_ip"], l["peer_port"]):
            l["rtcp_port"] = l["rtcp_cfg"]
        else:
            l["rtcp_port"] = l["peer_port"] if l["mux"] else l["peer_port"] + 1
        l["rtcp_locked"] = False

    def sleep(self, ms):
        """The worker stalls ms before the next packet fed (preload "at N sleep")."""
        self.preload.append("at %d sleep %d" % (len(self.inp) + 1, ms))
        self.now_ms += ms

    def connect(self, a, b, at=False):
        if at:  # mid-stream: before the next packet fed
            self.preload.append("at %d connect %d %d" % (len(self.inp) + 1, a, b))
        else:
            self.preload.append("connect %d %d" % (a, b))
        for x, y in ((a, b), (b, a)):
            lx = self.legs[x]
            if lx["fwd"] != y:
                if lx["fwd"] is not None and self.legs[lx["fwd"]]["fwd"] == x:
                    self.legs[lx["fwd"]]["fwd"] = None
                lx["resync"] = True
        self.legs[a]["fwd"], self.legs[b]["fwd"] = b, a

    # -- the latching rule (common/rtp.c sb_latch_check); the pcap replays in
    # far less than 3 s, so only the 5-packet window can close here --
    def latch(self, l, src, sport):
        is_peer = (l["peer_ip"], l["peer_port"]) == (src, sport)
        is_sdp = l["sdp"] is not None and l["sdp"] == (src, sport)
        if l["lstate"] == 2:
            return "ok" if is_peer else "reject"
        if not l["may_latch"]:
            if not is_sdp:
                return "reject"
            l["lstate"] = 2
            return "ok"
        if l["lstate"] == 0:
            l["t0"] = self.now_ms
        l["lstate"] = 1
        l["ln"] += 1
        if l["ln"] > 5 or self.now_ms - l["t0"] >= 3000:
            l["lstate"] = 2
            return "ok" if is_peer else "reject"
        if is_sdp:
            l["lstate"], l["learned"] = 2, False
            if is_peer:
                return "ok"
        elif is_peer:
            return "ok"
        elif l["learned"]:
            return "reject"
        else:
            l["learned"] = True
        l["peer_ip"], l["peer_port"] = src, sport
        self.rtcp_derive(l)
        return "new"

    def pt_clock(self, l, pt):
        for i, o, c in l["pt"]:
            if i == pt and c:
                return c
        return STATIC_CLOCK.get(pt, 8000)

    def map_pt(self, l, pt):
        for i, o, c in l["pt"]:
            if i == pt:
                return o
        return pt

    # -- inputs with their expected fate --
    def feed(self, frame):
        self.inp.append(frame)
        self.w["rx_pkts"] += 1

    def arp_in(self, frame, reply=None, learn=None, other=False):
        self.feed(frame)
        if learn:
            self.neigh[learn[0]] = learn[1]
        if reply:
            self.emit(reply)
            self.w["arp_replies"] += 1
        if other:
            self.w["drop"]["ARP_OTHER"] += 1

    def drop_in(self, frame, reason):
        self.feed(frame)
        self.w["drop"][reason] += 1

    def rtp_in(self, src_mac, src, sport, dport, payload, ttl=64, ident=0x1234, tos=0,
               with_csum=True, pad=False, expect="fwd"):
        """A UDP datagram to the media address; the model decides its fate
        the way the dataplane must, and `expect` double-checks the outcome."""
        frame = udp_frame(src_mac, DP_MAC, src, MEDIA_IP, sport, dport, payload, ttl=ttl,
                          ident=ident, tos=tos, with_csum=with_csum)
        if pad:
            frame = pad60(frame)
        self.feed(frame)
        leg = next((l for l in self.legs.values() if l["local_port"] == dport), None)
        rtcp_leg = next((l for l in self.legs.values()
                         if not l["mux"] and l["local_port"] + 1 == dport), None)
        if leg is None and rtcp_leg is None:
            self.w["drop"]["NO_LEG"] += 1
            assert expect == "NO_LEG", expect
            return
        l = leg or rtcp_leg
        if len(payload) < 8 or payload[0] >> 6 != 2:
            return self.leg_drop(l, "BAD_RTP", expect)
        if rtcp_leg is not None or (l["mux"] and 192 <= payload[1] <= 223):
            return self.rtcp_path(l, src, sport, payload, ttl, ident, tos, with_csum, expect)
        if len(payload) < 12:
            return self.leg_drop(l, "BAD_RTP", expect)
        v = self.latch(l, src, sport)
        if v == "reject":
            l["rej_src"] += 1
            self.w["drop"]["BAD_SRC"] += 1
            assert expect == "BAD_SRC", expect
            return
        l["rx_pkts"] += 1
        l["rx_bytes"] += len(payload)
        ssrc, seq = be32(payload, 8), struct.unpack("!H", payload[2:4])[0]
        if l["src"] is None or l["src"].ssrc != ssrc:
            l["src"] = Src(ssrc, seq)
        l["src"].update(seq)
        tgt = self.legs[l["fwd"]] if l["fwd"] is not None else None
        nh_mac = self.target(l, tgt, tgt["peer_port"] if tgt else 0, expect)
        if nh_mac is None:
            return
        out = bytearray(payload)
        self.rtp_rewrite(tgt, l, out)
        self.relay_out(tgt, l, bytes(out), tgt["local_port"], tgt["peer_port"], nh_mac,
                       ttl, ident, tos, with_csum, pad, ts_off=4)

    def leg_drop(self, l, reason, expect):
        l["drops"] += 1
        self.w["drop"][reason] += 1
        assert expect == reason, (expect, reason)

    def target(self, l, tgt, dport, expect):
        if tgt is None or tgt["peer_ip"] == "0.0.0.0" or dport == 0:
            return self.leg_drop(l, "NO_FWD", expect)
        nh = self.nexthop(tgt["peer_ip"])
        if nh not in self.neigh:
            self.ask(nh)
            return self.leg_drop(l, "NO_ARP", expect)
        assert expect == "fwd", expect
        return self.neigh[nh]

    def relay_out(self, tgt, l, payload, sport, dport, nh_mac, ttl, ident, tos, with_csum, pad,
                  ts_off):
        out = udp_frame(DP_MAC, nh_mac, MEDIA_IP, tgt["peer_ip"], sport, dport, payload,
                        ttl=ttl - 1 if ttl > 1 else 64, ident=ident, tos=tos,
                        with_csum=with_csum)
        if pad:
            out = pad60(out)
        self.w["relayed"] += 1
        if ts_off is not None and tgt["slack_group"] is not None:
            tgt["slack_group"]["fields"].append([len(self.out), 42 + ts_off])
        self.emit(out, leg=tgt["leg"], payload=len(payload))

    def rtp_rewrite(self, t, l, b):
        ssrc, seq, ts = be32(b, 8), struct.unpack("!H", b[2:4])[0], be32(b, 4)
        pt = b[1] & 0x7f
        b1 = (b[1] & 0x80) | self.map_pt(l, pt)
        o = t["out"]
        anchor = False
        if o is None:
            o = t["out"] = {"ssrc": ssrc, "src": ssrc, "sd": 0, "td": 0, "last_seq": (seq - 1) & 0xffff,
                            "last_ts": ts, "step": 0, "last_ms": 0}
            t["resync"] = False
        elif t["resync"] or ssrc != o["src"]:
            step = o["step"] or self.pt_clock(l, pt) // 50
            # the wall time since the last packet, at least one frame
            wall = (self.now_ms - o["last_ms"]) * self.pt_clock(l, pt) // 1000
            # the dataplane measures that time with its TSC rate estimate: allow 2 %
            tol = wall // 50 if wall > step else 0
            step = max(step, wall)
            o["sd"] = (o["last_seq"] + 1 - seq) & 0xffff
            o["td"] = (o["last_ts"] + step - ts) & 0xffffffff
            o["src"] = ssrc
            t["resync"] = False
            t["reanchors"] += 1
            b1 |= 0x80
            anchor = True
            t["slack_group"] = {"min": -tol, "max": 16000, "fields": []}
            self.slack.append(t["slack_group"])
        nseq, nts = (seq + o["sd"]) & 0xffff, (ts + o["td"]) & 0xffffffff
        ds = (nseq - o["last_seq"]) & 0xffff
        if 0 < ds < 0x8000:
            dt = (nts - o["last_ts"]) & 0xffffffff
            if ds == 1 and not anchor and 0 < dt <= 0xffff:
                o["step"] = dt
            o["last_seq"], o["last_ts"] = nseq, nts
        o["last_ms"] = self.now_ms
        b[1] = b1
        b[2:4] = struct.pack("!H", nseq)
        put32(b, 4, nts)
        put32(b, 8, o["ssrc"])

    def rtcp_path(self, l, src, sport, payload, ttl, ident, tos, with_csum, expect):
        if l["peer_ip"] != src or l["peer_ip"] == "0.0.0.0":
            ok = False
        elif sport == l["rtcp_port"]:
            ok = l["rtcp_locked"] = True
        elif not l["rtcp_locked"] and "latch" in l["flags"]:
            l["rtcp_port"], ok = sport, True
            l["rtcp_locked"] = True
        else:
            ok = False
        if not ok:
            l["rej_src"] += 1
            self.w["drop"]["BAD_SRC"] += 1
            assert expect == "BAD_SRC", expect
            return
        if expect == "BAD_RTP":   # malformed compounds are declared by the scenario
            return self.leg_drop(l, "BAD_RTP", expect)
        l["rx_pkts"] += 1
        l["rx_bytes"] += len(payload)
        l["rtcp_rx_pkts"] += 1
        pk = rtcp_walk(payload)
        for pt, count, off, ln in pk:
            if pt not in (200, 201):
                continue
            if pt == 200:
                l["sr_rx"] += 1
            for k in range(count):
                bo = off + (28 if pt == 200 else 8) + 24 * k
                if l["out"] is not None and be32(payload, bo) == l["out"]["ssrc"]:
                    l["rr_blocks_rx"] += 1
                    w1 = be32(payload, bo + 4)
                    l["remote_fraction_lost"] = w1 >> 24
                    cum = w1 & 0xffffff
                    l["remote_lost"] = cum - (1 << 24) if cum & 0x800000 else cum
                    lsr = be32(payload, bo + 16)
                    if lsr and lsr == l["sr_lsr"]:
                        # measured: A - LSR - DLSR with A our time (>= 1 us, 0 = unknown)
                        self.ranges[(l["leg"], "rtt_us")] = (1, 2000000)
        tgt = self.legs[l["fwd"]] if l["fwd"] is not None else None
        nh_mac = self.target(l, tgt, tgt["rtcp_port"] if tgt else 0, expect)
        if nh_mac is None:
            return
        b = bytearray(payload)
        to, lo = tgt["out"], l["out"]
        snd = to is not None and to["src"] != to["ssrc"]
        blk = lo is not None and (lo["src"] != lo["ssrc"] or lo["sd"] != 0)
        ts_off = None
        for pt, count, off, ln in pk:
            offs = []
            if pt == 200 and to is not None and be32(b, off + 4) == to["src"]:
                put32(b, off + 16, be32(b, off + 16) + to["td"])
                ts_off = off + 16
            if pt == 200:
                tgt["sr_lsr"] = ((be32(b, off + 8) << 16) | (be32(b, off + 12) >> 16)) & 0xffffffff
            if pt in (200, 201):
                offs.append(4)
                for k in range(count):
                    bo = off + (28 if pt == 200 else 8) + 24 * k
                    if blk and be32(b, bo) == lo["ssrc"]:
                        put32(b, bo, lo["src"])
                        e = be32(b, bo + 8)
                        put32(b, bo + 8, (e & 0xffff0000) | ((e - lo["sd"]) & 0xffff))
            elif pt in (204, 205, 206, 207):
                offs.append(4)
            elif pt == 203:
                offs += [4 + 4 * i for i in range(count)]
            elif pt == 202:
                o = off + 4
                for c in range(count):   # chunk: SSRC, items, end byte, pad
                    offs.append(o - off)
                    o += 4
                    while b[o] != 0:
                        o += 2 + b[o + 1]
                    o = (o + 4) & ~3
            for so in offs:
                if snd and be32(b, off + so) == to["src"]:
                    put32(b, off + so, to["ssrc"])
        sport_out = tgt["local_port"] + (0 if tgt["mux"] else 1)
        self.relay_out(tgt, l, bytes(b), sport_out, tgt["rtcp_port"], nh_mac, ttl, ident, tos,
                       with_csum, False, ts_off=ts_off)

    def expect_json(self):
        legs = []
        for l in sorted(self.legs.values(), key=lambda x: x["leg"]):
            e = {k: l[k] for k in ("leg", "local_port", "active", "rx_pkts", "rx_bytes",
                                   "tx_pkts", "tx_bytes", "rej_src", "drops", "reanchors",
                                   "rtcp_rx_pkts", "sr_rx", "rr_blocks_rx",
                                   "remote_fraction_lost", "remote_lost", "timeouts")}
            e["peer"] = "%s:%d" % (l["peer_ip"], l["peer_port"])
            e["rtcp_peer_port"] = l["rtcp_port"]
            e["rtcp_mux"] = 1 if l["mux"] else 0
            e["latch_state"] = l["lstate"]
            if l["src"] is not None:
                e.update(l["src"].stats())
            if l["out"] is not None:
                e["out_ssrc"] = l["out"]["ssrc"]
            for (li, k), (lo, hi) in self.ranges.items():
                if li == l["leg"]:
                    e[k] = {"min": lo, "max": hi}
            legs.append(e)
        j = {"doc": self.doc, "args": self.args, "worker": self.w, "legs": legs}
        slack = [g for g in self.slack if g["fields"]]
        if slack:
            j["ts_slack"] = slack
        return j


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


# ---------------------------------------------------------------- scenarios
CALLER, CALLER_MAC_VIA = "192.0.2.10", GW_MAC   # off-link: arrives from the gateway
AGENT = "198.51.100.10"
LOCAL_PHONE, LOCAL_PHONE_MAC = "203.0.113.20", "02:00:00:00:00:20"


def gw_reply(s):
    s.arp_in(eth(DP_MAC, GW_MAC, 0x0806, arp(2, GW_MAC, GW_IP, DP_MAC, MEDIA_IP)),
             learn=(GW_IP, GW_MAC))


def sc_relay():
    s = Scenario("relay", "relay both directions: rewrite, checksums (incl. UDP csum 0), "
                          "TTL, TOS/id kept, padded minimum frame, on-link and gateway next hops")
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (LOCAL_PHONE, 6000))
    s.connect(0, 1)
    gw_reply(s)
    s.arp_in(eth(DP_MAC, LOCAL_PHONE_MAC, 0x0806,
                 arp(2, LOCAL_PHONE_MAC, LOCAL_PHONE, DP_MAC, MEDIA_IP)),
             learn=(LOCAL_PHONE, LOCAL_PHONE_MAC))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(1, 172), ttl=60, ident=0x0101)
    s.rtp_in(LOCAL_PHONE_MAC, LOCAL_PHONE, 6000, 20002, rtp(2, 160), ident=0x0202,
             with_csum=False)
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3, 172), ttl=33, ident=0xfffe, tos=0xb8)
    s.rtp_in(LOCAL_PHONE_MAC, LOCAL_PHONE, 6000, 20002, rtp(4, 160), ttl=1, ident=0x0404)
    # 4 bytes of payload: not RTP (ABI 2 checks the RTP header), dropped BAD_RTP
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, b"\x80\x00\x00\x05", pad=True, ident=0x0505,
             expect="BAD_RTP")
    for i in range(6, 16):  # a run in both directions
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(i, 172), ident=0x1000 + i)
        s.rtp_in(LOCAL_PHONE_MAC, LOCAL_PHONE, 6000, 20002, rtp(i, 160), ident=0x2000 + i)
    return s


def sc_arp():
    s = Scenario("arp", "ARP requests for the media address answered (plain and padded), "
                        "others not; ICMP echo answered")
    s.arp_in(eth(BCAST, GW_MAC, 0x0806, arp(1, GW_MAC, GW_IP, "00:00:00:00:00:00", MEDIA_IP)),
             learn=(GW_IP, GW_MAC),
             reply=eth(GW_MAC, DP_MAC, 0x0806, arp(2, DP_MAC, MEDIA_IP, GW_MAC, GW_IP)))
    s.arp_in(eth(BCAST, "02:00:00:00:00:30", 0x0806,
                 arp(1, "02:00:00:00:00:30", "203.0.113.30", "00:00:00:00:00:00", "203.0.113.99")),
             learn=("203.0.113.30", "02:00:00:00:00:30"), other=True)
    req = pad60(eth(BCAST, "02:00:00:00:00:40", 0x0806,
                    arp(1, "02:00:00:00:00:40", "203.0.113.40", "00:00:00:00:00:00", MEDIA_IP)))
    rep = pad60(eth("02:00:00:00:00:40", DP_MAC, 0x0806,
                    arp(2, DP_MAC, MEDIA_IP, "02:00:00:00:00:40", "203.0.113.40")))
    s.arp_in(req, reply=rep, learn=("203.0.113.40", "02:00:00:00:00:40"))
    s.arp_in(eth(BCAST, GW_MAC, 0x0806,
                 arp(1, GW_MAC, GW_IP, "00:00:00:00:00:00", MEDIA_IP, htype=6)), other=True)
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"ping-payload"
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    s.feed(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 1, icmp, ttl=50, ident=0x99)))
    reply = b"\x00" + icmp[1:2] + b"\x00\x00" + icmp[4:]
    reply = reply[:2] + struct.pack("!H", csum(reply)) + reply[4:]
    s.emit(eth(GW_MAC, DP_MAC, 0x0800, ipv4(MEDIA_IP, CALLER, 1, reply, ttl=50, ident=0x99)))
    return s


def sc_strict():
    s = Scenario("strict", "strict source: wrong address or port dropped BAD_SRC, rej_src counted")
    s.leg(0, 20000, (CALLER, 5000), ["strict"])
    s.leg(1, 20002, (AGENT, 7000), ["strict"])
    s.connect(0, 1)
    gw_reply(s)
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(1))
    s.rtp_in(GW_MAC, "192.0.2.66", 5000, 20000, rtp(2), expect="BAD_SRC")
    s.rtp_in(GW_MAC, CALLER, 5001, 20000, rtp(3), expect="BAD_SRC")
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(4))
    s.rtp_in(GW_MAC, "198.51.100.11", 7000, 20002, rtp(5), expect="BAD_SRC")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(6))
    return s


def sc_latch():
    s = Scenario("latch", "latching: unknown peer learned from the first packet (then strict), "
                          "NATed source learned for an SDP peer until the SDP address itself "
                          "arrives in the window, NO_FWD before the other side latched")
    s.leg(0, 20000, None, ["latch", "strict"])
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    s.leg(2, 20004, (CALLER, 5000), ["latch"])
    s.leg(3, 20006, (AGENT, 7002))
    s.connect(2, 3)
    gw_reply(s)
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(1), expect="NO_FWD")
    s.rtp_in(GW_MAC, "192.0.2.77", 4444, 20000, rtp(2))
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(3))
    s.rtp_in(GW_MAC, "192.0.2.78", 4444, 20000, rtp(4), expect="BAD_SRC")
    s.rtp_in(GW_MAC, "192.0.2.99", 9999, 20004, rtp(5))
    s.rtp_in(GW_MAC, CALLER, 5000, 20004, rtp(6))   # the SDP address, in the window: takes over
    s.rtp_in(GW_MAC, AGENT, 7002, 20006, rtp(7))
    return s


def sc_drops():
    s = Scenario("drops", "every classification drop reason, then one good packet")
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    s.leg(2, 20004, ("192.0.2.11", 5000))
    gw_reply(s)
    good = udp(CALLER, MEDIA_IP, 5000, 20000, rtp(1))
    s.drop_in(udp_frame(GW_MAC, DP_MAC, CALLER, MEDIA_IP, 5000, 20010, rtp(1)), "NO_LEG")
    s.drop_in(udp_frame(GW_MAC, DP_MAC, CALLER, MEDIA_IP, 5000, 5060, rtp(1)), "NO_LEG")
    s.drop_in(udp_frame(GW_MAC, DP_MAC, CALLER, MEDIA_IP, 5000, 40000, rtp(1)), "NO_LEG")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, b"\x45\x00")[:10], "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, b"\x45\x00\x00"), "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good[:4])), "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, total_len=400)),
              "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, frag=0x2000)), "FRAG")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, frag=0x0010)), "FRAG")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, opts=b"\x01\x01\x01\x00")),
              "IP_OPTS")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, bad_csum=True)), "BAD_IP")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, version=6)), "BAD_IP")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800,
                  ipv4(CALLER, MEDIA_IP, 17, udp(CALLER, MEDIA_IP, 5000, 20000, rtp(1), length=999))),
              "BAD_IP")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800,
                  ipv4(CALLER, MEDIA_IP, 17, udp(CALLER, MEDIA_IP, 5000, 20000, rtp(1), length=4))),
              "BAD_IP")
    s.drop_in(udp_frame(GW_MAC, DP_MAC, CALLER, "203.0.113.11", 5000, 20000, rtp(1)), "NOT_MINE")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 6, b"\0" * 20)), "NOT_UDP")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x86dd, b"\x60" + b"\0" * 60), "NOT_IPV4")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x8100, b"\0" * 60), "NOT_IPV4")
    s.rtp_in(GW_MAC, "192.0.2.11", 5000, 20004, rtp(2), expect="NO_FWD")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3))
    return s


def sc_noarp():
    s = Scenario("noarp", "unresolved next hops: NO_ARP drops, the ARP request they trigger, "
                          "then relay once replies arrive")
    s.leg(0, 20000, None, ["latch"])
    s.leg(1, 20002, (CALLER, 5000))
    s.connect(0, 1)
    peer, peer_mac = "203.0.113.60", "02:00:00:00:00:60"
    s.rtp_in(peer_mac, peer, 4000, 20000, rtp(1), expect="NO_ARP")      # gateway unknown
    s.rtp_in(GW_MAC, CALLER, 5000, 20002, rtp(2), expect="NO_ARP")      # asks for .60
    s.arp_in(eth(DP_MAC, peer_mac, 0x0806, arp(2, peer_mac, peer, DP_MAC, MEDIA_IP)),
             learn=(peer, peer_mac))
    s.rtp_in(GW_MAC, CALLER, 5000, 20002, rtp(3))
    s.rtp_in(peer_mac, peer, 4000, 20000, rtp(4), expect="NO_ARP")      # still no gateway
    gw_reply(s)
    s.rtp_in(peer_mac, peer, 4000, 20000, rtp(5))
    return s


# ---------------------------------------------------------------- ABI 2 scenarios
AGENT2 = "198.51.100.20"
THIRD = "192.0.2.66"          # a host that is not in any SDP: the "RTP bleed" prober
NAT = "192.0.2.200"           # the caller as its NAT shows it


def sc_reanchor():
    s = Scenario("reanchor", "re-anchoring: agent change mid-stream (at N connect) and a new "
                             "SSRC from the same leg; the caller sees one stream (its first "
                             "SSRC, seq + 1 across the switch and a 16-bit wrap, ts + one "
                             "frame, marker set), agent 2 gets the caller's stream as is, the "
                             "old agent gets NO_FWD; agent 2's RTCP SR+SDES reaches the caller "
                             "with the SSRC and RTP timestamp it sees, the caller's RR reaches "
                             "agent 2 about agent 2's own SSRC and sequence numbers")
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (AGENT, 7000))
    s.leg(2, 20004, (AGENT2, 7100))
    s.connect(0, 1)
    gw_reply(s)
    for i in range(1, 6):
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(100 + i, ssrc=0x0CA11E00, ts=1000 + 160 * i))
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(4000 + i, ssrc=0xA1A1A1A1, ts=50000 + 160 * i))
    s.connect(0, 2, at=True)   # the ACD moves the call to agent 2
    for i in range(6, 10):
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(100 + i, ssrc=0x0CA11E00, ts=1000 + 160 * i))
        s.rtp_in(GW_MAC, AGENT2, 7100, 20004, rtp(9000 + i, ssrc=0xA2A2A2A2,
                                                   ts=0xfffffe00 + 160 * i))
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(4006, ssrc=0xA1A1A1A1), expect="NO_FWD")
    # agent 2's phone restarts its stream (new SSRC, seq about to wrap)
    for k, q in enumerate((65534, 65535, 0, 1)):
        s.rtp_in(GW_MAC, AGENT2, 7100, 20004, rtp(q, ssrc=0xA3A3A3A3, ts=777000 + 160 * k))
    s.rtp_in(GW_MAC, AGENT2, 7101, 20005,
             rtcp_sr(0xA3A3A3A3, 0xe0000001, 0x80000000, 777000 + 160) + rtcp_sdes(0xA3A3A3A3))
    # the caller reports on the stream it sees (our SSRC, our sequence numbers):
    # agent 2 gets the block about its own SSRC and sequence numbers; the
    # LSR of the SR we relayed gives the caller leg a round-trip time
    s.rtp_in(GW_MAC, CALLER, 5001, 20001,
             rtcp_rr(0x0CA11E00, [rtcp_rb(0xA1A1A1A1, frac=26, cum=1, ext=4013, jit=3,
                                          lsr=0x00018000, dlsr=0)]) + rtcp_sdes(0x0CA11E00))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(110, ssrc=0x0CA11E00, ts=1000 + 160 * 10))
    return s


def sc_ptmap():
    s = Scenario("ptmap", "payload-type map per leg: opus 111<->107 and telephone-event "
                          "101<->96 (48 kHz) renumbered both ways with the marker kept, "
                          "unmapped types untouched, UDP checksums fixed incrementally")
    s.leg(0, 20000, (CALLER, 5000), pt=[(111, 107, 48000), (101, 96, 48000)])
    s.leg(1, 20002, (AGENT, 7000), pt=[(107, 111, 48000), (96, 101, 48000)])
    s.connect(0, 1)
    gw_reply(s)
    for i in range(1, 5):
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(i, pt=111, ts=960 * i, n=80))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(5, pt=101, ts=960 * 5, marker=True, n=16))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(6, pt=0))
    for i in range(1, 4):
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(i, pt=107, ts=960 * i, n=80), with_csum=i != 2)
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(4, pt=96, marker=True, n=16))
    return s


def sc_rtcp():
    s = Scenario("rtcp", "RTCP on port+1 and rtcp-mux (RFC 5761): relayed to the other leg's "
                         "peer RTCP address from our matching port; SR/RR/SDES/BYE compounds; a "
                         "report block on our stream counted (remote loss, RTT from LSR/DLSR); "
                         "wrong port or host BAD_SRC; malformed or short BAD_RTP; a NATed RTCP "
                         "port learned once on a latching leg; SDP a=rtcp honoured")
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (AGENT, 7000), ["mux"])
    s.connect(0, 1)
    s.leg(2, 20010, ("192.0.2.50", 6000), ["latch"])
    s.leg(3, 20012, (AGENT, 7010), rtcp=7990)
    s.connect(2, 3)
    gw_reply(s)
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(1, ssrc=0xC0C0C0C0))
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(1, ssrc=0xA0A0A0A0))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(2, ssrc=0xC0C0C0C0))
    # caller's SR + SDES on port+1 -> the agent's mux port
    s.rtp_in(GW_MAC, CALLER, 5001, 20001,
             rtcp_sr(0xC0C0C0C0, 0xe1234567, 0x89ab0000, 320,
                     [rtcp_rb(0xA0A0A0A0, frac=0, cum=0, ext=1)]) + rtcp_sdes(0xC0C0C0C0))
    # the agent (mux) answers with an RR about the caller's stream (what we send it)
    s.rtp_in(GW_MAC, AGENT, 7000, 20002,
             rtcp_rr(0xA0A0A0A0, [rtcp_rb(0xC0C0C0C0, frac=64, cum=3, ext=2, jit=12,
                                          lsr=0x456789ab, dlsr=0)]) + rtcp_sdes(0xA0A0A0A0))
    s.rtp_in(GW_MAC, CALLER, 5003, 20001, rtcp_rr(0xC0C0C0C0), expect="BAD_SRC")  # wrong port
    s.rtp_in(GW_MAC, THIRD, 5001, 20001, rtcp_rr(0xC0C0C0C0), expect="BAD_SRC")   # wrong host
    s.rtp_in(GW_MAC, CALLER, 5001, 20001, rtcp_hdr(0, 201, 3) + b"\0" * 4, expect="BAD_RTP")
    s.rtp_in(GW_MAC, CALLER, 5001, 20001, b"\x80\xc9\x00\x00", expect="BAD_RTP")
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtcp_rr(0xA0A0A0A0) + rtcp_bye(0xA0A0A0A0))
    # NAT: RTCP from another port is learned once, then the port is fixed
    s.rtp_in(GW_MAC, "192.0.2.50", 6000, 20010, rtp(1, ssrc=0x50505050))
    s.rtp_in(GW_MAC, "192.0.2.50", 6543, 20011, rtcp_rr(0x50505050))
    s.rtp_in(GW_MAC, "192.0.2.50", 6001, 20011, rtcp_rr(0x50505050), expect="BAD_SRC")
    s.rtp_in(GW_MAC, AGENT, 7990, 20013, rtcp_rr(0xA7A7A7A7))   # from the SDP a=rtcp port
    return s


def sc_latchwin():
    s = Scenario("latchwin", "media security in a live call: a NATed caller learned in the "
                             "window until the SDP address itself arrives (then locked), a third "
                             "host injecting into the window and into the live stream rejected "
                             "(BAD_SRC, rej_src), the window closed by its 5th packet (the SDP "
                             "address too late), and a leg without latching strict to SDP")
    s.leg(0, 20000, (CALLER, 5000), ["latch"])
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    s.leg(2, 20004, ("192.0.2.12", 5000), ["latch"])
    s.leg(3, 20006, (AGENT, 7002))
    s.connect(2, 3)
    s.leg(4, 20008, ("192.0.2.13", 5000))
    s.leg(5, 20010, (AGENT, 7004))
    s.connect(4, 5)
    gw_reply(s)
    s.rtp_in(GW_MAC, NAT, 40000, 20000, rtp(1))                        # learned (tentative)
    s.rtp_in(GW_MAC, THIRD, 40000, 20000, rtp(2), expect="BAD_SRC")    # in the window: no
    s.rtp_in(GW_MAC, NAT, 40000, 20000, rtp(3))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(4))                      # SDP address: locks
    s.rtp_in(GW_MAC, NAT, 40000, 20000, rtp(5), expect="BAD_SRC")
    for i in range(6, 12):                                             # the live stream
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(i))
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(i))
        if i % 2 == 0:
            s.rtp_in(GW_MAC, THIRD, 5000, 20000, rtp(50 + i), expect="BAD_SRC")
    for i in range(1, 6):                                              # window: 5 packets
        s.rtp_in(GW_MAC, NAT, 40002, 20004, rtp(i))
    s.rtp_in(GW_MAC, "192.0.2.12", 5000, 20004, rtp(6), expect="BAD_SRC")
    s.rtp_in(GW_MAC, NAT, 40002, 20004, rtp(7))
    s.rtp_in(GW_MAC, NAT, 40004, 20008, rtp(1), expect="BAD_SRC")     # no latch: SDP only
    s.rtp_in(GW_MAC, "192.0.2.13", 5000, 20008, rtp(2))
    s.rtp_in(GW_MAC, NAT, 40004, 20008, rtp(3), expect="BAD_SRC")
    return s


def drop_base(name, doc):
    s = Scenario(name, doc)
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    gw_reply(s)
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(1))
    return s


def sc_drop_short():
    s = drop_base("drop_short", "drop reason SHORT: truncated Ethernet, IPv4 and UDP headers "
                                "and a datagram longer than the frame; the call goes on")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, b"\x45\x00")[:10], "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, b"\x45\x00\x00"), "SHORT")
    good = udp(CALLER, MEDIA_IP, 5000, 20000, rtp(2))
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good[:4])), "SHORT")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, total_len=400)),
              "SHORT")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3))
    return s


def sc_drop_badver():
    s = drop_base("drop_badver", "drop reason BAD_RTP: RTP version 1 and 0, an 8-byte and a "
                                 "2-byte payload; counted on the leg too; the call goes on")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(2, version=1), expect="BAD_RTP")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3, version=0), expect="BAD_RTP")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(4)[:8], expect="BAD_RTP")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, b"\x80\x00", expect="BAD_RTP")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(5))
    return s


def sc_drop_frag():
    s = drop_base("drop_frag", "drop reason FRAG: first fragment (MF) and a later fragment")
    good = udp(CALLER, MEDIA_IP, 5000, 20000, rtp(2))
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, frag=0x2000)), "FRAG")
    s.drop_in(eth(DP_MAC, GW_MAC, 0x0800, ipv4(CALLER, MEDIA_IP, 17, good, frag=0x0010)), "FRAG")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3))
    return s


def sc_drop_noleg():
    s = drop_base("drop_noleg", "drop reason NO_LEG: ports with no leg inside and outside the "
                                "range, and the RTCP port of a leg that was never added")
    for port in (20010, 20011, 5060, 40000):
        s.drop_in(udp_frame(GW_MAC, DP_MAC, CALLER, MEDIA_IP, 5000, port, rtp(2)), "NO_LEG")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(3))
    return s


def sc_drop_badsrc():
    s = drop_base("drop_badsrc", "drop reason BAD_SRC: another host, another port, and RTCP "
                                 "from a stranger, in the middle of a call")
    s.rtp_in(GW_MAC, THIRD, 5000, 20000, rtp(2), expect="BAD_SRC")
    s.rtp_in(GW_MAC, CALLER, 5002, 20000, rtp(3), expect="BAD_SRC")
    s.rtp_in(GW_MAC, THIRD, 5001, 20001, rtcp_rr(0x1234abcd), expect="BAD_SRC")
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(4))
    return s


def sc_timeout():
    s = Scenario("timeout", "media timeout: one SB_EVT_MEDIA_TIMEOUT per silence period on "
                            "legs with a 100 ms timeout (again after media resumed, not again "
                            "for the same silence; also for a leg that never got media), none "
                            "with the 60 s default or a long (hold) timeout",
                 args=[a if a != "300" else "700" for a in ARGS])
    s.leg(0, 20000, (CALLER, 5000), timeout=100)
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    s.leg(2, 20004, (AGENT, 7002), timeout=100)
    s.leg(3, 20006, (AGENT, 7004), timeout=3600000)
    gw_reply(s)
    for i in range(1, 4):
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(i))
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(i))
    s.sleep(300)        # silence: legs 0 and 2 time out
    for i in range(4, 6):
        s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(i))
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(i))
    s.sleep(300)        # leg 0 again (media came back), leg 2 still the same silence
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(6))
    s.legs[0]["timeouts"] = 2
    s.legs[2]["timeouts"] = 1
    return s


def sc_latchtime():
    s = Scenario("latchtime", "latching window closed by time: a NATed source learned, then "
                              "3.1 s of wall time (at N sleep): the SDP address is too late "
                              "(BAD_SRC) and the learned peer stays; a leg whose first packet "
                              "comes after the pause still opens its own window")
    s.leg(0, 20000, (CALLER, 5000), ["latch"])
    s.leg(1, 20002, (AGENT, 7000))
    s.connect(0, 1)
    s.leg(2, 20004, ("192.0.2.12", 5000), ["latch"])
    s.leg(3, 20006, (AGENT, 7002))
    s.connect(2, 3)
    gw_reply(s)
    s.rtp_in(GW_MAC, NAT, 40000, 20000, rtp(1))
    s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(1))
    s.sleep(3100)
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(2), expect="BAD_SRC")
    s.rtp_in(GW_MAC, NAT, 40000, 20000, rtp(3))
    s.rtp_in(GW_MAC, NAT, 40002, 20004, rtp(1))                 # window opens now
    s.rtp_in(GW_MAC, "192.0.2.12", 5000, 20004, rtp(2))         # SDP wins inside it
    s.rtp_in(GW_MAC, NAT, 40002, 20004, rtp(3), expect="BAD_SRC")
    return s


def sc_reclock():
    s = Scenario("reclock", "re-anchoring after a pause: agent 2 connected, 250 ms of wall "
                            "time, then its first packet: the caller's timestamp advances by "
                            "the elapsed time in the 8 kHz clock (>= 2000), not by one frame")
    s.leg(0, 20000, (CALLER, 5000))
    s.leg(1, 20002, (AGENT, 7000))
    s.leg(2, 20004, (AGENT2, 7100))
    s.connect(0, 1)
    gw_reply(s)
    for i in range(1, 4):
        s.rtp_in(GW_MAC, AGENT, 7000, 20002, rtp(i, ssrc=0xA1A1A1A1, ts=1000 + 160 * i))
    s.connect(0, 2, at=True)
    s.sleep(250)
    for i in range(1, 4):
        s.rtp_in(GW_MAC, AGENT2, 7100, 20004, rtp(700 + i, ssrc=0xA2A2A2A2, ts=99999 + 160 * i))
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, rtp(1, ssrc=0x0CA11E00))
    return s


SCENARIOS = [sc_relay, sc_arp, sc_strict, sc_latch, sc_drops, sc_noarp,
             sc_reanchor, sc_ptmap, sc_rtcp, sc_latchwin, sc_drop_short, sc_drop_badver,
             sc_drop_frag, sc_drop_noleg, sc_drop_badsrc, sc_timeout, sc_latchtime, sc_reclock]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "golden")
    os.makedirs(out, exist_ok=True)
    for make in SCENARIOS:
        s = make()
        base = os.path.join(out, s.name)
        write_pcap(base + ".in.pcap", s.inp)
        write_pcap(base + ".expect.pcap", s.out)
        with open(base + ".preload", "w") as f:
            f.write("# %s: generated by gen_golden.py\n" % s.name)
            f.write("".join(line.rstrip() + "\n" for line in s.preload))
        with open(base + ".expect.json", "w") as f:
            json.dump(s.expect_json(), f, indent=1, sort_keys=True)
            f.write("\n")
        print("%-12s in %2d frames, expect %2d frames" % (s.name, len(s.inp), len(s.out)))


if __name__ == "__main__":
    main()
