#!/usr/bin/env python3
"""acd_check.py MODE WORK DB — the checks of acd_sipp.sh: the store's
queue_event and cdr rows (real SQLite file) and the SIPp phones' logs
against what the script did.  Expected picks are computed here from the
log itself (talk times, last hang-ups), never copied from the engine.
Prints one line per check; exit 0 when all hold, 1 otherwise."""
import json
import os
import sqlite3
import sys

MODE, WORK, DB = sys.argv[1:4]
AGENTS = ["agent1", "agent2", "agent3", "agent4"]
FAILS = []
# two agents whose figures differ by less than this are a tie for the
# checks (the engine's clock and the rows' differ by a few ms)
SLACK_MS = 60
PCAP_PKTS = 236  # RTP packets in sipp's g711a.pcap (tests/integration/lib.sh)


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        FAILS.append(what)


db = sqlite3.connect(DB)
db.row_factory = sqlite3.Row
EV = [dict(r) for r in db.execute("SELECT * FROM queue_event ORDER BY id")]
CDR = {r["call_id"]: dict(r) for r in db.execute("SELECT * FROM cdr")}


def calls_of(queue):
    """Call-IDs in the order they entered `queue`."""
    out = []
    for e in EV:
        if e["event"] == "enter" and e["queue"] == queue and e["call_id"] not in out:
            out.append(e["call_id"])
    return out


def ev(call_id, kind=None, queue=None):
    return [e for e in EV if e["call_id"] == call_id and (kind is None or e["event"] == kind)
            and (queue is None or e["queue"] == queue)]


def connects(queue):
    """The connect rows of a queue, in order."""
    return [e for e in EV if e["event"] == "connect" and e["queue"] == queue]


def brief(rows):
    return [(e["event"], e["queue"], e["agent"] or e["other"], e["reason"]) for e in rows]


def picks(queue):
    return [int(e["agent"][5:]) for e in connects(queue)]


def runs():
    """(name, hotline, calls) of each SIPp caller run, in order."""
    with open(os.path.join(WORK, "runs.txt")) as f:
        return [(n, h, int(c)) for n, h, c in (line.split() for line in f if line.strip())]


def common(ncalls):
    check(len(CDR) == ncalls, f"{ncalls} CDR rows (got {len(CDR)})")
    bad = [c for c, r in CDR.items() if r["agent"] and not any(
        e["agent"] == r["agent"] for e in ev(c, "connect"))]
    check(not bad, f"every answered CDR names the agent of its connect row (bad: {bad})")
    ids = [e["id"] for e in EV]
    check(ids == sorted(set(ids)), "event ids unique and increasing")


