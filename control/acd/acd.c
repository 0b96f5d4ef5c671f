/* SPDX-License-Identifier: MIT */
/*
 * acd.c — queue and agent-distribution engine (see acd.h for the model).
 *
 * Layout: agents, queues and calls in arrays by index (VPP pools).  Each
 * queue keeps its waiting callers in a binary heap (position in the call,
 * so an abandon removes from the middle in O(log n)).  Timers are one
 * min-heap with lazy invalidation: every timer carries a generation that
 * the object bumps when the timer no longer applies, so nothing is ever
 * searched to cancel.  An agent's offers and calls live in its slots; an
 * offer is (call, agent, slot, seq).
 *
 * Selection is a scan of the queue's members (strategies need it anyway
 * once skills filter the pool); an agent becoming free scans its queues'
 * heads.  Both are bounded by membership, not by the number of queues or
 * agents in the engine.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/acd.h"

enum { PH_FREE, PH_RESERVED, PH_RINGING, PH_ONCALL };
enum { CS_FREE, CS_WAITING, CS_OFFERED, CS_CONNECTED };
enum { TM_STEP, TM_MAXWAIT, TM_RING, TM_AGENT };

#define MAX_OVERFLOW_HOPS 8
/* agents that did not answer one caller, remembered for the round (a
 * queue with more members who all decline in one round forgets the
 * earliest first) */
#define CALL_TRIED 16
#define EWT_RING 16

struct slot {
	uint32_t call;
	uint8_t phase;
	uint32_t queue;
	uint32_t seq;          /* offer generation, for its ring timer */
	uint64_t since_ms;     /* offered / answered */
};

struct agent {
	bool present, logged_in, paused;
	uint16_t reason;
	uint8_t ncalls;
	uint8_t elsewhere;     /* calls the engine does not route (sb_acd_agent_elsewhere) */
	struct sb_acd_agent_cfg cfg;
	uint64_t busy_until;   /* wrap-up or decline delay ends */
	/* its TM_AGENT timer is armed: free only once that runs, so that it
	 * takes the best caller across its queues (agent_free) rather than
	 * whichever queue happens to pick first in the same millisecond */
	bool resting;
	uint64_t idle_since;
	uint32_t noanswer_run;
	uint32_t gen;          /* TM_AGENT validity */
	uint32_t *queues, nq, capq;
	struct slot slot[SB_ACD_AGENT_MAX_CALLS];
};

struct member {
	uint32_t agent;
	uint64_t calls, talk_ms;
};

struct queue {
	bool present;
	struct sb_acd_queue_cfg cfg;
	struct member *m;
	uint32_t nm, capm;
	uint32_t rr_next;
	uint32_t *heap, nheap, capheap;  /* call ids */
	uint32_t staffed;      /* members logged in and unpaused */
	uint32_t ringing;      /* entries offered, not answered */
	struct sb_acd_queue_stats st;
	uint64_t first_arrival, ans_ms[EWT_RING];
	uint32_t nans;
};

struct call {
	uint8_t state;
	uint8_t prio;
	/* this round's agents that did not answer (no answer, reject, busy):
	 * not offered this caller again while another eligible member has
	 * not been tried (app_queue's rounds); a new round starts when only
	 * tried ones are left.  The agents: sb_acd.tried, CALL_TRIED per
	 * call, apart so that the calls the heaps compare stay small. */
	uint8_t ntried, tried_next;
	uint32_t queue;
	uint32_t heap_pos;
	uint32_t noffers;
	uint32_t agent;        /* CS_CONNECTED */
	uint32_t gen;          /* bumped when leaving a queue entry */
	uint64_t first_ms, entry_ms, seq;
};

struct timer {
	uint64_t due;
	uint32_t kind, id, id2, gen;
};

struct sb_acd {
	struct sb_acd_cfg cfg;
	struct agent *ag;
	struct queue *q;
	struct call *c;
	uint32_t *tried;       /* [max_calls][CALL_TRIED], at create: none per decline */
	struct timer *tm;
	uint32_t ntm, captm;
	uint64_t seq, rng;
	uint32_t offer_seq;
	bool in_call;
	struct sb_acd_stats st;
};

/* ---- small helpers ---- */

static void emit(struct sb_acd *a, enum sb_acd_act_type t, uint32_t call, uint32_t ag,
		 uint32_t q, uint32_t to, uint32_t reason)
{
	struct sb_acd_action act = { .type = t, .call = call, .agent = ag, .queue = q,
				     .to_queue = to, .reason = reason };

	a->cfg.emit(a->cfg.emit_arg, &act);
}

static int illegal(struct sb_acd *a)
{
	a->st.illegal++;
	return -EINVAL;
}

static uint64_t rng_next(struct sb_acd *a)
{
	/* xorshift64*: reproducible from the seed, no libc state */
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 2685821657736338717ull;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n;
	void *np;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	np = realloc(*p, (size_t)n * elem);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

/* ---- timers: min-heap on due ---- */

static void tm_swap(struct sb_acd *a, uint32_t i, uint32_t j)
{
	struct timer t = a->tm[i];

	a->tm[i] = a->tm[j];
	a->tm[j] = t;
}

/* earlier due first; at the same due an agent's rest ends first, so that
 * an offer timing out or a step widening in that millisecond sees it free
 * (and a caller's round sees every member that is free by then) */
static bool tm_before(const struct timer *x, const struct timer *y)
{
	if (x->due != y->due)
		return x->due < y->due;
	return x->kind == TM_AGENT && y->kind != TM_AGENT;
}

static int tm_arm(struct sb_acd *a, uint64_t due, uint32_t kind, uint32_t id, uint32_t id2,
		  uint32_t gen)
{
	uint32_t i;

	if (grow((void **)&a->tm, &a->captm, a->ntm + 1, sizeof(*a->tm)) < 0)
		return -ENOMEM;
	i = a->ntm++;
	a->tm[i] = (struct timer){ due, kind, id, id2, gen };
	while (i > 0 && tm_before(&a->tm[i], &a->tm[(i - 1) / 2])) {
		tm_swap(a, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct timer tm_pop(struct sb_acd *a)
{
	struct timer top = a->tm[0];
	uint32_t i = 0;

	a->tm[0] = a->tm[--a->ntm];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < a->ntm && tm_before(&a->tm[l], &a->tm[m]))
			m = l;
		if (r < a->ntm && tm_before(&a->tm[r], &a->tm[m]))
			m = r;
		if (m == i)
			break;
		tm_swap(a, i, m);
		i = m;
	}
	return top;
}

/* ---- callers: per-queue heap, best first ---- */

/* priority higher first, then first entered, then arrival order */
static bool call_before(const struct call *x, const struct call *y)
{
	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms;
	return x->seq < y->seq;
}

static void qh_set(struct sb_acd *a, struct queue *q, uint32_t i, uint32_t call)
{
	q->heap[i] = call;
	a->c[call].heap_pos = i;
}

static void qh_up(struct sb_acd *a, struct queue *q, uint32_t i)
{
	uint32_t call = q->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!call_before(&a->c[call], &a->c[q->heap[p]]))
			break;
		qh_set(a, q, i, q->heap[p]);
		i = p;
	}
	qh_set(a, q, i, call);
}

static void qh_down(struct sb_acd *a, struct queue *q, uint32_t i)
{
	uint32_t call = q->heap[i];

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = l;

		if (l >= q->nheap)
			break;
		if (r < q->nheap && call_before(&a->c[q->heap[r]], &a->c[q->heap[l]]))
			m = r;
		if (!call_before(&a->c[q->heap[m]], &a->c[call]))
			break;
		qh_set(a, q, i, q->heap[m]);
		i = m;
	}
	qh_set(a, q, i, call);
}

