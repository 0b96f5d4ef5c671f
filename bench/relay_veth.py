#!/usr/bin/env python3
"""relay_veth — sb-dataplane against rtpengine, relaying the same calls
between network namespaces over veths, side by side in one run.

Topology (scripts/netns, TAG relay<pid>):

  sb-car  udpgen 192.0.2.10:6000 ── car0/car ──┐
                                              sb-gw (forwards) ── dp0-br/dp0: sb-dataplane on
  sb-agt  udpgen 198.51.100.10:6000 ─ agt0/agt ┘   203.0.113.10 (net_af_packet, framecnt=4096)
                                              └─ lo: rtpengine on 203.0.113.20

The callers and agents reach both relays through the gateway's routes.  For
sb, RTP goes car0 -> car -> (gw forwards) -> dp0-br -> dp0 -> af_packet ->
DPDK and back the same way: two more veth hops and a kernel forward than
rtpengine's packets take (delivered locally in gw), so the comparison is, if
anything, tilted towards rtpengine.  --pmd af_xdp puts sb-dataplane on dp0
through DPDK's AF_XDP PMD (the PMD loads its XDP program; generic mode
unless the veth does native XDP) instead of af_packet: one run on this box,
100 kpps, busy CPU per packet 2.2-2.5 us against 2.9 us with af_packet: the
TX kick (sendto) still carries each batch through the veth softirq inline.  TX checksum offload is off on every
veth.  Each relay runs on CPU --relay-cpu (sb: EAL -l; rtpengine: taskset,
all its threads), both generators on --gen-cpu, all at nice --nice, each
process in a session (autogroup) of its own whose nice is --nice too: one core
each for relay and load, and the rest of a shared box weighs less.

Per call: one caller stream and one agent stream, RTP with a 160-byte
payload at 50 packets/s each, so N calls = 100*N packets/s through the relay.
The ladder (--calls) climbs rung by rung, each rung --secs seconds of
traffic for each side in turn (so that load from elsewhere hits all alike):

  path       no relay: the generators send to each other through the
             gateway's kernel forwarding: their own ceiling on these veths.
  sb         sb-dataplane restarted with the rung's calls preloaded (--preload:
             two legs per call, connected), --stats-json read at exit:
             CPU = busy_cycles (loops that moved packets; not idle polling)
             / TSC Hz, per packet = / relayed.
  rtpengine  rtpengine-daemon (table = -1: user space only) driven by its ng
             protocol (bench/ng.py: offer + answer per call, ports parsed from
             the SDP it returns); the calls stay up across rungs and new ones
             are added as the ladder climbs.  CPU = utime + stime of the
             process (/proc/PID/stat) over the rung, per packet = / packets
             delivered.

A rung passes when each direction (caller->agent, agent->caller) lost at
most --loss-max (default 0.1 %) of what the generator sent, and the p99
one-way latency stayed under --lat-max-ms (a queue building up is not a rate
sustained).  When the generators could not send the rate asked for (more
than 3 % short: GEN-CAP) their CPU was saturated and their receive loop
late, so the latency is not judged: the rung passes at the rate achieved.
A failed rung is run once more (rtpengine restarted fresh: it stops reading a
socket for good after a burst of overruns); a side stops at its second
failure or when its generators fell >10 % short.  The figure reported per
relay is the highest relayed rate of a passing rung.  At the failing rung
the lost packets are attributed from counters: generator could not send
(udpgen "unsent"), veth/backlog drops (ip -s link), af_packet RX ring
overflow (dp0 RX count - PMD ipackets: the PMD does not report kernel ring
drops), af_packet TX (PMD opackets - dp0 TX), dataplane drop reasons,
rtpengine socket overruns (UDP RcvbufErrors in the gateway namespace), the
sinks' socket overruns; the largest names the cap.

Needs root, iproute2, ethtool and rtpengine (Debian rtpengine-daemon);
exits 77 (skip) without them.  Prints a table, then one JSON line.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NETNS = os.path.join(ROOT, "scripts", "netns")
MEDIA_IP = "203.0.113.10"   # sb-dataplane's media address (behind dp0)
RTPE_IP = "203.0.113.20"    # rtpengine's, on the gateway's lo: both relays stay in place
CALLER = "192.0.2.10:6000"
AGENT = "198.51.100.10:6000"
SSRC_CAR = 0x10000000
SSRC_AGT = 0x20000000
SB_PORT_MIN = 20000
NG = "127.0.0.1:2223"
PPS = 50


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def skip(msg):
    print("SKIP: relay_veth: %s" % msg, flush=True)
    sys.exit(77)


class Failed(Exception):
    pass


class Bench:
    def __init__(self, a):
        self.a = a
        self.tag = "relay%d" % os.getpid()
        self.instance = "relay%d" % os.getpid()
        self.prefix = "sbrelay%d" % os.getpid()
        self.work = tempfile.mkdtemp(prefix="sb-relay_veth.")
        self.procs = {}   # name -> Popen, in start order
        self.up = False
        self.lo_addr = False
        self.ng_calls = 0
        self.rtpe_car = []
        self.rtpe_agt = []
        pin = a.relay_cpu is not None and a.gen_cpu is not None
        # nice: other work on a shared box weighs less on what we measure;
        # the same for both relays and the generators
        self.nice = ["nice", "-n", str(a.nice)] if a.nice else []
        self.gen_pin = self.nice + (["taskset", "-c", str(a.gen_cpu)] if pin else [])
        self.relay_pin = self.nice + (["taskset", "-c", str(a.relay_cpu)] if pin else [])

    # ---- processes and namespaces --------------------------------------
    def ns(self, kind):
        return "sb-%s-%s" % (kind, self.tag)

    def nsexec(self, kind, argv):
        return ["ip", "netns", "exec", self.ns(kind)] + argv

    def own_group(self, extra=None):
        """preexec_fn: a session, hence an autogroup, of its own at --nice.
        With autogroup scheduling a group's weight is split over the CPUs
        its tasks run on, so a relay and the generators in one group would
        take CPU from each other; each gets its own."""
        nice = self.a.nice

        def fn():
            os.setsid()
            if nice:
                try:
                    with open("/proc/self/autogroup", "w") as f:
                        f.write("%d" % nice)
                except OSError:
                    pass
            if extra is not None:
                extra()
        return fn

    def start(self, name, kind, argv, preexec=None):
        logf = open(os.path.join(self.work, name + ".log"), "w")
        p = subprocess.Popen(self.nsexec(kind, argv), stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=self.own_group(preexec))
        logf.close()
        self.procs[name] = p
        return p

    def stop(self, name, timeout=5.0):
        """End one process we started, by its pid: TERM, then KILL."""
        p = self.procs.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                log("%s (pid %d) ignored SIGTERM for %.0f s: SIGKILL" % (name, p.pid, timeout))
                p.kill()
                p.wait()
        return p.returncode

    def logtail(self, name, n=30):
        try:
            with open(os.path.join(self.work, name + ".log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def sh(self, argv, check=True):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check and r.returncode != 0:
            raise Failed("%s: exit %d\n%s" % (" ".join(argv), r.returncode, r.stdout))
        return r.stdout

    def netns_up(self):
        self.up = True
        self.sh([NETNS, "up", self.tag])

    def cleanup(self):
        for name in reversed(list(self.procs)):
            self.stop(name)
        if self.lo_addr:
            self.sh(["ip", "-n", self.ns("gw"), "addr", "del", RTPE_IP + "/32", "dev", "lo"],
                    check=False)
        if self.up:
            self.sh([NETNS, "down", self.tag], check=False)
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)
        try:
            os.unlink("/dev/shm/switchboard." + self.instance)
        except OSError:
            pass
        if self.a.keep:
            print("work dir kept: %s" % self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---- counters --------------------------------------------------------
    def links(self):
        """{ns-kind/ifname: (rx_pkts, tx_pkts, rx_dropped + tx_dropped)} for every veth."""
        out = {}
        for kind in ("car", "agt", "gw"):
            js = json.loads(self.sh(["ip", "-n", self.ns(kind), "-s", "-j", "link", "show"]))
            for l in js:
                if l.get("ifname") == "lo":
                    continue
                s = l.get("stats64", {})
                rx, tx = s.get("rx", {}), s.get("tx", {})
                out["%s/%s" % (kind, l["ifname"])] = (
                    rx.get("packets", 0), tx.get("packets", 0),
                    rx.get("dropped", 0) + tx.get("dropped", 0))
        return out

    def udp_snmp(self, kind):
        txt = self.sh(self.nsexec(kind, ["cat", "/proc/net/snmp"]))
        rows = [l.split() for l in txt.splitlines() if l.startswith("Udp:")]
        return dict(zip(rows[0][1:], map(int, rows[1][1:]))) if len(rows) >= 2 else {}

    def background_load(self, secs=1.0):
        c0 = self.cpu_stat()
        time.sleep(secs)
        return self.cpu_use(c0, self.cpu_stat())

    @staticmethod
    def cpu_stat():
        """{cpu index: (busy, softirq, total)} jiffies from /proc/stat."""
        out = {}
        with open("/proc/stat") as f:
            for line in f:
                if not line.startswith("cpu") or line.startswith("cpu "):
                    continue
                v = line.split()
                t = list(map(int, v[1:9]))  # user nice system idle iowait irq softirq steal
                out[int(v[0][3:])] = (sum(t) - t[3] - t[4], t[6], sum(t))
        return out

    def cpu_use(self, c0, c1):
        """Per-CPU busy and softirq share between two cpu_stat() snapshots."""
        out = {}
        for k in c1:
            if k in c0:
                tot = max(1, c1[k][2] - c0[k][2])
                out[k] = ((c1[k][0] - c0[k][0]) / tot, (c1[k][1] - c0[k][1]) / tot)
        return out

    @staticmethod
    def proc_cpu_ns(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
        except OSError:
            return None
        fields = st[st.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        return ticks * 1e9 / os.sysconf("SC_CLK_TCK")

    # ---- traffic ---------------------------------------------------------
    def write_dests(self, name, dests):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write("".join(d + "\n" for d in dests))
        return path

    def run_gens(self, n, car_dests, agt_dests):
        cf = self.write_dests("car.dests", car_dests[:n])
        af = self.write_dests("agt.dests", agt_dests[:n])
        start = time.monotonic_ns() + 400_000_000
        common = ["--peer-streams", str(n), "--pps", str(PPS), "--payload", "160",
                  "--duration-ms", str(int(self.a.secs * 1000)), "--drain-ms", "500",
                  "--start-mono-ns", str(start)]
        pc = subprocess.Popen(self.nsexec("car", self.gen_pin + [
            self.a.udpgen, "--bind", CALLER, "--dests", cf, "--ssrc-base", str(SSRC_CAR),
            "--peer-ssrc-base", str(SSRC_AGT)] + common), stdout=subprocess.PIPE, text=True,
            preexec_fn=self.own_group())
        pa = subprocess.Popen(self.nsexec("agt", self.gen_pin + [
            self.a.udpgen, "--bind", AGENT, "--dests", af, "--ssrc-base", str(SSRC_AGT),
            "--peer-ssrc-base", str(SSRC_CAR)] + common), stdout=subprocess.PIPE, text=True,
            preexec_fn=self.own_group())
        self.procs["gen_car"], self.procs["gen_agt"] = pc, pa
        limit = self.a.secs + 30
        try:
            time.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9))
            cs0 = self.cpu_stat()
            time.sleep(self.a.secs)
            self.last_cpu = self.cpu_use(cs0, self.cpu_stat())
            oc, _ = pc.communicate(timeout=limit)
            oa, _ = pa.communicate(timeout=limit)
        finally:
            self.procs.pop("gen_car", None)
            self.procs.pop("gen_agt", None)
            for p in (pc, pa):
                if p.poll() is None:
                    p.kill()
                    p.wait()
        if pc.returncode != 0 or pa.returncode != 0:
            raise Failed("udpgen failed (car exit %s, agt exit %s)" % (pc.returncode, pa.returncode))
        return json.loads(oc.strip().splitlines()[-1]), json.loads(oa.strip().splitlines()[-1])

    # ---- sb-dataplane ----------------------------------------------------
    def sb_dests(self, n):
        car = ["%s:%d" % (MEDIA_IP, SB_PORT_MIN + 4 * i) for i in range(n)]
        agt = ["%s:%d" % (MEDIA_IP, SB_PORT_MIN + 4 * i + 2) for i in range(n)]
        return car, agt

    def vdev(self):
        # --pmd af_xdp: DPDK's AF_XDP PMD on the same veth (XDP program
        # loaded by the PMD; generic/SKB mode unless the veth does native
        # XDP).  Default af_packet, as before.
        if self.a.pmd == "af_xdp":
            return "--vdev=net_af_xdp0,iface=dp0,start_queue=0,queue_count=1"
        return "--vdev=net_af_packet0,iface=dp0,framecnt=4096"

    def sb_step(self, n):
        legs = os.path.join(self.work, "legs.txt")
        with open(legs, "w") as f:
            for i in range(n):
                # even local ports, 4 apart: port+1 stays free for RTCP
                f.write("leg %d %d %s\nleg %d %d %s\nconnect %d %d\n" % (
                    2 * i, SB_PORT_MIN + 4 * i, CALLER,
                    2 * i + 1, SB_PORT_MIN + 4 * i + 2, AGENT, 2 * i, 2 * i + 1))
        stats = os.path.join(self.work, "stats.json")
        if os.path.exists(stats):
            os.unlink(stats)
        span = max(10000, 4 * n + 4)
        p = self.start("dataplane", "gw", self.nice + [
            self.a.dataplane, "-l", str(self.a.relay_cpu if self.a.relay_cpu is not None else 0),
            "--no-huge", "-m", "256", "--no-pci",
            "--file-prefix", self.prefix,
            self.vdev(), "--",
            "--instance", self.instance, "--media-ip", MEDIA_IP, "--prefix-len", "24",
            "--gateway", "203.0.113.1", "--idle-us", str(self.a.idle_us),
            "--port-min", str(SB_PORT_MIN), "--port-span", str(span),
            "--max-legs", str(max(1024, 2 * n + 2)),
            "--preload", legs, "--stats-json", stats])
        t_end = time.monotonic() + 20
        # the start-up line names the port range; it follows --preload
        while not re.search(r"^sb-dataplane: .*ports \d+\.\.\d+", self.logtail("dataplane", 200), re.M):
            if p.poll() is not None:
                raise Failed("sb-dataplane exited %d:\n%s" % (p.returncode, self.logtail("dataplane")))
            if time.monotonic() > t_end:
                raise Failed("sb-dataplane not ready after 20 s:\n%s" % self.logtail("dataplane"))
            time.sleep(0.05)
        time.sleep(0.3)  # the gateway's ARP reply
        l0, s0 = self.links(), {k: self.udp_snmp(k) for k in ("car", "agt")}
        c0, w0 = self.proc_cpu_ns(p.pid), time.monotonic()
        car_dests, agt_dests = self.sb_dests(n)
        gc, ga = self.run_gens(n, car_dests, agt_dests)
        c1, w1 = self.proc_cpu_ns(p.pid), time.monotonic()
        l1 = self.links()
        rc = self.stop("dataplane")
        if rc != 0:
            raise Failed("sb-dataplane exit %s:\n%s" % (rc, self.logtail("dataplane")))
        with open(stats) as f:
            st = json.load(f)
        ws = st["workers"]
        busy = sum(w["busy_cycles"] for w in ws)
        relayed = sum(w["relayed"] for w in ws)
        r = self.step_result("sb", n, gc, ga, w1 - w0)
        busy_ns = busy * 1e9 / self.tsc_hz
        r["cpu_ns_per_pkt"] = busy_ns / relayed if relayed else None
        r["cpu_util"] = busy_ns / ((w1 - w0) * 1e9)
        have = relayed and c0 is not None and c1 is not None
        r["proc_cpu_ns_per_pkt"] = (c1 - c0) / relayed if have else None
        r["proc_cpu_util"] = (c1 - c0) / ((w1 - w0) * 1e9) if c0 is not None and c1 is not None else None
        r["relayed_counter"] = relayed
        drops = {}
        for w in ws:
            for k, v in w.get("drop", {}).items():
                if v:
                    drops[k] = drops.get(k, 0) + v
        dl = {k: [l1[k][j] - l0.get(k, (0, 0, 0))[j] for j in range(3)] for k in l1}
        port = st.get("port", {})
        dp0 = dl.get("gw/dp0", [0, 0, 0])
        r["where"] = {
            "generator could not send": r["unsent"],
            "veth/backlog drops": sum(v[2] for v in dl.values()),
            "af_packet RX ring (before the PMD)": max(0, dp0[0] - port.get("ipackets", 0)),
            "af_packet TX (PMD -> dp0)": max(0, port.get("opackets", 0) - dp0[1]),
            "dataplane drops %s" % (json.dumps(drops) if drops else ""): sum(drops.values()),
            "sink socket overruns": gc["rcvbuf_errors"] + ga["rcvbuf_errors"],
        }
        r["drops"] = drops
        r["port"] = port
        return r

    # ---- rtpengine -------------------------------------------------------
    def rtpe_start(self):
        conf = os.path.join(self.work, "rtpengine.conf")
        with open(conf, "w") as f:
            f.write("[rtpengine]\ntable = -1\ninterface = %s\nlisten-ng = %s\n"
                    "port-min = 30000\nport-max = 59999\nforeground = true\n"
                    "log-stderr = true\nlog-level = 4\ndelete-delay = 0\n"
                    "timeout = 3600\nsilent-timeout = 3600\nfinal-timeout = 0\n"
                    % (RTPE_IP, NG))
        if not self.lo_addr:
            self.sh(["ip", "-n", self.ns("gw"), "addr", "add", RTPE_IP + "/32", "dev", "lo"])
            self.lo_addr = True

        def nofile():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            want = hard if hard != resource.RLIM_INFINITY else 65536
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        p = self.start("rtpengine", "gw", self.relay_pin + [self.a.rtpengine, "--config-file=" + conf],
                       nofile)
        t_end = time.monotonic() + 15
        while True:
            if p.poll() is not None:
                raise Failed("rtpengine exited %d:\n%s" % (p.returncode, self.logtail("rtpengine")))
            r = subprocess.run(self.nsexec("gw", [sys.executable, self.a.ng, "ping", "--ng", NG]),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if r.returncode == 0 and "pong" in r.stdout:
                break
            if time.monotonic() > t_end:
                raise Failed("rtpengine does not answer ng ping:\n%s" % self.logtail("rtpengine"))
            time.sleep(0.1)
        self.ng_calls = 0
        self.rtpe_car, self.rtpe_agt = [], []
        self.rtpe_gen = getattr(self, "rtpe_gen", 0) + 1
        return p

    def rtpe_calls(self, n):
        """Grow the set of calls set up on rtpengine to n."""
        if n <= self.ng_calls:
            return None
        cf = os.path.join(self.work, "ng_car.txt")
        af = os.path.join(self.work, "ng_agt.txt")
        out = self.sh(self.nsexec("gw", [
            sys.executable, self.a.ng, "calls", "--ng", NG, "--first", str(self.ng_calls),
            "--calls", str(n - self.ng_calls), "--prefix", "%s-r%d" % (self.tag, self.rtpe_gen),
            "--caller", CALLER, "--agent", AGENT, "--car-dests", cf, "--agt-dests", af]))
        with open(cf) as f:
            self.rtpe_car += f.read().split()
        with open(af) as f:
            self.rtpe_agt += f.read().split()
        self.ng_calls = n
        return json.loads(out.strip().splitlines()[-1])

    def rtpe_step(self, n, fresh=False):
        p = self.procs.get("rtpengine")
        if fresh or p is None or p.poll() is not None:
            if p is not None:
                self.stop("rtpengine")
            p = self.rtpe_start()
        c_before = self.proc_cpu_ns(p.pid)
        setup = self.rtpe_calls(n)
        c_after = self.proc_cpu_ns(p.pid)
        if setup is not None and c_before is not None and c_after is not None:
            setup["cpu_us_per_call"] = (c_after - c_before) / 1e3 / setup["calls"]
        time.sleep(0.2)
        l0, g0 = self.links(), self.udp_snmp("gw")
        c0, w0 = self.proc_cpu_ns(p.pid), time.monotonic()
        gc, ga = self.run_gens(n, self.rtpe_car, self.rtpe_agt)
        c1, w1 = self.proc_cpu_ns(p.pid), time.monotonic()
        l1, g1 = self.links(), self.udp_snmp("gw")
        if p.poll() is not None:
            raise Failed("rtpengine died during the step:\n%s" % self.logtail("rtpengine"))
        r = self.step_result("rtpengine", n, gc, ga, w1 - w0)
        cpu = c1 - c0
        delivered = gc["recv"] + ga["recv"]
        r["cpu_ns_per_pkt"] = cpu / delivered if delivered else None
        r["cpu_util"] = cpu / ((w1 - w0) * 1e9)
        r["setup"] = setup
        dl = {k: [l1[k][j] - l0.get(k, (0, 0, 0))[j] for j in range(3)] for k in l1}
        r["where"] = {
            "generator could not send": r["unsent"],
            "veth/backlog drops": sum(v[2] for v in dl.values()),
            "rtpengine socket overruns (RcvbufErrors)":
                g1.get("RcvbufErrors", 0) - g0.get("RcvbufErrors", 0),
            "sink socket overruns": gc["rcvbuf_errors"] + ga["rcvbuf_errors"],
        }
        return r

    # ---- the path without a relay: the generators' and veths' ceiling --------
    def path_step(self, n):
        l0 = self.links()
        w0 = time.monotonic()
        gc, ga = self.run_gens(n, [AGENT] * n, [CALLER] * n)
        w1 = time.monotonic()
        l1 = self.links()
        r = self.step_result("path", n, gc, ga, w1 - w0)
        r["cpu_ns_per_pkt"] = r["cpu_util"] = None
        r["where"] = {
            "generator could not send": r["unsent"],
            "veth/backlog drops": sum(l1[k][2] - l0.get(k, (0, 0, 0))[2] for k in l1),
            "sink socket overruns": gc["rcvbuf_errors"] + ga["rcvbuf_errors"],
        }
        return r

    # ---- one step, either relay -----------------------------------------
    def step_result(self, side, n, gc, ga, wall):
        secs = self.a.secs
        target = gc["target"] + ga["target"]
        sent = gc["sent"] + ga["sent"]
        recv = gc["recv"] + ga["recv"]
        c2a = 1 - ga["recv"] / gc["sent"] if gc["sent"] else 1.0
        a2c = 1 - gc["recv"] / ga["sent"] if ga["sent"] else 1.0
        r = {
            "side": side, "calls": n, "target_kpps": target / secs / 1e3,
            "offered_kpps": sent / secs / 1e3, "relayed_kpps": recv / secs / 1e3,
            "sent": sent, "recv": recv,
            "unsent": gc["unsent"] + ga["unsent"] + gc["send_err"] + ga["send_err"],
            "loss_c2a": max(0.0, c2a), "loss_a2c": max(0.0, a2c),
            "lost": max(0, sent - recv),
            "gen_short": 1 - sent / target if target else 0,
            "streams_dead": dead(gc["rx_per_stream"], ga["sent"]) + dead(ga["rx_per_stream"], gc["sent"]),
            "lat_p50_us": max(gc["lat_p50_us"], ga["lat_p50_us"]),
            "lat_p99_us": max(gc["lat_p99_us"], ga["lat_p99_us"]),
            "wall_s": wall, "gen": {"car": gc, "agt": ga},
            "cpus": getattr(self, "last_cpu", {}),
            # the generators' CPU (send + receive, and the kernel work both
            # trigger: routing, veths, waking the receiver) per packet sent
            "gen_ns_per_pkt": (gc.get("cpu_ns", 0) + ga.get("cpu_ns", 0)) / sent if sent else None,
        }
        # softirq on the relay's CPU per packet relayed: mostly the kernel
        # carrying the relay's own transmissions on to the far veth (it runs
        # inside the relay's send system call)
        rc = self.a.relay_cpu
        r["relay_softirq_ns_per_pkt"] = (r["cpus"][rc][1] * secs * 1e9 / recv
                                         if side != "path" and rc in r["cpus"] and recv else None)
        # Loss first.  When the generators could not send the rate asked
        # for, their CPU was saturated and their own receive loop ran late,
        # so the latency they measured is not the relay's: such a step
        # passes at the rate achieved (GEN-CAP) and is not judged on latency.
        ok = r["loss_c2a"] <= self.a.loss_max and r["loss_a2c"] <= self.a.loss_max
        slow = r["lat_p99_us"] > self.a.lat_max_ms * 1000
        if not ok:
            r["verdict"] = "LOSS"
        elif r["gen_short"] > 0.03:
            r["verdict"] = "GEN-CAP"
        elif slow:
            r["verdict"] = "LATENCY"
        else:
            r["verdict"] = "ok"
        r["pass"] = r["verdict"] in ("ok", "GEN-CAP")
        return r

    def rung(self, side, n):
        """One step of the ladder for one side, run once more if it fails."""
        r = None
        for attempt in (1, 2):
            if side == "sb":
                r = self.sb_step(n)
            elif side == "path":
                r = self.path_step(n)
            else:
                r = self.rtpe_step(n, fresh=(attempt == 2))
            r["attempt"] = attempt
            self.print_step(r)
            if r["pass"]:
                break
            if attempt == 1:
                log("%s: %d calls lost %.3f%% / %.3f%%, p99 %.0f us: once more%s" % (
                    side, n, 100 * r["loss_c2a"], 100 * r["loss_a2c"], r["lat_p99_us"],
                    " (rtpengine restarted)" if side == "rtpengine" else ""))
        return r

    def ladders(self, sides):
        """Climb every side's ladder together, rung by rung (path, sb, rtpengine
        at the same number of calls, one after the other), so that whatever
        else loads the machine weighs on all of them alike.  A side stops at
        its first failed rung, or when the generator fell >10% short."""
        res = {s: [] for s in ("path", "sb", "rtpengine")}
        active = list(sides)
        for n in self.a.calls:
            log("---- %d calls (%.0f kpps)" % (n, n * 2 * PPS / 1e3))
            for side in list(active):
                r = self.rung(side, n)
                res[side].append(r)
                stop = not r["pass"]
                if r["pass"] and r["gen_short"] > 0.10:
                    log("%s: the generator offered only %.1f of %.1f kpps: that ladder stops" % (
                        side, r["offered_kpps"], r["target_kpps"]))
                    stop = True
                if stop:
                    active.remove(side)
                    if side == "rtpengine":
                        self.stop("rtpengine")
            # the no-relay path only matters next to a relay still climbing
            if not active or active == ["path"] and len(sides) > 1:
                break
        self.stop("rtpengine")
        return res

    @staticmethod
    def fmt(v, f="%.1f", scale=1):
        return "-" if v is None else f % (v * scale)

    def cpus_str(self, r):
        """'relay CPU busy/softirq %, generators' CPU busy %' (pinned runs)."""
        c = r.get("cpus") or {}
        rc, gc = self.a.relay_cpu, self.a.gen_cpu
        if rc is None or rc not in c or gc not in c:
            return "-"
        return "%.0f/%.0f/%.0f" % (100 * c[rc][0], 100 * c[rc][1], 100 * c[gc][0])

    def print_step(self, r):
        print("  %-9s %5d calls  target %6.1f  offered %6.1f  relayed %6.1f kpps  loss %7.3f%% %7.3f%%"
              "  cpu %6s ns/pkt (%4s%% of a core)  gen %s ns/pkt  CPUs %s  p50/p99 %s/%s us"
              "  dead %d  %s%s" % (
                  r["side"], r["calls"], r["target_kpps"], r["offered_kpps"], r["relayed_kpps"],
                  100 * r["loss_c2a"], 100 * r["loss_a2c"],
                  self.fmt(r["cpu_ns_per_pkt"], "%.0f"), self.fmt(r["cpu_util"], "%.0f", 100),
                  self.fmt(r["gen_ns_per_pkt"], "%.0f"), self.cpus_str(r),
                  self.fmt(r["lat_p50_us"], "%.0f"), self.fmt(r["lat_p99_us"], "%.0f"),
                  r["streams_dead"], r["verdict"],
                  "" if r["attempt"] == 1 else " (retry)"), flush=True)