def strategies():
    total = sum(n for _, _, n in runs())
    common(total)
    q = {s: "q-" + s for s in ("linear", "round-robin", "fewest-calls", "least-talk-time",
                               "longest-idle", "random")}
    # every call: one enter, one offer, one connect, one complete, no
    # ring-no-answer (every agent answers at once)
    bad = []
    for c in CDR:
        kinds = [e["event"] for e in ev(c)]
        if sorted(kinds) != ["complete", "connect", "enter", "offer"]:
            bad.append((c, kinds))
    check(not bad, f"each call: enter, offer, connect, complete once (bad: {bad[:3]})")
    check(all(r["status"] == 200 for r in CDR.values()), "every CDR status 200")

    lin = picks(q["linear"])
    check(lin[:4] == [1, 1, 1, 1], f"linear, one at a time: agent1 x4 (got {lin[:4]})")
    conc = lin[4:8]
    check(len(conc) == 4 and set(conc) == {1, 2},
          f"linear, two at a time: only agent1 and agent2, both (got {conc})")
    check(len(lin) == 9 and lin[8] == 1, f"linear: the call before longest-idle took agent1 "
          f"(got {lin[8:]})")

    rr = picks(q["round-robin"])
    check(rr == [1, 2, 3, 4, 1, 2, 3, 4],
          f"round-robin: 1 2 3 4 1, then a new caller run goes on 2 3 4 (got {rr})")

    fc = picks(q["fewest-calls"])
    check(fc == [2, 3, 4, 1, 1, 2],
          f"fewest-calls: agent1 paused 2 3 4; unpaused 1 1 2 (got {fc})")
    # and from the rows: each pick had the fewest answered calls of the
    # queue among the agents free (agent1 paused for the first three)
    n = {a: 0 for a in AGENTS}
    ok = True
    for i, e in enumerate(connects(q["fewest-calls"])):
        cand = AGENTS[1:] if i < 3 else AGENTS
        best = min(n[a] for a in cand)
        first = next(a for a in cand if n[a] == best)
        ok = ok and e["agent"] == first
        n[e["agent"]] += 1
    check(ok, "fewest-calls: every pick = fewest answered from the queue, ties to the first member")

    lt = connects(q["least-talk-time"])
    talk = {a: 0 for a in AGENTS}
    ok, why = True, []
    for e in lt:
        best = min(talk.values())
        near = [a for a in AGENTS if talk[a] <= best + SLACK_MS]
        # within the slack any of them; an exact tie goes to the first member
        exact_tie = all(talk[x] == talk[near[0]] for x in near)
        if e["agent"] not in near or (exact_tie and e["agent"] != near[0]):
            ok = False
        why.append(f"{e['agent'][5:]}@{talk[e['agent']]}")
        # the talk this call added, from its own complete row
        done = ev(e["call_id"], "complete")
        talk[e["agent"]] += done[0]["talk_ms"] if done else 0
    ltp = [int(e["agent"][5:]) for e in lt]
    check(len(lt) == 7 and ltp[0] == 1 and 1 not in ltp[1:],
          f"least-talk-time: the 3 s call on agent1, agent1 never again (got {ltp})")
    check(ok, f"least-talk-time: each pick had the least talk of the queue so far "
          f"(agent@talk_ms: {' '.join(why)})")
    check(sorted(ltp[1:]) == [2, 2, 3, 3, 4, 4], f"least-talk-time: 2 3 4 twice each (got {ltp})")
    long_talk = [e["talk_ms"] for e in ev(lt[0]["call_id"], "complete")]
    check(long_talk and 2900 <= long_talk[0] <= 4000,
          f"least-talk-time: the long call's talk_ms ~3000 (got {long_talk})")

    # longest-idle: each pick is the agent whose last call (any queue)
    # ended longest ago; agent1 was freed last before the first one
    li = connects(q["longest-idle"])
    ok, why = True, []
    for e in li:
        last = {}
        for x in EV:
            if x["id"] >= e["id"]:
                break
            if x["event"] == "complete" and x["agent"]:
                last[x["agent"]] = x["ts_ms"]
        free = [a for a in AGENTS]
        oldest = min(last[a] for a in free)
        near = [a for a in free if last[a] <= oldest + SLACK_MS]
        ok = ok and e["agent"] in near
        why.append(f"{e['agent'][5:]}(idle {e['ts_ms'] - last[e['agent']]} ms, "
                   f"longest {e['ts_ms'] - oldest})")
    lip = [int(e["agent"][5:]) for e in li]
    check(ok, f"longest-idle: each pick idle the longest: {' '.join(why)}")
    check(len(lip) == 4 and sorted(lip) == [1, 2, 3, 4] and lip[3] == 1,
          f"longest-idle: four different agents, agent1 (freed last) last (got {lip})")

    rnd = picks(q["random"])
    cnt = {a: rnd.count(a) for a in (1, 2, 3, 4)}
    rot = [(rnd[0] - 1 + i) % 4 + 1 for i in range(len(rnd))] if rnd else []
    check(len(rnd) == 20 and min(cnt.values()) >= 1 and max(cnt.values()) <= 12,
          f"random: 20 calls, every agent used, none above 12 (got {cnt})")
    check(rnd != rot, f"random: not a rotation ({rnd})")


