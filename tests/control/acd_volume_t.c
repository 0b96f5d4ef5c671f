/* SPDX-License-Identifier: MIT */
/* acd_volume_t — 100,000 calls through the distribution engine on a
 * virtual clock (issue 6: "a deterministic simulation of the routing core
 * ... 100,000 calls across hundreds of agents in seconds"): 30 queues,
 * 300 agents each in 1-3 queues (every strategy but ring-all, wrap-up
 * 0-5 s), Poisson arrivals at ~0.9 occupancy with priorities 0-2, callers
 * who abandon when their patience runs out, agents who ring, answer,
 * reject or let the ring timeout pass, and who pause now and then.
 *
 * The test keeps its own model of every call and agent, built from the
 * engine's actions, and checks:
 *   - every offer goes to a logged-in, unpaused member of the call's queue
 *     with no other call (one call at a time), for a call that is waiting
 *     (one call, one agent);
 *   - the offered caller is the best waiting caller of ALL the agent's
 *     queues (priority, then the longest wait, then arrival), except
 *     callers this agent already declined: FIFO within a priority and fair
 *     order across queues that share agents;
 *   - every answer, reject and hang-up is accepted; the engine's audit
 *     holds every 5,000 events; at the end every call ended exactly once
 *     (answered and hung up, or abandoned) and every agent is free;
 *   - the figures: per queue, offered / answered / abandoned / short
 *     abandons / answered within the service level / waits / talk and
 *     handle time counted here directly equal both the engine's
 *     sb_acd_queue_stats and the live figures (acd/qstats.h) fed the same
 *     events as b2bua/queue.c feeds them.
 * Usage: acd_volume_t [calls [seed]]; prints the figures and the run time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/qstats.h"
#include "acd_t.h"

enum { NQ = 30, NAG = 300, NSLOT = 4096, MAXQ_PER_AG = 3, MAXDECL = 8 };
#define RING_MS 15000u
#define SL_MS 20000u
#define SHORT_MS 5000u

enum ev_kind { E_ARRIVE, E_PATIENCE, E_RING, E_RESPOND, E_HANGUP, E_PAUSE, E_UNPAUSE };
enum resp { R_ANSWER, R_REJECT, R_NOANSWER };
enum cst { C_NONE, C_WAITING, C_OFFERED, C_CONNECTED, C_DONE };

struct ev {
	uint64_t t, seq;
	uint8_t kind, resp;
	uint32_t call, agent, gen;
};

struct mcall {
	uint8_t st, prio;
	uint32_t queue, slot, agent, gen, wpos;
	uint64_t entry, seq, answered_at;
	uint32_t decl[MAXDECL];
	uint8_t ndecl;
};

struct magent {
	bool paused;
	uint32_t call;             /* UINT32_MAX free */
	uint32_t nq, q[MAXQ_PER_AG];
	uint32_t wrapup_ms;
};

struct mqueue {
	uint32_t *wait, nwait;     /* waiting call ids (unordered) */
	uint32_t wrapup_ms;
	/* counted here */
	uint64_t offered, answered, abandoned, shrt, within, wait_ans, talk, handle, completed;
};

static uint32_t ncalls = 100000;
static struct mcall *mc;
static struct magent ma[NAG];
static struct mqueue mq[NQ];
static uint32_t slot_call[NSLOT], free_slot[NSLOT], nfree;
static struct ev *heap;
static size_t nheap, heapcap;
static uint64_t now, evseq, arrseq, rng;
static struct sb_acd *acd;
static struct sb_qstats *qs;
static struct rec rec;
static uint64_t n_offers, n_answers, n_abandons, n_rejects, n_noanswers, n_done, n_events;

static uint64_t rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rnd64() % n);
}

