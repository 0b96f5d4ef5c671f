/* SPDX-License-Identifier: MIT */
/* acd_queue_t — queue behaviour against hand-computed choices: each
 * strategy (linear, round-robin with memory, longest-idle, fewest-calls,
 * least-talk-time, random seeded and uniform, ring-all), caller priority
 * and position, fair order across queues sharing an agent, max length and
 * max wait with overflow, join-empty and leave-when-empty, skills steps
 * widening over time, Erlang C and the estimated wait. */
#include <math.h>

#include "acd_t.h"

/* one queue of `n` agents, all joined in index order */
static struct sb_acd *setup(struct rec *r, enum sb_acd_strategy s, unsigned n, bool login,
			    uint64_t seed)
{
	struct sb_acd *a = acd_new(r, 4, n, 64, seed);
	struct sb_acd_queue_cfg q = qcfg(s);
	struct sb_acd_agent_cfg c = acfg();

	OK(sb_acd_queue_add(a, 0, &q));
	for (unsigned i = 0; i < n; i++) {
		OK(sb_acd_agent_add(a, i, &c));
		OK(sb_acd_agent_join(a, i, 0, 0));
		if (login)
			OK(sb_acd_agent_login(a, i, 0));
	}
	return a;
}

/* enqueue `call` at `t`, expect it offered to `ag`, answer it */
static void take(struct sb_acd *a, struct rec *r, uint32_t call, uint32_t ag, uint64_t t)
{
	OK(sb_acd_enqueue(a, call, 0, 0, t));
	OFFER(r, call, ag);
	EXPECT_NONE(r);
	OK(sb_acd_answer(a, call, ag, t));
	AUDIT(a, t);
}

/* noanswer_delay 0 on a linear queue: the agent that did not answer a
 * caller is not offered the same caller again before every other free
 * member has been tried (a round, as app_queue), but still gets other
 * callers; a round ends when only tried members are free.  Through
 * declines, ring timeouts, and rests ending before a late tick. */
static void test_noanswer_round(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_LINEAR, 3, true, 1);
	struct sb_acd_queue_cfg q;
	struct sb_acd_agent_cfg c0 = acfg(), c1 = acfg();

	OK(sb_acd_enqueue(a, 0, 0, 0, 10));
	OFFER(&r, 0, 0);
	OK(sb_acd_decline(a, 0, 0, SB_ACD_NOANSWER, 20));
	OFFER(&r, 0, 1);              /* not 0 again at once */
	EXPECT_NONE(&r);
	AUDIT(a, 20);
	OK(sb_acd_enqueue(a, 1, 0, 0, 25));
	OFFER(&r, 1, 0);              /* 0 still takes other callers */
	OK(sb_acd_decline(a, 0, 1, SB_ACD_REJECT, 30));
	OFFER(&r, 0, 2);              /* 0 busy with call 1; 2 untried */
	OK(sb_acd_decline(a, 0, 2, SB_ACD_BUSY, 40));
	OFFER(&r, 0, 1);              /* all tried: a new round, linear order */
	EXPECT_NONE(&r);
	AUDIT(a, 40);
	OK(sb_acd_decline(a, 0, 1, SB_ACD_NOANSWER, 50));
	OFFER(&r, 0, 2);              /* the new round: 1 tried, 0 on call 1 */
	OK(sb_acd_answer(a, 0, 2, 60));
	AUDIT(a, 60);
	sb_acd_free(a);

	/* ring timeouts (no delay): 0, 1, then 0 again (a new round) */
	a = setup(&r, SB_ACD_LINEAR, 2, false, 1);
	q = qcfg(SB_ACD_LINEAR);
	q.ring_ms = 1000;
	OK(sb_acd_queue_update(a, 0, &q));
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_agent_login(a, 1, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 0));
	OFFER(&r, 0, 0);
	OK(sb_acd_tick(a, 1000));
	CANCEL(&r, 0, 0);
	OFFER(&r, 0, 1);
	OK(sb_acd_tick(a, 2000));
	CANCEL(&r, 0, 1);
	OFFER(&r, 0, 0);
	EXPECT_NONE(&r);
	AUDIT(a, 2000);
	sb_acd_free(a);

	/* 0 (delay 490 ms: free at 590) and 1 (wrap-up 500 ms: free at 600),
	 * then one late tick at 1000: the timers run in their order, as if on
	 * time; at 590 only 0 is free, so a new round: 9 to 0 again (1 is
	 * still resting then, though its end is also past at 1000) */
	a = acd_new(&r, 1, 2, 16, 1);
	q = qcfg(SB_ACD_LINEAR);
	OK(sb_acd_queue_add(a, 0, &q));
	c0.noanswer_delay_ms = 490;
	c1.wrapup_ms = 500;
	OK(sb_acd_agent_add(a, 0, &c0));
	OK(sb_acd_agent_add(a, 1, &c1));
	for (uint32_t i = 0; i < 2; i++) {
		OK(sb_acd_agent_join(a, i, 0, 0));
		OK(sb_acd_agent_login(a, i, 0));
	}
	OK(sb_acd_enqueue(a, 9, 0, 0, 0));
	OFFER(&r, 9, 0);
	OK(sb_acd_enqueue(a, 8, 0, 0, 0));
	OFFER(&r, 8, 1);
	OK(sb_acd_answer(a, 8, 1, 0));
	OK(sb_acd_decline(a, 9, 0, SB_ACD_NOANSWER, 100));
	EXPECT_NONE(&r);              /* 0 resting, 1 on call: 9 waits */
	OK(sb_acd_hangup(a, 8, 100)); /* 1 in wrap-up until 600 */
	OK(sb_acd_tick(a, 1000));
	OFFER(&r, 9, 0);
	EXPECT_NONE(&r);
	AUDIT(a, 1000);
	sb_acd_free(a);
}