def flow():
    common(11)
    order = calls_of
    # ring-all: 3 offers per call (agent1, agent2, agent4), agent2 connects
    ra = order("all")
    ok = len(ra) == 2
    for c in ra:
        offered = sorted(e["agent"] for e in ev(c, "offer"))
        con = [e["agent"] for e in ev(c, "connect")]
        ok = ok and offered == ["agent1", "agent2", "agent4"] and con == ["agent2"]
        ok = ok and not ev(c, "ring-no-answer")
    check(ok, "ring-all: each call offered to agent1, agent2, agent4 at once, agent2 connects, "
         "no ring-no-answer")
    with open(os.path.join(WORK, "cancelled.txt")) as f:
        c1, c4 = f.read().split()
    check(c1 == "2" and c4 == "2", f"ring-all: agent1 and agent4 CANCELled twice each "
          f"(SIPp logs: {c1}, {c4})")

    na = order("na")
    check(len(na) == 3, f"no-answer: 3 calls in queue na (got {len(na)})")
    if len(na) == 3:
        seq = [[(e["event"], e["agent"]) for e in ev(c) if e["event"] in
                ("offer", "ring-no-answer", "autopause", "connect")] for c in na]
        # the autopause row carries no call: place it by id
        ap = [e for e in EV if e["event"] == "autopause"]
        check(seq[0] == [("offer", "agent1"), ("ring-no-answer", "agent1"), ("offer", "agent2"),
                         ("connect", "agent2")], f"no-answer: call 1 agent1 rings, no answer, "
              f"agent2 connects (got {seq[0]})")
        check([(a, b) for a, b in seq[1] if a != "autopause"] ==
              [("offer", "agent1"), ("ring-no-answer", "agent1"), ("offer", "agent2"),
               ("connect", "agent2")], f"no-answer: call 2 the same (got {seq[1]})")
        check(len(ap) == 1 and ap[0]["agent"] == "agent1" and ap[0]["reason"] == 0xffff,
              f"auto-pause: one autopause row, agent1, reason no-answer (got "
              f"{[(e['agent'], e['reason']) for e in ap]})")
        nas = [e for e in EV if e["event"] == "ring-no-answer"]
        check(len(ap) == 1 and ap[0]["id"] > nas[1]["id"] if len(nas) > 1 else False,
              "auto-pause: after agent1's second no-answer, not the first")
        check(seq[2] == [("offer", "agent2"), ("connect", "agent2")],
              f"no-answer: call 3 straight to agent2, agent1 paused (got {seq[2]})")
        w = [ev(c, "connect")[0]["wait_ms"] for c in na[:2]]
        check(all(950 <= x <= 2500 for x in w),
              f"no-answer: calls 1 and 2 waited the 1 s ring timeout (wait_ms {w})")
    with open(os.path.join(WORK, "agents-after-na.json")) as f:
        doc = json.load(f)
    st = {a["name"]: a["state"] for a in doc["agents"]}
    check(st.get("agent1") == "paused", f"API: agent1 paused after the no-answers (got {st})")

    ab = order("ab")
    rows = [ev(c, "abandon", "ab") for c in ab]
    check(len(ab) == 2 and all(len(x) == 1 for x in rows),
          f"abandon: two callers, one abandon row each (got {len(ab)} calls)")
    if len(ab) == 2 and all(len(x) == 1 for x in rows):
        a1, a2 = rows[0][0], rows[1][0]  # entered first, second
        check(a2["id"] < a1["id"], "abandon: the second caller gave up first")
        check(a2["position"] == 2 and a1["position"] == 1,
              f"abandon: positions 2 then 1 (got {a2['position']}, {a1['position']})")
        check(650 <= a2["wait_ms"] <= 1300 and 1450 <= a1["wait_ms"] <= 2200,
              f"abandon: waits ~0.7 s and ~1.5 s (got {a2['wait_ms']}, {a1['wait_ms']} ms)")
        check(not any(ev(c, "offer") for c in ab), "abandon: neither was offered (agent3 busy)")
        check(all(CDR[c]["status"] != 200 and not CDR[c]["agent"] for c in ab if c in CDR),
              "abandon: CDRs unanswered, no agent")

    ovw = order("ovw")
    ok = len(ovw) == 1
    if ok:
        c = ovw[0]
        o = ev(c, "overflow")
        con = ev(c, "connect")
        ok = (len(o) == 1 and o[0]["queue"] == "ovw" and o[0]["other"] == "spill" and
              len(con) == 1 and con[0]["queue"] == "spill" and con[0]["agent"] == "agent2")
        enter = ev(c, "enter", "ovw")[0]["ts_ms"]
        waited = o[0]["ts_ms"] - enter if o else -1
        ok = ok and o[0]["reason"] == 0  # enum sb_acd_exit: TIMEOUT
        check(ok, f"overflow on max_wait: ovw -> spill (reason timeout), agent2 connects "
              f"({brief(o)}, {brief(con)})")
        check(950 <= waited <= 2000, f"overflow on max_wait: after >= 1 s in ovw (got {waited} ms)")
    else:
        check(False, "overflow on max_wait: one call in ovw")

    ovl = order("ovl")
    check(len(ovl) == 2, f"max_len: two callers entered ovl (got {len(ovl)})")
    if len(ovl) == 2:
        first, second = ovl
        o = ev(second, "overflow")
        con = ev(second, "connect")
        check(len(o) == 1 and o[0]["other"] == "spill" and o[0]["reason"] == 1 and
              len(con) == 1 and
              con[0]["queue"] == "spill" and con[0]["agent"] == "agent2",
              f"overflow on max_len: the second caller -> spill (reason full), agent2 "
              f"({brief(o)}, {brief(con)})")
        enter = ev(second, "enter", "ovl")[0]["ts_ms"]
        check(o and o[0]["ts_ms"] - enter < 500,
              f"overflow on max_len: at once ({o[0]['ts_ms'] - enter if o else None} ms)")
        check(not ev(first, "overflow") and len(ev(first, "abandon", "ovl")) == 1,
              "max_len: the first caller stayed in ovl and abandoned there")
    hold = order("busy")
    check(len(hold) == 1 and [e["agent"] for e in ev(hold[0], "connect")] == ["agent3"],
          "the holding call: agent3")
    if len(hold) == 1 and hold[0] in CDR:
        r = CDR[hold[0]]
        pk = [r[k] for k in ("caller_rx_pkts", "agent_tx_pkts", "agent_rx_pkts",
                             "caller_tx_pkts")]
        check(pk == [PCAP_PKTS] * 4, f"the holding call's audio: {PCAP_PKTS} packets caller -> "
              f"agent3 and echoed back through the dataplane (CDR rx/tx/rx/tx {pk})")
        done = ev(hold[0], "complete")
        last = max(e["id"] for e in EV if e["queue"] in ("ab", "ovw", "ovl"))
        check(done and done[0]["id"] > last, "the holding call outlasted the abandon and "
              "overflow callers")
    check(not any(e["event"] == "offer" and e["agent"] == "agent3" for e in EV
                  if e["call_id"] not in hold),
          "agent3 offered no other call while it held one (one call at a time)")