def dead(rx_per_stream, peer_sent):
    """Streams that got less than half of what their sender sent them."""
    if not rx_per_stream:
        return 0
    half = 0.5 * peer_sent / len(rx_per_stream)
    return sum(1 for x in rx_per_stream if x < half)


def best(results):
    ok = [r for r in results if r["pass"]]
    return max(ok, key=lambda r: r["relayed_kpps"]) if ok else None


def path_rung(path, calls):
    """The no-relay rung at the same calls, if it ran and passed."""
    for r in path or []:
        if r["calls"] == calls and r["pass"]:
            return r
    return None


def senders_pay(side, last, path):
    """A relay's GEN-CAP where the generators, without a relay, sent more:
    receiving into this relay costs the senders more (their kernel work:
    socket delivery, waking its threads).  Returns the no-relay rung."""
    if side == "path" or not last["pass"] or last["gen_short"] <= 0.03:
        return None
    ref = path_rung(path, last["calls"])
    if ref is None or ref["offered_kpps"] < 1.1 * last["offered_kpps"]:
        return None
    return ref


def cap_of(side, results, path=None):
    """Why the ladder stopped, from the last step's counters."""
    if not results:
        return "not run"
    last = results[-1]
    ref = senders_pay(side, last, path)
    if ref is not None:
        return ("the relay's receive side: the generators could offer only %.1f of %.1f kpps into"
                " it (%.1f without a relay), spending %s ns per packet (%s without a relay): the"
                " senders pay for delivering to it; %s relayed all of it"
                % (last["offered_kpps"], last["target_kpps"], ref["offered_kpps"],
                   Bench.fmt(last["gen_ns_per_pkt"], "%.0f"), Bench.fmt(ref["gen_ns_per_pkt"], "%.0f"),
                   side))
    if last["pass"]:
        if last["gen_short"] > 0.03:
            return ("generator: could offer only %.1f of %.1f kpps (%s relayed them all)"
                    % (last["offered_kpps"], last["target_kpps"], side))
        return "none up to %d calls (%.1f kpps), where this ladder ended" % (
            last["calls"], last["relayed_kpps"])
    if last["verdict"] == "LATENCY":
        return ("queueing at %d calls (%.1f kpps offered): p99 one-way latency %.0f ms, no loss%s"
                % (last["calls"], last["offered_kpps"], last["lat_p99_us"] / 1000,
                   "; rtpengine at %.0f%% of a core" % (100 * last["cpu_util"])
                   if side == "rtpengine" and last.get("cpu_util") is not None else ""))
    where = {k: v for k, v in last["where"].items() if v > 0}
    lost = max(1, last["lost"] + last["unsent"])
    if where:
        k, v = max(where.items(), key=lambda kv: kv[1])
        why = "%s (%d of %d packets lost/unsent)" % (k.strip(), v, lost)
    elif last["lat_p99_us"] > 250000:
        why = ("%d packets not delivered by the end of the 0.5 s drain, no drop counted anywhere:"
               " still queued in the relay (p99 one-way latency %.2f s)"
               % (lost, last["lat_p99_us"] / 1e6))
    else:
        why = "unattributed loss of %d packets" % lost
    extra = []
    if last.get("cpu_util") is not None and side == "rtpengine":
        extra.append("rtpengine at %.0f%% of a core" % (100 * last["cpu_util"]))
    if last.get("proc_cpu_util") is not None:
        extra.append("sb-dataplane busy %.0f%% of its core" % (100 * last["cpu_util"]))
    if last["gen_short"] > 0.03:
        extra.append("generator offered only %.1f of %.1f kpps" % (last["offered_kpps"], last["target_kpps"]))
    if last["streams_dead"]:
        extra.append("%d streams got < half their packets" % last["streams_dead"])
    return "loss at %d calls (%.1f kpps offered): %s%s" % (
        last["calls"], last["offered_kpps"], why, ("; " + ", ".join(extra)) if extra else "")


