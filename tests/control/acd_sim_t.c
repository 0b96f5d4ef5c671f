/* SPDX-License-Identifier: MIT */
/* acd_sim_t — seeded randomized simulation of the engine on a virtual
 * clock: random queues (every strategy, skills and steps, max length, max
 * wait, overflow, join/leave-empty) and agents (shared by several queues,
 * 1-3 lines, delays, auto-pause), and tens of thousands of random events:
 * calls arriving, agents logging in/out/pausing, ringing, answering, not
 * answering, rejecting, hanging up, callers abandoning, waiting callers
 * moved to a free index keeping their place (callbacks, sb_acd_call_move;
 * refused for an offered one), a callback attempt that failed released
 * (sb_acd_release, waiting, offered or connected) and sometimes entered
 * again keeping its first entry and priority (sb_acd_enqueue_keep), an
 * offer held or re-timed (sb_acd_offer_rearm), time passing.
 *
 * The test keeps its own model of every call and agent, built only from
 * the engine's actions and its return codes, and after every event checks:
 * a call is connected to exactly one agent and has no offer left; an agent
 * never holds more than its lines; an offer goes only to a logged-in,
 * unpaused member of the call's queue, and (when the caller was waiting)
 * to the best waiting caller of that queue (priority, then first entry:
 * FIFO within a priority), and not to an agent that did not answer this
 * caller while another free member of its queue has not been tried this
 * round (queues without skills, not ring-all; delays are often 0 so that
 * the agent is free again at once); every state change is accepted exactly when the
 * model says it is legal; every queue's entries add up (entered =
 * answered + abandoned + overflowed + timed out + empty + still there);
 * plus the engine's own audit (slots vs calls, heap order, work
 * conservation).  At the end every caller has ended exactly once:
 * answered, abandoned or exited.  Usage: acd_sim_t [seed events];
 * ACD_SIM_TRACE=1 prints every event and action. */
#include <stdlib.h>

#include "acd_t.h"

enum { NQ = 16, NAG = 48, NCALLS = 256 };
enum { M_NONE, M_IN, M_CONN };

struct mcall {
	int st;
	uint32_t queue, agent;
	uint8_t prio;
	uint64_t first, seq;
	uint64_t offers, ringing;   /* agent bitmaps */
	uint64_t declined;          /* agents that did not answer it this round */
};

struct magent {
	bool logged, paused;
	unsigned lines;
};

static struct mcall mc[NCALLS];
static struct magent ma[NAG];
static uint64_t members[NQ];        /* agent bitmap per queue */
static bool round_checked[NQ];      /* no skills, not ring-all: rounds are checked */
static struct sb_acd *sim_a;        /* for state queries from the callback */
/* an offer to an agent that did not answer the caller while `free` had
 * not been tried and was free: a violation if `free` is still free once
 * the event is over (check_all) */
static struct untried { uint32_t call, agent, free; } untried[64];
static unsigned n_untried;
static bool was_free[NAG];          /* AVAILABLE after the last event */
static uint64_t now, seqno;
static uint64_t n_entered, n_answered, n_abandoned, n_exits, n_moves, n_offers, n_callbacks;
static uint64_t n_releases, n_rearms;  /* callback attempts failed; offers held/re-timed */
static uint64_t rng = 1;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static unsigned load(uint32_t ag)
{
	unsigned n = 0;

	for (uint32_t c = 0; c < NCALLS; c++)
		n += (mc[c].offers >> ag & 1) + (mc[c].st == M_CONN && mc[c].agent == ag);
	return n;
}

static bool before(const struct mcall *x, const struct mcall *y)
{
	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (x->first != y->first)
		return x->first < y->first;
	return x->seq < y->seq;
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "t=%llu: %s: ", (unsigned long long)now, #cond); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			exit(1);                                               \
		}                                                              \
	} while (0)

