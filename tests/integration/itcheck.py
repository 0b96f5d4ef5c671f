"""tests/integration/itcheck.py — what the integration tests' Python checks
share (stdlib only; imported by the heredocs that it_py_checks runs):
check() prints one ok/FAIL line and counts failures in `fails`; cdr_rows()
reads the CDR table; no_active_legs() checks sbctl stats taken after the
calls."""
import json
import sqlite3

fails = 0


def check(cond, msg):
    global fails
    print(("  ok   " if cond else "  FAIL ") + msg)
    fails += 0 if cond else 1


def cdr_rows(db):
    """every CDR row as a dict, in id order ([] and a line if unreadable)"""
    try:
        con = sqlite3.connect(db)
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("select * from cdr order by id")]
    except Exception as e:
        print("  cdr: %s" % e)
        return []


def no_active_legs(path, tag):
    """check, labelled TAG ("(d)"), that the sbctl stats JSON at PATH shows
    no active leg"""
    try:
        st = json.load(open(path))
        legs = st.get("legs", [])
        legs = list(legs.values()) if isinstance(legs, dict) else legs
        active = [l for l in legs if not isinstance(l, dict) or l.get("active", 1)]
        check(len(active) == 0,
              "%s dataplane: no active leg after the calls (got %d)" % (tag, len(active)))
    except Exception as e:
        check(False, "%s sbctl stats after the calls: %s" % (tag, e))