def tier2():
    """Blind: t1 (agent1, REFER to t2's hotline after 2 s) -> t2 (agent2);
    attended: t1b (agent3, *2 800402 #, *3, *4) -> agent2 through t2."""
    # the consultation call's CDR has no rows of its own (they are under
    # the caller's Call-ID): common() minus that
    check(len(CDR) == 3, f"3 CDR rows: two callers, one consultation (got {len(CDR)})")
    ids = [e["id"] for e in EV]
    check(ids == sorted(set(ids)), "event ids unique and increasing")
    tier2_attended()
    calls = calls_of("t1")
    check(len(calls) == 1, f"tier2: one call entered t1 (got {len(calls)})")
    if len(calls) != 1:
        return
    c = calls[0]
    rows = ev(c)
    want = [("enter", "t1", None), ("offer", "t1", "agent1"), ("connect", "t1", "agent1"),
            ("transfer", "t1", "agent1"), ("enter", "t2", None), ("offer", "t2", "agent2"),
            ("connect", "t2", "agent2"), ("complete", "t2", "agent2")]
    got = [(e["event"], e["queue"], e["agent"] or None) for e in rows]
    check(got == want, f"tier2: rows in order {want} (got {got})")
    if got != want:
        return
    x, e2, c1, c2 = rows[3], rows[4], rows[2], rows[6]
    check(x["other"] == "queue:t2" and x["wait_ms"] == 0,
          f"tier2: transfer row names queue t2, wait 0 (got {x['other']}, {x['wait_ms']})")
    check(1800 <= x["talk_ms"] <= 3000,
          f"tier2: agent1's talk ends at its REFER, ~2 s (got {x['talk_ms']} ms)")
    check(e2["other"] == "transfer:agent1" and e2["prio"] == 5,
          f"tier2: enter t2 from agent1 with transfer_priority 5 (got {e2['other']}, "
          f"{e2['prio']})")
    check(e2["wait_ms"] == c1["wait_ms"],
          f"tier2: enter t2 carries the first wait ({e2['wait_ms']} vs {c1['wait_ms']})")
    in_t2 = c2["ts_ms"] - e2["ts_ms"]
    check(abs(c2["wait_ms"] - (c1["wait_ms"] + in_t2)) <= 50,
          f"tier2: the t2 connect's wait = first wait + wait in t2, talk excluded "
          f"({c2['wait_ms']} vs {c1['wait_ms']} + {in_t2})")
    r = CDR.get(c)
    check(r is not None and r["agent"] == "agent2" and r["transferred_by"] == "agent1",
          f"tier2: CDR agent agent2, transferred_by agent1 "
          f"({r and (r['agent'], r['transferred_by'])})")
    if r is None:
        return
    # agent1 echoes nothing: what the agent leg received is agent2's echo;
    # the caller sent the whole pcap, and heard agent2's echo of the part
    # after the transfer (about 5 of its 7 s)
    check(r["caller_rx_pkts"] == PCAP_PKTS,
          f"tier2: the caller's {PCAP_PKTS} packets reached the dataplane (got "
          f"{r['caller_rx_pkts']})")
    check(PCAP_PKTS // 3 <= r["agent_rx_pkts"] <= PCAP_PKTS - 40,
          f"tier2: agent2 echoed the caller's audio after the transfer through the agent leg "
          f"({r['agent_rx_pkts']} packets; agent1 echoes none)")
    check(r["caller_tx_pkts"] == r["agent_rx_pkts"],
          f"tier2: all of agent2's echo reached the caller (caller tx {r['caller_tx_pkts']}, "
          f"agent rx {r['agent_rx_pkts']})")
    check(r["agent_tx_pkts"] >= r["agent_rx_pkts"],
          f"tier2: the caller's audio went out the agent leg (tx {r['agent_tx_pkts']})")
    with open(os.path.join(WORK, "agent1.events")) as f:
        a1 = f.read()
    with open(os.path.join(WORK, "agent2.events")) as f:
        a2 = f.read()
    check("TRANSFERRED agent1" in a1 and "ENDED agent1" in a1,
          "tier2: agent1 saw NOTIFY 100 then 200 and hung up")
    check("ANSWERED agent2" in a2, "tier2: agent2 answered the transferred caller")