static void on_act(void *arg, const struct sb_acd_action *x)
{
	struct mcall *c = x->call < NCALLS ? &mc[x->call] : NULL;

	(void)arg;
	if (getenv("ACD_SIM_TRACE"))
		fprintf(stderr, "  act %d call %u agent %u queue %u to %u\n", x->type, x->call,
			x->agent, x->queue, x->to_queue);
	switch (x->type) {
	case SB_ACD_ACT_OFFER:
		CHECK(c && c->st == M_IN && c->queue == x->queue, "offer of call %u", x->call);
		CHECK(x->agent < NAG && (members[x->queue] >> x->agent & 1), "offer to non-member");
		CHECK(ma[x->agent].logged && !ma[x->agent].paused, "offer to agent %u not ready",
		      x->agent);
		CHECK(!(c->offers >> x->agent & 1), "offered twice");
		/* rounds: an agent that did not answer this caller is offered it
		 * again only when no other member it has not tried is free */
		if (round_checked[x->queue] && (c->declined >> x->agent & 1)) {
			uint64_t others = members[x->queue] & ~c->declined;

			/* free before the event and still free once it is over
			 * (a rest ending during a late tick counts from its end:
			 * an agent free earlier may rightly have gone first) */
			for (; others; others &= others - 1) {
				uint32_t m = (uint32_t)__builtin_ctzll(others);

				if (was_free[m] && n_untried < 64)
					untried[n_untried++] = (struct untried){ x->call, x->agent, m };
			}
			c->declined = 0; /* a new round */
		}
		if (c->offers == 0)  /* it was waiting: it must be the queue's best */
			for (uint32_t o = 0; o < NCALLS; o++)
				CHECK(!(o != x->call && mc[o].st == M_IN && mc[o].offers == 0 &&
					mc[o].queue == x->queue && before(&mc[o], c)),
				      "call %u offered before call %u of queue %u", x->call, o,
				      x->queue);
		c->offers |= 1ull << x->agent;
		n_offers++;
		break;
	case SB_ACD_ACT_CANCEL:
		CHECK(c && (c->offers >> x->agent & 1), "cancel of no offer");
		c->offers &= ~(1ull << x->agent);
		c->declined |= 1ull << x->agent; /* a ring timeout (else it ends) */
		c->ringing &= ~(1ull << x->agent);
		break;
	case SB_ACD_ACT_MOVE:
		CHECK(c && c->st == M_IN && c->offers == 0 && c->queue == x->queue, "move");
		c->queue = x->to_queue;
		c->declined = 0;
		n_moves++;
		break;
	case SB_ACD_ACT_EXIT:
		CHECK(c && c->st == M_IN && c->offers == 0 && c->queue == x->queue, "exit");
		c->st = M_NONE;
		n_exits++;
		break;
	case SB_ACD_ACT_AUTOPAUSE:
		CHECK(x->agent < NAG && ma[x->agent].logged && !ma[x->agent].paused, "autopause");
		ma[x->agent].paused = true;
		break;
	}
}