static int qh_push(struct sb_acd *a, struct queue *q, uint32_t call)
{
	if (grow((void **)&q->heap, &q->capheap, q->nheap + 1, sizeof(*q->heap)) < 0)
		return -ENOMEM;
	q->heap[q->nheap] = call;
	a->c[call].heap_pos = q->nheap++;
	qh_up(a, q, q->nheap - 1);
	return 0;
}

static void qh_remove(struct sb_acd *a, struct queue *q, uint32_t call)
{
	uint32_t i = a->c[call].heap_pos, last = q->heap[--q->nheap];

	a->c[call].heap_pos = SB_ACD_NONE;
	if (i == q->nheap)
		return;
	qh_set(a, q, i, last);
	qh_up(a, q, i);
	qh_down(a, q, a->c[last].heap_pos);
}

/* ---- eligibility ---- */

static bool agent_can_take(const struct agent *g, uint64_t now)
{
	return g->logged_in && !g->paused && g->ncalls + g->elsewhere < g->cfg.max_calls &&
	       now >= g->busy_until && !g->resting;
}

static bool agent_has_call(const struct agent *g, uint32_t call)
{
	for (unsigned i = 0; i < g->cfg.max_calls; i++)
		if (g->slot[i].phase != PH_FREE && g->slot[i].call == call)
			return true;
	return false;
}

/* the minimum-level drop the caller has earned by waiting in q; UINT32_MAX: any */
static uint32_t wait_drop(const struct queue *q, uint64_t waited)
{
	uint32_t drop = 0;

	if (q->cfg.any_after_ms && waited >= q->cfg.any_after_ms)
		return UINT32_MAX;
	for (unsigned i = 0; i < q->cfg.nsteps; i++)
		if (waited >= q->cfg.step[i].after_ms && q->cfg.step[i].drop > drop)
			drop = q->cfg.step[i].drop;
	return drop;
}

static bool skills_ok(const struct queue *q, const struct agent *g, uint32_t drop)
{
	if (drop == UINT32_MAX)
		return true;
	for (unsigned i = 0; i < q->cfg.nreq; i++) {
		uint32_t need = q->cfg.req[i].level > drop ? q->cfg.req[i].level - drop : 0;

		if (g->cfg.level[q->cfg.req[i].skill] < need)
			return false;
	}
	return true;
}

/* may free agent g be offered this call (head of q) now? */
static bool eligible(const struct sb_acd *a, const struct queue *q, const struct agent *g,
		     uint32_t call, uint64_t now)
{
	const struct call *c = &a->c[call];

	if (!agent_can_take(g, now) || agent_has_call(g, call))
		return false;
	return skills_ok(q, g, wait_drop(q, now - c->entry_ms));
}

static bool call_tried(const struct sb_acd *a, uint32_t call, uint32_t agi)
{
	const uint32_t *t = &a->tried[(size_t)call * CALL_TRIED];

	for (unsigned i = 0; i < a->c[call].ntried; i++)
		if (t[i] == agi)
			return true;
	return false;
}

static void call_tried_add(struct sb_acd *a, uint32_t call, uint32_t agi)
{
	struct call *c = &a->c[call];
	uint32_t *t = &a->tried[(size_t)call * CALL_TRIED];

	if (call_tried(a, call, agi))
		return;
	if (c->ntried < CALL_TRIED) {
		t[c->ntried++] = agi;
		return;
	}
	t[c->tried_next] = agi; /* full: the earliest goes */
	c->tried_next = (uint8_t)((c->tried_next + 1) % CALL_TRIED);
}

/* is some member of q other than agi eligible for call and not yet tried
 * by it this round? */
static bool untried_other(const struct sb_acd *a, const struct queue *q, uint32_t call,
			  uint32_t agi, uint64_t now)
{
	for (uint32_t i = 0; i < q->nm; i++) {
		uint32_t m = q->m[i].agent;

		if (m != agi && !call_tried(a, call, m) && eligible(a, q, &a->ag[m], call, now))
			return true;
	}
	return false;
}

/* ---- offers ---- */

static int offer(struct sb_acd *a, uint32_t call, uint32_t agi, uint64_t now)
{
	struct call *c = &a->c[call];
	struct agent *g = &a->ag[agi];
	struct queue *q = &a->q[c->queue];
	struct slot *s = NULL;

	for (unsigned i = 0; i < g->cfg.max_calls; i++)
		if (g->slot[i].phase == PH_FREE) {
			s = &g->slot[i];
			break;
		}
	if (s == NULL)
		return -ENOSPC;   /* cannot happen: agent_can_take checked */
	*s = (struct slot){ .call = call, .phase = PH_RESERVED, .queue = c->queue,
			    .seq = ++a->offer_seq, .since_ms = now };
	if (q->cfg.ring_ms &&
	    tm_arm(a, now + q->cfg.ring_ms, TM_RING, call, agi, s->seq) < 0) {
		s->phase = PH_FREE;
		return -ENOMEM;
	}
	g->ncalls++;
	if (c->state == CS_WAITING) {
		qh_remove(a, q, call);
		c->state = CS_OFFERED;
		q->ringing++;
	}
	c->noffers++;
	a->st.offers++;
	emit(a, SB_ACD_ACT_OFFER, call, agi, c->queue, SB_ACD_NONE, 0);
	return 0;
}

/* free, qualifying and (skip_tried) not yet tried by call this round */
static bool pickable(const struct sb_acd *a, const struct queue *q, uint32_t agi, uint32_t call,
		     uint64_t now, bool skip_tried)
{
	return eligible(a, q, &a->ag[agi], call, now) &&
	       !(skip_tried && call_tried(a, call, agi));
}

/* the strategy's pick among the free qualifying members; NONE if none */
static uint32_t pick_among(struct sb_acd *a, struct queue *q, uint32_t call, uint64_t now,
			   bool skip_tried)
{
	uint32_t best = SB_ACD_NONE, seen = 0;

	if (q->cfg.strategy == SB_ACD_ROUND_ROBIN) {
		for (uint32_t k = 0; k < q->nm; k++) {
			uint32_t i = (q->rr_next + k) % q->nm;

			if (pickable(a, q, q->m[i].agent, call, now, skip_tried)) {
				q->rr_next = i + 1;
				return i;
			}
		}
		return SB_ACD_NONE;
	}
	for (uint32_t i = 0; i < q->nm; i++) {
		const struct member *m = &q->m[i];

		if (!pickable(a, q, m->agent, call, now, skip_tried))
			continue;
		if (best == SB_ACD_NONE) {
			best = i;
			seen = 1;
			if (q->cfg.strategy == SB_ACD_LINEAR)
				return i;
			continue;
		}
		switch (q->cfg.strategy) {
		case SB_ACD_LONGEST_IDLE:
			if (a->ag[m->agent].idle_since < a->ag[q->m[best].agent].idle_since)
				best = i;
			break;
		case SB_ACD_FEWEST_CALLS:
			if (m->calls < q->m[best].calls)
				best = i;
			break;
		case SB_ACD_LEAST_TALK:
			if (m->talk_ms < q->m[best].talk_ms)
				best = i;
			break;
		case SB_ACD_RANDOM:
			/* reservoir sampling: each of the `seen` equally likely */
			seen++;
			if (rng_next(a) % seen == 0)
				best = i;
			break;
		default:
			break;
		}
	}
	return best;
}

/* members the caller has not tried this round first; when only tried ones
 * qualify, a new round (so a lone free agent is still offered: work
 * conservation holds) */
