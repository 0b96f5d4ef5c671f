/* SPDX-License-Identifier: MIT */
/* acd_agent_t — the engine's agent states on a virtual clock: legal and
 * illegal transitions (refused with -EINVAL and counted), reserved →
 * ringing → on-call → wrap-up (queue's and agent's own time), no answer →
 * the next agent, N no-answers in a row → auto-pause with its reason,
 * reject and busy delays, two calls at once for an agent allowed two, and
 * the callback refused re-entry. */
#include "acd_t.h"

static struct sb_acd *reenter_a;
static int reenter_rc = 1;

static void reenter_emit(void *arg, const struct sb_acd_action *x)
{
	(void)arg;
	(void)x;
	reenter_rc = sb_acd_tick(reenter_a, 0);
}

static void test_transitions(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 3, 8, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();
	struct sb_acd_stats st;
	uint16_t why = 0;

	q.wrapup_ms = 5000;
	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &c));
	OK(sb_acd_agent_add(a, 1, &c));
	c.wrapup_ms = 1000;     /* agent 2 overrides the queue's wrap-up */
	OK(sb_acd_agent_add(a, 2, &c));
	T_ASSERT(sb_acd_agent_add(a, 2, &c) == -EEXIST);
	for (int i = 0; i < 3; i++)
		OK(sb_acd_agent_join(a, i, 0, 0));
	T_ASSERT(sb_acd_agent_join(a, 0, 0, 0) == -EEXIST);

	T_ASSERT(sb_acd_agent_state(a, 0, 0, NULL) == SB_ACD_LOGGED_OUT);
	/* illegal from logged-out */
	T_ASSERT(sb_acd_agent_logout(a, 0, 0) == -EINVAL);
	T_ASSERT(sb_acd_agent_pause(a, 0, 7, 0) == -EINVAL);
	T_ASSERT(sb_acd_agent_unpause(a, 0, 0) == -EINVAL);
	OK(sb_acd_agent_login(a, 0, 0));
	T_ASSERT(sb_acd_agent_login(a, 0, 0) == -EINVAL);
	T_ASSERT(sb_acd_agent_unpause(a, 0, 0) == -EINVAL);
	T_ASSERT(sb_acd_agent_state(a, 0, 0, NULL) == SB_ACD_AVAILABLE);
	OK(sb_acd_agent_pause(a, 0, 7, 0));
	T_ASSERT(sb_acd_agent_pause(a, 0, 8, 0) == -EINVAL);
	T_ASSERT(sb_acd_agent_state(a, 0, 0, &why) == SB_ACD_PAUSED && why == 7);
	OK(sb_acd_agent_unpause(a, 0, 0));
	OK(sb_acd_agent_login(a, 1, 0));
	OK(sb_acd_agent_login(a, 2, 0));
	sb_acd_stats(a, &st);
	T_ASSERT_EQ_U64(st.illegal, 6);

	/* call 0 → agent 0 (linear); ringing; answered */
	OK(sb_acd_enqueue(a, 0, 0, 0, 100));
	OFFER(&r, 0, 0);
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_enqueue(a, 0, 0, 0, 100) == -EINVAL); /* already in */
	T_ASSERT(sb_acd_agent_state(a, 0, 100, NULL) == SB_ACD_RESERVED);
	T_ASSERT(sb_acd_answer(a, 0, 1, 150) == -EINVAL);      /* not offered to 1 */
	T_ASSERT(sb_acd_hangup(a, 0, 150) == -EINVAL);         /* not answered */
	OK(sb_acd_ringing(a, 0, 0, 200));
	T_ASSERT(sb_acd_ringing(a, 0, 0, 200) == -EINVAL);
	T_ASSERT(sb_acd_agent_state(a, 0, 200, NULL) == SB_ACD_RINGING);
	OK(sb_acd_answer(a, 0, 0, 300));
	T_ASSERT(sb_acd_answer(a, 0, 0, 300) == -EINVAL);
	T_ASSERT(sb_acd_agent_state(a, 0, 300, NULL) == SB_ACD_ON_CALL);
	T_ASSERT(sb_acd_agent_logout(a, 0, 300) == -EINVAL);   /* on a call */
	/* pause during the call is allowed: no new call after it */
	OK(sb_acd_agent_pause(a, 0, 3, 400));
	T_ASSERT(sb_acd_agent_state(a, 0, 400, NULL) == SB_ACD_ON_CALL);
	OK(sb_acd_agent_unpause(a, 0, 500));
	OK(sb_acd_hangup(a, 0, 1000));
	T_ASSERT(sb_acd_hangup(a, 0, 1000) == -EINVAL);
	T_ASSERT(sb_acd_abandon(a, 0, 1000) == -EINVAL);
	AUDIT(a, 1000);
	/* queue wrap-up 5 s: agent 0 skipped until 6000 */
	T_ASSERT(sb_acd_agent_state(a, 0, 5999, NULL) == SB_ACD_WRAP_UP);
	OK(sb_acd_enqueue(a, 1, 0, 0, 2000));
	OFFER(&r, 1, 1);
	OK(sb_acd_answer(a, 1, 1, 2000));
	OK(sb_acd_enqueue(a, 2, 0, 0, 2000));
	OFFER(&r, 2, 2);
	OK(sb_acd_answer(a, 2, 2, 2000));
	OK(sb_acd_hangup(a, 2, 3000));    /* agent 2: own wrap-up 1 s */
	OK(sb_acd_enqueue(a, 3, 0, 0, 3500));
	EXPECT_NONE(&r);                  /* 0 and 2 wrapping up, 1 on call */
	T_ASSERT(sb_acd_position(a, 3) == 1);
	T_ASSERT(sb_acd_next_due(a) == 4000);
	OK(sb_acd_tick(a, 3999));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 4000));
	OFFER(&r, 3, 2);
	T_ASSERT(sb_acd_agent_state(a, 0, 5999, NULL) == SB_ACD_WRAP_UP);
	T_ASSERT(sb_acd_agent_state(a, 0, 6000, NULL) == SB_ACD_AVAILABLE);
	AUDIT(a, 4000);
	sb_acd_stats(a, &st);
	T_ASSERT_EQ_U64(st.illegal, 6 + 8);

	/* the callback may not re-enter the engine */
	reenter_a = a;
	{
		struct sb_acd_cfg cfg = { .max_queues = 1, .max_agents = 1, .max_calls = 1,
					  .emit = reenter_emit };
		struct sb_acd *b = sb_acd_create(&cfg);
		struct sb_acd_queue_cfg q2 = qcfg(SB_ACD_LINEAR);
		struct sb_acd_agent_cfg c2 = acfg();

		T_ASSERT(b != NULL);
		reenter_a = b;
		OK(sb_acd_queue_add(b, 0, &q2));
		OK(sb_acd_agent_add(b, 0, &c2));
		OK(sb_acd_agent_join(b, 0, 0, 0));
		OK(sb_acd_agent_login(b, 0, 0));
		OK(sb_acd_enqueue(b, 0, 0, 0, 0));
		T_ASSERT(reenter_rc == -EDEADLK);
		sb_acd_free(b);
	}
	sb_acd_free(a);
}

