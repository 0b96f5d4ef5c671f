/* SPDX-License-Identifier: MIT */
/* qreport_t — interval reports (acd/qreport.h, store/qrows.h):
 *   1. a seeded random event stream over 2 h: every (queue, 15-minute)
 *      row equals figures counted here directly from the events (not by
 *      sb_qfig_add), no row is missing or extra; one 2-hour interval
 *      gives the live figures (sb_qstats_add fed the same events);
 *   2. staffed and paused time split at interval boundaries, an agent
 *      still logged in counted up to "now";
 *   3. the store: rows written by the writer thread come back in order
 *      for one tenant and range with wrapup_ms, an agent logged in before
 *      the range starts as a LOGIN at from; a file from before the
 *      wrapup_ms column is migrated and its rows read 0.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acd/qreport.h"
#include "acd/qstats.h"
#include "store/qrows.h"
#include "store/store.h"
#include "test.h"

#define MIN_MS 60000LL
#define NEV 4000
static const int64_t T0 = 1800000000000LL - 1800000000000LL % 900000LL;

static struct sb_qevent ev[NEV];
static const char *const qname[3] = { "sales", "support", "billing" };
static const uint32_t sl[3] = { 20000, 10000, 20000 }, shrt[3] = { 5000, 3000, 5000 };

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static int qidx(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, qname[i]) == 0)
			return i;
	return -1;
}

static void gen(void)
{
	static const uint32_t types[] = { SB_QEV_ENTER, SB_QEV_OFFER, SB_QEV_NOANSWER,
					  SB_QEV_CONNECT, SB_QEV_COMPLETE, SB_QEV_TRANSFER,
					  SB_QEV_ABANDON, SB_QEV_TIMEOUT, SB_QEV_OVERFLOW,
					  SB_QEV_REJECT, SB_QEV_FULL };
	int64_t t = T0;

	for (int i = 0; i < NEV; i++) {
		struct sb_qevent *e = &ev[i];

		memset(e, 0, sizeof(*e));
		t += rnd(3600); /* ~4000 events in 2 h */
		e->id = (uint64_t)i + 1;
		e->ts_ms = t;
		e->type = types[rnd(sizeof(types) / sizeof(types[0]))];
		snprintf(e->queue, sizeof(e->queue), "%s", qname[rnd(3)]);
		snprintf(e->tenant, sizeof(e->tenant), "acme");
		if (e->type != SB_QEV_ENTER && e->type != SB_QEV_ABANDON)
			snprintf(e->agent, sizeof(e->agent), "agent%u", rnd(5));
		e->wait_ms = rnd(40000);
		if (i % 16 == 0) /* the thresholds themselves: within, not short */
			e->wait_ms = i % 32 ? sl[qidx(e->queue)] : shrt[qidx(e->queue)];
		e->talk_ms = rnd(300000);
		e->wrapup_ms = (e->type == SB_QEV_COMPLETE || e->type == SB_QEV_TRANSFER) ? rnd(30000) : 0;
	}
	T_ASSERT(t < T0 + 120 * MIN_MS);
}

/* the figures of queue q in [a, b), counted from the events themselves */
struct naive {
	uint64_t offered, answered, abandoned, shrt, within, timed_out, overflowed, completed;
	uint64_t wait_ans, talk, handle, longest;
};
static struct naive count(int q, int64_t a, int64_t b)
{
	struct naive n;

	memset(&n, 0, sizeof(n));
	for (int i = 0; i < NEV; i++) {
		const struct sb_qevent *e = &ev[i];
		uint32_t t = e->type;

		if (qidx(e->queue) != q || e->ts_ms < a || e->ts_ms >= b)
			continue;
		n.offered += t == SB_QEV_ENTER;
		if (t == SB_QEV_CONNECT) {
			n.answered++;
			n.wait_ans += e->wait_ms;
			n.within += e->wait_ms <= sl[q];
		}
		if (t == SB_QEV_ABANDON) {
			n.abandoned++;
			n.shrt += e->wait_ms < shrt[q];
		}
		n.timed_out += t == SB_QEV_TIMEOUT || t == SB_QEV_FULL;
		n.overflowed += t == SB_QEV_OVERFLOW;
		if (t == SB_QEV_COMPLETE || t == SB_QEV_TRANSFER) {
			n.completed++;
			n.talk += e->talk_ms;
			n.handle += (uint64_t)e->talk_ms + e->wrapup_ms;
		}
		if ((t == SB_QEV_CONNECT || t == SB_QEV_ABANDON || t == SB_QEV_TIMEOUT ||
		     t == SB_QEV_FULL || t == SB_QEV_OVERFLOW) && e->wait_ms > n.longest)
			n.longest = e->wait_ms;
	}
	return n;
}