static void test_linear_rr(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_LINEAR, 4, true, 1);

	take(a, &r, 0, 0, 10);
	take(a, &r, 1, 1, 20);
	OK(sb_acd_hangup(a, 0, 30));
	take(a, &r, 2, 0, 40);        /* linear: the first free member again */
	take(a, &r, 3, 2, 50);
	sb_acd_free(a);

	a = setup(&r, SB_ACD_ROUND_ROBIN, 4, true, 1);
	take(a, &r, 0, 0, 10);
	OK(sb_acd_hangup(a, 0, 11));
	take(a, &r, 1, 1, 20);        /* 0 is free, but the memory says 1 */
	OK(sb_acd_hangup(a, 1, 21));
	take(a, &r, 2, 2, 30);
	take(a, &r, 3, 3, 40);        /* 2 still on call */
	take(a, &r, 4, 0, 50);        /* wraps */
	take(a, &r, 5, 1, 60);
	OK(sb_acd_hangup(a, 2, 65));  /* only agent 2 free; memory points at 2 */
	take(a, &r, 6, 2, 70);
	OK(sb_acd_hangup(a, 4, 75));  /* agent 0 free; memory at 3 (busy) wraps to 0 */
	take(a, &r, 7, 0, 80);
	sb_acd_free(a);
}

static void test_longest_idle(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_LONGEST_IDLE, 4, false, 1);

	OK(sb_acd_agent_login(a, 2, 0));
	OK(sb_acd_agent_login(a, 0, 10));
	OK(sb_acd_agent_login(a, 3, 20));
	OK(sb_acd_agent_login(a, 1, 30));
	take(a, &r, 0, 2, 100);       /* idle since 0 */
	OK(sb_acd_hangup(a, 0, 200)); /* 2 idle again since 200 */
	take(a, &r, 1, 0, 300);       /* since 10 */
	take(a, &r, 2, 3, 310);       /* since 20 */
	take(a, &r, 3, 1, 320);       /* since 30 */
	take(a, &r, 4, 2, 330);       /* since 200 */
	sb_acd_free(a);
}

