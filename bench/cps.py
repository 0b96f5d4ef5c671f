#!/usr/bin/env python3
"""cps — calls per second through sb-control (the B2BUA, media legs really
programmed in sb-dataplane) against Kamailio (a stateful proxy) under the
same SIPp load, side by side in one run; then 10,000 calls held at once.

Everything runs on 127.0.0.1 (no namespaces): SIP is all loopback UDP, one
socket per SIPp (u1).

  sb side     SIPp caller (cps-caller.xml) -> sb-control carrier side ->
              hotline -> free registered agent -> sb-control agent side ->
              one SIPp (cps-agent.xml) answering for every agent.
              INVITE, 180, 200, ACK, BYE, 200 on both legs; for each call
              control allocates two media legs and programs them over the
              shm rings (LEG_ADD x2 before inviting the agent, LEG_MOD +
              LEG_CONNECT on its answer, LEG_DEL x2 at BYE; 6 commands).
              sb-dataplane runs on an in-memory port (net_null, no-rx): the
              legs are real entries in its tables and shm counters, no RTP
              flows (SIPp sends none).  Ports 20000..63999: 22,000 legs.
              One worker lcore with --idle-us 100 (it naps 100 us when idle:
              on two shared cores a polling worker would take one whole).
              A call-centre agent takes one call at a time, so the gateway
              has N agents (user aK, digest MD5, all registered first by
              cps-register.xml from the answering SIPp's address) in N/32
              hotlines of 32 (the config's limit per hotline); the caller
              dials the hotlines in turn (-inf).
  kamailio    the same SIPp caller and the same cps-agent.xml UAS, through
              Kamailio 5.6 (cps-kamailio.cfg: tm + sl + rr, 4 children;
              INVITE record-routed and relayed statefully, ACK for 2xx
              forwarded statelessly).  ANCHORS "Kamailio 5.6 and SIPp
              3.6.1": ~1,250-1,500 cps with zero failures on a quiet box.

Ladder (--rates): for each rate, sb then Kamailio (interleaved, so load from
elsewhere hits both alike), rate x --step-secs calls, no pause between ACK
and BYE, plus a latency probe: a second SIPp placing --probe-rate calls/s
alongside with every message traced (gettimeofday, microseconds); SIPp's
own response times tick in 4 ms here, too coarse for loopback.  Set-up =
INVITE sent -> 200 received.  A call fails when SIPp counts it failed (a
missing or unexpected answer; -recv_timeout 5 s); -default_behaviors
all,-abortunexp so that a 180 overtaken by the 200 is not a failure.  A
rung passes when no call failed (load and probe), SIPp offered at least
90 % of the rate, and the set-up p99 stayed under --lat-max-ms (500 ms =
T1: beyond it callers retransmit, a queue is building).  A rung that did
not pass is run once more (the machine is shared); a side stops climbing
at its second rung that did not pass.  The figure per side is the highest
passing rate.  CPU per call: utime + stime (/proc/PID/stat) of sb-control
(the dataplane's shown apart) resp. of all Kamailio processes over the
rung, divided by its calls; also both at the highest rate both passed.

Hold (--hold-calls, first, on a fresh sb-control): that many calls at
--hold-rate, each pausing until all are up; while they are all up, the
calls live in control (its log: "call N: up" minus "cdr:" lines), the
dataplane's active legs (sbctl stats, workers' legs_active) and the RSS of
sb-control and sb-dataplane (VmRSS) are read.  control_bytes_per_call =
RSS growth of sb-control from just before the first call to all held, per
held call; dataplane_bytes_per_call = 2 legs x the dataplane's fixed
per-leg state (dp_leg_size_t: hot leg + cold part + shm counters + port
map; the leg table is allocated at start, so its RSS barely moves);
bytes_per_call = the sum of the two.

Needs root (DPDK, even --no-huge), sipp, kamailio; exits 77 without them.
Prints tables, then one JSON line.  Cleans up every process it started
(by pid), its /dev/shm segment and its DPDK runtime directory.
"""
import argparse
import ctypes
import datetime
import glob
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KAM_MPATH = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
PER_HOTLINE = 32  # SB_CFG_HOTLINE_AGENTS (control/config.h)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def skip(msg):
    print(f"SKIP: {msg}")
    sys.exit(77)


def free_udp_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG: a killed or timed-out bench leaves no process behind
    _libc.prctl(1, signal.SIGKILL)