static uint32_t pick(struct sb_acd *a, struct queue *q, uint32_t call, uint64_t now)
{
	struct call *c = &a->c[call];
	uint32_t i = pick_among(a, q, call, now, c->ntried != 0);

	if (i == SB_ACD_NONE && c->ntried != 0) {
		i = pick_among(a, q, call, now, false);
		if (i != SB_ACD_NONE)
			c->ntried = c->tried_next = 0;
	}
	return i;
}

/* offer q's head callers while it has free qualifying members */
static void try_queue(struct sb_acd *a, uint32_t qi, uint64_t now)
{
	struct queue *q = &a->q[qi];

	while (q->nheap) {
		uint32_t call = q->heap[0];

		if (q->cfg.strategy == SB_ACD_RING_ALL) {
			unsigned n = 0;

			for (uint32_t i = 0; i < q->nm; i++)
				if (eligible(a, q, &a->ag[q->m[i].agent], call, now) &&
				    offer(a, call, q->m[i].agent, now) == 0)
					n++;
			if (n == 0)
				return;
		} else {
			uint32_t i = pick(a, q, call, now);

			if (i == SB_ACD_NONE || offer(a, call, q->m[i].agent, now) < 0)
				return;
		}
	}
}

/* a free agent takes the best head caller across its queues (fair order) */
static void agent_free(struct sb_acd *a, uint32_t agi, uint64_t now)
{
	struct agent *g = &a->ag[agi];
	uint32_t took[SB_ACD_AGENT_MAX_CALLS], ntook = 0, skipped = SB_ACD_NONE;

	while (agent_can_take(g, now) && ntook < SB_ACD_AGENT_MAX_CALLS) {
		uint32_t best = SB_ACD_NONE;

		for (uint32_t k = 0; k < g->nq; k++) {
			struct queue *q = &a->q[g->queues[k]];
			uint32_t h;

			if (q->nheap == 0)
				continue;
			h = q->heap[0];
			if (!eligible(a, q, g, h, now))
				continue;
			/* it did not answer this caller: another member first */
			if (a->c[h].ntried && call_tried(a, h, agi) &&
			    untried_other(a, q, h, agi, now)) {
				skipped = g->queues[k];
				continue;
			}
			if (best == SB_ACD_NONE || call_before(&a->c[h], &a->c[best]))
				best = h;
		}
		if (best == SB_ACD_NONE)
			break;
		if (call_tried(a, best, agi)) /* only tried ones left: a new round */
			a->c[best].ntried = a->c[best].tried_next = 0;
		took[ntook++] = a->c[best].queue;
		if (offer(a, best, agi, now) < 0)
			break;
	}
	/* the member who has not tried that caller takes it */
	if (skipped != SB_ACD_NONE)
		try_queue(a, skipped, now);
	/* the next head of a queue we took from may suit other free members
	 * (it may have waited longer in this queue: a wider skills pool) */
	for (uint32_t k = 0; k < ntook; k++)
		try_queue(a, took[k], now);
}

/* agent busy until `until` (wrap-up, delay): arm its ready timer, or go */
static void agent_rest(struct sb_acd *a, uint32_t agi, uint64_t until, uint64_t now)
{
	struct agent *g = &a->ag[agi];

	if (until > g->busy_until)
		g->busy_until = until;
	if (g->busy_until > now) {
		g->gen++;
		/* ENOMEM leaves the agent resting until its next event */
		g->resting = tm_arm(a, g->busy_until, TM_AGENT, agi, 0, g->gen) == 0;
		return;
	}
	agent_free(a, agi, now);
}

/* ---- callers entering and leaving ---- */

static void leave_entry(struct sb_acd *a, uint32_t call)
{
	struct call *c = &a->c[call];
	struct queue *q = &a->q[c->queue];

	if (c->state == CS_WAITING)
		qh_remove(a, q, call);
	else if (c->state == CS_OFFERED)
		q->ringing--;
	c->gen++;
}

static void call_exit(struct sb_acd *a, uint32_t call, uint32_t why)
{
	struct call *c = &a->c[call];

	leave_entry(a, call);
	c->state = CS_FREE;
	emit(a, SB_ACD_ACT_EXIT, call, SB_ACD_NONE, c->queue, SB_ACD_NONE, why);
}

static int enter(struct sb_acd *a, uint32_t call, uint32_t qi, uint64_t now, unsigned hops);

/* leave q for its overflow queue, or exit with `why` */
static int overflow_or_exit(struct sb_acd *a, uint32_t call, uint32_t why, uint64_t now,
			    unsigned hops)
{
	struct call *c = &a->c[call];
	struct queue *q = &a->q[c->queue];
	uint32_t from = c->queue;

	if (q->cfg.overflow == SB_ACD_NONE || hops >= MAX_OVERFLOW_HOPS) {
		if (why == SB_ACD_EXIT_TIMEOUT)
			q->st.timed_out++;
		else
			q->st.overflowed++;  /* FULL: turned away, counted as overflow */
		call_exit(a, call, hops >= MAX_OVERFLOW_HOPS ? SB_ACD_EXIT_FULL : why);
		return 0;
	}
	q->st.overflowed++;
	leave_entry(a, call);
	c->state = CS_FREE;
	emit(a, SB_ACD_ACT_MOVE, call, SB_ACD_NONE, from, q->cfg.overflow, why);
	return enter(a, call, q->cfg.overflow, now, hops + 1);
}

/* call (CS_FREE, first_ms/prio/seq set) enters queue qi */
static int enter(struct sb_acd *a, uint32_t call, uint32_t qi, uint64_t now, unsigned hops)
{
	struct call *c = &a->c[call];
	struct queue *q = &a->q[qi];
	int rc;

	c->queue = qi;
	c->entry_ms = now;
	c->noffers = 0;
	c->ntried = c->tried_next = 0; /* a new queue, new members: a new round */
	c->agent = SB_ACD_NONE;
	q->st.entered++;
	if (q->nans == 0 && q->st.entered == 1)
		q->first_arrival = now;
	if (!q->cfg.join_empty && q->staffed == 0) {
		q->st.empty++;
		c->gen++;
		emit(a, SB_ACD_ACT_EXIT, call, SB_ACD_NONE, qi, SB_ACD_NONE, SB_ACD_EXIT_EMPTY);
		return 0;
	}
	if (q->cfg.max_len && q->nheap + q->ringing >= q->cfg.max_len) {
		c->state = CS_FREE;
		return overflow_or_exit(a, call, SB_ACD_EXIT_FULL, now, hops);
	}
	rc = qh_push(a, q, call);
	if (rc < 0) {
		q->st.entered--;
		return rc;
	}
	c->state = CS_WAITING;
	c->gen++;
	/* ENOMEM on a timer only delays a step or the max wait to the next
	 * event on the queue; the caller is never lost */
	for (unsigned i = 0; i < q->cfg.nsteps; i++)
		(void)tm_arm(a, now + q->cfg.step[i].after_ms, TM_STEP, call, 0, c->gen);
	if (q->cfg.any_after_ms)
		(void)tm_arm(a, now + q->cfg.any_after_ms, TM_STEP, call, 0, c->gen);
	if (q->cfg.max_wait_ms)
		(void)tm_arm(a, now + q->cfg.max_wait_ms, TM_MAXWAIT, call, 0, c->gen);
	try_queue(a, qi, now);
	return 0;
}