def tier2_attended():
    calls = calls_of("t1b")
    check(len(calls) == 1, f"attended: one call entered t1b (got {len(calls)})")
    if len(calls) != 1:
        return
    c = calls[0]
    want = [("enter", "t1b", None), ("offer", "t1b", "agent3"), ("connect", "t1b", "agent3"),
            ("enter", "t2", None), ("offer", "t2", "agent2"), ("connect", "t2", "agent2"),
            ("transfer", "t1b", "agent3"), ("complete", "t2", "agent2"),
            ("complete", "t1b", "agent2")]
    rows = ev(c)
    got = [(e["event"], e["queue"], e["agent"] or None) for e in rows]
    check(got == want, f"attended: rows under the caller's Call-ID {want} (got {got})")
    if got == want:
        check(rows[3]["other"] == "consult:agent3" and rows[3]["prio"] == 5,
              f"attended: the consultation entered t2 from agent3 with priority 5 "
              f"({rows[3]['other']}, {rows[3]['prio']})")
        check(rows[6]["other"] == "agent2", f"attended: agent3's transfer to agent2 "
              f"({rows[6]['other']})")
    r = CDR.get(c)
    check(r is not None and r["agent"] == "agent2" and r["transferred_by"] == "agent3" and
          r["hangup_by"] == "caller",
          f"attended: the caller's CDR agent agent2, transferred_by agent3, hung up by the "
          f"caller ({r and (r['agent'], r['transferred_by'], r['hangup_by'])})")
    k = [x for x in CDR.values() if x["caller"] == "agent3"]
    check(len(k) == 1 and k[0]["agent"] == "agent2" and k[0]["hangup_by"] == "transfer" and
          k[0]["hotline"] == "800402",
          f"attended: the consultation's CDR: agent3 -> 800402, agent2, ended by the transfer "
          f"({[(x['hotline'], x['agent'], x['hangup_by']) for x in k]})")
    with open(os.path.join(WORK, "agent3.log")) as f:
        a3 = f.read()
    cons = [ln.split() for ln in a3.splitlines() if ln.startswith("CONSULT ")]
    tone = int(cons[0][1]) if cons else 0
    check(tone >= 40, f"attended: agent3 heard its tone echoed by agent2 through the mixer "
          f"during the consultation ({tone} packets)")
    check("\nBYE" in a3, "attended: agent3 left by the gateway's BYE after *4")
    if r is not None:
        check(r["caller_tx_pkts"] >= 40 and r["agent_rx_pkts"] >= 40,
              f"attended: audio both ways between the caller and agent2's leg "
              f"(caller tx {r['caller_tx_pkts']}, agent rx {r['agent_rx_pkts']})")