static void test_fewest_calls(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_FEWEST_CALLS, 4, false, 1);

	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_agent_login(a, 2, 0));
	OK(sb_acd_agent_login(a, 3, 0));
	take(a, &r, 0, 0, 10);        /* all 0 calls: first joined */
	OK(sb_acd_hangup(a, 0, 11));
	take(a, &r, 1, 2, 20);        /* 0 has 1 call */
	OK(sb_acd_hangup(a, 1, 21));
	take(a, &r, 2, 3, 30);
	OK(sb_acd_hangup(a, 2, 31));
	OK(sb_acd_agent_login(a, 1, 40));
	take(a, &r, 3, 1, 50);        /* 1 has 0 calls (longest-idle would say 0) */
	take(a, &r, 4, 0, 60);        /* 0, 2, 3 tie at 1: first joined */
	take(a, &r, 5, 2, 70);
	sb_acd_free(a);
}

static void test_least_talk(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_LEAST_TALK, 4, true, 1);
	const uint64_t talk[4] = { 50000, 10000, 30000, 20000 };

	for (uint32_t i = 0; i < 4; i++)
		take(a, &r, i, i, 0);
	const uint32_t by_time[4] = { 1, 3, 2, 0 };

	for (uint32_t i = 0; i < 4; i++)
		OK(sb_acd_hangup(a, by_time[i], talk[by_time[i]]));
	/* talk so far 50/10/30/20 s: agent 1 */
	take(a, &r, 10, 1, 60000);
	OK(sb_acd_hangup(a, 10, 75000)); /* 1 now 25 s: agent 3 (20 s) */
	take(a, &r, 11, 3, 80000);
	take(a, &r, 12, 1, 80001);       /* 3 busy: 1 (25 s) before 2 (30 s) */
	take(a, &r, 13, 2, 80002);
	sb_acd_free(a);
}

static void test_random(void)
{
	enum { N = 4, CALLS = 4000 };
	uint32_t seq[2][64], hits[N] = { 0 };
	struct rec r;

	/* the same seed gives the same choices; another seed others */
	for (int run = 0; run < 2; run++) {
		struct sb_acd *a = setup(&r, SB_ACD_RANDOM, N, true, 42);

		for (uint32_t i = 0; i < 64; i++) {
			OK(sb_acd_enqueue(a, 0, 0, 0, i));
			T_ASSERT(r.n == r.seen + 1 && r.act[r.seen].type == SB_ACD_ACT_OFFER);
			seq[run][i] = r.act[r.seen++].agent;
			OK(sb_acd_answer(a, 0, seq[run][i], i));
			OK(sb_acd_hangup(a, 0, i));
			r.n = r.seen = 0;
		}
		sb_acd_free(a);
	}
	T_ASSERT(memcmp(seq[0], seq[1], sizeof(seq[0])) == 0);
	{
		struct sb_acd *a = setup(&r, SB_ACD_RANDOM, N, true, 43);
		bool differ = false;

		for (uint32_t i = 0; i < CALLS; i++) {
			uint32_t ag;

			OK(sb_acd_enqueue(a, 0, 0, 0, i));
			ag = r.act[r.seen++].agent;
			T_ASSERT(ag < N);
			hits[ag]++;
			if (i < 64 && ag != seq[0][i])
				differ = true;
			OK(sb_acd_answer(a, 0, ag, i));
			OK(sb_acd_hangup(a, 0, i));
			r.n = r.seen = 0;
		}
		T_ASSERT(differ);
		/* uniform: chi-square with 3 degrees of freedom below 16.27 (p = 0.001) */
		double chi = 0, e = CALLS / (double)N;

		for (int i = 0; i < N; i++)
			chi += (hits[i] - e) * (hits[i] - e) / e;
		T_ASSERT(chi < 16.27);
		sb_acd_free(a);
	}
}