static void check_all(struct sb_acd *a)
{
	uint64_t ans = 0, ab = 0, ex = 0;

	/* the engine knows the time only through its calls; sb-control arms
	 * a loop timer for sb_acd_next_due(), so an idle step fires it */
	if (sb_acd_next_due(a) <= now)
		OK(sb_acd_tick(a, now));
	AUDIT(a, now);
	for (unsigned i = 0; i < n_untried; i++)
		CHECK(sb_acd_agent_state(a, untried[i].free, now, NULL) != SB_ACD_AVAILABLE,
		      "call %u offered again to agent %u, which did not answer it, while agent "
		      "%u had not been tried and was free before and after", untried[i].call,
		      untried[i].agent, untried[i].free);
	n_untried = 0;
	for (uint32_t g = 0; g < NAG; g++)
		was_free[g] = sb_acd_agent_state(a, g, now, NULL) == SB_ACD_AVAILABLE;
	for (uint32_t c = 0; c < NCALLS; c++) {
		if (mc[c].st == M_CONN)
			CHECK(mc[c].offers == 0, "call %u connected with offers left", c);
		if (mc[c].st == M_NONE)
			CHECK(mc[c].offers == 0, "call %u gone with offers", c);
	}
	unsigned loads[NAG] = { 0 };

	for (uint32_t c = 0; c < NCALLS; c++) {
		for (uint64_t m = mc[c].offers; m; m &= m - 1)
			loads[__builtin_ctzll(m)]++;
		if (mc[c].st == M_CONN)
			loads[mc[c].agent]++;
	}
	for (uint32_t g = 0; g < NAG; g++) {
		unsigned l = loads[g];
		enum sb_acd_agent_state s = sb_acd_agent_state(a, g, now, NULL);

		CHECK(l <= ma[g].lines, "agent %u holds %u > %u", g, l, ma[g].lines);
		CHECK((s == SB_ACD_LOGGED_OUT) == !ma[g].logged, "agent %u logged state", g);
		if (ma[g].logged && l == 0)
			CHECK((s == SB_ACD_PAUSED) == ma[g].paused, "agent %u paused state", g);
		if (l)
			CHECK(s == SB_ACD_RESERVED || s == SB_ACD_RINGING || s == SB_ACD_ON_CALL,
			      "agent %u with calls in state %d", g, s);
	}
	for (uint32_t q = 0; q < NQ; q++) {
		struct sb_acd_queue_stats s;

		OK(sb_acd_queue_stats(a, q, &s));
		CHECK(s.entered == s.answered + s.abandoned + s.overflowed + s.timed_out + s.empty +
				   s.waiting + s.ringing, "queue %u entries do not add up", q);
		ans += s.answered;
		ab += s.abandoned;
		ex += s.timed_out + s.empty + s.overflowed;
	}
	CHECK(ans == n_answered && ab == n_abandoned && ex == n_exits + n_moves,
	      "queue totals %llu/%llu/%llu vs model %llu/%llu/%llu+%llu", (unsigned long long)ans,
	      (unsigned long long)ab, (unsigned long long)ex, (unsigned long long)n_answered,
	      (unsigned long long)n_abandoned, (unsigned long long)n_exits,
	      (unsigned long long)n_moves);
}

static struct sb_acd *build(uint64_t seed)
{
	struct sb_acd_cfg cfg = { .max_queues = NQ, .max_agents = NAG, .max_calls = NCALLS,
				  .seed = seed, .emit = on_act };
	struct sb_acd *a = sb_acd_create(&cfg);