def callback():
    """A caller (From 15550199) waiting behind agent2's call presses 5 and
    leaves; a later caller waits behind its kept place; when agent2 is
    free the callback comes first: agent2 answers (agent-first), the trunk
    (sipp/customer.xml) is dialled, answers and plays the pcap, agent2
    echoes it: media both ways through the two legs (b2bua/callback.c)."""
    req = [e for e in EV if e["event"] == "callback" and e["other"] == "requested"]
    check(len(req) == 1 and req[0]["position"] == 1,
          f"callback: one 'requested' row at position 1 ({brief(req)})")
    if not req:
        return
    cid = req[0]["call_id"]
    rows = [e for e in ev(cid) if e["event"] in ("callback", "offer", "connect", "complete")]
    seq = [(e["event"], e["other"] or e["agent"]) for e in rows]
    want = [("callback", "requested"), ("callback", "due"), ("offer", "agent2"),
            ("callback", "dialling"), ("callback", "answered"), ("callback", "connected"),
            ("connect", "agent2"), ("complete", "agent2")]
    check(seq == want, f"callback: rows in order {want} (got {seq})")
    check(not ev(cid, "abandon"), "callback: no abandon for the caller who left")
    later = [c for c in calls_of("cb") if c != cid and ev(c, "enter")[0]["id"] > req[0]["id"]]
    check(len(later) == 1, f"callback: one caller entered after the request ({later})")
    if later:
        lo = ev(later[0], "offer")
        co = ev(cid, "offer")
        check(lo and co and co[0]["id"] < lo[0]["id"],
              "callback: the kept place was served before the caller who came later")
        check(ev(later[0], "enter")[0]["position"] == 2,
              "callback: the later caller entered behind the kept place (position 2)")
    comp = ev(cid, "complete")
    check(comp and comp[0]["talk_ms"] >= 7000,
          f"callback: talk >= 7 s in its complete row ({comp and comp[0]['talk_ms']})")
    # the two calls of the callback: the agent's (agent2) and the customer's
    # (no agent), both naming the customer's number
    legs = [r for r in CDR.values() if r["caller"] == "15550199" and r["answer_ms"]]
    ka = [r for r in legs if r["agent"] == "agent2"]
    kc = [r for r in legs if not r["agent"]]
    check(len(ka) == 1 and len(kc) == 1,
          f"callback: one answered CDR for the agent's call and one for the customer's "
          f"({[(r['agent'], r['hangup_by']) for r in legs]})")
    if len(ka) == 1 and len(kc) == 1:
        a, c = ka[0], kc[0]
        check(c["agent_rx_pkts"] >= PCAP_PKTS - 5,
              f"callback: the customer's audio reached the gateway ({c['agent_rx_pkts']} "
              f"of {PCAP_PKTS})")
        check(a["agent_tx_pkts"] >= PCAP_PKTS - 5,
              f"callback: ... and went out to the agent ({a['agent_tx_pkts']})")
        check(a["agent_rx_pkts"] >= PCAP_PKTS - 5,
              f"callback: the agent's echo came back ({a['agent_rx_pkts']})")
        check(c["agent_tx_pkts"] >= PCAP_PKTS - 5,
              f"callback: ... and went out to the customer ({c['agent_tx_pkts']})")
        check(c["hangup_by"] == "agent",
              f"callback: the customer hung up first (its call's CDR: {c['hangup_by']})")
    with open(os.path.join(WORK, "customer.events")) as f:
        check("ANSWERED callback" in f.read(), "callback: the trunk's customer answered")


