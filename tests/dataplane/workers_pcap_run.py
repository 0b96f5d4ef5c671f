#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Multi-worker sb-dataplane on net_pcap, checked through the output pcaps,
--stats-json (the shared-segment counters) and DPDK telemetry.

  workers_pcap_run.py --dataplane BIN --workdir DIR [--workers N]

Runs sb-dataplane with 3 lcores (main + 2 workers; mapped onto the CPUs
there are) on one net_pcap port with one RX file and one TX file per
worker, so it runs in dispatch mode.  The input holds ARP replies from the
peers, then RTP for two calls on each worker (legs on each worker's own
port range), then GRE and IPv6 frames that the fast path punts.  Asserts:
  1. each worker's TX file holds exactly the relayed packets of its own
     legs (source ports in its range, right peers, valid checksums);
  2. per-worker counters: relayed = its legs' packets, punts only on the
     designated worker 0, the main lcore took every punt;
  3. while the dataplane runs, /sb/workers, /sb/worker,<id>, /sb/legs and
     /sb/punt on the telemetry socket (SOCK_SEQPACKET,
     /var/run/dpdk/<prefix>/dpdk_telemetry.v2) report the same numbers as
     the segment (read back from --stats-json at exit: no traffic arrives in
     between, so the counters cannot move).