	T_ASSERT(a != NULL);
	sim_a = a;
	for (uint32_t q = 0; q < NQ; q++) {
		struct sb_acd_queue_cfg c = qcfg(rnd(SB_ACD_STRATEGY_N));

		c.nreq = rnd(3);
		for (unsigned i = 0; i < c.nreq; i++) {
			c.req[i].skill = rnd(8);
			c.req[i].level = 1 + rnd(5);
		}
		c.nsteps = rnd(3);
		for (unsigned i = 0; i < c.nsteps; i++)
			c.step[i] = (struct sb_acd_step){ 5000 * (i + 1) + rnd(5000), 1 + i + rnd(2) };
		c.any_after_ms = rnd(2) ? 20000 + rnd(40000) : 0;
		c.max_len = rnd(2) ? 3 + rnd(8) : 0;
		c.max_wait_ms = rnd(2) ? 20000 + rnd(100000) : 0;
		c.overflow = rnd(3) == 0 ? (q + 1 + rnd(NQ - 1)) % NQ : SB_ACD_NONE;
		c.wrapup_ms = rnd(5000);
		c.ring_ms = rnd(2) ? 5000 + rnd(15000) : 0;
		c.join_empty = rnd(10) < 7;
		c.leave_when_empty = rnd(10) < 3;
		round_checked[q] = c.nreq == 0 && c.strategy != SB_ACD_RING_ALL;
		OK(sb_acd_queue_add(a, q, &c));
	}
	for (uint32_t g = 0; g < NAG; g++) {
		struct sb_acd_agent_cfg c = acfg();
		unsigned nq = 1 + rnd(3);

		c.max_calls = rnd(10) < 8 ? 1 : 2 + rnd(2);
		ma[g].lines = c.max_calls;
		c.wrapup_ms = rnd(2) ? SB_ACD_WRAPUP_QUEUE : rnd(3000);
		/* 0 often: the same caller could then go straight back to it */
		c.noanswer_delay_ms = rnd(3) ? rnd(3000) : 0;
		c.reject_delay_ms = rnd(3) ? rnd(3000) : 0;
		c.busy_delay_ms = rnd(3) ? rnd(3000) : 0;
		c.max_noanswer = rnd(2) ? 2 + rnd(3) : 0;
		for (unsigned s = 0; s < 8; s++)
			c.level[s] = rnd(6);
		OK(sb_acd_agent_add(a, g, &c));
		for (unsigned i = 0; i < nq; i++) {
			uint32_t q = rnd(NQ);
			int rc = sb_acd_agent_join(a, g, q, 0);

			T_ASSERT(rc == 0 || rc == -EEXIST);
			members[q] |= 1ull << g;
		}
	}
	return a;
}

static int pick_call(int st, bool with_offers)
{
	uint32_t start = rnd(NCALLS);

	for (uint32_t k = 0; k < NCALLS; k++) {
		uint32_t c = (start + k) % NCALLS;

		if (mc[c].st == st && (!with_offers || mc[c].offers))
			return (int)c;
	}
	return -1;
}

static uint32_t pick_bit(uint64_t mask)
{
	uint32_t n = (uint32_t)__builtin_popcountll(mask), k = rnd(n);

	for (uint32_t i = 0; i < 64; i++)
		if ((mask >> i & 1) && k-- == 0)
			return i;
	return 0;
}