def skills():
    """queue sk needs billing 5 (agent1, held by the audio call), then
    level 2 after 2 s (agent2, billing 3), then anyone after 4 s (agent3)."""
    common(3)
    hold, sk = calls_of("hold"), calls_of("sk")
    check(len(hold) == 1 and len(sk) == 2, f"skills: one holding call, two callers in sk "
          f"(got {len(hold)}, {len(sk)})")
    if len(hold) != 1 or len(sk) != 2:
        return
    # (caller, agent, earliest offer ms after its enter, latest)
    for c, agent, lo, hi, what in ((sk[0], "agent2", 2000, 3500, "after 2 s: billing 3"),
                                   (sk[1], "agent3", 4000, 5500,
                                    "agent2 paused: after 4 s, anyone")):
        enter = ev(c, "enter", "sk")
        offers = ev(c, "offer")
        con = ev(c, "connect")
        at = offers[0]["ts_ms"] - enter[0]["ts_ms"] if enter and offers else None
        check(len(offers) == 1 and offers[0]["agent"] == agent,
              f"skills, {what}: one offer only, to {agent} "
              f"(got {[e['agent'] for e in offers]})")
        # the rows' clock and the engine's differ by a few ms
        check(at is not None and lo - 10 <= at < hi,
              f"skills, {what}: offered {lo}..{hi} ms after entering (got {at} ms)")
        check(len(con) == 1 and con[0]["agent"] == agent and lo - 10 <= con[0]["wait_ms"] < hi,
              f"skills, {what}: connect row's wait {lo}..{hi} ms "
              f"(got {[(e['agent'], e['wait_ms']) for e in con]})")
        r = CDR.get(c)
        ans = r["answer_ms"] - r["start_ms"] if r and r["answer_ms"] else None
        check(r is not None and r["agent"] == agent and r["status"] == 200 and
              ans is not None and lo - 10 <= ans < hi + 500,
              f"skills, {what}: CDR agent {agent}, answered {lo} ms or more after the "
              f"INVITE (got {r and (r['agent'], r['status'], ans)})")
    check(not any(e["event"] == "offer" and e["agent"] == "agent1" for e in EV
                  if e["call_id"] not in hold),
          "skills: agent1 (billing 5) offered nothing while it held its call")
    h = hold[0]
    check([e["agent"] for e in ev(h, "connect")] == ["agent1"], "skills: the holding call: agent1")
    r = CDR.get(h)
    if r is not None:
        pk = [r[k] for k in ("caller_rx_pkts", "agent_tx_pkts", "agent_rx_pkts",
                             "caller_tx_pkts")]
        check(pk == [PCAP_PKTS] * 4, f"skills: the holding call's audio: {PCAP_PKTS} packets "
              f"caller -> agent1 and echoed back through the dataplane (CDR rx/tx/rx/tx {pk})")
    done = ev(h, "complete")
    last = max(e["id"] for e in EV if e["call_id"] in sk and e["event"] == "connect")
    check(done and done[0]["id"] > last, "skills: the holding call outlasted both waits")


{"strategies": strategies, "flow": flow, "tier2": tier2, "skills": skills, "callback": callback}[MODE]()
if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("all checks passed")