Exit 0 pass, 1 fail, 77 skip (not root, or DPDK cannot initialise).
"""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_golden as g  # noqa: E402  (frame builders and pcap writer)
from golden_run import read_pcap, check_checksums, eal_unavailable  # noqa: E402

SKIP, FAIL = 77, 1
PORT_MIN, SPAN = 20000, 200  # two workers: 20000..20099 and 20100..20199
PKTS = 12                    # RTP packets per direction per call
N_GRE, N_IPV6 = 3, 2

# (leg a, local port a, peer a, leg b, local port b, peer b), peers on-link
CALLS = [
    (0, 20000, "203.0.113.21", 1, 20002, "203.0.113.22"),
    (2, 20010, "203.0.113.23", 3, 20012, "203.0.113.24"),
    (4, 20100, "203.0.113.31", 5, 20102, "203.0.113.32"),
    (6, 20150, "203.0.113.33", 7, 20152, "203.0.113.34"),
]


def peer_mac(ip):
    return "02:00:00:00:00:%02x" % int(ip.split(".")[-1])


def owner(port):
    return (port - PORT_MIN) // (SPAN // 2)


def build_input(path):
    frames = []
    for c in CALLS:
        for ip in (c[2], c[5]):
            frames.append(g.eth(g.DP_MAC, peer_mac(ip), 0x0806,
                                g.arp(2, peer_mac(ip), ip, g.DP_MAC, g.MEDIA_IP)))
    for seq in range(PKTS):
        for c in CALLS:
            for port, ip in ((c[1], c[2]), (c[4], c[5])):
                frames.append(g.udp_frame(peer_mac(ip), g.DP_MAC, ip, g.MEDIA_IP, 7000, port,
                                          g.rtp(seq)))
    for i in range(N_GRE):
        frames.append(g.eth(g.DP_MAC, peer_mac(CALLS[0][2]), 0x0800,
                            g.ipv4(CALLS[0][2], g.MEDIA_IP, 47, b"\0" * 24, ident=i)))
    for i in range(N_IPV6):
        frames.append(g.eth(g.DP_MAC, peer_mac(CALLS[0][2]), 0x86dd, b"\x60" + b"\0" * 47))
    g.write_pcap(path, frames)


def tel_query(sock, cmd):
    sock.send(cmd.encode())
    reply = json.loads(sock.recv(1 << 16).decode())
    return reply[cmd.split(",")[0]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root for DPDK")
        return SKIP
    os.makedirs(a.workdir, exist_ok=True)
    tag = "dpb-workers-%d" % os.getpid()
    prefix = "sb" + tag
    inp = os.path.join(a.workdir, tag + ".in.pcap")
    outs = [os.path.join(a.workdir, "%s.out%d.pcap" % (tag, w)) for w in range(2)]
    stats_json = os.path.join(a.workdir, tag + ".stats.json")
    preload = os.path.join(a.workdir, tag + ".preload")
    build_input(inp)
    with open(preload, "w") as f:
        for c in CALLS:
            f.write("leg %d %d %s:7000\nleg %d %d %s:7000\nconnect %d %d\n"
                    % (c[0], c[1], c[2], c[3], c[4], c[5], c[0], c[3]))
    ncpu = os.cpu_count() or 1
    lcores = "0@0,1@%d,2@%d" % (1 % ncpu, 1 % ncpu)
    cmd = [a.dataplane, "--lcores", lcores, "--no-huge", "-m", "256", "--no-pci",
           "--file-prefix=" + prefix, "--log-level=lib.eal:warning",
           "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s" % (inp, outs[0], outs[1]),
           "--", "--instance", tag, "--media-ip", g.MEDIA_IP, "--prefix-len", "24",
           "--port-min", str(PORT_MIN), "--port-span", str(SPAN), "--workers", "2",
           "--idle-us", "50", "--exit-idle-ms", "2500", "--preload", preload,
           "--stats-json", stats_json]
    print("+ " + " ".join(cmd))
    sock_path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tel = {}
    errs = []
    try:
        deadline = time.time() + 10
        s = None
        while time.time() < deadline and p.poll() is None:
            # The socket appears early in rte_eal_init(); connect once the
            # segment exists (EAL done), a client taken earlier was cut off.
            if os.path.exists(sock_path) and os.path.exists("/dev/shm/switchboard." + tag):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                    s.connect(sock_path)
                    break
                except OSError:
                    s.close()
                    s = None
            time.sleep(0.05)
        if s is None:
            out = p.communicate(timeout=30)[0]
            sys.stdout.write(out)
            if eal_unavailable(out):
                print("SKIP: DPDK cannot initialise here")
                return SKIP
            print("FAIL: no telemetry socket at %s" % sock_path)
            return FAIL
        info = json.loads(s.recv(1 << 16).decode())
        print("telemetry: %s" % info)
        # Wait until the whole input went through (the main lcore drains
        # punts every ms), then read everything once.
        want_rx = 2 * len(CALLS) + 2 * PKTS * len(CALLS) + N_GRE + N_IPV6
        while time.time() < deadline:
            ws = tel_query(s, "/sb/workers")
            if ws and ws["disp_rx"] >= want_rx and ws["punt_rx"] >= N_GRE + N_IPV6:
                break
            time.sleep(0.1)
        time.sleep(0.2)
        tel["workers"] = tel_query(s, "/sb/workers")
        tel["worker"] = [tel_query(s, "/sb/worker,%d" % w) for w in range(2)]
        tel["legs"] = tel_query(s, "/sb/legs")
        tel["punt"] = tel_query(s, "/sb/punt")
        tel["bad"] = tel_query(s, "/sb/worker,9")
        s.close()
        out = p.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        print("FAIL: sb-dataplane did not exit")
        return FAIL
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    sys.stdout.write(out)
    print("telemetry read: %s" % json.dumps(tel))
    if p.returncode != 0:
        print("FAIL: sb-dataplane exited %d" % p.returncode)
        return FAIL
    with open(stats_json) as f:
        st = json.load(f)

    # 1. Output files: worker w sent exactly its own legs' relayed packets.
    for w in range(2):
        frames = read_pcap(outs[w])
        udp_frames = [fr for fr in frames if fr[12:14] == b"\x08\x00" and fr[23] == 17]
        for i, fr in enumerate(frames):
            errs += ["worker %d: %s" % (w, e) for e in check_checksums(i, fr)]
        want = {}
        for c in CALLS:
            if owner(c[1]) != w:
                continue
            # packets to leg a leave leg b towards b's peer, and back
            want[(c[4], c[5])] = PKTS
            want[(c[1], c[2])] = PKTS
        got = {}
        for fr in udp_frames:
            sport, = struct.unpack("!H", fr[34:36])
            dst = socket.inet_ntoa(fr[30:34])
            got[(sport, dst)] = got.get((sport, dst), 0) + 1
            if owner(sport) != w:
                errs.append("worker %d sent from port %d, owned by worker %d"
                            % (w, sport, owner(sport)))
        if got != want:
            errs.append("worker %d sent %s, want %s" % (w, got, want))

    # 2. Counters in the segment.
    ws = st["workers"]
    per_worker_relayed = 2 * PKTS * sum(1 for c in CALLS if owner(c[1]) == 0)
    checks = [
        ("steer_mode (1 = dispatch)", st["steer_mode"], 1),
        ("port_span per worker", st["port_span"], SPAN // 2),
        ("worker 0 relayed", ws[0]["relayed"], per_worker_relayed),
        ("worker 1 relayed", ws[1]["relayed"], 2 * PKTS * len(CALLS) - per_worker_relayed),
        ("worker 0 punted", ws[0]["punted"], N_GRE + N_IPV6),
        ("worker 1 punted", ws[1]["punted"], 0),
        ("main lcore punt_rx", st["punt_rx"], N_GRE + N_IPV6),
        ("worker 0 legs_active", ws[0]["legs_active"], 4),
        ("worker 1 legs_active", ws[1]["legs_active"], 4),
        ("disp_ring_full", st["disp_ring_full"], 0),
    ]
    for w in range(2):
        checks.append(("worker %d drops" % w, sum(ws[w]["drop"].values()), 0))
    for name, got, want in checks:
        if got != want:
            errs.append("%s: got %s want %s" % (name, got, want))
    for leg in st["legs"]:
        if leg["rx_pkts"] != PKTS or leg["tx_pkts"] != PKTS:
            errs.append("leg %d: rx %d tx %d, want %d each" % (leg["leg"], leg["rx_pkts"],
                                                               leg["tx_pkts"], PKTS))

    # 3. Telemetry = segment.
    tw = tel["workers"]
    for k in ("n_workers", "disp_rx", "disp_ring_full", "punt_rx", "port_span", "tsc_hz"):
        want = st.get(k, len(ws) if k == "n_workers" else None)
        if tw.get(k) != want:
            errs.append("telemetry /sb/workers %s: %s, segment %s" % (k, tw.get(k), want))
    if tw.get("steer_mode") != "dispatch":
        errs.append("telemetry steer_mode %s" % tw.get("steer_mode"))
    for w in range(2):
        t1, t2, s_ = tw.get("worker%d" % w, {}), tel["worker"][w], ws[w]
        for k in ("rx_pkts", "relayed", "punted", "legs_active", "busy_cycles"):
            if t1.get(k) != s_[k] or t2.get(k) != s_[k]:
                errs.append("telemetry worker %d %s: %s / %s, segment %s"
                            % (w, k, t1.get(k), t2.get(k), s_[k]))
        if t2.get("cycles_per_pkt") != s_["cycles_per_pkt"] or not s_["cycles_per_pkt"]:
            errs.append("worker %d cycles_per_pkt: telemetry %s, segment %s"
                        % (w, t2.get("cycles_per_pkt"), s_["cycles_per_pkt"]))
        for r, n in s_["drop"].items():
            if t2.get("drop_" + r) != n:
                errs.append("telemetry worker %d drop_%s: %s, segment %s"
                            % (w, r, t2.get("drop_" + r), n))
        for k in ("depth_dispatch", "depth_cmd", "depth_evt", "depth_punt"):
            if k not in t2:
                errs.append("telemetry worker %d: no %s" % (w, k))
    tl = tel["legs"]
    for k, sk in (("rx_pkts", "rx_pkts"), ("tx_pkts", "tx_pkts"), ("rx_bytes", "rx_bytes")):
        tot = sum(l[sk] for l in st["legs"])
        if tl.get(k) != tot:
            errs.append("telemetry /sb/legs %s: %s, segment %s" % (k, tl.get(k), tot))
    if tl.get("active") != len(CALLS) * 2:
        errs.append("telemetry /sb/legs active: %s" % tl.get("active"))
    tp = tel["punt"]
    if (tp.get("rx") != N_GRE + N_IPV6 or tp.get("reason_NOT_UDP") != N_GRE
            or tp.get("reason_NOT_IPV4") != N_IPV6):
        errs.append("telemetry /sb/punt: %s" % tp)
    if tel["bad"] is not None:
        errs.append("telemetry /sb/worker,9 answered %s, want an error (null)" % tel["bad"])

    if errs:
        print("FAIL:")
        for e in errs:
            print("  " + e)
        return FAIL
    print("PASS: 2 workers relayed %d + %d packets of their own legs; %d punts reached the "
          "main lcore; telemetry matches the segment" % (ws[0]["relayed"], ws[1]["relayed"],
                                                         st["punt_rx"]))
    for f in [inp, stats_json, preload] + outs:
        os.unlink(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