static void part_random(void)
{
	/* billing has no thresholds given: the defaults (20 s, 5 s) */
	struct sb_qrep_qcfg qc[2] = { { "sales", 20000, 5000 }, { "support", 10000, 3000 } };
	struct sb_qreport *r;
	const struct sb_qrep_row *w;
	struct sb_qstats *live;
	unsigned n;

	gen();
	r = sb_qreport_new(SB_QREP_QUEUE, T0, T0 + 120 * MIN_MS, 900000, qc, 2, T0 + 200 * MIN_MS);
	T_ASSERT(r != NULL);
	for (int i = 0; i < NEV; i++)
		T_ASSERT(sb_qreport_add(r, &ev[i]) == 0);
	n = sb_qreport_rows(r, &w);
	T_ASSERT(n > 0);
	for (unsigned i = 0; i < n; i++) {
		int q = qidx(w[i].key);
		struct naive c;

		T_ASSERT(q >= 0);
		T_ASSERT((w[i].start_ms - T0) % 900000 == 0);
		c = count(q, w[i].start_ms, w[i].start_ms + 900000);
		T_ASSERT_EQ_U64(w[i].q.offered, c.offered);
		T_ASSERT_EQ_U64(w[i].q.answered, c.answered);
		T_ASSERT_EQ_U64(w[i].q.answered_within, c.within);
		T_ASSERT_EQ_U64(w[i].q.abandoned, c.abandoned);
		T_ASSERT_EQ_U64(w[i].q.short_abandoned, c.shrt);
		T_ASSERT_EQ_U64(w[i].q.timed_out, c.timed_out);
		T_ASSERT_EQ_U64(w[i].q.overflowed, c.overflowed);
		T_ASSERT_EQ_U64(w[i].q.completed, c.completed);
		T_ASSERT_EQ_U64(w[i].q.wait_answered_ms, c.wait_ans);
		T_ASSERT_EQ_U64(w[i].q.talk_ms, c.talk);
		T_ASSERT_EQ_U64(w[i].q.handle_ms, c.handle);
		T_ASSERT_EQ_U64(w[i].longest_wait_ms, c.longest);
		if (i)
			T_ASSERT(strcmp(w[i - 1].key, w[i].key) < 0 ||
				 (strcmp(w[i - 1].key, w[i].key) == 0 &&
				  w[i - 1].start_ms < w[i].start_ms));
	}
	/* rows only where something happened (every event type above names a
	 * queue): as many as (queue, interval) pairs with events */
	{
		unsigned pairs = 0;

		for (int q = 0; q < 3; q++)
			for (int b = 0; b < 8; b++) {
				bool any = false;

				for (int i = 0; i < NEV && !any; i++)
					any = qidx(ev[i].queue) == q &&
					      ev[i].ts_ms >= T0 + b * 900000LL &&
					      ev[i].ts_ms < T0 + (b + 1) * 900000LL;
				pairs += any;
			}
		T_ASSERT_EQ_U64(n, pairs);
	}
	sb_qreport_free(r);

	/* one interval over everything = the live figures of the same events */
	live = sb_qstats_create(3, 5);
	T_ASSERT(live != NULL);
	for (int q = 0; q < 3; q++)
		sb_qstats_queue_cfg(live, (unsigned)q, sl[q], shrt[q]);
	r = sb_qreport_new(SB_QREP_QUEUE, T0, T0 + 120 * MIN_MS, 120 * 60000, qc, 2,
			   T0 + 200 * MIN_MS);
	T_ASSERT(r != NULL);
	for (int i = 0; i < NEV; i++) {
		struct sb_qevent e = ev[i];

		T_ASSERT(sb_qreport_add(r, &ev[i]) == 0);
		sb_qstats_add(live, &e, qidx(e.queue), e.agent[0] ? e.agent[5] - '0' : -1,
			      (uint64_t)e.ts_ms, ev[i].wrapup_ms);
	}
	n = sb_qreport_rows(r, &w);
	T_ASSERT_EQ_U64(n, 3);
	for (unsigned i = 0; i < n; i++) {
		const struct sb_qfig_queue *f = sb_qstats_queue(live, (unsigned)qidx(w[i].key));

		T_ASSERT(memcmp(f, &w[i].q, sizeof(*f)) == 0);
		T_ASSERT(sb_qfig_sl_with_abandons(f) == sb_qfig_sl_with_abandons(&w[i].q));
	}
	sb_qstats_free(live);
	sb_qreport_free(r);
	printf("random stream: %d events, rows checked against direct counts and live figures\n",
	       NEV);
}