/* no answer → the next agent; N in a row → auto-pause */
static void test_noanswer(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 3, 8, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();
	struct sb_acd_queue_stats qs;
	struct sb_acd_stats st;
	uint16_t why = 0;

	q.ring_ms = 10000;
	c.max_noanswer = 2;
	c.noanswer_delay_ms = 2000;
	OK(sb_acd_queue_add(a, 0, &q));
	for (int i = 0; i < 3; i++) {
		OK(sb_acd_agent_add(a, i, &c));
		OK(sb_acd_agent_join(a, i, 0, 0));
	}
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_agent_login(a, 1, 0));
	OK(sb_acd_enqueue(a, 0, 0, 0, 0));
	OFFER(&r, 0, 0);
	OK(sb_acd_ringing(a, 0, 0, 100));
	OK(sb_acd_tick(a, 9999));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 10000));        /* ring timeout: cancel, next agent */
	CANCEL(&r, 0, 0);
	OFFER(&r, 0, 1);
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_agent_state(a, 0, 10000, NULL) == SB_ACD_WRAP_UP); /* delay */
	/* agent 1 says no answer itself (480): back to agent 0 after its delay */
	OK(sb_acd_decline(a, 0, 1, SB_ACD_NOANSWER, 11000));
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_position(a, 0) == 1);
	OK(sb_acd_tick(a, 12000));
	OFFER(&r, 0, 0);
	OK(sb_acd_tick(a, 22000));        /* agent 0's second no-answer in a row */
	CANCEL(&r, 0, 0);
	EXPECT_ACT(&r, SB_ACD_ACT_AUTOPAUSE, SB_ACD_NONE, 0);
	OFFER(&r, 0, 1);                  /* agent 1's delay ended at 13000 */
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_agent_state(a, 0, 22000, &why) == SB_ACD_PAUSED);
	T_ASSERT(why == SB_ACD_REASON_NOANSWER);
	sb_acd_stats(a, &st);
	T_ASSERT_EQ_U64(st.autopauses, 1);
	T_ASSERT_EQ_U64(st.noanswers, 3);
	AUDIT(a, 22000);
	/* an answer resets the run: agent 1's earlier no-answer is forgotten */
	OK(sb_acd_answer(a, 0, 1, 23000));
	OK(sb_acd_hangup(a, 0, 24000));
	OK(sb_acd_enqueue(a, 1, 0, 0, 25000));
	OFFER(&r, 1, 1);
	OK(sb_acd_decline(a, 1, 1, SB_ACD_NOANSWER, 26000));
	EXPECT_NONE(&r);
	T_ASSERT(sb_acd_agent_state(a, 1, 26000, NULL) == SB_ACD_WRAP_UP);
	OK(sb_acd_agent_login(a, 2, 26500));
	OFFER(&r, 1, 2);
	OK(sb_acd_answer(a, 1, 2, 26600));
	/* unpausing agent 0 clears its run too */
	OK(sb_acd_agent_unpause(a, 0, 27000));
	T_ASSERT(sb_acd_agent_state(a, 0, 27000, NULL) == SB_ACD_AVAILABLE);
	OK(sb_acd_queue_stats(a, 0, &qs));
	T_ASSERT_EQ_U64(qs.entered, 2);
	T_ASSERT_EQ_U64(qs.answered, 2);
	AUDIT(a, 27000);
	sb_acd_free(a);
}

