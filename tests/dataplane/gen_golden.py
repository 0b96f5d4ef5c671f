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
Nothing is volatile: IP id and TOS are kept by the relay, so frames compare
byte for byte.  Run:  python3 gen_golden.py [OUTDIR]
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


def rtp(seq, n=160, pt=0):
    hdr = struct.pack("!BBHII", 0x80, pt, seq, seq * 160, 0x1234abcd)
    return hdr + bytes((seq + i) & 0xff for i in range(n - 12))


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

    def __init__(self, name, doc):
        self.name, self.doc = name, doc
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

    def leg(self, idx, port, peer=None, flags=()):
        peer_s = "%s:%d" % peer if peer else "-"
        self.preload.append("leg %d %d %s %s" % (idx, port, peer_s, " ".join(flags)))
        self.legs[idx] = {"leg": idx, "local_port": port, "peer_ip": peer[0] if peer else "0.0.0.0",
                          "peer_port": peer[1] if peer else 0, "flags": set(flags),
                          "latched": False, "fwd": None, "active": 1,
                          "rx_pkts": 0, "rx_bytes": 0, "tx_pkts": 0, "tx_bytes": 0,
                          "rej_src": 0, "drops": 0}
        if peer:
            self.ask(self.nexthop(peer[0]))

    def connect(self, a, b):
        self.preload.append("connect %d %d" % (a, b))
        self.legs[a]["fwd"], self.legs[b]["fwd"] = b, a

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
        assert leg is not None
        known = leg["peer_ip"] != "0.0.0.0" and leg["peer_port"] != 0
        if known and (leg["peer_ip"], leg["peer_port"]) == (src, sport):
            leg["latched"] = True
        elif not known or ("latch" in leg["flags"] and not leg["latched"]):
            leg["peer_ip"], leg["peer_port"], leg["latched"] = src, sport, True
        elif "strict" in leg["flags"]:
            leg["rej_src"] += 1
            self.w["drop"]["BAD_SRC"] += 1
            assert expect == "BAD_SRC", expect
            return
        leg["rx_pkts"] += 1
        leg["rx_bytes"] += len(payload)
        tgt = self.legs[leg["fwd"]] if leg["fwd"] is not None else None
        if tgt is None or tgt["peer_ip"] == "0.0.0.0" or tgt["peer_port"] == 0:
            leg["drops"] += 1
            self.w["drop"]["NO_FWD"] += 1
            assert expect == "NO_FWD", expect
            return
        nh = self.nexthop(tgt["peer_ip"])
        if nh not in self.neigh:
            leg["drops"] += 1
            self.w["drop"]["NO_ARP"] += 1
            self.ask(nh)
            assert expect == "NO_ARP", expect
            return
        assert expect == "fwd", expect
        out = udp_frame(DP_MAC, self.neigh[nh], MEDIA_IP, tgt["peer_ip"], tgt["local_port"],
                        tgt["peer_port"], payload, ttl=ttl - 1 if ttl > 1 else 64, ident=ident,
                        tos=tos, with_csum=with_csum)
        # the out frame is src_mac=DP, dst=neigh: udp_frame(src_mac, dst_mac, ...)
        if pad:
            out = pad60(out)
        self.w["relayed"] += 1
        self.emit(out, leg=tgt["leg"], payload=len(payload))

    def expect_json(self):
        legs = []
        for l in sorted(self.legs.values(), key=lambda x: x["leg"]):
            legs.append({k: l[k] for k in ("leg", "local_port", "active", "rx_pkts", "rx_bytes",
                                           "tx_pkts", "tx_bytes", "rej_src", "drops")}
                        | {"peer": "%s:%d" % (l["peer_ip"], l["peer_port"])})
        return {"doc": self.doc, "args": ARGS, "worker": self.w, "legs": legs}


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
    s.rtp_in(GW_MAC, CALLER, 5000, 20000, b"\x80\x00\x00\x05", pad=True, ident=0x0505)
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
                          "SDP peer replaced by the NATed source, NO_FWD before the other side latched")
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
    s.rtp_in(GW_MAC, CALLER, 5000, 20004, rtp(6))   # not strict: accepted, peer kept
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


SCENARIOS = [sc_relay, sc_arp, sc_strict, sc_latch, sc_drops, sc_noarp]


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
        print("%-8s in %2d frames, expect %2d frames" % (s.name, len(s.inp), len(s.out)))


if __name__ == "__main__":
    main()