static struct sb_qevent agent_ev(uint32_t type, const char *agent, int64_t min)
{
	struct sb_qevent e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ms = T0 + min * MIN_MS;
	snprintf(e.agent, sizeof(e.agent), "%s", agent);
	snprintf(e.tenant, sizeof(e.tenant), "acme");
	return e;
}

static void part_spans(void)
{
	struct sb_qevent seq[] = {
		agent_ev(SB_QEV_LOGIN, "ann", 5),    agent_ev(SB_QEV_PAUSE, "ann", 20),
		agent_ev(SB_QEV_UNPAUSE, "ann", 40), agent_ev(SB_QEV_LOGIN, "bob", 50),
		agent_ev(SB_QEV_LOGOUT, "ann", 70),
	};
	/* ann: staffed 5..70, paused 20..40; bob: 50..now (100) */
	static const struct {
		const char *agent;
		int bucket;
		int64_t staffed, paused;
	} want[] = {
		{ "ann", 0, 25, 10 }, { "ann", 1, 30, 10 }, { "ann", 2, 10, 0 },
		{ "bob", 1, 10, 0 },  { "bob", 2, 30, 0 },  { "bob", 3, 10, 0 },
	};
	const struct sb_qrep_row *w;
	struct sb_qreport *r;
	unsigned n;

	r = sb_qreport_new(SB_QREP_AGENT, T0, T0 + 120 * MIN_MS, 30 * 60000, NULL, 0,
			   T0 + 100 * MIN_MS);
	T_ASSERT(r != NULL);
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		T_ASSERT(sb_qreport_add(r, &seq[i]) == 0);
	n = sb_qreport_rows(r, &w);
	T_ASSERT_EQ_U64(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n; i++) {
		T_ASSERT(strcmp(w[i].key, want[i].agent) == 0);
		T_ASSERT_EQ_U64(w[i].start_ms, T0 + want[i].bucket * 30 * MIN_MS);
		T_ASSERT_EQ_U64(w[i].a.staffed_ms, want[i].staffed * MIN_MS);
		T_ASSERT_EQ_U64(w[i].a.paused_ms, want[i].paused * MIN_MS);
	}
	sb_qreport_free(r);

	/* by tenant: both agents' time under the tenant, one row per interval */
	r = sb_qreport_new(SB_QREP_TENANT, T0, T0 + 120 * MIN_MS, 30 * 60000, NULL, 0,
			   T0 + 100 * MIN_MS);
	T_ASSERT(r != NULL);
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		T_ASSERT(sb_qreport_add(r, &seq[i]) == 0);
	n = sb_qreport_rows(r, &w);
	T_ASSERT_EQ_U64(n, 4);
	T_ASSERT(strcmp(w[0].key, "acme") == 0);
	T_ASSERT_EQ_U64(w[1].a.staffed_ms, 40 * MIN_MS); /* ann 30 + bob 10 */
	T_ASSERT_EQ_U64(w[2].a.staffed_ms, 40 * MIN_MS); /* ann 10 + bob 30 */
	sb_qreport_free(r);

	/* the limits */
	T_ASSERT(sb_qreport_new(SB_QREP_QUEUE, T0, T0, 60000, NULL, 0, T0) == NULL);
	T_ASSERT(sb_qreport_new(SB_QREP_QUEUE, T0, T0 + 2000LL * 60000, 60000, NULL, 0, T0) ==
		 NULL);
	T_ASSERT(sb_qreport_new(SB_QREP_QUEUE, T0, T0 + 60000, 999, NULL, 0, T0) == NULL);
	printf("staffed/paused spans split at interval boundaries\n");
}

struct got {
	struct sb_qevent e[16];
	unsigned n;
};
static int collect(void *arg, const struct sb_qevent *e)
{
	struct got *g = arg;

	T_ASSERT(g->n < 16);
	g->e[g->n++] = *e;
	return 0;
}