/* reject and busy delays; an agent allowed two calls at once */
static void test_delays_capacity(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 2, 8, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();

	OK(sb_acd_queue_add(a, 0, &q));
	c.reject_delay_ms = 3000;
	c.busy_delay_ms = 5000;
	OK(sb_acd_agent_add(a, 0, &c));
	c = acfg();
	c.max_calls = 2;
	OK(sb_acd_agent_add(a, 1, &c));
	c.max_calls = SB_ACD_AGENT_MAX_CALLS + 1;
	T_ASSERT(sb_acd_agent_add(a, 1, &c) == -EINVAL);
	for (int i = 0; i < 2; i++) {
		OK(sb_acd_agent_join(a, i, 0, 0));
		OK(sb_acd_agent_login(a, i, 0));
	}
	OK(sb_acd_enqueue(a, 0, 0, 0, 0));
	OFFER(&r, 0, 0);
	OK(sb_acd_decline(a, 0, 0, SB_ACD_REJECT, 100));
	OFFER(&r, 0, 1);                  /* agent 0 rests until 3100 */
	OK(sb_acd_answer(a, 0, 1, 150));
	OK(sb_acd_enqueue(a, 1, 0, 0, 200));
	OFFER(&r, 1, 1);                  /* agent 1's second line */
	T_ASSERT(sb_acd_agent_state(a, 1, 200, NULL) == SB_ACD_ON_CALL);
	OK(sb_acd_enqueue(a, 2, 0, 0, 300));
	EXPECT_NONE(&r);                  /* agent 1 full, agent 0 resting */
	AUDIT(a, 300);
	OK(sb_acd_tick(a, 3099));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 3100));
	OFFER(&r, 2, 0);
	OK(sb_acd_decline(a, 2, 0, SB_ACD_BUSY, 3200));
	EXPECT_NONE(&r);                  /* rests until 8200 */
	OK(sb_acd_answer(a, 1, 1, 4000));
	OK(sb_acd_hangup(a, 0, 8000));    /* a line frees on agent 1 */
	OFFER(&r, 2, 1);
	T_ASSERT(sb_acd_agent_state(a, 0, 8199, NULL) == SB_ACD_WRAP_UP);
	T_ASSERT(sb_acd_agent_state(a, 0, 8200, NULL) == SB_ACD_AVAILABLE);
	AUDIT(a, 8000);
	sb_acd_free(a);
}