def cap_kind(side, results, path=None):
    """A short label: generator | af_packet | veth | relay | none."""
    if not results:
        return "none"
    last = results[-1]
    if senders_pay(side, last, path) is not None:
        # what the senders' kernel does for each packet they send to it
        return ("veth/af_packet receive path (the extra veth hop into dp0 and the ring copy,"
                " paid by the senders)" if side == "sb" else
                "socket receive path (delivery and wake-ups, paid by the senders)")
    if last["pass"]:
        return "generator" if last["gen_short"] > 0.03 else "none"
    if last["verdict"] == "LATENCY":
        return "relay (queueing)" if side != "path" else "generator (queueing)"
    where = {k: v for k, v in last["where"].items() if v > 0}
    if not where:
        if last["lat_p99_us"] > 250000 or side == "rtpengine":
            return "relay (queueing)" if last["lat_p99_us"] > 250000 else "relay"
        return "unattributed"
    k = max(where.items(), key=lambda kv: kv[1])[0]
    if k.startswith("generator"):
        return "generator"
    if k.startswith("af_packet"):
        return "af_packet"
    if k.startswith("veth"):
        return "veth"
    if k.startswith("sink"):
        return "generator (sink)"
    return "relay"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--udpgen", required=True)
    ap.add_argument("--ng", required=True, help="bench/ng.py")
    ap.add_argument("--rtpengine", default=shutil.which("rtpengine") or "/usr/bin/rtpengine")
    ap.add_argument("--calls", default="250,500,750,1000,1500,2000,2500,3000",
                    help="the ladder: calls per step (2 streams x 50 pps each)")
    ap.add_argument("--secs", type=float, default=4.0, help="traffic per step")
    ap.add_argument("--loss-max", type=float, default=0.001,
                    help="largest loss per direction that still passes (0.001 = 0.1%%)")
    ap.add_argument("--lat-max-ms", type=float, default=50.0,
                    help="largest p99 one-way latency that still passes (a queue building up)")
    ap.add_argument("--idle-us", type=int, default=100, help="sb-dataplane --idle-us")
    ap.add_argument("--relay-cpu", default="0",
                    help="the CPU each relay runs on (sb: EAL -l, rtpengine: taskset); none = unpinned")
    ap.add_argument("--gen-cpu", default="1", help="the CPU of both generators; none = unpinned")
    ap.add_argument("--nice", type=int, default=-19,
                    help="nice value of both relays and the generators (0: unchanged)")
    ap.add_argument("--only", choices=["path", "sb", "rtpengine"])
    ap.add_argument("--pmd", choices=["af_packet", "af_xdp"], default="af_packet",
                    help="sb-dataplane's port on the veth (default af_packet)")
    ap.add_argument("--no-path", action="store_true",
                    help="skip the reference run without a relay (kernel forwarding only)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    a = ap.parse_args()
    a.calls = [int(x) for x in a.calls.split(",") if x]
    ncpu = len(os.sched_getaffinity(0))
    a.relay_cpu = None if a.relay_cpu == "none" or ncpu < 2 else int(a.relay_cpu)
    a.gen_cpu = None if a.gen_cpu == "none" or ncpu < 2 else int(a.gen_cpu)
    if os.environ.get("RELAY_VETH_CALLS"):
        a.calls = [int(x) for x in os.environ["RELAY_VETH_CALLS"].split(",") if x]
    if os.environ.get("RELAY_VETH_SECS"):
        a.secs = float(os.environ["RELAY_VETH_SECS"])

    if os.geteuid() != 0:
        skip("not root (network namespaces and af_packet need root)")
    for tool in ("ip", "ethtool"):
        if shutil.which(tool) is None:
            skip("no %s" % tool)
    for path, what in ((a.dataplane, "sb-dataplane"), (a.udpgen, "udpgen")):
        if not os.access(path, os.X_OK):
            skip("%s not built (%s)" % (what, path))
    if not (a.rtpengine and os.access(a.rtpengine, os.X_OK)):
        skip("no rtpengine (Debian rtpengine-daemon; scripts/setup installs it)")

    b = Bench(a)

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rc = 1
    t_start = time.monotonic()
    try:
        probe = "sb-probe-%s" % b.tag
        if subprocess.run(["ip", "netns", "add", probe], stderr=subprocess.DEVNULL).returncode != 0:
            skip("cannot create a network namespace")
        subprocess.run(["ip", "netns", "del", probe], stderr=subprocess.DEVNULL)
        b.netns_up()
        b.tsc_hz = float(subprocess.run([a.udpgen, "--tsc-hz"], stdout=subprocess.PIPE,
                                        text=True, check=True).stdout)
        rtpe_ver = subprocess.run([a.rtpengine, "--version"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True).stdout.strip().splitlines()
        rtpe_ver = rtpe_ver[-1] if rtpe_ver else "?"
        log("topology %s up, work dir %s, TSC %.3f GHz, rtpengine %s" % (
            b.tag, b.work, b.tsc_hz / 1e9, rtpe_ver))
        log("ladder: %s calls (x 100 pps each), %.0f s per step, pass: loss <= %.2f%% per direction"
            % (",".join(map(str, a.calls)), a.secs, 100 * a.loss_max))
        sides = [s for s in ("path", "sb", "rtpengine")
                 if not (a.only and s != a.only) and not (s == "path" and a.no_path)]
        b.background = b.background_load()
        log("background load before the run: %s" % ", ".join(
            "CPU %d %.0f%%" % (k, 100 * v[0]) for k, v in sorted(b.background.items())))
        res = b.ladders(sides)
        report(a, b, res, rtpe_ver, time.monotonic() - t_start)
        rc = 0
    except Failed as e:
        print("FAIL: relay_veth: %s" % e, flush=True)
        a.keep = True
        rc = 1
    finally:
        b.cleanup()
    return rc


def report(a, b, res, rtpe_ver, elapsed):
    sb, rt, pa = best(res["sb"]), best(res["rtpengine"]), best(res["path"])
    print()
    print("relay_veth: RTP (160-byte payload, 50 pps per stream, 2 streams per call) relayed"
          " between namespaces over veths")
    print("  sb-dataplane: %s on dp0, --idle-us %d; rtpengine %s, table = -1"
          " (user space)" % ("net_af_xdp (--pmd af_xdp)" if a.pmd == "af_xdp"
                             else "net_af_packet framecnt=4096", a.idle_us, rtpe_ver))
    if a.nice:
        print("  relays and generators run at nice %d, each in an autogroup of its own at that nice"
              % a.nice)
    if a.relay_cpu is not None:
        print("  each relay on CPU %d (sb: EAL -l %d; rtpengine: taskset), both generators on CPU %d"
              % (a.relay_cpu, a.relay_cpu, a.gen_cpu))
    else:
        print("  unpinned: relays and generators share every CPU")
    print("  background load (1 s before the run, nothing of ours running): %s" % ", ".join(
        "CPU %d %.0f%%" % (k, 100 * v[0]) for k, v in sorted(b.background.items())))
    print("  gen cpu = both generators' CPU time (their sends, receives and the kernel work"
          " these trigger) per packet sent")
    print("  CPUs r/si/g = the relay's CPU busy / of it softirq / the generators' CPU busy, over"
          " each step (whole machine: other work on the box shows up here too)")
    print("  pass = loss <= %.2f%% in each direction and p99 one-way latency <= %.0f ms;"
          " CPU: sb = busy cycles only / relayed, rtpengine = utime+stime / delivered"
          % (100 * a.loss_max, a.lat_max_ms))
    hdr = ("%-10s %6s %8s %8s %8s %8s %8s %8s %7s %8s %11s %9s %9s %6s %s" % (
        "relay", "calls", "target", "offered", "relayed", "loss c>a", "loss a>c", "cpu", "cpu",
        "gen cpu", "CPUs", "lat p50", "lat p99", "dead", "verdict"))
    print(hdr)
    print("%-10s %6s %8s %8s %8s %8s %8s %8s %7s %8s %11s %9s %9s %6s" % (
        "", "", "kpps", "kpps", "kpps", "%", "%", "ns/pkt", "%core", "ns/pkt", "r/si/g %", "us",
        "us", "strm"))
    for side in ("path", "sb", "rtpengine"):
        for r in res[side]:
            print("%-10s %6d %8.1f %8.1f %8.1f %8.3f %8.3f %8s %7s %8s %11s %9s %9s %6d %s" % (
                side, r["calls"], r["target_kpps"], r["offered_kpps"], r["relayed_kpps"],
                100 * r["loss_c2a"], 100 * r["loss_a2c"], Bench.fmt(r["cpu_ns_per_pkt"], "%.0f"),
                Bench.fmt(r["cpu_util"], "%.0f", 100), Bench.fmt(r["gen_ns_per_pkt"], "%.0f"),
                b.cpus_str(r), Bench.fmt(r["lat_p50_us"], "%.0f"),
                Bench.fmt(r["lat_p99_us"], "%.0f"), r["streams_dead"],
                r["verdict"] + ("" if r["attempt"] == 1 else " (retry)")))
    sb_cap = cap_of("sb", res["sb"], res["path"])
    rt_cap = cap_of("rtpengine", res["rtpengine"], res["path"])
    if res["path"]:
        print("path = the generators talking to each other through sb-gw's kernel forwarding,"
              " no relay: their ceiling with these veths")
        print("cap, path:      %s" % cap_of("path", res["path"]))
    print("cap, sb:        %s" % sb_cap)
    print("cap, rtpengine: %s" % rt_cap)
    for side in ("path", "sb", "rtpengine"):
        if res[side] and not res[side][-1]["pass"]:
            w = res[side][-1]["where"]
            print("  %s, lost at %d calls: %s" % (side, res[side][-1]["calls"], ", ".join(
                "%s %d" % (k.strip(), v) for k, v in w.items())))
    setups = [r["setup"] for r in res["rtpengine"] if r.get("setup")]
    if setups:
        n = sum(s["calls"] for s in setups)
        secs = sum(s["seconds"] for s in setups)
        cpu = [s["cpu_us_per_call"] for s in setups if s.get("cpu_us_per_call") is not None]
        print("rtpengine call set-up (ng offer+answer, 16 outstanding): %d calls, %.0f calls/s%s"
              % (n, n / secs if secs else 0, ", %.0f us CPU per call" % (sum(cpu) / len(cpu)) if cpu else ""))

    # the same rate: the highest step both passed
    same = None
    for r1 in res["sb"]:
        for r2 in res["rtpengine"]:
            if r1["pass"] and r2["pass"] and r1["calls"] == r2["calls"]:
                if same is None or r1["calls"] > same[0]["calls"]:
                    same = (r1, r2)

    def rnd(v, nd=1):
        return None if v is None else round(v, nd)
    sbk = sb["relayed_kpps"] if sb else None
    rtk = rt["relayed_kpps"] if rt else None
    sbc = sb["cpu_ns_per_pkt"] if sb else None
    rtc = rt["cpu_ns_per_pkt"] if rt else None
    sk = cap_kind("sb", res["sb"], res["path"])
    rk = cap_kind("rtpengine", res["rtpengine"], res["path"])
    pak = pa["relayed_kpps"] if pa else None

    path_capped = cap_kind("path", res["path"]) != "none"  # else it only ran out of rungs

    def near_path(k):
        return path_capped and pak is not None and k is not None and k >= 0.9 * pak
    parts = []
    for name, kind, k in (("sb", sk, sb["relayed_kpps"] if sb else None),
                          ("rtpengine", rk, rt["relayed_kpps"] if rt else None)):
        t = "%s: %s" % (name, kind)
        if near_path(k):
            t += " (at the generators' own ceiling, %.0f kpps without a relay)" % pak
        parts.append(t)
    cap_side = "; ".join(parts)
    out = {
        "bench": "relay_veth",
        "sb_kpps": rnd(sbk), "rtpengine_kpps": rnd(rtk),
        "ratio_vs_rtpengine": rnd(sbk / rtk, 2) if sbk and rtk else None,
        "sb_calls": sb["calls"] if sb else None, "rtpengine_calls": rt["calls"] if rt else None,
        "loss": {
            "sb": {"c2a": rnd(sb["loss_c2a"], 6), "a2c": rnd(sb["loss_a2c"], 6)} if sb else None,
            "rtpengine": {"c2a": rnd(rt["loss_c2a"], 6), "a2c": rnd(rt["loss_a2c"], 6)} if rt else None,
        },
        "loss_criterion": "<= %g per direction" % a.loss_max,
        "latency_criterion_ms": a.lat_max_ms,
        "sb_cpu_ns_per_pkt": rnd(sbc), "rtpengine_cpu_ns_per_pkt": rnd(rtc),
        "cpu_ratio_vs_rtpengine": rnd(rtc / sbc, 2) if sbc and rtc else None,
        "same_rate_calls": same[0]["calls"] if same else None,
        "cpu_ratio_same_rate": rnd(same[1]["cpu_ns_per_pkt"] / same[0]["cpu_ns_per_pkt"], 2)
        if same and same[0]["cpu_ns_per_pkt"] and same[1]["cpu_ns_per_pkt"] else None,
        "sb_proc_cpu_ns_per_pkt": rnd(sb.get("proc_cpu_ns_per_pkt")) if sb else None,
        "lat_p99_us": {"sb": sb["lat_p99_us"] if sb else None, "rtpengine": rt["lat_p99_us"] if rt else None},
        "path_kpps": rnd(pak),
        "relay_softirq_ns_per_pkt": {
            k: rnd(r["relay_softirq_ns_per_pkt"], 0) if r and r["relay_softirq_ns_per_pkt"] else None
            for k, r in (("sb", sb), ("rtpengine", rt))},
        "gen_ns_per_pkt": {"sb": rnd(sb["gen_ns_per_pkt"], 0) if sb else None,
                           "rtpengine": rnd(rt["gen_ns_per_pkt"], 0) if rt else None},
        "sb_cap": sk, "rtpengine_cap": rk, "cap_side": cap_side,
        "sb_cap_detail": sb_cap, "rtpengine_cap_detail": rt_cap,
        "steps": {s: [[r["calls"], rnd(r["offered_kpps"]), rnd(r["relayed_kpps"]),
                       rnd(100 * max(r["loss_c2a"], r["loss_a2c"]), 3), rnd(r["cpu_ns_per_pkt"], 0)]
                      for r in res[s]] for s in ("path", "sb", "rtpengine")},
        "pinning": {"relay_cpu": a.relay_cpu, "gen_cpu": a.gen_cpu},
        "background_cpu_pct": {str(k): round(100 * v[0]) for k, v in sorted(b.background.items())},
        "step_secs": a.secs, "elapsed_s": round(elapsed, 1),
    }
    for name, r in (("sb", sb), ("rtpengine", rt)):
        if r and r.get("relay_softirq_ns_per_pkt"):
            print("%s at %.0f kpps: softirq on its CPU %.0f ns per packet (the kernel carrying its"
                  " sends on to the far veth, run inside its send calls)"
                  % (name, r["relayed_kpps"], r["relay_softirq_ns_per_pkt"]))
    print("which side hit the cap: %s" % cap_side)
    print("summary: sb %s kpps, rtpengine %s kpps (x%s); CPU per packet sb %s ns, rtpengine %s ns (x%s)"
          % (out["sb_kpps"], out["rtpengine_kpps"], out["ratio_vs_rtpengine"],
             out["sb_cpu_ns_per_pkt"], out["rtpengine_cpu_ns_per_pkt"], out["cpu_ratio_vs_rtpengine"]))
    print(json.dumps(out, separators=(", ", ": ")), flush=True)


if __name__ == "__main__":
    sys.exit(main())