static void step(struct sb_acd *a)
{
	uint32_t e = rnd(100);
	int c;

	now += rnd(1500);
	if (getenv("ACD_SIM_TRACE"))
		fprintf(stderr, "t=%llu e=%u\n", (unsigned long long)now, e);
	/* timers due by now fire first (the loop's timer), so the model is
	 * not mid-change when their actions arrive */
	if (sb_acd_next_due(a) <= now)
		OK(sb_acd_tick(a, now));
	if (e < 25) {                                   /* a caller arrives */
		c = pick_call(M_NONE, false);
		if (c < 0)
			return;
		mc[c] = (struct mcall){ .st = M_IN, .queue = rnd(NQ), .prio = (uint8_t)rnd(3),
					.first = now, .seq = ++seqno };
		n_entered++;
		OK(sb_acd_enqueue(a, c, mc[c].queue, mc[c].prio, now));
	} else if (e < 55) {                            /* an offered agent acts */
		uint32_t g, what = rnd(11);
		int rc;

		c = pick_call(M_IN, true);
		if (c < 0)
			return;
		g = pick_bit(mc[c].offers);
		if (getenv("ACD_SIM_TRACE"))
			fprintf(stderr, "  call %d agent %u what %u queue %u\n", c, g, what, mc[c].queue);
		if (what < 3) {
			bool was = mc[c].ringing >> g & 1;

			rc = sb_acd_ringing(a, c, g, now);
			CHECK(rc == (was ? -EINVAL : 0), "ringing rc %d", rc);
			mc[c].ringing |= 1ull << g;
		} else if (what < 7) {
			mc[c].offers &= ~(1ull << g);
			mc[c].ringing = 0;
			mc[c].st = M_CONN;
			mc[c].agent = g;
			n_answered++;
			rc = sb_acd_answer(a, c, g, now);
			CHECK(rc == 0, "answer rc %d", rc);
			/* a second answer, by anyone, is refused */
			CHECK(sb_acd_answer(a, c, g, now) == -EINVAL, "answered twice");
		} else if (what < 10) {
			mc[c].offers &= ~(1ull << g);
			mc[c].ringing &= ~(1ull << g);
			mc[c].declined |= 1ull << g;
			rc = sb_acd_decline(a, c, g, (enum sb_acd_decline)rnd(3), now);
			CHECK(rc == 0, "decline rc %d", rc);
		} else { /* customer-first callback: held (no timeout) or re-timed */
			OK(sb_acd_offer_rearm(a, c, g, rnd(2) ? 0 : rnd(5000), now));
			n_rearms++;
		}
	} else if (e < 70) {                            /* a call ends */
		c = pick_call(M_CONN, false);
		if (c < 0)
			return;
		mc[c].st = M_NONE;
		OK(sb_acd_hangup(a, c, now));
	} else if (e < 77 && rnd(6) == 0) {             /* a callback attempt failed */
		bool conn;

		c = pick_call(rnd(2) ? M_CONN : M_IN, false);
		if (c < 0)
			return;
		conn = mc[c].st == M_CONN;
		/* gone for the model first: the agents it frees take others from
		 * inside the call, and it must not count as waiting for those */
		mc[c].st = M_NONE;
		OK(sb_acd_release(a, c, now)); /* its offers' CANCELs come from in here */
		CHECK(mc[c].offers == 0, "released call %d still offered", c);
		CHECK(sb_acd_release(a, c, now) == -EINVAL, "released twice");
		n_entered--; /* not counted: the attempt leaves no trace */
		if (conn)
			n_answered--;
		mc[c].st = M_NONE;
		mc[c].ringing = mc[c].declined = 0;
		n_releases++;
		if (rnd(2)) { /* ... its retry: first entry and priority kept */
			mc[c].st = M_IN;
			mc[c].seq = ++seqno;
			n_entered++;
			OK(sb_acd_enqueue_keep(a, c, mc[c].queue, mc[c].prio, mc[c].first, now));
		}
	} else if (e < 77 && rnd(4) == 0) {             /* a callback keeps the place */
		int d = pick_call(M_NONE, false);

		c = pick_call(M_IN, false);
		if (c < 0 || d < 0)
			return;
		if (mc[c].offers) { /* offered: refused, it stays as it is */
			CHECK(sb_acd_call_move(a, c, d, now) == -EINVAL, "moved an offered call");
			return;
		}
		mc[d] = mc[c];      /* same queue, priority, first entry, order */
		mc[c].st = M_NONE;
		n_callbacks++;
		OK(sb_acd_call_move(a, c, d, now));
	} else if (e < 77) {                            /* a caller gives up */
		c = pick_call(M_IN, false);
		if (c < 0)
			return;
		mc[c].st = M_NONE;
		n_abandoned++;
		OK(sb_acd_abandon(a, c, now));
		CHECK(mc[c].offers == 0, "abandoned call %d still offered", c);
	} else if (e < 92) {                            /* an agent's state */
		uint32_t g = rnd(NAG), op = rnd(4);
		struct magent *m = &ma[g];
		bool legal;
		int rc;

		/* the model changes first: a login's offers arrive during the call */
		switch (op) {
		case 0:
			legal = !m->logged;
			if (legal)
				m->logged = true, m->paused = false;
			rc = sb_acd_agent_login(a, g, now);
			break;
		case 1:
			legal = m->logged && load(g) == 0;
			if (legal)
				m->logged = false, m->paused = false;
			rc = sb_acd_agent_logout(a, g, now);
			break;
		case 2:
			legal = m->logged && !m->paused;
			if (legal)
				m->paused = true;
			rc = sb_acd_agent_pause(a, g, (uint16_t)rnd(10), now);
			break;
		default:
			legal = m->logged && m->paused;
			if (legal)
				m->paused = false;
			rc = sb_acd_agent_unpause(a, g, now);
			break;
		}
		CHECK(rc == (legal ? 0 : -EINVAL), "agent %u op %u rc %d legal %d", g, op, rc, legal);
	} else if (e < 95) {                            /* nonsense is refused */
		uint32_t g = rnd(NAG);

		c = (int)rnd(NCALLS);
		if (!(mc[c].offers >> g & 1))
			CHECK(sb_acd_answer(a, c, g, now) == -EINVAL, "answer without offer");
		if (mc[c].st != M_CONN)
			CHECK(sb_acd_hangup(a, c, now) == -EINVAL, "hangup unanswered");
	} else {                                        /* time passes */
		now += rnd(20000);
		OK(sb_acd_tick(a, now));
	}
}