/* calls the engine does not route (sb_acd_agent_elsewhere): they take a
 * line, no offer goes to a full agent, the end frees it at once (no
 * wrap-up); a decline ELSEWHERE has no delay, no round and no figure */
static void test_elsewhere(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 2, 8, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg c = acfg();
	struct sb_acd_stats st;

	q.wrapup_ms = 10000;
	OK(sb_acd_queue_add(a, 0, &q));
	c.reject_delay_ms = 5000;
	OK(sb_acd_agent_add(a, 0, &c));
	c.max_calls = 2;
	OK(sb_acd_agent_add(a, 1, &c));
	for (int i = 0; i < 2; i++) {
		OK(sb_acd_agent_join(a, i, 0, 0));
		OK(sb_acd_agent_login(a, i, 0));
	}
	T_ASSERT(sb_acd_agent_elsewhere(a, 0, false, 0) == -EINVAL); /* none taken */
	OK(sb_acd_agent_elsewhere(a, 0, true, 10));
	T_ASSERT(sb_acd_agent_state(a, 0, 10, NULL) == SB_ACD_ON_CALL);
	OK(sb_acd_enqueue(a, 0, 0, 0, 20));
	OFFER(&r, 0, 1);                  /* linear, but agent 0 is busy elsewhere */
	OK(sb_acd_agent_elsewhere(a, 1, true, 30));
	OK(sb_acd_enqueue(a, 1, 0, 0, 40));
	EXPECT_NONE(&r);                  /* agent 1: one line offered, one elsewhere */
	AUDIT(a, 40);
	OK(sb_acd_agent_elsewhere(a, 0, false, 50));
	OFFER(&r, 1, 0);                  /* at once: no wrap-up for a call not routed */
	/* the phone turned out busy: told first, then declined without penalty */
	OK(sb_acd_agent_elsewhere(a, 0, true, 60));
	OK(sb_acd_decline(a, 1, 0, SB_ACD_ELSEWHERE, 60));
	EXPECT_NONE(&r);
	OK(sb_acd_agent_elsewhere(a, 0, false, 70));
	OFFER(&r, 1, 0);                  /* no reject delay, not a tried round */
	sb_acd_stats(a, &st);
	T_ASSERT(st.rejects == 0 && st.busies == 0 && st.noanswers == 0);
	AUDIT(a, 70);
	sb_acd_free(a);
}

int main(void)
{
	test_transitions();
	test_noanswer();
	test_delays_capacity();
	test_elsewhere();
	return 0;
}
