#!/usr/bin/env python3
"""test_cps.py — the cps benchmark's own pieces, without root (~2 s).

  test_cps.py CPS_PY

1. The SIPp scenarios talk to each other: cps-caller.xml straight to
   cps-agent.xml (no system in between) on 127.0.0.1, 20 calls; the
   bench's readers then find 20 successful and 0 failed calls in the
   -trace_stat file, 20 response times in the -trace_rtt file, and 20
   INVITE -> 200 set-up times in the -trace_msg file, each positive and
   under a second.
2. The rendered Kamailio configuration passes `kamailio -c` (when
   kamailio is installed).
3. pct() (nearest rank) on known lists.
Exit 0 pass, 1 fail, 77 without sipp.
"""
import importlib.util
import os
import shutil
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


def main():
    if len(sys.argv) != 2:
        print("usage: test_cps.py CPS_PY")
        return 2
    spec = importlib.util.spec_from_file_location("cps", sys.argv[1])
    cps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cps)
    here = os.path.dirname(os.path.abspath(sys.argv[1]))

    print("pct")
    check(cps.pct([], 50) is None, "empty list: None")
    check(cps.pct([7.0], 99) == 7.0, "one value")
    vals = [float(i) for i in range(1, 101)]
    check(cps.pct(vals, 50) == 50.0 and cps.pct(vals, 99) == 99.0 and cps.pct(vals, 100) == 100.0,
          "1..100: p50 50, p99 99, p100 100")

    if shutil.which("sipp") is None:
        print("SKIP: no sipp (Debian sip-tester)")
        return 77

    work = tempfile.mkdtemp(prefix="sb-test-cps.")
    try:
        socks = []
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        p_uas, p_uac, mp_uas, mp_uac = [s.getsockname()[1] for s in socks]
        for s in socks:
            s.close()
        with open(os.path.join(work, "numbers.csv"), "w") as f:
            f.write("SEQUENTIAL\n810000\n810001\n")

        print("SIPp caller -> SIPp agent, 20 calls")
        uas = subprocess.Popen(["sipp", "-sf", os.path.join(here, "cps-agent.xml"),
                                "-i", "127.0.0.1", "-p", str(p_uas), "-mp", str(mp_uas),
                                "-nostdin", "-max_socket", "64"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        try:
            rc = subprocess.run(
                ["sipp", f"127.0.0.1:{p_uas}", "-sf", os.path.join(here, "cps-caller.xml"),
                 "-inf", os.path.join(work, "numbers.csv"), "-i", "127.0.0.1",
                 "-p", str(p_uac), "-mp", str(mp_uac), "-m", "20", "-r", "40", "-d", "0",
                 "-nostdin", "-max_socket", "64", "-timeout", "20s", "-timeout_error",
                 "-trace_stat", "-stf", os.path.join(work, "stat.csv"), "-fd", "1",
                 "-trace_rtt", "-rtt_freq", "1",
                 "-trace_msg", "-message_file", os.path.join(work, "msg.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
                timeout=30).returncode
        finally:
            uas.terminate()
            uas.wait(5)
        check(rc == 0, f"SIPp caller exit status 0 (got {rc})")
        st = cps.sipp_stats(os.path.join(work, "stat.csv"))
        check(st.get("SuccessfulCall(C)") == "20" and st.get("FailedCall(C)") == "0",
              f"stat file: 20 successful, 0 failed (got {st.get('SuccessfulCall(C)')}, "
              f"{st.get('FailedCall(C)')})")
        rtt = cps.rtt_values(work)
        check(len(rtt) == 20 and all(0 <= v < 1000 for v in rtt),
              f"rtt file: 20 response times in [0, 1000) ms (got {len(rtt)})")
        setup = cps.probe_setup_ms(os.path.join(work, "msg.log"))
        check(len(setup) == 20 and all(0 < v < 1000 for v in setup),
              f"message trace: 20 set-up times in (0, 1000) ms (got {len(setup)}: "
              f"{setup[:3]}...)")

        if shutil.which("kamailio") and os.path.isdir(cps.KAM_MPATH):
            print("kamailio -c on the rendered configuration")
            cfg = os.path.join(work, "kamailio.cfg")
            with open(cfg, "w") as f:
                f.write(cps.kamailio_cfg(p_uac, p_uas))
            out = subprocess.run(["kamailio", "-c", "-f", cfg], capture_output=True, text=True,
                                 timeout=30)
            check(out.returncode == 0, "kamailio -c accepts it" +
                  ("" if out.returncode == 0 else ": " + out.stderr[-400:]))
        else:
            print("  (no kamailio: configuration check skipped)")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("PASS" if fails == 0 else f"FAIL: {fails} check(s)")
    return 0 if fails == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