static uint64_t expo(double mean_ms)
{
	double u = ((double)(rnd64() >> 11) + 1.0) / 9007199254740993.0;

	return (uint64_t)(-log(u) * mean_ms);
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct ev e)
{
	size_t i;

	if (nheap == heapcap) {
		heapcap = heapcap ? 2 * heapcap : 4096;
		heap = realloc(heap, heapcap * sizeof(*heap));
		T_ASSERT(heap != NULL);
	}
	e.seq = evseq++;
	i = nheap++;
	while (i > 0 && ev_less(&e, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = e;
}

static struct ev pop(void)
{
	struct ev top = heap[0], last = heap[--nheap];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = l;

		if (l >= nheap)
			break;
		if (l + 1 < nheap && ev_less(&heap[l + 1], &heap[l]))
			m = l + 1;
		if (!ev_less(&heap[m], &last))
			break;
		heap[i] = heap[m];
		i = m;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static void wait_add(struct mcall *c, uint32_t id)
{
	struct mqueue *q = &mq[c->queue];

	c->wpos = q->nwait;
	q->wait[q->nwait++] = id;
}

static void wait_del(struct mcall *c)
{
	struct mqueue *q = &mq[c->queue];
	uint32_t last = q->wait[--q->nwait];

	q->wait[c->wpos] = last;
	mc[last].wpos = c->wpos;
}

/* a is a better caller than b: priority, then waited longer, then came first */
static bool better(const struct mcall *a, const struct mcall *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio;
	if (a->entry != b->entry)
		return a->entry < b->entry;
	return a->seq < b->seq;
}

static bool declined_by(const struct mcall *c, uint32_t ag)
{
	for (unsigned i = 0; i < c->ndecl; i++)
		if (c->decl[i] == ag)
			return true;
	return c->ndecl == MAXDECL; /* (more than the model keeps: not checked) */
}

static void qev(enum sb_qev_type t, const struct mcall *c, int ag, uint64_t wait, uint64_t talk)
{
	struct sb_qevent e;
	uint32_t wu = 0;

	memset(&e, 0, sizeof(e));
	e.type = t;
	e.wait_ms = (uint32_t)wait;
	e.talk_ms = (uint32_t)talk;
	if (ag >= 0)
		wu = ma[ag].wrapup_ms == SB_ACD_WRAPUP_QUEUE ? mq[c->queue].wrapup_ms
							     : ma[ag].wrapup_ms;
	sb_qstats_add(qs, &e, (int)c->queue, ag, now, wu);
}

static void on_offer(const struct sb_acd_action *x)
{
	uint32_t id = slot_call[x->call], ag = x->agent;
	struct mcall *c = &mc[id];
	struct magent *g = &ma[ag];
	bool member = false;

	T_ASSERT(x->call < NSLOT && ag < NAG && x->queue == c->queue);
	T_ASSERT(c->st == C_WAITING);          /* one call, one agent */
	T_ASSERT(g->call == UINT32_MAX);       /* one call at a time */
	T_ASSERT(!g->paused);
	for (uint32_t i = 0; i < g->nq; i++)
		member |= g->q[i] == c->queue;
	T_ASSERT(member);
	/* the best waiting caller of all its queues, but those it declined */
	for (uint32_t i = 0; i < g->nq; i++) {
		const struct mqueue *q = &mq[g->q[i]];

		for (uint32_t k = 0; k < q->nwait; k++) {
			const struct mcall *w = &mc[q->wait[k]];

			if (w != c && better(w, c) && !declined_by(w, ag)) {
				fprintf(stderr, "t=%llu: agent %u offered call %u (queue %u prio %u "
					"entry %llu) before call %u (queue %u prio %u entry %llu)\n",
					(unsigned long long)now, ag, id, c->queue, c->prio,
					(unsigned long long)c->entry, q->wait[k], w->queue, w->prio,
					(unsigned long long)w->entry);
				exit(1);
			}
		}
	}
	wait_del(c);
	c->st = C_OFFERED;
	c->agent = ag;
	c->gen++;
	g->call = id;
	n_offers++;
	push((struct ev){ .t = now + 100, .kind = E_RING, .call = id, .agent = ag, .gen = c->gen });
	{
		uint32_t r = rnd(100);
		uint8_t k = r < 93 ? R_ANSWER : r < 97 ? R_REJECT : R_NOANSWER;
		uint64_t after = k == R_ANSWER ? 1000 + rnd(7000) : k == R_REJECT ? 1500 : RING_MS * 2;

		push((struct ev){ .t = now + after, .kind = E_RESPOND, .resp = k, .call = id,
				  .agent = ag, .gen = c->gen });
	}
}

/* an offer ended without an answer: the caller waits again (or is gone) */
static void offer_over(struct mcall *c, uint32_t id)
{
	struct magent *g = &ma[c->agent];

	T_ASSERT(g->call == id);
	g->call = UINT32_MAX;
	if (c->ndecl < MAXDECL)
		c->decl[c->ndecl++] = c->agent;
	c->agent = UINT32_MAX;
	c->gen++;
	if (c->st == C_OFFERED) {
		c->st = C_WAITING;
		wait_add(c, id);
	}
}

static void drain(void)
{
	for (unsigned i = 0; i < rec.n; i++) {
		const struct sb_acd_action *x = &rec.act[i];
		uint32_t id = x->call < NSLOT ? slot_call[x->call] : UINT32_MAX;

		switch (x->type) {
		case SB_ACD_ACT_OFFER:
			on_offer(x);
			break;
		case SB_ACD_ACT_CANCEL:
			T_ASSERT(id < ncalls && mc[id].agent == x->agent);
			if (mc[id].st == C_DONE) { /* the caller abandoned while it rang */
				mc[id].agent = UINT32_MAX;
				break;
			}
			T_ASSERT(mc[id].st == C_OFFERED); /* the ring timeout */
			n_noanswers++;
			offer_over(&mc[id], id);
			break;
		default: /* no max wait, length, overflow, empty rules, auto-pause here */
			fprintf(stderr, "unexpected action %d call %u\n", x->type, x->call);
			exit(1);
		}
	}
	rec.n = rec.seen = 0;
}

static void run_timers(uint64_t until)
{
	uint64_t due;

	while ((due = sb_acd_next_due(acd)) <= until) {
		if (due > now)
			now = due;
		OK(sb_acd_tick(acd, now));
		drain();
	}
}

static void arrive(uint32_t id)
{
	struct mcall *c = &mc[id];
	uint32_t r = rnd(100);

	T_ASSERT(nfree > 0);
	c->slot = free_slot[--nfree];
	slot_call[c->slot] = id;
	c->queue = rnd(NQ);
	c->prio = r < 80 ? 0 : r < 95 ? 1 : 2;
	c->entry = now;
	c->seq = arrseq++;
	c->agent = UINT32_MAX;
	c->st = C_WAITING;
	wait_add(c, id);
	mq[c->queue].offered++;
	qev(SB_QEV_ENTER, c, -1, 0, 0);
	OK(sb_acd_enqueue(acd, c->slot, c->queue, c->prio, now));
	drain();
	push((struct ev){ .t = now + 1000 + expo(150000), .kind = E_PATIENCE, .call = id });
	if (id + 1 < ncalls)
		push((struct ev){ .t = now + expo(1000.0 / 1.5), .kind = E_ARRIVE, .call = id + 1 });
}

static void release_slot(struct mcall *c)
{
	free_slot[nfree++] = c->slot;
	slot_call[c->slot] = UINT32_MAX;
	c->st = C_DONE;
	n_done++;
}

static void step(const struct ev *e)
{
	struct mcall *c = e->kind <= E_HANGUP ? &mc[e->call] : NULL;
	struct mqueue *q = c ? &mq[c->queue] : NULL;

	switch (e->kind) {
	case E_ARRIVE:
		arrive(e->call);
		break;
	case E_PATIENCE:
		if (c->st != C_WAITING && c->st != C_OFFERED)
			break;
		if (c->st == C_WAITING) {
			wait_del(c);
		} else { /* ringing: the engine cancels its offer (CANCEL, in drain) */
			ma[c->agent].call = UINT32_MAX;
			c->gen++;
		}
		c->st = C_DONE;
		OK(sb_acd_abandon(acd, c->slot, now));
		q->abandoned++;
		q->shrt += now - c->entry < SHORT_MS;
		qev(SB_QEV_ABANDON, c, -1, now - c->entry, 0);
		n_abandons++;
		drain();
		T_ASSERT(c->agent == UINT32_MAX); /* its offer was cancelled */
		release_slot(c);
		break;
	case E_RING:
		if (c->st == C_OFFERED && c->gen == e->gen)
			OK(sb_acd_ringing(acd, c->slot, e->agent, now));
		drain();
		break;
	case E_RESPOND:
		if (c->st != C_OFFERED || c->gen != e->gen)
			break;
		if (e->resp == R_ANSWER) {
			OK(sb_acd_answer(acd, c->slot, e->agent, now));
			c->st = C_CONNECTED;
			c->answered_at = now;
			q->answered++;
			q->wait_ans += now - c->entry;
			q->within += now - c->entry <= SL_MS;
			qev(SB_QEV_CONNECT, c, (int)e->agent, now - c->entry, 0);
			n_answers++;
			push((struct ev){ .t = now + 10000 + expo(160000), .kind = E_HANGUP,
					  .call = e->call, .agent = e->agent });
		} else if (e->resp == R_REJECT) {
			offer_over(c, e->call);
			OK(sb_acd_decline(acd, c->slot, e->agent, SB_ACD_REJECT, now));
			n_rejects++;
		}
		drain();
		break;
	case E_HANGUP: {
		struct magent *g = &ma[e->agent];
		uint64_t talk = now - c->answered_at;
		uint32_t wu = g->wrapup_ms == SB_ACD_WRAPUP_QUEUE ? q->wrapup_ms : g->wrapup_ms;

		T_ASSERT(c->st == C_CONNECTED && g->call == e->call);
		OK(sb_acd_hangup(acd, c->slot, now));
		g->call = UINT32_MAX;
		q->talk += talk;
		q->handle += talk + wu;
		q->completed++;
		qev(SB_QEV_COMPLETE, c, (int)e->agent, 0, talk);
		release_slot(c);
		drain();
		break;
	}
	case E_PAUSE:
		if (!ma[e->agent].paused) {
			OK(sb_acd_agent_pause(acd, e->agent, 7, now));
			ma[e->agent].paused = true;
			push((struct ev){ .t = now + 30000 + rnd(90000), .kind = E_UNPAUSE,
					  .agent = e->agent });
		}
		drain();
		if (n_done < ncalls)
			push((struct ev){ .t = now + expo(60000), .kind = E_PAUSE, .agent = rnd(NAG) });
		break;
	case E_UNPAUSE:
		OK(sb_acd_agent_unpause(acd, e->agent, now));
		ma[e->agent].paused = false;
		drain();
		break;
	}
}

static void setup(void)
{
	static const enum sb_acd_strategy strat[] = { SB_ACD_LONGEST_IDLE, SB_ACD_ROUND_ROBIN,
						      SB_ACD_FEWEST_CALLS, SB_ACD_LEAST_TALK,
						      SB_ACD_RANDOM, SB_ACD_LINEAR };

	acd = acd_new(&rec, NQ, NAG, NSLOT, rng);
	qs = sb_qstats_create(NQ, NAG);
	T_ASSERT(qs != NULL);
	for (uint32_t q = 0; q < NQ; q++) {
		struct sb_acd_queue_cfg c = qcfg(strat[q % 6]);

		c.ring_ms = RING_MS;
		c.wrapup_ms = mq[q].wrapup_ms = rnd(6) * 1000;
		OK(sb_acd_queue_add(acd, q, &c));
		sb_qstats_queue_cfg(qs, q, SL_MS, SHORT_MS);
		mq[q].wait = calloc(NSLOT, sizeof(uint32_t));
		T_ASSERT(mq[q].wait != NULL);
	}
	for (uint32_t ag = 0; ag < NAG; ag++) {
		struct sb_acd_agent_cfg c = acfg();
		struct magent *g = &ma[ag];

		c.noanswer_delay_ms = 2000;
		c.reject_delay_ms = 2000;
		g->wrapup_ms = c.wrapup_ms = rnd(3) == 0 ? rnd(4) * 1000 : SB_ACD_WRAPUP_QUEUE;
		OK(sb_acd_agent_add(acd, ag, &c));
		g->call = UINT32_MAX;
		/* every queue gets 10 agents first, then 1-3 queues each */
		g->q[g->nq++] = ag % NQ;
		for (uint32_t k = 1 + rnd(MAXQ_PER_AG); g->nq < k;) {
			uint32_t q = rnd(NQ);
			bool dup = false;

			for (uint32_t i = 0; i < g->nq; i++)
				dup |= g->q[i] == q;
			if (!dup)
				g->q[g->nq++] = q;
		}
		for (uint32_t i = 0; i < g->nq; i++)
			OK(sb_acd_agent_join(acd, ag, g->q[i], 0));
		OK(sb_acd_agent_login(acd, ag, 0));
	}
	for (uint32_t s = 0; s < NSLOT; s++) {
		free_slot[nfree++] = NSLOT - 1 - s;
		slot_call[s] = UINT32_MAX;
	}
	drain();
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	uint64_t seed = 42;
	double secs;

	if (argc > 1)
		ncalls = (uint32_t)strtoul(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	rng = seed | 1;
	mc = calloc(ncalls, sizeof(*mc));
	T_ASSERT(mc != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	setup();
	push((struct ev){ .t = 1000, .kind = E_ARRIVE, .call = 0 });
	push((struct ev){ .t = 30000, .kind = E_PAUSE, .agent = rnd(NAG) });
	while (nheap) {
		struct ev e = pop();

		run_timers(e.t);
		if (e.t > now)
			now = e.t;
		step(&e);
		if (++n_events % 5000 == 0)
			AUDIT(acd, now);
		if (n_done == ncalls && nheap && heap[0].kind >= E_PAUSE)
			break; /* only pauses left */
	}
	run_timers(now + 3600000); /* wrap-ups and delays end */
	AUDIT(acd, now);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	/* every call ended once, every agent free */
	T_ASSERT_EQ_U64(n_done, ncalls);
	T_ASSERT_EQ_U64(n_answers + n_abandons, ncalls);
	for (uint32_t i = 0; i < ncalls; i++)
		T_ASSERT(mc[i].st == C_DONE);
	for (uint32_t ag = 0; ag < NAG; ag++)
		T_ASSERT(ma[ag].call == UINT32_MAX);
	/* the figures three ways */
	for (uint32_t q = 0; q < NQ; q++) {
		struct sb_acd_queue_stats st;
		const struct sb_qfig_queue *f = sb_qstats_queue(qs, q);
		const struct mqueue *m = &mq[q];

		OK(sb_acd_queue_stats(acd, q, &st));
		T_ASSERT_EQ_U64(st.entered, m->offered);
		T_ASSERT_EQ_U64(st.answered, m->answered);
		T_ASSERT_EQ_U64(st.abandoned, m->abandoned);
		T_ASSERT_EQ_U64(st.wait_answered_ms, m->wait_ans);
		T_ASSERT_EQ_U64(st.talk_ms, m->talk);
		T_ASSERT_EQ_U64(st.waiting + st.ringing, 0);
		T_ASSERT_EQ_U64(f->offered, m->offered);
		T_ASSERT_EQ_U64(f->answered, m->answered);
		T_ASSERT_EQ_U64(f->abandoned, m->abandoned);
		T_ASSERT_EQ_U64(f->short_abandoned, m->shrt);
		T_ASSERT_EQ_U64(f->answered_within, m->within);
		T_ASSERT_EQ_U64(f->wait_answered_ms, m->wait_ans);
		T_ASSERT_EQ_U64(f->talk_ms, m->talk);
		T_ASSERT_EQ_U64(f->handle_ms, m->handle);
		T_ASSERT_EQ_U64(f->completed, m->completed);
		T_ASSERT_EQ_U64(sb_qfig_asa_ms(f), m->answered ? m->wait_ans / m->answered : 0);
	}
	{
		uint64_t off = 0, ans = 0, within = 0, ab = 0, wait = 0;

		for (uint32_t q = 0; q < NQ; q++) {
			off += mq[q].offered;
			ans += mq[q].answered;
			within += mq[q].within;
			ab += mq[q].abandoned;
			wait += mq[q].wait_ans;
		}
		printf("%u calls, %u agents, %u queues, %.1f h simulated in %.2f s (%llu events): "
		       "%llu offers, %llu answered (%.1f%% within %u s, ASA %.1f s), %llu abandoned, "
		       "%llu rejects, %llu ring timeouts\n",
		       ncalls, NAG, NQ, (double)now / 3600000.0, secs, (unsigned long long)n_events,
		       (unsigned long long)n_offers, (unsigned long long)ans,
		       ans ? 100.0 * (double)within / (double)ans : 0.0, SL_MS / 1000,
		       ans ? (double)wait / (double)ans / 1000.0 : 0.0, (unsigned long long)ab,
		       (unsigned long long)n_rejects, (unsigned long long)n_noanswers);
		T_ASSERT(off == ncalls && ab > 0 && n_rejects > 0 && n_noanswers > 0);
	}
	sb_qstats_free(qs);
	sb_acd_free(acd);
	for (uint32_t q = 0; q < NQ; q++)
		free(mq[q].wait);
	free(mc);
	free(heap);
	return 0;
}