/* an offered caller got no agent (every offer declined or timed out) */
static void back_to_queue(struct sb_acd *a, uint32_t call, uint64_t now)
{
	struct call *c = &a->c[call];
	struct queue *q = &a->q[c->queue];

	if (q->cfg.leave_when_empty && q->staffed == 0) {
		q->st.empty++;
		call_exit(a, call, SB_ACD_EXIT_EMPTY);
		return;
	}
	if (q->cfg.max_wait_ms && now - c->entry_ms >= q->cfg.max_wait_ms) {
		overflow_or_exit(a, call, SB_ACD_EXIT_TIMEOUT, now, 0);
		return;
	}
	if (qh_push(a, q, call) < 0) {
		/* no memory to requeue: leave rather than lose the caller */
		q->st.timed_out++;
		call_exit(a, call, SB_ACD_EXIT_TIMEOUT);
		return;
	}
	q->ringing--;
	c->state = CS_WAITING;
	try_queue(a, c->queue, now);
}

/* leave-when-empty: q just lost its last staffing member */
static void queue_emptied(struct sb_acd *a, uint32_t qi)
{
	struct queue *q = &a->q[qi];

	if (!q->cfg.leave_when_empty)
		return;
	while (q->nheap) {
		q->st.empty++;
		call_exit(a, q->heap[0], SB_ACD_EXIT_EMPTY);
	}
}

static void staff(struct sb_acd *a, uint32_t agi, int d)
{
	struct agent *g = &a->ag[agi];

	for (uint32_t k = 0; k < g->nq; k++) {
		struct queue *q = &a->q[g->queues[k]];

		q->staffed += d;
		if (d < 0 && q->staffed == 0)
			queue_emptied(a, g->queues[k]);
	}
}

/* ---- timers ---- */

static int decline(struct sb_acd *a, uint32_t call, uint32_t agi, enum sb_acd_decline why,
		   uint64_t now);

/* Agents whose rests end in the same millisecond (the TM_AGENT timers at
 * the top of the heap: tm_before) become free together before any of them
 * takes a caller, so that a caller's round sees every member free by then
 * (a fixed batch: no allocation; a larger crowd is split). */
static void run_rests(struct sb_acd *a, const struct timer *first, uint64_t now)
{
	uint32_t ids[32], n = 0;
	struct timer t = *first;

	for (;;) {
		struct agent *g = &a->ag[t.id];

		if (g->gen == t.gen && g->resting) {
			g->resting = false;
			ids[n++] = t.id;
		}
		if (n == sizeof(ids) / sizeof(ids[0]) || a->ntm == 0 || a->tm[0].kind != TM_AGENT ||
		    a->tm[0].due != first->due)
			break;
		t = tm_pop(a);
	}
	for (uint32_t i = 0; i < n; i++)
		agent_free(a, ids[i], now);
}

static void run_timer(struct sb_acd *a, const struct timer *t, uint64_t now)
{
	switch (t->kind) {
	case TM_STEP: {
		struct call *c = &a->c[t->id];

		if (c->state == CS_WAITING && c->gen == t->gen)
			try_queue(a, c->queue, now);
		break;
	}
	case TM_MAXWAIT: {
		struct call *c = &a->c[t->id];

		/* an offered caller keeps ringing; back_to_queue checks again */
		uint32_t qi = c->queue;

		if (c->state == CS_WAITING && c->gen == t->gen) {
			overflow_or_exit(a, t->id, SB_ACD_EXIT_TIMEOUT, now, 0);
			try_queue(a, qi, now);  /* the next head may qualify more widely */
		}
		break;
	}
	case TM_RING: {
		struct agent *g = &a->ag[t->id2];

		for (unsigned i = 0; i < g->cfg.max_calls; i++) {
			struct slot *s = &g->slot[i];

			if ((s->phase == PH_RESERVED || s->phase == PH_RINGING) &&
			    s->call == t->id && s->seq == t->gen) {
				emit(a, SB_ACD_ACT_CANCEL, t->id, t->id2, s->queue, SB_ACD_NONE, 0);
				a->st.cancels++;
				(void)decline(a, t->id, t->id2, SB_ACD_NOANSWER, now);
				break;
			}
		}
		break;
	}
	case TM_AGENT:
		run_rests(a, t, now);
		break;
	}
}

static void run_due(struct sb_acd *a, uint64_t now)
{
	while (a->ntm && a->tm[0].due <= now) {
		struct timer t = tm_pop(a);

		run_timer(a, &t, now);
	}
}

/* entry guard: no re-entry from the callback; timers due first */
#define ENTER(a, now)                                                          \
	do {                                                                   \
		if ((a)->in_call)                                              \
			return -EDEADLK;                                       \
		(a)->in_call = true;                                           \
		run_due((a), (now));                                           \
	} while (0)
#define LEAVE(a, rc)                                                           \
	do {                                                                   \
		(a)->in_call = false;                                          \
		return (rc);                                                   \
	} while (0)

/* ---- public: setup ---- */

static void acd_destroy(struct sb_acd *a)
{
	if (a == NULL)
		return;
	if (a->ag)
		for (uint32_t i = 0; i < a->cfg.max_agents; i++)
			free(a->ag[i].queues);
	if (a->q)
		for (uint32_t i = 0; i < a->cfg.max_queues; i++) {
			free(a->q[i].m);
			free(a->q[i].heap);
		}
	free(a->ag);
	free(a->q);
	free(a->c);
	free(a->tried);
	free(a->tm);
	free(a);
}

struct sb_acd *sb_acd_create(const struct sb_acd_cfg *cfg)
{
	struct sb_acd *a;

