/* SPDX-License-Identifier: MIT */
/* timer_wheel_t — the control loop's hashed timer wheel on a fake clock:
 * timers fire at (never before) their due time rounded up to the tick, in
 * due order across slots; cancel and re-arm are O(1) and take effect; a
 * timer armed from a callback for "now" fires at the next tick, not one
 * turn later; timers longer than one turn of the wheel wait their turns;
 * a stalled loop fires everything overdue in one run; 100k timers armed
 * and cancelled leave the wheel empty. */
#include <string.h>

#include "loop.h"
#include "test.h"

static uint64_t now_ms;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return now_ms;
}

struct rec {
	struct sb_timer t;
	uint64_t fired_at;
	unsigned fires;
	struct sb_loop *l;
	uint64_t rearm;    /* re-arm with this delay from the callback (0: no) */
	bool rearm_zero;   /* re-arm with delay 0 once */
};

static void on_fire(struct sb_timer *t, void *arg)
{
	struct rec *r = arg;

	(void)t;
	r->fired_at = now_ms;
	r->fires++;
	if (r->rearm) {
		sb_timer_arm(r->l, &r->t, r->rearm);
		r->rearm = 0;
	} else if (r->rearm_zero) {
		r->rearm_zero = false;
		sb_timer_arm(r->l, &r->t, 0);
	}
}

/* advance the fake clock ms by ms, running timers at each step */
static void advance(struct sb_loop *l, uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++) {
		now_ms++;
		sb_loop_run_timers(l);
	}
}

int main(void)
{
	struct sb_loop_params p = { .tick_ms = 10, .n_slots = 64, .clock = fake_clock };
	struct sb_loop *l;
	static struct rec r[8], many[1000];

	now_ms = 1000003; /* not on a tick boundary */
	l = sb_loop_create_ex(&p);
	T_ASSERT(l != NULL);
	p.n_slots = 48;
	T_ASSERT(sb_loop_create_ex(&p) == NULL); /* not a power of two */

	/* due order, never early, at most one tick late */
	const uint64_t delays[] = { 500, 25, 1000, 3, 4000, 640, 639, 10 };
	uint64_t t0 = now_ms;
	for (unsigned i = 0; i < 8; i++) {
		r[i].l = l;
		sb_timer_init(&r[i].t, on_fire, &r[i]);
		sb_timer_arm(l, &r[i].t, delays[i]);
	}
	T_ASSERT_EQ_U64(sb_loop_timers_armed(l), 8);
	advance(l, 4100);
	for (unsigned i = 0; i < 8; i++) {
		T_ASSERT_EQ_U64(r[i].fires, 1);
		T_ASSERT(r[i].fired_at >= t0 + delays[i]);
		T_ASSERT(r[i].fired_at < t0 + delays[i] + 10);
	}
	T_ASSERT_EQ_U64(sb_loop_timers_armed(l), 0);

	/* cancel takes effect; re-arm moves the deadline */
	memset(r, 0, sizeof(r));
	t0 = now_ms;
	for (unsigned i = 0; i < 3; i++) {
		r[i].l = l;
		sb_timer_init(&r[i].t, on_fire, &r[i]);
		sb_timer_arm(l, &r[i].t, 100);
	}
	sb_timer_cancel(l, &r[0].t);
	sb_timer_cancel(l, &r[0].t); /* twice is fine */
	sb_timer_arm(l, &r[1].t, 300);
	T_ASSERT(!sb_timer_is_armed(&r[0].t) && sb_timer_is_armed(&r[1].t));
	advance(l, 200);
	T_ASSERT(r[0].fires == 0 && r[1].fires == 0 && r[2].fires == 1);
	advance(l, 200);
	T_ASSERT(r[1].fires == 1 && r[1].fired_at >= t0 + 300 && r[1].fired_at < t0 + 310);

	/* arming for "now" from a callback: next tick, not next turn */
	memset(r, 0, sizeof(r));
	r[0].l = l;
	r[0].rearm_zero = true;
	sb_timer_init(&r[0].t, on_fire, &r[0]);
	sb_timer_arm(l, &r[0].t, 50);
	t0 = now_ms;
	advance(l, 80);
	T_ASSERT_EQ_U64(r[0].fires, 2);
	T_ASSERT(r[0].fired_at <= t0 + 50 + 20);

	/* longer than a turn (64 slots x 10 ms = 640 ms): waits its turns */
	memset(r, 0, sizeof(r));
	r[0].l = l;
	sb_timer_init(&r[0].t, on_fire, &r[0]);
	t0 = now_ms;
	sb_timer_arm(l, &r[0].t, 2000);
	advance(l, 1990);
	T_ASSERT_EQ_U64(r[0].fires, 0);
	advance(l, 20);
	T_ASSERT_EQ_U64(r[0].fires, 1);
	T_ASSERT(r[0].fired_at >= t0 + 2000 && r[0].fired_at < t0 + 2010);

	/* a stalled loop: 5 s pass at once, everything overdue fires in one run */
	memset(many, 0, sizeof(many));
	for (unsigned i = 0; i < 1000; i++) {
		many[i].l = l;
		sb_timer_init(&many[i].t, on_fire, &many[i]);
		sb_timer_arm(l, &many[i].t, 1 + i * 3);
	}
	now_ms += 5000;
	T_ASSERT_EQ_U64(sb_loop_run_timers(l), 1000);
	for (unsigned i = 0; i < 1000; i++)
		T_ASSERT_EQ_U64(many[i].fires, 1);

	/* a chain re-armed from its callback keeps its period */
	memset(r, 0, sizeof(r));
	r[0].l = l;
	r[0].rearm = 100;
	sb_timer_init(&r[0].t, on_fire, &r[0]);
	sb_timer_arm(l, &r[0].t, 100);
	advance(l, 215);
	T_ASSERT_EQ_U64(r[0].fires, 2);

	/* many armed and cancelled: the wheel is empty again, nothing fires */
	{
		static struct rec big[100000];

		for (unsigned i = 0; i < 100000; i++) {
			big[i].l = l;
			sb_timer_init(&big[i].t, on_fire, &big[i]);
			sb_timer_arm(l, &big[i].t, (i * 7919u) % 30000u);
		}
		T_ASSERT_EQ_U64(sb_loop_timers_armed(l), 100000);
		for (unsigned i = 0; i < 100000; i++)
			sb_timer_cancel(l, &big[i].t);
		T_ASSERT_EQ_U64(sb_loop_timers_armed(l), 0);
		now_ms += 40000;
		T_ASSERT_EQ_U64(sb_loop_run_timers(l), 0);
	}
	sb_loop_free(l);

	/* the real clock: a 20 ms timer through sb_loop_run_once() */
	l = sb_loop_create();
	T_ASSERT(l != NULL);
	memset(r, 0, sizeof(r));
	sb_timer_init(&r[0].t, on_fire, &r[0]);
	t0 = sb_mono_ms();
	sb_timer_arm(l, &r[0].t, 20);
	for (int i = 0; i < 100 && r[0].fires == 0; i++)
		T_ASSERT(sb_loop_run_once(l, 100) == 0);
	T_ASSERT_EQ_U64(r[0].fires, 1);
	T_ASSERT(sb_mono_ms() - t0 >= 20);
	sb_loop_free(l);
	return 0;
}