static void test_ring_all(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_RING_ALL, 4, true, 1);
	struct sb_acd_stats st;

	OK(sb_acd_agent_pause(a, 3, 1, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 10));
	OFFER(&r, 0, 0);
	OFFER(&r, 0, 1);
	OFFER(&r, 0, 2);
	EXPECT_NONE(&r);
	AUDIT(a, 10);
	OK(sb_acd_ringing(a, 0, 2, 11));
	OK(sb_acd_answer(a, 0, 1, 20));
	CANCEL(&r, 0, 0);
	CANCEL(&r, 0, 2);
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_answer(a, 0, 0, 21) == -EINVAL); /* the loser's late 200 */
	T_ASSERT(sb_acd_agent_state(a, 0, 21, NULL) == SB_ACD_AVAILABLE);
	T_ASSERT(sb_acd_agent_state(a, 2, 21, NULL) == SB_ACD_AVAILABLE);
	/* the caller abandons while two agents ring: both cancelled */
	OK(sb_acd_enqueue(a, 1, 0, 0, 30));
	OFFER(&r, 1, 0);
	OFFER(&r, 1, 2);
	OK(sb_acd_abandon(a, 1, 40));
	CANCEL(&r, 1, 0);
	CANCEL(&r, 1, 2);
	EXPECT_NONE(&r);
	AUDIT(a, 40);
	sb_acd_stats(a, &st);
	T_ASSERT_EQ_U64(st.cancels, 4);
	sb_acd_free(a);
}

/* priority first, then the longest wait; position follows the same order */
static void test_priority(void)
{
	struct rec r;
	struct sb_acd *a = setup(&r, SB_ACD_LINEAR, 1, true, 1);

	take(a, &r, 0, 0, 0);
	OK(sb_acd_enqueue(a, 1, 0, 0, 100));
	OK(sb_acd_enqueue(a, 2, 0, 5, 200));
	OK(sb_acd_enqueue(a, 3, 0, 0, 300));
	OK(sb_acd_enqueue(a, 4, 0, 5, 400));
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_position(a, 2) == 1);
	T_ASSERT(sb_acd_position(a, 4) == 2);
	T_ASSERT(sb_acd_position(a, 1) == 3);
	T_ASSERT(sb_acd_position(a, 3) == 4);
	OK(sb_acd_abandon(a, 4, 450));
	T_ASSERT(sb_acd_position(a, 1) == 2);
	const uint32_t order[3] = { 2, 1, 3 };
	uint32_t prev = 0;

	for (int i = 0; i < 3; i++) {
		OK(sb_acd_hangup(a, prev, 1000 + i));
		OFFER(&r, order[i], 0);
		OK(sb_acd_answer(a, order[i], 0, 1000 + i));
		prev = order[i];
		AUDIT(a, 1000 + i);
	}
	sb_acd_free(a);
}

/* an agent in two queues takes the longest-waiting caller across both */
static void test_fair_across_queues(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 2, 1, 16, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();

	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_queue_add(a, 1, &q));
	OK(sb_acd_agent_add(a, 0, &c));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_agent_join(a, 0, 1, 0));
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_enqueue(a, 9, 0, 0, 0));
	OFFER(&r, 9, 0);
	OK(sb_acd_answer(a, 9, 0, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 50));   /* queue 0 */
	OK(sb_acd_enqueue(a, 1, 1, 0, 100));  /* queue 1 */
	OK(sb_acd_enqueue(a, 2, 0, 0, 200));  /* queue 0 */
	OK(sb_acd_enqueue(a, 3, 1, 1, 300));  /* queue 1, priority 1 */
	const uint32_t order[4] = { 3, 0, 1, 2 };
	uint32_t prev = 9;

	for (int i = 0; i < 4; i++) {
		OK(sb_acd_hangup(a, prev, 1000 + i));
		OFFER(&r, order[i], 0);
		OK(sb_acd_answer(a, order[i], 0, 1000 + i));
		prev = order[i];
	}
	EXPECT_NONE(&r);
	sb_acd_free(a);
}