static void part_store(void)
{
	char dir[64], path[128];
	struct sb_store *s;
	struct got g;
	struct sb_qevent e;
	sqlite3 *db;

	snprintf(dir, sizeof(dir), "/tmp/sb-qreport.XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sb.db", dir);
	s = sb_store_open_sqlite(path, 64);
	T_ASSERT(s != NULL);
	e = agent_ev(SB_QEV_LOGIN, "ann", -30); /* before the range */
	e.id = 1;
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	e = agent_ev(SB_QEV_PAUSE, "ann", -20);
	e.id = 2;
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	e = agent_ev(SB_QEV_COMPLETE, "ann", 10);
	e.id = 3;
	snprintf(e.queue, sizeof(e.queue), "sales");
	e.talk_ms = 61000;
	e.wrapup_ms = 7000;
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	e = agent_ev(SB_QEV_CONNECT, "eve", 11); /* another tenant */
	e.id = 4;
	snprintf(e.tenant, sizeof(e.tenant), "other");
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	e = agent_ev(SB_QEV_ENTER, "", 200); /* after the range */
	e.id = 5;
	snprintf(e.queue, sizeof(e.queue), "sales");
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	sb_store_flush(s);

	memset(&g, 0, sizeof(g));
	T_ASSERT(sb_store_qrows(s, "acme", T0, T0 + 120 * MIN_MS, collect, &g) == 3);
	T_ASSERT_EQ_U64(g.n, 3);
	T_ASSERT(g.e[0].type == SB_QEV_LOGIN && strcmp(g.e[0].agent, "ann") == 0 &&
		 g.e[0].ts_ms == T0);
	T_ASSERT(g.e[1].type == SB_QEV_PAUSE && g.e[1].ts_ms == T0);
	T_ASSERT(g.e[2].type == SB_QEV_COMPLETE && g.e[2].id == 3 && g.e[2].talk_ms == 61000 &&
		 g.e[2].wrapup_ms == 7000 && strcmp(g.e[2].queue, "sales") == 0);
	memset(&g, 0, sizeof(g));
	T_ASSERT(sb_store_qrows(s, "other", T0, T0 + 120 * MIN_MS, collect, &g) == 1);
	T_ASSERT(strcmp(g.e[0].agent, "eve") == 0);
	sb_store_close(s);

	/* a file from before wrapup_ms */
	snprintf(path, sizeof(path), "%s/old.db", dir);
	T_ASSERT(sqlite3_open(path, &db) == SQLITE_OK);
	T_ASSERT(sqlite3_exec(db,
			      "CREATE TABLE queue_event(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT "
			      "NULL, event TEXT NOT NULL, call_id TEXT, queue TEXT, agent TEXT, "
			      "tenant TEXT, other TEXT, position INTEGER, wait_ms INTEGER, talk_ms "
			      "INTEGER, reason INTEGER, prio INTEGER);"
			      "INSERT INTO queue_event(id, ts_ms, event, queue, agent, tenant, "
			      "talk_ms) VALUES(1, 1800000000000, 'complete', 'sales', 'ann', "
			      "'acme', 5000)",
			      NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	s = sb_store_open_sqlite(path, 64);
	T_ASSERT(s != NULL);
	memset(&g, 0, sizeof(g));
	T_ASSERT(sb_store_qrows(s, "acme", T0, T0 + 120 * MIN_MS, collect, &g) == 1);
	T_ASSERT(g.e[0].talk_ms == 5000 && g.e[0].wrapup_ms == 0);
	e = agent_ev(SB_QEV_COMPLETE, "ann", 1);
	e.id = 2;
	e.wrapup_ms = 3000;
	T_ASSERT(sb_store_qlog_put(s, &e) == 0);
	sb_store_flush(s);
	memset(&g, 0, sizeof(g));
	T_ASSERT(sb_store_qrows(s, "acme", T0, T0 + 120 * MIN_MS, collect, &g) == 2);
	T_ASSERT(g.e[1].wrapup_ms == 3000);
	sb_store_close(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sb.db", dir);
	unlink(path);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	T_ASSERT(system(path) == 0);
	printf("store rows: tenant, range, state before, wrapup_ms, old file migrated\n");
}

int main(void)
{
	part_random();
	part_spans();
	part_store();
	printf("qreport: ok\n");
	return 0;
}
