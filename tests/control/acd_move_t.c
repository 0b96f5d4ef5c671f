/* SPDX-License-Identifier: MIT */
/* acd_move_t — the engine keeps a caller's place under another index
 * (sb_acd_call_move: a callback's virtual caller) and re-scans after a
 * run-time change (sb_acd_queue_rescan / sb_acd_agent_rescan), with the
 * invariants audited after every step.
 *
 *  a. callers 0, 1 (priority 0) and 2 (priority 5) wait for a busy agent;
 *     0 moves to 100: position 2 (behind the priority-5 one), 1 stays
 *     third; freed, the agent gets 2, then 100 (not 1), then 1;
 *  b. a moved caller keeps its max wait from its first entry: enqueue at
 *     0 with max wait 10 s, move at 6 s: EXIT for 100 at 10 s;
 *  c. a moved caller keeps its skills steps: queue needs level 5, agent
 *     has 3, step after 4 s drops 2; moved at 1 s: offered at 4 s;
 *  d. refused: moving a caller that is not waiting, onto an index in use,
 *     out of range;
 *  e. rescan: an agent given the skill at run time takes the waiting
 *     caller at once; a queue whose requirement is lowered likewise. */
#include <stdio.h>
#include <stdlib.h>

#include "acd_t.h"

static void test_place(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 1, 200, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg g = acfg();

	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &g));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_enqueue(a, 50, 0, 0, 0)); /* the agent's call */
	OFFER(&r, 50, 0);
	OK(sb_acd_answer(a, 50, 0, 10));
	OK(sb_acd_enqueue(a, 0, 0, 0, 100));
	OK(sb_acd_enqueue(a, 1, 0, 0, 200));
	OK(sb_acd_enqueue(a, 2, 0, 5, 300));
	EXPECT_NONE(&r);
	AUDIT(a, 300);
	OK(sb_acd_call_move(a, 0, 100, 400));
	AUDIT(a, 400);
	T_ASSERT(sb_acd_position(a, 0) == 0);
	T_ASSERT(sb_acd_position(a, 2) == 1);
	T_ASSERT(sb_acd_position(a, 100) == 2);
	T_ASSERT(sb_acd_position(a, 1) == 3);
	/* the old index is free: a new caller can use it (behind everyone) */
	OK(sb_acd_enqueue(a, 0, 0, 0, 500));
	T_ASSERT(sb_acd_position(a, 0) == 4);
	OK(sb_acd_hangup(a, 50, 1000));
	OFFER(&r, 2, 0);
	OK(sb_acd_answer(a, 2, 0, 1010));
	OK(sb_acd_hangup(a, 2, 2000));
	OFFER(&r, 100, 0);
	OK(sb_acd_answer(a, 100, 0, 2010));
	OK(sb_acd_hangup(a, 100, 3000));
	OFFER(&r, 1, 0);
	OK(sb_acd_answer(a, 1, 0, 3010));
	OK(sb_acd_hangup(a, 1, 4000));
	OFFER(&r, 0, 0);
	EXPECT_NONE(&r);
	AUDIT(a, 4000);
	sb_acd_free(a);
}

static void test_max_wait(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 1, 200, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg g = acfg();

	q.max_wait_ms = 10000;
	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &g));
	OK(sb_acd_agent_join(a, 0, 0, 0));     /* never logged in: no one serves */
	OK(sb_acd_enqueue(a, 3, 0, 0, 0));
	OK(sb_acd_call_move(a, 3, 150, 6000));
	T_ASSERT(sb_acd_next_due(a) == 10000);
	OK(sb_acd_tick(a, 9999));
	EXPECT_NONE(&r);
	OK(sb_acd_tick(a, 10000));
	T_ASSERT(r.n == 1 && r.act[0].type == SB_ACD_ACT_EXIT && r.act[0].call == 150 &&
		 r.act[0].reason == SB_ACD_EXIT_TIMEOUT);
	AUDIT(a, 10000);
	sb_acd_free(a);
}

static void test_steps(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 1, 200, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg g = acfg();

	q.nreq = 1;
	q.req[0].skill = 7;
	q.req[0].level = 5;
	q.nsteps = 1;
	q.step[0] = (struct sb_acd_step){ .after_ms = 4000, .drop = 2 };
	g.level[7] = 3;
	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &g));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_enqueue(a, 4, 0, 0, 0));
	EXPECT_NONE(&r);
	OK(sb_acd_call_move(a, 4, 160, 1000));
	OK(sb_acd_tick(a, 3999));
	EXPECT_NONE(&r);
	AUDIT(a, 3999);
	OK(sb_acd_tick(a, 4000));
	OFFER(&r, 160, 0);
	AUDIT(a, 4000);
	/* d. refused moves */
	T_ASSERT(sb_acd_call_move(a, 160, 161, 4001) == -EINVAL); /* offered, not waiting */
	OK(sb_acd_enqueue(a, 5, 0, 0, 4002));
	OK(sb_acd_enqueue(a, 6, 0, 0, 4003));
	T_ASSERT(sb_acd_call_move(a, 5, 6, 4004) == -EINVAL);     /* 6 in use */
	T_ASSERT(sb_acd_call_move(a, 5, 200, 4004) == -EINVAL);   /* out of range */
	T_ASSERT(sb_acd_call_move(a, 5, 5, 4004) == -EINVAL);
	T_ASSERT(sb_acd_position(a, 5) == 1);
	AUDIT(a, 4004);
	sb_acd_free(a);
}

static void test_rescan(void)
{
	struct rec r;
	struct sb_acd *a = acd_new(&r, 1, 1, 20, 1);
	struct sb_acd_queue_cfg q = qcfg(SB_ACD_LINEAR);
	struct sb_acd_agent_cfg g = acfg();

	q.nreq = 1;
	q.req[0].skill = 2;
	q.req[0].level = 4;
	OK(sb_acd_queue_add(a, 0, &q));
	OK(sb_acd_agent_add(a, 0, &g));
	OK(sb_acd_agent_join(a, 0, 0, 0));
	OK(sb_acd_agent_login(a, 0, 0));
	OK(sb_acd_enqueue(a, 1, 0, 0, 0));
	EXPECT_NONE(&r);
	g.level[2] = 4; /* the API gives it the skill */
	OK(sb_acd_agent_update(a, 0, &g));
	OK(sb_acd_agent_rescan(a, 0, 100));
	OFFER(&r, 1, 0);
	OK(sb_acd_answer(a, 1, 0, 110));
	OK(sb_acd_hangup(a, 1, 200));
	g.level[2] = 1;
	OK(sb_acd_agent_update(a, 0, &g));
	OK(sb_acd_enqueue(a, 2, 0, 0, 300));
	EXPECT_NONE(&r);
	AUDIT(a, 300);
	q.req[0].level = 1; /* the queue asks less */
	OK(sb_acd_queue_update(a, 0, &q));
	OK(sb_acd_queue_rescan(a, 0, 400));
	OFFER(&r, 2, 0);
	AUDIT(a, 400);
	T_ASSERT(sb_acd_queue_rescan(a, 3, 400) == -EINVAL);
	sb_acd_free(a);
}

int main(void)
{
	test_place();
	test_max_wait();
	test_steps();
	test_rescan();
	return 0;
}