static void test_overflow(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 3, 1, 16, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();
	struct sb_acd_queue_stats s0, s1;

	q.max_len = 2;
	q.overflow = 1;
	OK(sb_acd_queue_add(a, 0, &q));
	q.overflow = 0;
	q.max_len = 1;
	q.max_wait_ms = 30000;
	OK(sb_acd_queue_add(a, 1, &q));       /* overflows back: a loop, bounded */
	q = qcfg(SB_ACD_LINEAR);
	q.overflow = 2;
	T_ASSERT(sb_acd_queue_add(a, 2, &q) == -EINVAL);  /* to itself */
	q.overflow = SB_ACD_NONE;
	q.max_wait_ms = 10000;
	OK(sb_acd_queue_add(a, 2, &q));
	OK(sb_acd_agent_add(a, 0, &c));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_agent_login(a, 0, 0));
	take(a, &r, 0, 0, 0);                 /* the only agent is busy */
	OK(sb_acd_enqueue(a, 1, 0, 0, 10));
	OK(sb_acd_enqueue(a, 2, 0, 0, 20));
	EXPECT_NONE(&r);
	OK(sb_acd_enqueue(a, 3, 0, 0, 30));   /* queue 0 full → queue 1 */
	EXPECT_ACT(&r, SB_ACD_ACT_MOVE, 3, SB_ACD_NONE);
	T_ASSERT(r.act[r.seen - 1].queue == 0 && r.act[r.seen - 1].to_queue == 1);
	OK(sb_acd_enqueue(a, 4, 0, 0, 40));   /* 0 full → 1 full → 0 … → out */
	for (int i = 0; i < 8; i++)
		EXPECT_ACT(&r, SB_ACD_ACT_MOVE, 4, SB_ACD_NONE);
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 4, SB_ACD_NONE);
	T_ASSERT(r.act[r.seen - 1].reason == SB_ACD_EXIT_FULL);
	EXPECT_NONE(&r);
	AUDIT(a, 40);
	/* call 3 has waited 30 s in queue 1 at 30030: back to queue 0 (full) →
	 * overflow again to queue 1 (now empty, so it fits) */
	OK(sb_acd_tick(a, 30029));
	EXPECT_NONE(&r);
	OK(sb_acd_abandon(a, 2, 30029));      /* room in queue 0 now */
	OK(sb_acd_tick(a, 30030));
	EXPECT_ACT(&r, SB_ACD_ACT_MOVE, 3, SB_ACD_NONE);
	T_ASSERT(r.act[r.seen - 1].queue == 1 && r.act[r.seen - 1].to_queue == 0);
	EXPECT_NONE(&r);
	/* fairness keeps the first entry time: call 3 is behind call 1 */
	T_ASSERT(sb_acd_position(a, 1) == 1 && sb_acd_position(a, 3) == 2);
	OK(sb_acd_queue_stats(a, 0, &s0));
	OK(sb_acd_queue_stats(a, 1, &s1));
	/* every entry ends once: entered = answered + abandoned + overflowed +
	 * timed out + empty + still here */
	/* calls 0-3, call 4 five times (hops 0, 2, 4, 6, 8), call 3 again */
	T_ASSERT_EQ_U64(s0.entered, 4 + 5 + 1);
	T_ASSERT_EQ_U64(s0.overflowed, 1 + 5);
	T_ASSERT_EQ_U64(s0.answered + s0.abandoned + s0.overflowed + s0.timed_out + s0.empty +
			s0.waiting + s0.ringing, s0.entered);
	T_ASSERT_EQ_U64(s1.entered, 1 + 4);
	T_ASSERT_EQ_U64(s1.overflowed, 5);
	T_ASSERT_EQ_U64(s1.waiting, 0);
	/* max wait without an overflow queue: timeout */
	OK(sb_acd_enqueue(a, 5, 2, 0, 40000));
	OK(sb_acd_tick(a, 49999));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 50000));
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 5, SB_ACD_NONE);
	T_ASSERT(r.act[r.seen - 1].reason == SB_ACD_EXIT_TIMEOUT);
	OK(sb_acd_queue_stats(a, 2, &s0));
	T_ASSERT_EQ_U64(s0.timed_out, 1);
	AUDIT(a, 50000);
	sb_acd_free(a);
}