int main(int argc, char **argv)
{
	uint64_t seeds[3] = { 1, 2, 3 };
	unsigned nseeds = 3, events = 40000;

	if (argc == 3) {
		seeds[0] = strtoull(argv[1], NULL, 0);
		events = (unsigned)strtoul(argv[2], NULL, 0);
		nseeds = 1;
	}
	for (unsigned s = 0; s < nseeds; s++) {
		struct sb_acd *a;
		struct sb_acd_stats st;

		memset(mc, 0, sizeof(mc));
		memset(ma, 0, sizeof(ma));
		memset(members, 0, sizeof(members));
		memset(was_free, 0, sizeof(was_free));
		n_untried = 0;
		now = seqno = 0;
		n_entered = n_answered = n_abandoned = n_exits = n_moves = n_offers = 0;
		n_callbacks = n_releases = n_rearms = 0;
		rng = seeds[s] * 0x9e3779b97f4a7c15ull | 1;
		a = build(seeds[s]);
		for (unsigned i = 0; i < events; i++) {
			step(a);
			check_all(a);
		}
		/* drain: every caller still in ends now */
		for (uint32_t c = 0; c < NCALLS; c++) {
			if (mc[c].st == M_IN) {
				mc[c].st = M_NONE;
				n_abandoned++;
				OK(sb_acd_abandon(a, c, now));
			} else if (mc[c].st == M_CONN) {
				mc[c].st = M_NONE;
				OK(sb_acd_hangup(a, c, now));
			}
			check_all(a);
		}
		CHECK(n_entered == n_answered + n_abandoned + n_exits,
		      "callers lost: %llu entered, %llu answered %llu abandoned %llu exited",
		      (unsigned long long)n_entered, (unsigned long long)n_answered,
		      (unsigned long long)n_abandoned, (unsigned long long)n_exits);
		sb_acd_stats(a, &st);
		printf("seed %llu: %u events, %llu callers: %llu answered, %llu abandoned, "
		       "%llu exited (%llu moves), %llu kept their place as callbacks, %llu offers, "
		       "%llu no-answers, %llu auto-pauses, %llu refused\n",
		       (unsigned long long)seeds[s], events, (unsigned long long)n_entered,
		       (unsigned long long)n_answered, (unsigned long long)n_abandoned,
		       (unsigned long long)n_exits, (unsigned long long)n_moves,
		       (unsigned long long)n_callbacks, (unsigned long long)n_offers, (unsigned long long)st.noanswers,
		       (unsigned long long)st.autopauses, (unsigned long long)st.illegal);
		/* the mix must have exercised what it claims to */
		T_ASSERT(n_answered > 100 && n_abandoned > 100 && n_exits > 10 && n_moves > 0 &&
			 n_callbacks > 10 && n_releases > 10 && n_rearms > 10);
		printf("  %llu callback attempts released, %llu offers held or re-timed\n",
		       (unsigned long long)n_releases, (unsigned long long)n_rearms);
		T_ASSERT(st.noanswers > 0 && st.autopauses > 0 && st.illegal > 100);
		sb_acd_free(a);
	}
	return 0;
}
