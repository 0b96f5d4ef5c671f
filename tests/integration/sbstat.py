#!/usr/bin/env python3
"""Small readers for the integration tests and scripts/demo (stdlib only).

  sbstat.py sipp CSV          "successful failed current" from a SIPp -trace_stat CSV
  sbstat.py live < STATS      one line from `sbctl stats` JSON: relayed per
                              worker, active legs, non-zero drops
  sbstat.py pcap FILE         RTP (UDP) packets and UDP payload sizes in a pcap
"""
import json
import struct
import sys


def sipp(path):
    try:
        rows = [l.rstrip("\n").split(";") for l in open(path) if l.strip()]
        h, last = rows[0], rows[-1]
        print(last[h.index("SuccessfulCall(C)")], last[h.index("FailedCall(C)")],
              last[h.index("CurrentCall")])
    except (OSError, ValueError, IndexError):
        print("0 0 0")


def as_list(x):
    if isinstance(x, dict):
        return list(x.values())
    return x if isinstance(x, list) else []


def live():
    try:
        d = json.load(sys.stdin)
    except ValueError:
        print("sbctl stats: n/a")
        return
    ws = as_list(d.get("workers"))
    parts = []
    drops = {}
    for i, w in enumerate(ws):
        parts.append("worker %s relayed %s" % (w.get("id", i), w.get("relayed", "?")))
        dd = w.get("drop", w.get("drops")) or {}
        if isinstance(dd, dict):
            for k, v in dd.items():
                if isinstance(v, int) and v:
                    drops[k] = drops.get(k, 0) + v
    legs = [l for l in as_list(d.get("legs")) if not isinstance(l, dict) or l.get("active", 1)]
    parts.append("%d legs up" % len(legs))
    parts.append("drops " + (", ".join("%s=%d" % kv for kv in sorted(drops.items())) or "none"))
    print(" | ".join(parts))


def pcap(path):
    """Count UDP/IPv4 packets in a classic little/big-endian Ethernet pcap."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        n = 0
        sizes = {}
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            _, _, incl, _ = struct.unpack(end + "IIII", ph)
            frame = f.read(incl)
            if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            ihl = (frame[14] & 0x0F) * 4
            ulen = struct.unpack(">H", frame[14 + ihl + 4:14 + ihl + 6])[0] - 8
            n += 1
            sizes[ulen] = sizes.get(ulen, 0) + 1
    print(n, " ".join("%d:%d" % kv for kv in sorted(sizes.items())))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "sipp" and len(sys.argv) == 3:
        sipp(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "live":
        live()
    elif len(sys.argv) == 3 and sys.argv[1] == "pcap":
        pcap(sys.argv[2])
    else:
        sys.exit(__doc__)
