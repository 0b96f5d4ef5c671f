/* SPDX-License-Identifier: MIT */
/* acd_qstats_t — the queue figures and event ring (control/acd/qstats.h)
 * and the feature-code / priority parsers (control/acd/fcode.h) on a
 * virtual clock, no I/O.
 *
 *  1. 20,000 seeded random callers over 3 queues (answered after a random
 *     wait, abandoned short or long, timed out) and 5 agents (login, pause,
 *     unpause): offered, answered, abandoned, short abandons, service level
 *     (both variants), ASA, AHT and agent occupancy equal the values
 *     accumulated independently here from the same draws;
 *  2. the ring: ids dense from 1, since/paging, first_kept after wrap;
 *  3. feature codes and priority values, accepted and refused;
 *  4. sb_acd_queue_update: bad changes refused, a strategy change (linear
 *     -> round-robin) applies to the next offers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acd/acd.h"
#include "acd/fcode.h"
#include "acd/qstats.h"
#include "test.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void ev(struct sb_qstats *s, enum sb_qev_type t, int q, int ag, uint32_t wait,
	       uint32_t talk, uint64_t now, uint32_t wrapup)
{
	struct sb_qevent e;

	memset(&e, 0, sizeof(e));
	e.type = t;
	e.wait_ms = wait;
	e.talk_ms = talk;
	snprintf(e.queue, sizeof(e.queue), "q%d", q);
	sb_qstats_add(s, &e, q, ag, now, wrapup);
}

struct offers_rec { unsigned n; uint32_t ag[8]; };

static void on_act(void *arg, const struct sb_acd_action *x)
{
	struct offers_rec *r = arg;

	if (x->type == SB_ACD_ACT_OFFER && r->n < 8)
		r->ag[r->n++] = x->agent;
}

#define NQ 3
#define NA 5

int main(void)
{
	static const uint32_t sl[NQ] = { 20000, 10000, 30000 }, sh[NQ] = { 5000, 0, 3000 };
	struct {
		uint64_t off, ans, ab, short_ab, within, wait, handle, done;
	} w[NQ];
	uint64_t a_handle[NA] = { 0 }, a_avail[NA] = { 0 }, now = 1000;
	struct sb_qstats *s = sb_qstats_create(NQ, NA);
	const struct sb_qevent *out[SB_QSTATS_RING];
	uint64_t first, nev = 0;

	T_ASSERT(s);
	memset(w, 0, sizeof(w));
	for (int q = 0; q < NQ; q++)
		sb_qstats_queue_cfg(s, (unsigned)q, sl[q], sh[q]);
	/* agents: logged in at 1000, each paused once for a known span */
	for (int a = 0; a < NA; a++)
		ev(s, SB_QEV_LOGIN, -1, a, 0, 0, now, 0);

	/* ---------- 1. random callers ---------- */
	for (int i = 0; i < 20000; i++) {
		int q = (int)(rnd() % NQ), a = (int)(rnd() % NA), kind = (int)(rnd() % 10);
		uint32_t wait = (uint32_t)(rnd() % 60000), talk = (uint32_t)(rnd() % 600000);
		uint32_t wu = (uint32_t)(rnd() % 3) * 5000;

		now += 1 + rnd() % 50;
		ev(s, SB_QEV_ENTER, q, -1, 0, 0, now, 0);
		nev++;
		w[q].off++;
		if (kind < 6) {         /* answered, then completed */
			ev(s, SB_QEV_OFFER, q, a, 0, 0, now, 0);
			ev(s, SB_QEV_CONNECT, q, a, wait, 0, now, 0);
			ev(s, SB_QEV_COMPLETE, q, a, 0, talk, now, wu);
			nev += 3;
			w[q].ans++;
			w[q].wait += wait;
			w[q].within += wait <= sl[q];
			w[q].handle += (uint64_t)talk + wu;
			w[q].done++;
			a_handle[a] += (uint64_t)talk + wu;
		} else if (kind < 9) {  /* abandoned */
			ev(s, SB_QEV_ABANDON, q, -1, wait, 0, now, 0);
			nev++;
			w[q].ab++;
			w[q].short_ab += wait < sh[q];
		} else {                /* timed out: not an abandon, not offered twice */
			ev(s, SB_QEV_TIMEOUT, q, -1, wait, 0, now, 0);
			nev++;
		}
	}
	/* pauses: agent a paused for (a+1)*1000 ms, then agent 4 logs out */
	for (int a = 0; a < NA; a++) {
		ev(s, SB_QEV_PAUSE, -1, a, 0, 0, now, 0);
		ev(s, SB_QEV_UNPAUSE, -1, a, 0, 0, now + (uint64_t)(a + 1) * 1000, 0);
		nev += 2;
	}
	now += 10000;
	ev(s, SB_QEV_LOGOUT, -1, 4, 0, 0, now, 0);
	nev++;
	for (int a = 0; a < NA; a++)
		a_avail[a] = (now - 1000) - (uint64_t)(a + 1) * 1000;
	now += 5000; /* agent 4 is out: its available time stops growing */
	for (int a = 0; a < 4; a++)
		a_avail[a] += 5000;

	for (int q = 0; q < NQ; q++) {
		const struct sb_qfig_queue *f = sb_qstats_queue(s, (unsigned)q);
		uint64_t d2 = w[q].ans + w[q].ab - w[q].short_ab;

		T_ASSERT(f->offered == w[q].off && f->answered == w[q].ans);
		T_ASSERT(f->abandoned == w[q].ab && f->short_abandoned == w[q].short_ab);
		T_ASSERT(f->answered_within == w[q].within && f->completed == w[q].done);
		T_ASSERT(sb_qfig_asa_ms(f) == w[q].wait / w[q].ans);
		T_ASSERT(sb_qfig_aht_ms(f) == w[q].handle / w[q].done);
		T_ASSERT(sb_qfig_sl_answered(f) == (double)w[q].within / (double)w[q].ans);
		T_ASSERT(sb_qfig_sl_with_abandons(f) == (double)w[q].within / (double)d2);
		T_ASSERT(f->timed_out + f->abandoned + f->answered == f->offered);
	}
	for (int a = 0; a < NA; a++) {
		const struct sb_qfig_agent *f = sb_qstats_agent(s, (unsigned)a);
		double occ = (double)a_handle[a] / (double)a_avail[a];

		T_ASSERT(sb_qfig_agent_avail_ms(f, now) == a_avail[a]);
		T_ASSERT(f->handle_ms == a_handle[a]);
		T_ASSERT(sb_qfig_agent_occupancy(f, now) == (occ > 1.0 ? 1.0 : occ));
	}

	/* ---------- 2. the ring ---------- */
	nev += NA; /* the logins */
	T_ASSERT(sb_qstats_last_id(s) == nev);
	{
		unsigned n = sb_qstats_since(s, 0, SB_QSTATS_RING, out, &first);

		T_ASSERT(first == nev - SB_QSTATS_RING + 1); /* older ones overwritten */
		T_ASSERT(n == SB_QSTATS_RING);
		for (unsigned i = 0; i < n; i++)
			T_ASSERT(out[i]->id == first + i);
		T_ASSERT(out[n - 1]->type == SB_QEV_LOGOUT);
		n = sb_qstats_since(s, nev - 3, 10, out, NULL);
		T_ASSERT(n == 3 && out[0]->id == nev - 2);
		T_ASSERT(sb_qstats_since(s, nev, 10, out, NULL) == 0);
		T_ASSERT(sb_qstats_since(s, first + 5, 2, out, NULL) == 2 &&
			 out[0]->id == first + 6);
	}
	sb_qstats_set_last_id(s, nev + 100); /* a restart after a longer log */
	ev(s, SB_QEV_LOGIN, -1, 4, 0, 0, now, 0);
	T_ASSERT(sb_qstats_last_id(s) == nev + 101);
	sb_qstats_free(s);

	/* ---------- 3. parsers ---------- */
	{
		static const struct sb_fcode_set set = { "*20", "*21", "*22", "*23" };
		uint16_t r;
		uint8_t p;

		T_ASSERT(sb_fcode_parse(&set, "*20", 3, &r) == SB_FC_LOGIN);
		T_ASSERT(sb_fcode_parse(&set, "*21", 3, &r) == SB_FC_LOGOUT);
		T_ASSERT(sb_fcode_parse(&set, "*23", 3, &r) == SB_FC_UNPAUSE);
		T_ASSERT(sb_fcode_parse(&set, "*22", 3, &r) == SB_FC_PAUSE && r == 0);
		T_ASSERT(sb_fcode_parse(&set, "*2265534", 8, &r) == SB_FC_PAUSE && r == 65534);
		T_ASSERT(sb_fcode_parse(&set, "*2265535", 8, &r) == SB_FC_BAD_REASON);
		T_ASSERT(sb_fcode_parse(&set, "*22123456", 9, &r) == SB_FC_BAD_REASON);
		T_ASSERT(sb_fcode_parse(&set, "*22x", 4, &r) == SB_FC_BAD_REASON);
		T_ASSERT(sb_fcode_parse(&set, "*51agent1", 9, &r) == SB_FC_UNKNOWN);
		T_ASSERT(sb_fcode_parse(&set, "*2", 2, &r) == SB_FC_UNKNOWN);
		T_ASSERT(sb_fcode_parse(&set, "800100", 6, &r) == SB_FC_NONE);
		T_ASSERT(sb_fcode_parse(&set, "", 0, &r) == SB_FC_NONE);
		/* "*201" is not login: exact match only */
		T_ASSERT(sb_fcode_parse(&set, "*201", 4, &r) == SB_FC_UNKNOWN);
		T_ASSERT(sb_prio_parse(" 9 ", 3, &p) == 0 && p == 9);
		T_ASSERT(sb_prio_parse("255", 3, &p) == 0 && p == 255);
		T_ASSERT(sb_prio_parse("256", 3, &p) < 0);
		T_ASSERT(sb_prio_parse("0009", 4, &p) < 0);
		T_ASSERT(sb_prio_parse("", 0, &p) < 0 && sb_prio_parse("1 2", 3, &p) < 0);
		T_ASSERT(sb_prio_parse("-1", 2, &p) < 0);
	}
	/* ---------- 4. run-time queue changes in the engine ---------- */
	{
		struct offers_rec rec = { 0 };
		struct sb_acd_cfg ac = { .max_queues = 2, .max_agents = 2, .max_calls = 8,
					 .emit = on_act, .emit_arg = &rec };
		struct sb_acd_queue_cfg qc = { .strategy = SB_ACD_LINEAR, .overflow = SB_ACD_NONE };
		struct sb_acd *e = sb_acd_create(&ac);

		T_ASSERT(e);
		T_ASSERT(sb_acd_queue_add(e, 0, &qc) == 0);
		for (uint32_t g = 0; g < 2; g++) {
			struct sb_acd_agent_cfg gc = { .max_calls = 1 };

			T_ASSERT(sb_acd_agent_add(e, g, &gc) == 0);
			T_ASSERT(sb_acd_agent_join(e, g, 0, 0) == 0);
			T_ASSERT(sb_acd_agent_login(e, g, 0) == 0);
		}
		T_ASSERT(sb_acd_queue_update(e, 1, &qc) == -EINVAL);   /* no such queue */
		qc.overflow = 0;                                          /* itself */
		T_ASSERT(sb_acd_queue_update(e, 0, &qc) == -EINVAL);
		qc.overflow = SB_ACD_NONE;
		/* linear: agent 0 twice (each call ends before the next) */
		for (uint32_t c = 0; c < 2; c++) {
			T_ASSERT(sb_acd_enqueue(e, c, 0, 0, 10 + c) == 0);
			T_ASSERT(rec.n == c + 1 && rec.ag[c] == 0);
			T_ASSERT(sb_acd_answer(e, c, 0, 10 + c) == 0);
			T_ASSERT(sb_acd_hangup(e, c, 10 + c) == 0);
		}
		qc.strategy = SB_ACD_ROUND_ROBIN;
		T_ASSERT(sb_acd_queue_update(e, 0, &qc) == 0);
		for (uint32_t c = 2; c < 4; c++) {
			T_ASSERT(sb_acd_enqueue(e, c, 0, 0, 10 + c) == 0);
			T_ASSERT(sb_acd_answer(e, c, rec.ag[c], 10 + c) == 0);
			T_ASSERT(sb_acd_hangup(e, c, 10 + c) == 0);
		}
		T_ASSERT(rec.n == 4 && rec.ag[2] != rec.ag[3]);        /* alternates now */
		sb_acd_free(e);
	}
	printf("acd_qstats: figures, ring, parsers and queue updates OK\n");
	return 0;
}