	if (cfg == NULL || cfg->max_queues == 0 || cfg->max_agents == 0 || cfg->max_calls == 0 ||
	    cfg->emit == NULL || cfg->max_calls >= SB_ACD_NONE) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->cfg = *cfg;
	a->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ull;
	a->ag = calloc(cfg->max_agents, sizeof(*a->ag));
	a->q = calloc(cfg->max_queues, sizeof(*a->q));
	a->c = calloc(cfg->max_calls, sizeof(*a->c));
	a->tried = calloc((size_t)cfg->max_calls * CALL_TRIED, sizeof(*a->tried));
	if (a->ag == NULL || a->q == NULL || a->c == NULL || a->tried == NULL) {
		acd_destroy(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void sb_acd_free(struct sb_acd *a)
{
	acd_destroy(a);
}

int sb_acd_queue_add(struct sb_acd *a, uint32_t qi, const struct sb_acd_queue_cfg *cfg)
{
	if (qi >= a->cfg.max_queues || cfg->strategy >= SB_ACD_STRATEGY_N ||
	    cfg->nreq > SB_ACD_MAX_REQ || cfg->nsteps > SB_ACD_MAX_STEPS || cfg->overflow == qi ||
	    (cfg->overflow != SB_ACD_NONE && cfg->overflow >= a->cfg.max_queues))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nreq; i++)
		if (cfg->req[i].skill >= SB_ACD_NSKILLS)
			return -EINVAL;
	if (a->q[qi].present)
		return -EEXIST;
	a->q[qi].present = true;
	a->q[qi].cfg = *cfg;
	return 0;
}

/* Run-time change (API): what is decided from now on uses the new
 * configuration; offers ringing and timers armed (max wait, ring
 * timeouts of offers made) keep what they were started with. */
int sb_acd_queue_update(struct sb_acd *a, uint32_t qi, const struct sb_acd_queue_cfg *cfg)
{
	if (qi >= a->cfg.max_queues || !a->q[qi].present)
		return -EINVAL;
	a->q[qi].present = false; /* sb_acd_queue_add's checks, once */
	if (sb_acd_queue_add(a, qi, cfg) < 0) {
		a->q[qi].present = true;
		return -EINVAL;
	}
	return 0;
}

int sb_acd_agent_add(struct sb_acd *a, uint32_t agi, const struct sb_acd_agent_cfg *cfg)
{
	struct agent *g;

	if (agi >= a->cfg.max_agents || cfg->max_calls > SB_ACD_AGENT_MAX_CALLS)
		return -EINVAL;
	g = &a->ag[agi];
	if (g->present)
		return -EEXIST;
	g->present = true;
	g->cfg = *cfg;
	if (g->cfg.max_calls == 0)
		g->cfg.max_calls = 1;
	return 0;
}

int sb_acd_agent_update(struct sb_acd *a, uint32_t agi, const struct sb_acd_agent_cfg *cfg)
{
	struct agent *g;
	uint8_t mc;

	if (agi >= a->cfg.max_agents || !a->ag[agi].present)
		return -EINVAL;
	g = &a->ag[agi];
	mc = cfg->max_calls ? cfg->max_calls : 1;
	if (mc != g->cfg.max_calls) /* its slots hold calls: capacity stays */
		return -EINVAL;
	g->cfg = *cfg;
	g->cfg.max_calls = mc;
	return 0;
}

int sb_acd_queue_rescan(struct sb_acd *a, uint32_t qi, uint64_t now)
{
	struct queue *q;

	ENTER(a, now);
	if (qi >= a->cfg.max_queues || !a->q[qi].present)
		LEAVE(a, illegal(a));
	q = &a->q[qi];
	/* the new steps for those waiting: timers from their own entry (a
	 * step already passed is simply due now; stale ones find nothing) */
	for (uint32_t i = 0; i < q->nheap; i++) {
		const struct call *c = &a->c[q->heap[i]];

		for (unsigned k = 0; k < q->cfg.nsteps; k++)
			if (c->entry_ms + q->cfg.step[k].after_ms > now)
				(void)tm_arm(a, c->entry_ms + q->cfg.step[k].after_ms, TM_STEP,
					     q->heap[i], 0, c->gen);
		if (q->cfg.any_after_ms && c->entry_ms + q->cfg.any_after_ms > now)
			(void)tm_arm(a, c->entry_ms + q->cfg.any_after_ms, TM_STEP, q->heap[i], 0,
				     c->gen);
	}
	try_queue(a, qi, now);
	LEAVE(a, 0);
}

int sb_acd_call_move(struct sb_acd *a, uint32_t from, uint32_t to, uint64_t now)
{
	struct call *c, *d;
	struct queue *q;
	uint32_t gen;

	ENTER(a, now);
	if (from >= a->cfg.max_calls || to >= a->cfg.max_calls || from == to ||
	    a->c[from].state != CS_WAITING || a->c[to].state != CS_FREE)
		LEAVE(a, illegal(a));
	c = &a->c[from];
	d = &a->c[to];
	q = &a->q[c->queue];
	/* above every gen `to` had: timers of its earlier lives stay stale */
	gen = d->gen + 1;
	*d = *c;
	d->gen = gen;
	memcpy(&a->tried[(size_t)to * CALL_TRIED], &a->tried[(size_t)from * CALL_TRIED],
	       CALL_TRIED * sizeof(*a->tried));
	/* the same heap slot: its order key (priority, first entry, arrival
	 * sequence) is the same, so the heap needs no sifting */
	qh_set(a, q, c->heap_pos, to);
	c->state = CS_FREE;
	c->gen++; /* its own timers are void now */
	/* its steps and max wait, from its entry as before */
	for (unsigned i = 0; i < q->cfg.nsteps; i++)
		(void)tm_arm(a, d->entry_ms + q->cfg.step[i].after_ms, TM_STEP, to, 0, d->gen);
	if (q->cfg.any_after_ms)
		(void)tm_arm(a, d->entry_ms + q->cfg.any_after_ms, TM_STEP, to, 0, d->gen);
	if (q->cfg.max_wait_ms)
		(void)tm_arm(a, d->entry_ms + q->cfg.max_wait_ms, TM_MAXWAIT, to, 0, d->gen);
	LEAVE(a, 0);
}

int sb_acd_agent_rescan(struct sb_acd *a, uint32_t agi, uint64_t now)
{
	ENTER(a, now);
	if (agi >= a->cfg.max_agents || !a->ag[agi].present)
		LEAVE(a, illegal(a));
	agent_free(a, agi, now);
	LEAVE(a, 0);
}

int sb_acd_agent_join(struct sb_acd *a, uint32_t agi, uint32_t qi, uint64_t now)
{
	struct agent *g;
	struct queue *q;

	if (agi >= a->cfg.max_agents || qi >= a->cfg.max_queues || !a->ag[agi].present ||
	    !a->q[qi].present)
		return -EINVAL;
	ENTER(a, now);
	g = &a->ag[agi];
	q = &a->q[qi];
	for (uint32_t k = 0; k < g->nq; k++)
		if (g->queues[k] == qi)
			LEAVE(a, -EEXIST);
	if (grow((void **)&g->queues, &g->capq, g->nq + 1, sizeof(*g->queues)) < 0 ||
	    grow((void **)&q->m, &q->capm, q->nm + 1, sizeof(*q->m)) < 0)
		LEAVE(a, -ENOMEM);
	g->queues[g->nq++] = qi;
	q->m[q->nm++] = (struct member){ .agent = agi };
	if (g->logged_in && !g->paused)
		q->staffed++;
	agent_free(a, agi, now);
	LEAVE(a, 0);
}

/* Membership ends (the API removed the agent from the queue, or deleted
 * either): an offer already ringing and a call in progress go on (the
 * call keeps its agent); the queue just stops choosing it. */
int sb_acd_agent_leave(struct sb_acd *a, uint32_t agi, uint32_t qi, uint64_t now)
{
	struct agent *g;
	struct queue *q;
	uint32_t k, i;

	if (agi >= a->cfg.max_agents || qi >= a->cfg.max_queues || !a->ag[agi].present ||
	    !a->q[qi].present)
		return -EINVAL;
	ENTER(a, now);
	g = &a->ag[agi];
	q = &a->q[qi];
	for (k = 0; k < g->nq && g->queues[k] != qi; k++)
		;
	for (i = 0; i < q->nm && q->m[i].agent != agi; i++)
		;
	if (k == g->nq || i == q->nm)
		LEAVE(a, -ENOENT);
	memmove(&g->queues[k], &g->queues[k + 1], (g->nq - k - 1) * sizeof(*g->queues));
	g->nq--;
	memmove(&q->m[i], &q->m[i + 1], (q->nm - i - 1) * sizeof(*q->m));
	q->nm--;
	if (q->rr_next >= q->nm)
		q->rr_next = 0;
	if (g->logged_in && !g->paused) {
		q->staffed--;
		if (q->staffed == 0)
			queue_emptied(a, qi);
	}
	LEAVE(a, 0);
}

/* ---- public: agents ---- */

static struct agent *agent_get(struct sb_acd *a, uint32_t agi)
{
	return agi < a->cfg.max_agents && a->ag[agi].present ? &a->ag[agi] : NULL;
}

int sb_acd_agent_login(struct sb_acd *a, uint32_t agi, uint64_t now)
{
	struct agent *g = agent_get(a, agi);

	ENTER(a, now);
	if (g == NULL || g->logged_in)
		LEAVE(a, illegal(a));
	g->logged_in = true;
	g->paused = false;
	g->noanswer_run = 0;
	g->idle_since = now;
	g->busy_until = 0;
	g->resting = false;
	staff(a, agi, +1);
	agent_free(a, agi, now);
	LEAVE(a, 0);
}

int sb_acd_agent_logout(struct sb_acd *a, uint32_t agi, uint64_t now)
{
	struct agent *g = agent_get(a, agi);

	ENTER(a, now);
	if (g == NULL || !g->logged_in || g->ncalls)
		LEAVE(a, illegal(a));
	g->logged_in = false;
	g->gen++;
	g->resting = false;
	if (!g->paused)
		staff(a, agi, -1);
	g->paused = false;
	LEAVE(a, 0);
}

int sb_acd_agent_pause(struct sb_acd *a, uint32_t agi, uint16_t reason, uint64_t now)
{
	struct agent *g = agent_get(a, agi);

	ENTER(a, now);
	if (g == NULL || !g->logged_in || g->paused)
		LEAVE(a, illegal(a));
	g->paused = true;
	g->reason = reason;
	staff(a, agi, -1);
	LEAVE(a, 0);
}

int sb_acd_agent_elsewhere(struct sb_acd *a, uint32_t agi, bool busy, uint64_t now)
{
	struct agent *g = agent_get(a, agi);

	ENTER(a, now);
	if (g == NULL || (busy && g->elsewhere == UINT8_MAX) || (!busy && g->elsewhere == 0))
		LEAVE(a, illegal(a));
	if (busy) {
		g->elsewhere++;
		LEAVE(a, 0);
	}
	g->elsewhere--;
	agent_free(a, agi, now); /* no wrap-up: the engine did not route that call */
	LEAVE(a, 0);
}

int sb_acd_agent_unpause(struct sb_acd *a, uint32_t agi, uint64_t now)
{
	struct agent *g = agent_get(a, agi);

	ENTER(a, now);
	if (g == NULL || !g->logged_in || !g->paused)
		LEAVE(a, illegal(a));
	g->paused = false;
	g->noanswer_run = 0;
	staff(a, agi, +1);
	agent_free(a, agi, now);
	LEAVE(a, 0);
}

/* ---- public: calls ---- */

/* a new caller (or a callback's place back) whose first entry was first_ms */
static int enqueue_at(struct sb_acd *a, uint32_t call, uint32_t qi, uint8_t prio,
		      uint64_t first_ms, uint64_t now)
{
	struct call *c;

	if (call >= a->cfg.max_calls || qi >= a->cfg.max_queues || !a->q[qi].present ||
	    a->c[call].state != CS_FREE || first_ms > now)
		return illegal(a);
	c = &a->c[call];
	c->prio = prio;
	c->first_ms = first_ms;
	c->seq = ++a->seq;
	return enter(a, call, qi, now, 0);
}

int sb_acd_enqueue(struct sb_acd *a, uint32_t call, uint32_t qi, uint8_t prio, uint64_t now)
{
	int rc;

	ENTER(a, now);
	rc = enqueue_at(a, call, qi, prio, now, now);
	LEAVE(a, rc);
}

int sb_acd_would_exit(const struct sb_acd *a, uint32_t qi)
{
	/* enter()'s refusals, overflow hops included */
	for (unsigned hops = 0; qi < a->cfg.max_queues && a->q[qi].present; hops++) {
		const struct queue *q = &a->q[qi];

		if (!q->cfg.join_empty && q->staffed == 0)
			return SB_ACD_EXIT_EMPTY;
		if (!q->cfg.max_len || q->nheap + q->ringing < q->cfg.max_len)
			return -1;
		if (q->cfg.overflow == SB_ACD_NONE || hops >= MAX_OVERFLOW_HOPS)
			return SB_ACD_EXIT_FULL;
		qi = q->cfg.overflow;
	}
	return SB_ACD_EXIT_FULL; /* no such queue */
}

static struct slot *find_offer(struct sb_acd *a, uint32_t call, uint32_t agi)
{
	struct agent *g;

	if (call >= a->cfg.max_calls || agi >= a->cfg.max_agents || a->c[call].state != CS_OFFERED)
		return NULL;
	g = &a->ag[agi];
	for (unsigned i = 0; i < g->cfg.max_calls; i++)
		if ((g->slot[i].phase == PH_RESERVED || g->slot[i].phase == PH_RINGING) &&
		    g->slot[i].call == call)
			return &g->slot[i];
	return NULL;
}

int sb_acd_ringing(struct sb_acd *a, uint32_t call, uint32_t agi, uint64_t now)
{
	struct slot *s;

	ENTER(a, now);
	s = find_offer(a, call, agi);
	if (s == NULL || s->phase != PH_RESERVED)
		LEAVE(a, illegal(a));
	s->phase = PH_RINGING;
	LEAVE(a, 0);
}

/* withdraw every other offer of `call` (ring-all); the agents it frees
 * look for work only once the caller's state is final (free_agents_of) */
static void cancel_offers(struct sb_acd *a, uint32_t call, uint32_t keep)
{
	struct call *c = &a->c[call];
	struct queue *q = &a->q[c->queue];

	for (uint32_t i = 0; i < q->nm && c->noffers; i++) {
		uint32_t agi = q->m[i].agent;
		struct agent *g = &a->ag[agi];

		if (agi == keep)
			continue;
		for (unsigned k = 0; k < g->cfg.max_calls; k++) {
			struct slot *s = &g->slot[k];

			if ((s->phase == PH_RESERVED || s->phase == PH_RINGING) && s->call == call) {
				s->phase = PH_FREE;
				g->ncalls--;
				c->noffers--;
				a->st.cancels++;
				emit(a, SB_ACD_ACT_CANCEL, call, agi, c->queue, SB_ACD_NONE, 0);
			}
		}
	}
}

static void free_agents_of(struct sb_acd *a, uint32_t qi, uint64_t now)
{
	struct queue *q = &a->q[qi];

	for (uint32_t i = 0; i < q->nm; i++)
		if (agent_can_take(&a->ag[q->m[i].agent], now))
			agent_free(a, q->m[i].agent, now);
}

int sb_acd_answer(struct sb_acd *a, uint32_t call, uint32_t agi, uint64_t now)
{
	struct slot *s;
	struct call *c;
	struct queue *q;
	bool others;

	ENTER(a, now);
	s = find_offer(a, call, agi);
	if (s == NULL)
		LEAVE(a, illegal(a));
	c = &a->c[call];
	q = &a->q[c->queue];
	s->phase = PH_ONCALL;
	s->since_ms = now;
	c->noffers--;
	others = c->noffers > 0;
	cancel_offers(a, call, agi);
	q->ringing--;
	c->state = CS_CONNECTED;
	c->agent = agi;
	c->gen++;
	a->ag[agi].noanswer_run = 0;
	q->st.answered++;
	q->st.wait_answered_ms += now - c->entry_ms;
	q->ans_ms[q->nans % EWT_RING] = now;
	q->nans++;
	for (uint32_t i = 0; i < q->nm; i++)
		if (q->m[i].agent == agi)
			q->m[i].calls++;
	if (others)
		free_agents_of(a, c->queue, now);
	LEAVE(a, 0);
}

static int decline(struct sb_acd *a, uint32_t call, uint32_t agi, enum sb_acd_decline why,
		   uint64_t now)
{
	struct slot *s = find_offer(a, call, agi);
	struct agent *g;
	uint32_t delay;

	if (s == NULL || why > SB_ACD_ELSEWHERE)
		return illegal(a);
	g = &a->ag[agi];
	s->phase = PH_FREE;
	g->ncalls--;
	a->c[call].noffers--;
	if (why == SB_ACD_ELSEWHERE) { /* not the agent's doing: no delay, round or figure */
		if (a->c[call].noffers == 0)
			back_to_queue(a, call, now);
		agent_free(a, agi, now);
		return 0;
	}
	call_tried_add(a, call, agi);
	switch (why) {
	case SB_ACD_NOANSWER:
		a->st.noanswers++;
		delay = g->cfg.noanswer_delay_ms;
		g->noanswer_run++;
		break;
	case SB_ACD_REJECT:
		a->st.rejects++;
		delay = g->cfg.reject_delay_ms;
		break;
	default:
		a->st.busies++;
		delay = g->cfg.busy_delay_ms;
		break;
	}
	/* the delay first, so the caller going back is not re-offered to it */
	if (now + delay > g->busy_until)
		g->busy_until = now + delay;
	if (why == SB_ACD_NOANSWER && g->cfg.max_noanswer && g->noanswer_run >= g->cfg.max_noanswer &&
	    !g->paused) {
		g->paused = true;
		g->reason = SB_ACD_REASON_NOANSWER;
		a->st.autopauses++;
		emit(a, SB_ACD_ACT_AUTOPAUSE, SB_ACD_NONE, agi, SB_ACD_NONE, SB_ACD_NONE, 0);
		staff(a, agi, -1);
	}
	if (a->c[call].noffers == 0)
		back_to_queue(a, call, now);
	agent_rest(a, agi, now + delay, now);
	return 0;
}

int sb_acd_decline(struct sb_acd *a, uint32_t call, uint32_t agi, enum sb_acd_decline why,
		   uint64_t now)
{
	int rc;

	ENTER(a, now);
	rc = decline(a, call, agi, why, now);
	LEAVE(a, rc);
}

int sb_acd_abandon(struct sb_acd *a, uint32_t call, uint64_t now)
{
	struct call *c;
	uint32_t qi;

	ENTER(a, now);
	if (call >= a->cfg.max_calls)
		LEAVE(a, illegal(a));
	c = &a->c[call];
	if (c->state != CS_WAITING && c->state != CS_OFFERED)
		LEAVE(a, illegal(a));
	qi = c->queue;
	a->q[qi].st.abandoned++;
	if (c->state == CS_OFFERED) {
		cancel_offers(a, call, SB_ACD_NONE);
		leave_entry(a, call);
		c->state = CS_FREE;
		free_agents_of(a, qi, now);
	} else {
		leave_entry(a, call);
		c->state = CS_FREE;
		try_queue(a, qi, now);  /* the next head may qualify more widely */
	}
	LEAVE(a, 0);
}

int sb_acd_hangup(struct sb_acd *a, uint32_t call, uint64_t now)
{
	struct call *c;
	struct agent *g;
	struct queue *q;
	uint64_t talk;
	uint32_t wu;

	ENTER(a, now);
	if (call >= a->cfg.max_calls || a->c[call].state != CS_CONNECTED)
		LEAVE(a, illegal(a));
	c = &a->c[call];
	g = &a->ag[c->agent];
	q = &a->q[c->queue];
	for (unsigned i = 0; i < g->cfg.max_calls; i++) {
		struct slot *s = &g->slot[i];

		if (s->phase == PH_ONCALL && s->call == call) {
			talk = now - s->since_ms;
			s->phase = PH_FREE;
			g->ncalls--;
			q->st.talk_ms += talk;
			for (uint32_t k = 0; k < q->nm; k++)
				if (q->m[k].agent == c->agent)
					q->m[k].talk_ms += talk;
			break;
		}
	}
	wu = g->cfg.wrapup_ms == SB_ACD_WRAPUP_QUEUE ? q->cfg.wrapup_ms : g->cfg.wrapup_ms;
	c->state = CS_FREE;
	c->gen++;
	if (g->ncalls == 0)
		g->idle_since = now + wu;
	agent_rest(a, c->agent, now + wu, now);
	LEAVE(a, 0);
}

int sb_acd_release(struct sb_acd *a, uint32_t call, uint64_t now)
{
	struct call *c;
	struct agent *g;
	uint32_t qi, agi;

	ENTER(a, now);
	if (call >= a->cfg.max_calls)
		LEAVE(a, illegal(a));
	c = &a->c[call];
	qi = c->queue;
	/* the attempt leaves no trace in the figures: not entered, not
	 * answered (its place enters again with sb_acd_enqueue_keep) */
	switch (c->state) {
	case CS_WAITING:
	case CS_OFFERED:
		/* cancel_offers frees the slots: no decline, no delay */
		if (c->state == CS_OFFERED)
			cancel_offers(a, call, SB_ACD_NONE);
		leave_entry(a, call);
		c->state = CS_FREE;
		a->q[qi].st.entered--;
		free_agents_of(a, qi, now);
		try_queue(a, qi, now);
		break;
	case CS_CONNECTED:
		agi = c->agent;
		g = &a->ag[agi];
		for (unsigned i = 0; i < g->cfg.max_calls; i++)
			if (g->slot[i].phase == PH_ONCALL && g->slot[i].call == call) {
				struct queue *q = &a->q[qi];

				g->slot[i].phase = PH_FREE;
				g->ncalls--;
				q->st.entered--;
				q->st.answered--;
				q->st.wait_answered_ms -= g->slot[i].since_ms - c->entry_ms;
				break;
			}
		c->state = CS_FREE;
		c->gen++;
		agent_rest(a, agi, now, now); /* no wrap-up: it takes the next at once */
		break;
	default:
		LEAVE(a, illegal(a));
	}
	LEAVE(a, 0);
}

int sb_acd_offer_rearm(struct sb_acd *a, uint32_t call, uint32_t agi, uint32_t ring_ms,
		       uint64_t now)
{
	struct slot *s;

	ENTER(a, now);
	s = find_offer(a, call, agi);
	if (s == NULL)
		LEAVE(a, illegal(a));
	s->seq = ++a->offer_seq; /* the timer armed at the offer is stale now */
	if (ring_ms && tm_arm(a, now + ring_ms, TM_RING, call, agi, s->seq) < 0)
		LEAVE(a, -ENOMEM);
	LEAVE(a, 0);
}

int sb_acd_enqueue_keep(struct sb_acd *a, uint32_t call, uint32_t qi, uint8_t prio,
			uint64_t first_ms, uint64_t now)
{
	int rc;

	ENTER(a, now);
	rc = enqueue_at(a, call, qi, prio, first_ms, now);
	LEAVE(a, rc);
}

int sb_acd_tick(struct sb_acd *a, uint64_t now)
{
	ENTER(a, now);
	LEAVE(a, 0);
}

uint64_t sb_acd_next_due(const struct sb_acd *a)
{
	return a->ntm ? a->tm[0].due : UINT64_MAX;
}

/* ---- queries ---- */

enum sb_acd_agent_state sb_acd_agent_state(const struct sb_acd *a, uint32_t agi, uint64_t now,
					   uint16_t *pause_reason)
{
	const struct agent *g;
	unsigned best = PH_FREE;

	if (agi >= a->cfg.max_agents || !a->ag[agi].present || !a->ag[agi].logged_in)
		return SB_ACD_LOGGED_OUT;
	g = &a->ag[agi];
	for (unsigned i = 0; i < g->cfg.max_calls; i++)
		if (g->slot[i].phase > best)
			best = g->slot[i].phase;
	if (best == PH_ONCALL || (best == PH_FREE && g->elsewhere))
		return SB_ACD_ON_CALL;
	if (best == PH_RINGING)
		return SB_ACD_RINGING;
	if (best == PH_RESERVED)
		return SB_ACD_RESERVED;
	if (g->paused) {
		if (pause_reason)
			*pause_reason = g->reason;
		return SB_ACD_PAUSED;
	}
	return now < g->busy_until ? SB_ACD_WRAP_UP : SB_ACD_AVAILABLE;
}

int sb_acd_queue_stats(const struct sb_acd *a, uint32_t qi, struct sb_acd_queue_stats *out)
{
	if (qi >= a->cfg.max_queues || !a->q[qi].present)
		return -EINVAL;
	*out = a->q[qi].st;
	out->waiting = a->q[qi].nheap;
	out->ringing = a->q[qi].ringing;
	return 0;
}

void sb_acd_stats(const struct sb_acd *a, struct sb_acd_stats *out)
{
	*out = a->st;
}

uint32_t sb_acd_position(const struct sb_acd *a, uint32_t call)
{
	const struct call *c;
	const struct queue *q;
	uint32_t pos = 1;

	if (call >= a->cfg.max_calls || a->c[call].state != CS_WAITING)
		return 0;
	c = &a->c[call];
	q = &a->q[c->queue];
	/* O(n): announcements are rare next to routing decisions */
	for (uint32_t i = 0; i < q->nheap; i++)
		if (call_before(&a->c[q->heap[i]], c))
			pos++;
	return pos;
}

double sb_acd_erlang_c(unsigned n, double load)
{
	double b = 1.0;

	if (n == 0 || load >= n)
		return 1.0;
	if (load <= 0)
		return 0.0;
	/* Erlang B by its stable recursion, then C from B */
	for (unsigned k = 1; k <= n; k++)
		b = load * b / (k + load * b);
	return n * b / (n - load * (1.0 - b));
}

double sb_acd_erlang_asa(unsigned n, double load, double aht)
{
	if (n == 0 || load >= n)
		return INFINITY;
	return sb_acd_erlang_c(n, load) * aht / (n - load);
}

uint64_t sb_acd_ewt(const struct sb_acd *a, uint32_t call, uint64_t now)
{
	const struct queue *q;
	uint32_t pos = sb_acd_position(a, call);
	double aht, lambda, load, w;

	if (pos == 0)
		return 0;
	q = &a->q[a->c[call].queue];
	if (q->nans >= SB_ACD_EWT_MIN_HISTORY) {
		uint32_t n = q->nans < EWT_RING ? q->nans : EWT_RING;
		uint64_t last = q->ans_ms[(q->nans - 1) % EWT_RING];
		uint64_t first = q->ans_ms[(q->nans - n) % EWT_RING];
		/* n answers span n-1 gaps; at least 1 ms to stay finite */
		double gap = (double)(last > first ? last - first : 1) / (n - 1);

		return (uint64_t)(pos * gap);
	}
	if (q->staffed == 0)
		return UINT64_MAX;
	aht = q->cfg.aht_ms;
	lambda = now > q->first_arrival ? (double)q->st.entered / (double)(now - q->first_arrival) : 0;
	load = lambda * aht;
	if (load >= q->staffed)
		return (uint64_t)(pos * aht / q->staffed);
	w = sb_acd_erlang_asa(q->staffed, load, aht) + (pos - 1) * aht / q->staffed;
	return (uint64_t)w;
}

/* ---- audit ---- */

#define BAD(...)                                                               \
	do {                                                                   \
		snprintf(why, len, __VA_ARGS__);                               \
		return -EFAULT;                                                \
	} while (0)

static int audit_queues(const struct sb_acd *a, uint64_t now, const uint32_t *ringing_of,
			char *why, size_t len);

int sb_acd_audit(const struct sb_acd *a, uint64_t now, char *why, size_t len)
{
	uint32_t *offers = calloc(a->cfg.max_calls, sizeof(*offers));
	uint32_t *oncall = calloc(a->cfg.max_calls, sizeof(*oncall));
	int rc = 0;

	if (offers == NULL || oncall == NULL) {
		free(offers);
		free(oncall);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < a->cfg.max_agents && rc == 0; i++) {
		const struct agent *g = &a->ag[i];
		unsigned used = 0;

		for (unsigned k = 0; k < SB_ACD_AGENT_MAX_CALLS; k++) {
			const struct slot *s = &g->slot[k];

			if (s->phase == PH_FREE)
				continue;
			if (k >= g->cfg.max_calls) {
				snprintf(why, len, "agent %u slot %u beyond max_calls", i, k);
				rc = -EFAULT;
			}
			used++;
			if (s->phase == PH_ONCALL)
				oncall[s->call]++;
			else
				offers[s->call]++;
		}
		if (used != g->ncalls || used > g->cfg.max_calls) {
			snprintf(why, len, "agent %u: %u slots used, ncalls %u, max %u", i, used,
				 g->ncalls, g->cfg.max_calls);
			rc = -EFAULT;
		}
		if (g->ncalls && !g->logged_in) {
			snprintf(why, len, "agent %u logged out with calls", i);
			rc = -EFAULT;
		}
	}
	for (uint32_t i = 0; i < a->cfg.max_calls && rc == 0; i++) {
		const struct call *c = &a->c[i];

		if (c->state == CS_OFFERED && (offers[i] != c->noffers || offers[i] == 0 || oncall[i])) {
			snprintf(why, len, "call %u offered: %u offers, noffers %u, %u on call", i,
				 offers[i], c->noffers, oncall[i]);
			rc = -EFAULT;
		} else if (c->state == CS_CONNECTED && (oncall[i] != 1 || offers[i])) {
			snprintf(why, len, "call %u connected to %u agents, %u offers", i, oncall[i],
				 offers[i]);
			rc = -EFAULT;
		} else if ((c->state == CS_FREE || c->state == CS_WAITING) && (oncall[i] || offers[i])) {
			snprintf(why, len, "call %u state %u has %u offers %u agents", i, c->state,
				 offers[i], oncall[i]);
			rc = -EFAULT;
		}
	}
	if (rc == 0) {
		/* reuse offers[] as ringing-per-queue (max_calls may be < max_queues) */
		free(offers);
		offers = calloc(a->cfg.max_queues, sizeof(*offers));
		if (offers == NULL)
			rc = -ENOMEM;
		for (uint32_t i = 0; rc == 0 && i < a->cfg.max_calls; i++)
			if (a->c[i].state == CS_OFFERED)
				offers[a->c[i].queue]++;
	}
	if (rc == 0)
		rc = audit_queues(a, now, offers, why, len);
	free(offers);
	free(oncall);
	return rc;
}

static int audit_queues(const struct sb_acd *a, uint64_t now, const uint32_t *ringing_of,
			char *why, size_t len)
{
	for (uint32_t qi = 0; qi < a->cfg.max_queues; qi++) {
		const struct queue *q = &a->q[qi];
		uint32_t ringing = ringing_of[qi], staffed = 0;

		if (!q->present)
			continue;
		for (uint32_t i = 0; i < q->nheap; i++) {
			const struct call *c = &a->c[q->heap[i]];

			if (c->state != CS_WAITING || c->queue != qi || c->heap_pos != i)
				BAD("queue %u heap[%u] = call %u in state %u", qi, i, q->heap[i],
				    c->state);
			if (i && call_before(c, &a->c[q->heap[(i - 1) / 2]]))
				BAD("queue %u heap order broken at %u", qi, i);
		}
		if (ringing != q->ringing)
			BAD("queue %u ringing %u counted %u", qi, ringing, q->ringing);
		for (uint32_t i = 0; i < q->nm; i++) {
			const struct agent *g = &a->ag[q->m[i].agent];

			staffed += g->logged_in && !g->paused;
			/* work conservation: no free member qualifies for the head */
			if (q->nheap && eligible(a, q, g, q->heap[0], now))
				BAD("queue %u: agent %u free and qualified for waiting call %u", qi,
				    q->m[i].agent, q->heap[0]);
		}
		if (staffed != q->staffed)
			BAD("queue %u staffed %u counted %u", qi, staffed, q->staffed);
		if (q->cfg.max_len && q->nheap + q->ringing > q->cfg.max_len)
			BAD("queue %u holds %u > max_len %u", qi, q->nheap + q->ringing,
			    q->cfg.max_len);
	}
	return 0;
}