static void test_empty(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 2, 2, 16, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();

	q.join_empty = false;
	q.leave_when_empty = true;
	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &c));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 0));    /* no one logged in */
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 0, SB_ACD_NONE);
	T_ASSERT(r.act[r.seen - 1].reason == SB_ACD_EXIT_EMPTY);
	OK(sb_acd_agent_login(a, 0, 10));
	OK(sb_acd_agent_pause(a, 0, 2, 10));
	OK(sb_acd_enqueue(a, 0, 0, 0, 20));   /* paused counts as empty */
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 0, SB_ACD_NONE);
	OK(sb_acd_agent_unpause(a, 0, 30));
	take(a, &r, 0, 0, 40);
	OK(sb_acd_enqueue(a, 1, 0, 0, 50));   /* staffed (on a call): joins */
	OK(sb_acd_enqueue(a, 2, 0, 0, 60));
	EXPECT_NONE(&r);
	OK(sb_acd_agent_pause(a, 0, 2, 70));  /* the last one goes: both leave */
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 1, SB_ACD_NONE);
	EXPECT_ACT(&r, SB_ACD_ACT_EXIT, 2, SB_ACD_NONE);
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_position(a, 1) == 0);
	AUDIT(a, 70);
	sb_acd_free(a);
}

/* skills: queue wants skill 3 at level 5; after 10 s level 3 will do,
 * after 30 s any member */
static void test_skills(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 2, 4, 16, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	const uint8_t lvl[4] = { 5, 3, 1, 0 };

	q.nreq = 1;
	q.req[0].skill = 3;
	q.req[0].level = 5;
	q.nsteps = 1;
	q.step[0] = (struct sb_acd_step){ .after_ms = 10000, .drop = 2 };
	q.any_after_ms = 30000;
	OK(sb_acd_queue_add(a, 0, &q));
	q = qcfg(SB_ACD_LINEAR);
	OK(sb_acd_queue_add(a, 1, &q));
	for (uint32_t i = 0; i < 4; i++) {
		struct sb_acd_agent_cfg c = acfg();

		c.level[3] = lvl[i];
		OK(sb_acd_agent_add(a, i, &c));
	}
	/* join in reverse so linear order would prefer the least skilled */
	for (int i = 3; i >= 0; i--) {
		OK(sb_acd_agent_join(a, i, 0, 0));
		OK(sb_acd_agent_login(a, i, 0));
	}
	OK(sb_acd_agent_join(a, 0, 1, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 100));
	OFFER(&r, 0, 0);                      /* only agent 0 has level 5 */
	OK(sb_acd_answer(a, 0, 0, 100));
	OK(sb_acd_enqueue(a, 1, 0, 0, 1000));
	OK(sb_acd_tick(a, 10999));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 11000));            /* step: level 3 */
	OFFER(&r, 1, 1);
	OK(sb_acd_answer(a, 1, 1, 11000));
	OK(sb_acd_enqueue(a, 2, 0, 0, 12000));
	OK(sb_acd_tick(a, 41999));
	EXPECT_NONE(&r);
	AUDIT(a, 41999);
	OK(sb_acd_tick(a, 42000));            /* any member: 3 joined first */
	OFFER(&r, 2, 3);
	OK(sb_acd_answer(a, 2, 3, 42000));
	/* agent 0 (in both queues) frees at 43000 with a caller in each: the
	 * queue 0 one came first and agent 0 has its level: it goes first */
	OK(sb_acd_enqueue(a, 4, 0, 0, 42400));
	OK(sb_acd_enqueue(a, 3, 1, 0, 42500));
	EXPECT_NONE(&r);                      /* agent 2 (level 1) too low for 4 */
	OK(sb_acd_hangup(a, 0, 43000));
	OFFER(&r, 4, 0);
	OK(sb_acd_answer(a, 4, 0, 43000));
	OK(sb_acd_hangup(a, 4, 44000));
	OFFER(&r, 3, 0);
	EXPECT_NONE(&r);
	AUDIT(a, 44000);
	sb_acd_free(a);
}