class Procs:
    """Processes started here, ended by pid (TERM, then KILL after 5 s)."""

    def __init__(self, work):
        self.work = work
        self.p = {}

    def start(self, name, argv, cwd=None):
        out = open(os.path.join(self.work, name + ".log"), "wb")
        with open(os.path.join(self.work, name + ".cmd"), "w") as f:
            f.write(" ".join(argv) + "\n")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=cwd or self.work, preexec_fn=_die_with_parent)
        out.close()
        self.p[name] = p
        return p

    def stop(self, name):
        p = self.p.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {p.pid}) ignored SIGTERM for 5 s: SIGKILL")
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self):
        for name in reversed(list(self.p)):
            self.stop(name)


def cpu_ticks(pids):
    t = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return t


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(d))
        except OSError:
            pass
    return out


def rss_bytes(pid, field="VmRSS"):
    """VmRSS (or VmHWM: the peak) of pid, bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def wait_for(secs, what, cond, alive=()):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return
        for name, p in alive:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited (status {p.returncode}) while waiting for {what}")
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {secs} s waiting for {what}")


def sipp_stats(csv_path):
    """Last row of a SIPp -trace_stat file as a dict (cumulative counters)."""
    with open(csv_path, newline="") as f:
        rows = [r.rstrip("\r\n").split(";") for r in f if r.strip()]
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def rtt_values(run_dir):
    vals = []
    for path in glob.glob(os.path.join(run_dir, "*_rtt.csv")):
        with open(path) as f:
            for line in f:
                parts = line.strip().split(";")
                if len(parts) >= 3 and parts[2] == "1":
                    try:
                        vals.append(float(parts[1]))
                    except ValueError:
                        pass
    return sorted(vals)


def probe_setup_ms(path):
    """INVITE sent -> 200 received per call, in ms, from a SIPp -trace_msg
    file (gettimeofday, microseconds); first INVITE and first 200 of each
    Call-ID."""
    inv, ok = {}, {}
    try:
        with open(path, errors="replace") as f:
            data = f.read()
    except OSError:
        return []
    for blk in data.split("----------------------------------------------- ")[1:]:
        head, _, rest = blk.partition("\n")
        try:
            ts = datetime.datetime.strptime(head.strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        except ValueError:
            continue
        sent = rest.startswith("UDP message sent")
        msg = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""
        first = msg.split("\n", 1)[0]
        cid = re.search(r"^Call-ID:\s*(\S+)", msg, re.M | re.I)
        cseq = re.search(r"^CSeq:\s*\d+\s+(\w+)", msg, re.M | re.I)
        if not cid or not cseq or cseq.group(1) != "INVITE":
            continue
        if sent and first.startswith("INVITE "):
            inv.setdefault(cid.group(1), ts)
        elif not sent and first.startswith("SIP/2.0 200"):
            ok.setdefault(cid.group(1), ts)
    return sorted((ok[c] - inv[c]) * 1000.0 for c in ok if c in inv)


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    # nearest rank: the smallest value with at least p % of them at or below it
    k = min(len(sorted_vals) - 1, max(0, math.ceil(p / 100.0 * len(sorted_vals) - 1e-9) - 1))
    return sorted_vals[k]


def kamailio_cfg(port, uas_port):
    with open(os.path.join(HERE, "cps-kamailio.cfg")) as f:
        cfg = f.read()
    return (cfg.replace("@LISTEN_PORT@", str(port))
            .replace("@UAS@", f"127.0.0.1:{uas_port}").replace("@MPATH@", KAM_MPATH))


def n_failed(r):
    """Calls that did not succeed: SIPp's failed ones, or more when some
    never ended (the caller was stopped)."""
    return max(r["failed"], r["calls"] - r["ok"])


def fmt_ms(v):
    return "-" if v is None else f"{v:.2f}"


class Bench:
    def __init__(self, a):
        self.a = a
        self.tag = f"cps{os.getpid()}"
        self.work = tempfile.mkdtemp(prefix="sb-cps.")
        self.procs = Procs(self.work)
        self.instance = self.tag
        self.runs = 0
        self.failed_setup = False

    # ---- set-up ---------------------------------------------------------
    def write_files(self):
        a = self.a
        n_hot = (a.hold_calls + a.agent_margin + PER_HOTLINE - 1) // PER_HOTLINE
        self.n_agents = n_hot * PER_HOTLINE
        self.n_hot = n_hot
        (self.p_car, self.p_agt, self.p_agents, self.p_kam, self.p_uas, self.p_caller,
         self.p_probe, self.mp_agents, self.mp_uas, self.mp_caller,
         self.mp_probe) = free_udp_ports(11)
        lines = [f"instance: {self.instance}",
                 "sip:",
                 f"  listen: [127.0.0.1:{self.p_car}, 127.0.0.1:{self.p_agt}]",
                 "  tcp: false",
                 "auth:",
                 "  algorithms: [MD5]   # SIPp 3.6.1 computes MD5 digests only",
                 "media:",
                 "  timeout: 600        # no RTP flows in this bench",
                 "agents:"]
        for i in range(self.n_agents):
            lines += [f"  - user: a{i}", f"    password: pw{i}"]
        lines.append("hotlines:")
        for h in range(n_hot):
            members = ", ".join(f"a{i}" for i in range(h * PER_HOTLINE, (h + 1) * PER_HOTLINE))
            lines += [f'  - number: "{810000 + h}"', f"    agents: [{members}]"]
        with open(os.path.join(self.work, "control.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(self.work, "agents.csv"), "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(self.n_agents):
                f.write(f"a{i};[authentication username=a{i} password=pw{i}]\n")
        with open(os.path.join(self.work, "hotlines.csv"), "w") as f:
            f.write("SEQUENTIAL\n")
            for h in range(n_hot):
                f.write(f"{810000 + h}\n")
        with open(os.path.join(self.work, "kamailio.cfg"), "w") as f:
            f.write(kamailio_cfg(self.p_kam, self.p_uas))

    def start_dataplane(self):
        a = self.a
        argv = [a.dataplane, "-l", "0", "--no-huge", "-m", "256", "--no-pci",
                "--file-prefix", "sb" + self.tag, "--vdev=net_null0,no-rx=1", "--",
                "--instance", self.instance, "--media-ip", "203.0.113.10", "--prefix-len", "24",
                "--gateway", "203.0.113.1", "--idle-us", "100",
                "--port-min", "20000", "--port-span", "44000", "--max-legs", "65536"]
        self.dp = self.procs.start("dataplane", argv)
        wait_for(20, "the dataplane's segment",
                 lambda: os.path.exists(f"/dev/shm/switchboard.{self.instance}"),
                 [("sb-dataplane", self.dp)])
        log(f"sb-dataplane up (pid {self.dp.pid}): net_null, ports 20000..63999")

    def start_control(self):
        self.ctl_log = os.path.join(self.work, "control.log")
        self.ctl = self.procs.start("control", [self.a.control, "--config",
                                                os.path.join(self.work, "control.yaml")])

        def ready():
            with open(self.ctl_log, errors="replace") as f:
                return "media: attached to dataplane" in f.read()
        wait_for(30, "sb-control attached to the dataplane", ready, [("sb-control", self.ctl)])
        log(f"sb-control up (pid {self.ctl.pid}): {self.n_agents} agents in {self.n_hot} hotlines")

    def register_agents(self):
        run = os.path.join(self.work, "register")
        os.mkdir(run)
        argv = ["sipp", f"127.0.0.1:{self.p_agt}", "-sf", os.path.join(HERE, "cps-register.xml"),
                "-inf", os.path.join(self.work, "agents.csv"), "-i", "127.0.0.1",
                "-p", str(self.p_agents), "-mp", str(self.mp_agents),
                "-m", str(self.n_agents), "-r", str(self.a.register_rate), "-l", "2000",
                "-nostdin", "-recv_timeout", "5000", "-timeout", "120s", "-timeout_error",
                "-trace_stat", "-stf", os.path.join(run, "stat.csv"), "-fd", "1",
                "-trace_err", "-error_file", os.path.join(run, "err.log")]
        t0 = time.monotonic()
        p = self.procs.start("register", argv, cwd=run)
        try:
            p.wait(150)
        except subprocess.TimeoutExpired:
            pass
        self.procs.stop("register")
        st = sipp_stats(os.path.join(run, "stat.csv"))
        ok = int(st.get("SuccessfulCall(C)", 0))
        log(f"registered {ok}/{self.n_agents} agents in {time.monotonic() - t0:.1f} s")
        if ok != self.n_agents:
            raise RuntimeError(f"only {ok} of {self.n_agents} agents registered (see {run})")

    def start_answerers(self):
        common = ["-sf", os.path.join(HERE, "cps-agent.xml"), "-i", "127.0.0.1", "-nostdin",
                  "-default_behaviors", "all,-abortunexp", "-max_socket", "64"]
        self.agents = self.procs.start("agents", ["sipp"] + common +
                                       ["-p", str(self.p_agents), "-mp", str(self.mp_agents)])
        self.uas = self.procs.start("uas", ["sipp"] + common +
                                    ["-p", str(self.p_uas), "-mp", str(self.mp_uas)])
        time.sleep(0.5)
        for name, p in (("agents SIPp", self.agents), ("UAS SIPp", self.uas)):
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited (status {p.returncode})")

    def start_kamailio(self):
        self.kam = self.procs.start("kamailio", [self.a.kamailio, "-f",
                                                 os.path.join(self.work, "kamailio.cfg"),
                                                 "-DD", "-E", "-m", "256", "-M", "16"])

        def ready():
            # main + 4 UDP children + timers etc.
            return len(children_of(self.kam.pid)) >= 4
        wait_for(15, "Kamailio's children", ready, [("kamailio", self.kam)])
        time.sleep(0.5)
        log(f"kamailio up (pid {self.kam.pid}, {len(children_of(self.kam.pid))} children)")

    # ---- one SIPp caller run --------------------------------------------
    def caller(self, name, side, calls, rate, limit, pause_ms, timeout_s, probe=False):
        """Start the caller; returns (Popen, run dir).  probe: the latency
        probe (its own port, every message traced with its time)."""
        self.runs += 1
        run = os.path.join(self.work, f"{self.runs:02d}-{name}")
        os.mkdir(run)
        target = f"127.0.0.1:{self.p_car if side == 'sb' else self.p_kam}"
        port, mport = (self.p_probe, self.mp_probe) if probe else (self.p_caller, self.mp_caller)
        argv = ["sipp", target, "-sf", os.path.join(HERE, "cps-caller.xml"),
                "-inf", os.path.join(self.work, "hotlines.csv"),
                "-i", "127.0.0.1", "-p", str(port), "-mp", str(mport),
                "-m", str(calls), "-r", str(rate), "-l", str(limit), "-d", str(pause_ms),
                "-nostdin", "-default_behaviors", "all,-abortunexp", "-max_socket", "64",
                "-recv_timeout", "5000", "-timeout", f"{timeout_s}s",
                "-trace_stat", "-stf", os.path.join(run, "stat.csv"), "-fd", "1",
                "-trace_rtt", "-rtt_freq", "1",
                "-trace_err", "-error_file", os.path.join(run, "err.log")]
        if probe:
            argv += ["-trace_msg", "-message_file", os.path.join(run, "msg.log")]
        return self.procs.start(f"caller-{self.runs:02d}", argv, cwd=run), run

    def finish_caller(self, p, run, wait_s):
        name = [k for k, v in self.procs.p.items() if v is p][0]
        try:
            p.wait(wait_s)
        except subprocess.TimeoutExpired:
            log(f"{name} still running after {wait_s} s: stopped")
        rc = self.procs.stop(name)
        st = sipp_stats(os.path.join(run, "stat.csv"))
        rtt = rtt_values(run)
        setup = probe_setup_ms(os.path.join(run, "msg.log"))
        return {
            "rc": rc,
            "ok": int(st.get("SuccessfulCall(C)", 0)),
            "failed": int(st.get("FailedCall(C)", 0)),
            "created": int(st.get("OutgoingCall(C)", 0)),
            "offered_cps": float(st.get("CallRate(C)", 0) or 0),
            "p50": pct(rtt, 50), "p99": pct(rtt, 99), "n_rtt": len(rtt),
            "setup": setup,
            "dir": run,
        }

    # ---- phases ---------------------------------------------------------
    def live_in_control(self):
        up = cdr = 0
        with open(self.ctl_log, errors="replace") as f:
            for line in f:
                if line.endswith(": up\n") and " call " in line:
                    up += 1
                elif " cdr: call " in line:
                    cdr += 1
        return up - cdr

    def sbctl_stats(self):
        out = subprocess.run([self.a.sbctl, "--instance", self.instance, "stats"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"sbctl stats: {out.stderr.strip()}")
        return json.loads(out.stdout)

    def hold(self):
        a = self.a
        n = a.hold_calls
        ramp_s = n / a.hold_rate
        pause_ms = int((ramp_s + a.hold_extra) * 1000)
        base_ctl, base_dp = rss_bytes(self.ctl.pid), rss_bytes(self.dp.pid)
        log(f"hold: {n} calls at {a.hold_rate} cps, each held {pause_ms / 1000:.1f} s "
            f"(sb-control RSS {base_ctl / 1048576:.1f} MiB before)")
        p, run = self.caller("hold", "sb", n, a.hold_rate, n + 1000, pause_ms,
                             int(ramp_s + a.hold_extra + 60))
        res = {"calls": n, "rate": a.hold_rate, "pause_ms": pause_ms,
               "ctl_rss_base": base_ctl, "dp_rss_base": base_dp}
        deadline = time.monotonic() + ramp_s + a.hold_extra - 1
        live = 0
        while time.monotonic() < deadline and p.poll() is None:
            live = self.live_in_control()
            if live >= n:
                break
            time.sleep(0.5)
        time.sleep(0.5)
        res["ctl_live"] = self.live_in_control()
        res["ctl_rss"] = rss_bytes(self.ctl.pid)
        res["dp_rss"] = rss_bytes(self.dp.pid)
        try:
            st = self.sbctl_stats()
            res["dp_legs_active"] = sum(int(w.get("legs_active", 0)) for w in st["workers"])
            res["dp_legs_listed"] = len(st.get("legs", []))
            res["dp_max_legs"] = st.get("max_legs")
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            log(f"hold: sbctl stats failed: {e}")
            res["dp_legs_active"] = res["dp_legs_listed"] = -1
        stat_now = sipp_stats(os.path.join(run, "stat.csv"))
        res["sipp_current"] = int(stat_now.get("CurrentCall", 0) or 0)
        log(f"hold: control has {res['ctl_live']} calls up, dataplane {res['dp_legs_active']} "
            f"legs active ({res['dp_legs_listed']} listed by sbctl), SIPp caller "
            f"{res['sipp_current']} current; sb-control RSS {res['ctl_rss'] / 1048576:.1f} MiB, "
            f"sb-dataplane RSS {res['dp_rss'] / 1048576:.1f} MiB")
        r = self.finish_caller(p, run, pause_ms / 1000 + ramp_s + 60)
        res.update({k: r[k] for k in ("ok", "failed", "p50", "p99")})
        log(f"hold: caller done: {r['ok']} ok, {r['failed']} failed")
        return res

    def ladder(self):
        a = self.a
        steps = []
        failed_rungs = {"sb": 0, "kamailio": 0}
        for rate in a.rates:
            for side in ("sb", "kamailio"):
                if failed_rungs[side] >= 2:
                    continue
                tries = []
                for attempt in range(2):
                    r = self.rung(side, rate, attempt)
                    tries.append(r)
                    if r["pass"]:
                        break
                    time.sleep(2)
                best = min(tries, key=lambda t: (not t["pass"], n_failed(t)))
                best["tries"] = len(tries)
                steps.append(best)
                if not best["pass"]:
                    failed_rungs[side] += 1
                    if failed_rungs[side] >= 2:
                        log(f"{side}: second rung that did not pass: stops climbing")
        return steps

    def judge(self, r):
        """A rung passes when no call failed, SIPp offered at least 90 % of
        the rate (a generator or system that falls behind has not sustained
        it) and the set-up p99 stayed under --lat-max-ms (default 500 ms =
        T1: beyond it the caller retransmits INVITEs, a queue is building)."""
        why = []
        fails = n_failed(r)
        if fails:
            why.append(f"{fails} failed")
        if r["offered_cps"] < 0.9 * r["rate"]:
            why.append(f"offered {r['offered_cps']:.0f} < 90 %")
        if r["setup_p99"] is None or r["setup_p99"] > self.a.lat_max_ms:
            why.append(f"p99 {fmt_ms(r['setup_p99'])} ms > {self.a.lat_max_ms:g}")
        r["pass"] = not why
        r["why"] = ", ".join(why) if why else "pass"

    def rung(self, side, rate, attempt):
        a = self.a
        calls = int(rate * a.step_secs)
        if side == "sb":
            pids_main = [self.ctl.pid]
            pids_dp = [self.dp.pid]
        else:
            pids_main = [self.kam.pid] + children_of(self.kam.pid)
            pids_dp = []
        tag = f"{side}-{rate}" + ("-retry" if attempt else "")
        c0, d0, t0 = cpu_ticks(pids_main), cpu_ticks(pids_dp), time.monotonic()
        n_probe = int(a.probe_rate * a.step_secs)
        pp, prun = self.caller(tag + "-probe", side, n_probe, a.probe_rate, 1000, 0,
                               int(a.step_secs + 40), probe=True)
        p, run = self.caller(tag, side, calls, rate, max(1000, rate * 4), 0,
                             int(a.step_secs + 40))
        r = self.finish_caller(p, run, a.step_secs + 45)
        pr = self.finish_caller(pp, prun, 10)
        c1, d1, t1 = cpu_ticks(pids_main), cpu_ticks(pids_dp), time.monotonic()
        # the probe's calls go through the same system: its failures count
        calls += n_probe
        r["ok"] += pr["ok"]
        r["failed"] += pr["failed"]
        r["setup"] = pr["setup"]
        r["setup_p50"], r["setup_p99"] = pct(pr["setup"], 50), pct(pr["setup"], 99)
        r.update({"side": side, "rate": rate, "calls": calls, "secs": t1 - t0,
                  "cpu_ms_per_call": (c1 - c0) * 1000.0 / CLK_TCK / max(1, r["ok"]),
                  "cpu_util": (c1 - c0) / CLK_TCK / max(1e-9, t1 - t0),
                  "dp_cpu_ms_per_call": ((d1 - d0) * 1000.0 / CLK_TCK / max(1, r["ok"])
                                         if pids_dp else None)})
        self.judge(r)
        log(f"{side:8s} {rate:5d} cps{' (again)' if attempt else '        '}: {r['why']}: {r['ok']:6d} ok "
            f"{r['failed']:5d} failed of {calls}, offered {r['offered_cps']:7.1f} cps, setup p50 "
            f"{fmt_ms(r['setup_p50'])} p99 {fmt_ms(r['setup_p99'])} ms (probe; SIPp rtd "
            f"{r['p50']}/{r['p99']}), CPU {r['cpu_ms_per_call']:.3f} ms/call "
            f"({r['cpu_util'] * 100:.0f} % of a core)")
        time.sleep(1)  # let transactions and lingering dialogs drain
        return r

    def leg_size(self):
        if not self.a.leg_size or not os.access(self.a.leg_size, os.X_OK):
            return None
        out = subprocess.run([self.a.leg_size], capture_output=True, text=True, timeout=30).stdout
        m = re.search(r"= (\d+) bytes", out)
        return int(m.group(1)) if m else None

    # ---- report ---------------------------------------------------------
    def report(self, hold, steps):
        print()
        print("cps ladder (SIPp UAC -> system -> SIPp UAS on 127.0.0.1; failed = SIPp failed "
              "calls + calls never completed)")
        print("setup = INVITE sent -> 200 received, ms: 'probe' from a second SIPp at "
              f"{self.a.probe_rate} cps alongside, traced to the microsecond; 'rtd' SIPp's own "
              "response time of every call (its clock ticks in 4 ms)")
        print(f"{'side':9s} {'rate':>6s} {'calls':>6s} {'ok':>6s} {'failed':>6s} {'tries':>5s} "
              f"{'offered':>8s} {'probe p50':>9s} {'p99':>7s} {'rtd p50':>7s} {'p99':>5s} "
              f"{'cpu ms/call':>11s} {'dp ms/call':>10s}  verdict")
        for s in steps:
            fails = n_failed(s)
            print(f"{s['side']:9s} {s['rate']:6d} {s['calls']:6d} {s['ok']:6d} {fails:6d} "
                  f"{s['tries']:5d} {s['offered_cps']:8.1f} {fmt_ms(s['setup_p50']):>9s} "
                  f"{fmt_ms(s['setup_p99']):>7s} {str(s['p50']):>7s} {str(s['p99']):>5s} "
                  f"{s['cpu_ms_per_call']:11.3f} "
                  f"{(('%.3f' % s['dp_cpu_ms_per_call']) if s['dp_cpu_ms_per_call'] is not None else '-'):>10s}"
                  f"  {s['why']}")

        def best(side):
            ok = [s for s in steps if s["side"] == side and s["pass"]]
            return max(ok, key=lambda s: s["rate"]) if ok else None
        sb, kam = best("sb"), best("kamailio")
        top = max(self.a.rates)
        # no passing rung: the failures of the lowest one
        sb_fail_step = sb or next((s for s in steps if s["side"] == "sb"), None)

        leg = self.leg_size()
        res = {"bench": "cps"}
        res["sb_cps"] = sb["rate"] if sb else 0
        res["kamailio_cps"] = kam["rate"] if kam else 0
        res["ratio_vs_kamailio"] = (round(res["sb_cps"] / res["kamailio_cps"], 3)
                                    if res["kamailio_cps"] else None)
        res["failed_calls"] = (0 if sb else n_failed(sb_fail_step) if sb_fail_step else None)
        rnd = (lambda v: None if v is None else round(v, 3))
        res["setup_ms_p50"] = rnd(sb["setup_p50"]) if sb else None
        res["setup_ms_p99"] = rnd(sb["setup_p99"]) if sb else None
        res["kamailio_setup_ms_p50"] = rnd(kam["setup_p50"]) if kam else None
        res["kamailio_setup_ms_p99"] = rnd(kam["setup_p99"]) if kam else None
        res["setup_ms_means"] = (f"INVITE -> 200 of a {self.a.probe_rate} cps SIPp probe "
                                 "alongside the load at that rate, microsecond trace")
        res["sipp_rtd_ms_p50_p99"] = [sb["p50"], sb["p99"]] if sb else None
        res["sb_cps_offered"] = round(sb["offered_cps"], 1) if sb else None
        res["kamailio_cps_offered"] = round(kam["offered_cps"], 1) if kam else None
        res["ladder_top_cps"] = top
        res["at_ladder_top"] = bool(sb and kam and sb["rate"] == top and kam["rate"] == top)
        res["sb_cpu_ms_per_call"] = round(sb["cpu_ms_per_call"], 4) if sb else None
        res["sb_dataplane_cpu_ms_per_call"] = (round(sb["dp_cpu_ms_per_call"], 4)
                                               if sb and sb["dp_cpu_ms_per_call"] is not None else None)
        res["kamailio_cpu_ms_per_call"] = round(kam["cpu_ms_per_call"], 4) if kam else None
        # CPU per call of both at the highest rate both passed (same load)
        both = [r for r in self.a.rates
                if any(s["side"] == "sb" and s["rate"] == r and s["pass"] for s in steps)
                and any(s["side"] == "kamailio" and s["rate"] == r and s["pass"] for s in steps)]
        if both:
            at = max(both)
            cpu = {s["side"]: s["cpu_ms_per_call"] for s in steps if s["rate"] == at}
            res["cpu_compare_cps"] = at
            res["cpu_ms_per_call_at_compare"] = {"sb": round(cpu["sb"], 4),
                                                 "kamailio": round(cpu["kamailio"], 4)}
        if hold:
            held = min(hold["ctl_live"], hold["dp_legs_active"] // 2) if hold["dp_legs_active"] >= 0 \
                else hold["ctl_live"]
            res["concurrent_calls_held"] = held
            res["hold_control_calls"] = hold["ctl_live"]
            res["hold_dataplane_legs"] = hold["dp_legs_active"]
            res["hold_failed_calls"] = n_failed(hold)
            ctl_b = (hold["ctl_rss"] - hold["ctl_rss_base"]) / max(1, hold["ctl_live"])
            res["control_bytes_per_call"] = int(round(ctl_b))
            res["control_rss_base_bytes"] = hold["ctl_rss_base"]
            res["dataplane_rss_growth_per_call"] = int(round(
                (hold["dp_rss"] - hold["dp_rss_base"]) / max(1, hold["ctl_live"])))
        else:
            res["concurrent_calls_held"] = 0
            res["control_bytes_per_call"] = None
        res["dataplane_bytes_per_call"] = 2 * leg if leg else None
        # ended calls linger 32 s in control (b2bua/call_priv.h): the peak
        # comes from the ladder's last rungs, not from the 10,000 held
        res["control_rss_peak_bytes"] = self.ctl_peak
        res["control_rss_after_ladder_bytes"] = self.ctl_end
        res["bytes_per_call"] = (res["control_bytes_per_call"] + res["dataplane_bytes_per_call"]
                                 if res.get("control_bytes_per_call") is not None
                                 and res["dataplane_bytes_per_call"] else None)
        res["bytes_per_call_means"] = ("sb-control RSS growth per held call + 2 x the "
                                       "dataplane's fixed per-leg state (dp_leg_size_t)")
        res["steps"] = [[s["side"][0], s["rate"], s["ok"], n_failed(s),
                         rnd(s["setup_p50"]), rnd(s["setup_p99"]), round(s["cpu_ms_per_call"], 3)]
                        for s in steps]
        res["steps_fields"] = "side,rate,ok,failed,p50_ms,p99_ms,cpu_ms_per_call"
        res["note"] = "2-core shared box: figures are noisy"

        print()
        if hold:
            print(f"hold: {hold['calls']} calls at {hold['rate']} cps; while all up: control "
                  f"{hold['ctl_live']} calls, dataplane {hold['dp_legs_active']} legs active "
                  f"(of {hold.get('dp_max_legs')}), SIPp {hold['sipp_current']} current; "
                  f"{hold['ok']} ok, {hold['failed']} failed")
            print(f"      sb-control RSS {hold['ctl_rss_base'] / 1048576:.1f} -> "
                  f"{hold['ctl_rss'] / 1048576:.1f} MiB = {res['control_bytes_per_call']} bytes "
                  f"per call; sb-dataplane RSS {hold['dp_rss_base'] / 1048576:.1f} -> "
                  f"{hold['dp_rss'] / 1048576:.1f} MiB; dataplane per-leg state {leg} bytes")
        print(f"sb-control: {res['sb_cps']} cps with zero failures (setup p50 {res['setup_ms_p50']} ms, "
              f"p99 {res['setup_ms_p99']} ms, {res['sb_cpu_ms_per_call']} ms CPU/call); "
              f"kamailio: {res['kamailio_cps']} cps (setup p50 {res['kamailio_setup_ms_p50']} ms, p99 "
              f"{res['kamailio_setup_ms_p99']} ms, {res['kamailio_cpu_ms_per_call']} ms CPU/call); "
              f"ratio {res['ratio_vs_kamailio']}"
              + ("  [both at the top of the ladder: SIPp's ceiling, not theirs]"
                 if res["at_ladder_top"] else ""))
        print(f"bytes_per_call = {res['bytes_per_call_means']} = {res['bytes_per_call']}")
        print(f"sb-control RSS after the ladder {self.ctl_end / 1048576:.1f} MiB, peak "
              f"{self.ctl_peak / 1048576:.1f} MiB (ended calls linger 32 s, whole)")
        print(json.dumps(res, separators=(",", ":")))

    def cleanup(self, ok):
        self.procs.stop_all()
        try:
            os.unlink(f"/dev/shm/switchboard.{self.instance}")
        except OSError:
            pass
        shutil.rmtree(f"/var/run/dpdk/sb{self.tag}", ignore_errors=True)
        if ok and not self.a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"work dir kept: {self.work}")

    def run(self):
        ok = False
        try:
            self.write_files()
            self.start_dataplane()
            self.start_control()
            self.register_agents()
            self.start_answerers()
            self.start_kamailio()
            hold = self.hold() if self.a.hold_calls > 0 else None
            time.sleep(2)
            steps = self.ladder()
            self.ctl_peak = rss_bytes(self.ctl.pid, "VmHWM")
            self.ctl_end = rss_bytes(self.ctl.pid)
            self.report(hold, steps)
            for name, p in (("sb-control", self.ctl), ("sb-dataplane", self.dp),
                            ("kamailio", self.kam)):
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited during the bench (status {p.returncode})")
            ok = True
        except (RuntimeError, OSError) as e:
            print(f"FAIL: {e}")
            for f in ("control.log", "dataplane.log", "kamailio.log", "agents.log"):
                path = os.path.join(self.work, f)
                if os.path.exists(path):
                    with open(path, errors="replace") as fh:
                        tail = fh.readlines()[-30:]
                    print(f"======== {path} (last 30 lines)")
                    sys.stdout.write("".join(tail))
        finally:
            self.cleanup(ok)
        return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--sbctl", required=True)
    ap.add_argument("--leg-size", help="dp_leg_size_t (per-leg bytes of the dataplane)")
    ap.add_argument("--kamailio", default="kamailio")
    ap.add_argument("--rates", default="250,500,1000,1500,2000,2500,3000",
                    type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--step-secs", type=float, default=3.0)
    ap.add_argument("--lat-max-ms", type=float, default=500.0,
                    help="a rung passes only with set-up p99 at or under this (T1)")
    ap.add_argument("--hold-calls", type=int, default=10000)
    ap.add_argument("--hold-rate", type=int, default=500)
    ap.add_argument("--hold-extra", type=float, default=6.0,
                    help="seconds every held call stays up after the last one is placed")
    ap.add_argument("--agent-margin", type=int, default=256)
    ap.add_argument("--probe-rate", type=int, default=50,
                    help="calls/s of the latency probe run alongside each rung")
    ap.add_argument("--register-rate", type=int, default=1000)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    for k in ("dataplane", "control", "sbctl", "leg_size"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))

    if os.geteuid() != 0:
        skip("not root (sb-dataplane's DPDK EAL)")
    for b in (a.dataplane, a.control, a.sbctl):
        if not os.access(b, os.X_OK):
            skip(f"{b} not built")
    if shutil.which("sipp") is None:
        skip("no sipp (Debian sip-tester)")
    if shutil.which(a.kamailio) is None or not os.path.isdir(KAM_MPATH):
        skip("no kamailio (Debian kamailio)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    b = Bench(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return b.run()
    except KeyboardInterrupt:
        b.cleanup(False)
        return 130


if __name__ == "__main__":
    sys.exit(main())