static void test_erlang_ewt(void)
{
	struct rec r;
	struct sb_acd *a;

	/* hand-computed: M/M/1 P(wait) = rho; N=2, A=1: 1/3; N=3, A=2: 4/9 */
	T_ASSERT(fabs(sb_acd_erlang_c(1, 0.5) - 0.5) < 1e-12);
	T_ASSERT(fabs(sb_acd_erlang_c(2, 1.0) - 1.0 / 3) < 1e-12);
	T_ASSERT(fabs(sb_acd_erlang_c(3, 2.0) - 4.0 / 9) < 1e-12);
	T_ASSERT(sb_acd_erlang_c(2, 2.0) == 1.0);
	T_ASSERT(sb_acd_erlang_c(2, 0.0) == 0.0);
	T_ASSERT(fabs(sb_acd_erlang_asa(2, 1.0, 180) - 60) < 1e-9);
	T_ASSERT(fabs(sb_acd_erlang_asa(3, 2.0, 60) - 80.0 / 3) < 1e-9);
	/* classic table value: 10 agents, 8 erlangs → 0.409 */
	T_ASSERT(fabs(sb_acd_erlang_c(10, 8.0) - 0.4092) < 5e-4);

	/* fallback: 2 agents busy with calls that entered at 0, callers at
	 * 60 s and 120 s; at 120 s λ = 4/120000 per ms; AHT 10 s → A = 1/3,
	 * C(2, 1/3) = 1/21, ASA = (1/21)·10000/(5/3) = 285.7 ms; position 2
	 * adds 1·10000/2 → 5285 ms */
	a = setup(&r, SB_ACD_LINEAR, 2, true, 1);
	{
		struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);

		q.aht_ms = 10000;
		OK(sb_acd_queue_add(a, 1, &q));
		OK(sb_acd_agent_join(a, 0, 1, 0));
		OK(sb_acd_agent_join(a, 1, 1, 0));
	}
	for (uint32_t i = 0; i < 2; i++) {
		OK(sb_acd_enqueue(a, i, 1, 0, 0));
		OFFER(&r, i, i);
		OK(sb_acd_answer(a, i, i, 0));
	}
	OK(sb_acd_enqueue(a, 2, 1, 0, 60000));
	OK(sb_acd_enqueue(a, 3, 1, 0, 120000));
	T_ASSERT(sb_acd_ewt(a, 3, 120000) == 5285);
	T_ASSERT(sb_acd_ewt(a, 2, 120000) == 285);
	sb_acd_free(a);

	/* AHT 180 s: A = 6 ≥ 2 agents → position·AHT/N */
	a = setup(&r, SB_ACD_LINEAR, 2, true, 1);
	for (uint32_t i = 0; i < 2; i++) {
		OK(sb_acd_enqueue(a, i, 0, 0, 0));
		OFFER(&r, i, i);
		OK(sb_acd_answer(a, i, i, 0));
	}
	OK(sb_acd_enqueue(a, 2, 0, 0, 60000));
	OK(sb_acd_enqueue(a, 3, 0, 0, 120000));
	T_ASSERT(sb_acd_ewt(a, 3, 120000) == 180000);

	/* history: answers every 60 s from t = 0 … then position / rate */
	for (uint32_t i = 0; i < 10; i++) {
		uint32_t ag = i % 2;
		uint64_t t = 120000 + 60000 * (i + 1);
		uint32_t next = 4 + i;

		OK(sb_acd_hangup(a, i, t));       /* frees agent ag: takes the head */
		T_ASSERT(r.act[r.n - 1].type == SB_ACD_ACT_OFFER && r.act[r.n - 1].agent == ag);
		OK(sb_acd_answer(a, r.act[r.n - 1].call, ag, t));
		OK(sb_acd_enqueue(a, next, 0, 0, t));
	}
	/* 12 answers: at 0, 0, then 180 s … 720 s (60 s apart) */
	{
		uint32_t last = 13;
		uint32_t pos = sb_acd_position(a, last);
		/* 12 answers from 0 to 720000: 11 gaps of 65454.5 ms */
		T_ASSERT(pos == 2);
		T_ASSERT(sb_acd_ewt(a, last, 720000) == 130909);
	}
	sb_acd_free(a);
}

int main(void)
{
	test_noanswer_round();
	test_linear_rr();
	test_longest_idle();
	test_fewest_calls();
	test_least_talk();
	test_random();
	test_ring_all();
	test_priority();
	test_fair_across_queues();
	test_overflow();
	test_empty();
	test_skills();
	test_erlang_ewt();
	return 0;
}
