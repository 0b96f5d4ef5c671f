/* SPDX-License-Identifier: MIT */
/*
 * loop.h — the control plane's single event loop: epoll for file
 * descriptors, one-shot millisecond timers on a hashed timer wheel, and
 * idle hooks run once per iteration (after the fds and timers of that
 * iteration, before sleeping: where batched sends are flushed).
 * Everything that owns call, agent or media state runs on this thread, so
 * that state needs no locks.
 *
 * Timer wheel (VPP tw_timer, STYLE H15): slots of tick_ms each; a timer
 * sits in slot (due_tick % n_slots) with its absolute due tick, so add and
 * cancel are O(1) (an unlink from a circular list).  Each tick visits one
 * slot and fires the timers of that slot that are due; timers further away
 * than one turn of the wheel stay where they are until their turn comes.
 * A timer never fires early: its due tick is rounded up.
 *
 * The clock is the loop's own (CLOCK_MONOTONIC by default); tests plug in a
 * fake one and drive timers with sb_loop_run_timers().
 */
#ifndef SB_CP_LOOP_H
#define SB_CP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sb_loop;
struct sb_timer;

typedef void sb_fd_cb(void *arg, uint32_t events);
typedef void sb_timer_cb(struct sb_timer *t, void *arg);
typedef void sb_idle_cb(void *arg);
typedef uint64_t sb_clock_fn(void *arg); /* milliseconds, never going back */

struct sb_tlink {
	struct sb_tlink *prev, *next;
};

/* Embedded in its owner; sb_timer_init() before first use. */
struct sb_timer {
	struct sb_tlink link;  /* must be first: slot lists hold links */
	uint64_t due_tick;     /* absolute tick it fires at */
	sb_timer_cb *cb;
	void *arg;
	bool armed;
};

/* 1 ms ticks: the media backend polls its event ring every 1 ms while
 * commands are in flight, and a coarser tick would add that much to every
 * call set-up.  4096 slots = one turn every 4.1 s; longer timers (ring
 * timeout, linger) wait for their turn. */
#define SB_LOOP_TICK_MS 1u
#define SB_LOOP_SLOTS   4096u

struct sb_loop_params {
	uint32_t tick_ms;   /* 0: SB_LOOP_TICK_MS */
	uint32_t n_slots;   /* power of two; 0: SB_LOOP_SLOTS */
	sb_clock_fn *clock; /* NULL: sb_mono_ms */
	void *clock_arg;
};

struct sb_loop *sb_loop_create(void); /* NULL + errno */
struct sb_loop *sb_loop_create_ex(const struct sb_loop_params *p); /* NULL + errno (EINVAL) */
void sb_loop_free(struct sb_loop *l); /* NULL ok; fds are not closed */

/* 0 or -errno (-ENOSPC: table full).  The callback runs on the loop thread. */
int sb_loop_add_fd(struct sb_loop *l, int fd, sb_fd_cb *cb, void *arg);
/* Also EPOLLOUT (for stream sockets with queued output) when want_out. */
int sb_loop_mod_fd(struct sb_loop *l, int fd, bool want_out);
void sb_loop_del_fd(struct sb_loop *l, int fd);

/* Run cb at the end of every loop iteration (and of sb_loop_run_timers).
 * 0 or -ENOSPC. */
int sb_loop_add_idle(struct sb_loop *l, sb_idle_cb *cb, void *arg);

void sb_timer_init(struct sb_timer *t, sb_timer_cb *cb, void *arg);
/* (Re)arm to fire once after at least delay_ms (rounded up to the tick). */
void sb_timer_arm(struct sb_loop *l, struct sb_timer *t, uint64_t delay_ms);
void sb_timer_cancel(struct sb_loop *l, struct sb_timer *t); /* unarmed ok */
static inline bool sb_timer_is_armed(const struct sb_timer *t)
{
	return t->armed;
}

/* The loop's clock, ms. */
uint64_t sb_loop_now_ms(const struct sb_loop *l);
/* Fire every timer due by the loop's clock now, then the idle hooks;
 * returns how many timers fired.  sb_loop_run() calls it; tests with a fake
 * clock call it after moving the clock. */
unsigned sb_loop_run_timers(struct sb_loop *l);
unsigned sb_loop_timers_armed(const struct sb_loop *l);

/* Run until sb_loop_stop().  Returns 0 or -errno from epoll. */
int sb_loop_run(struct sb_loop *l);
/* One iteration: wait at most max_wait_ms (or until the next timer), run
 * ready fds, timers and idle hooks.  0 or -errno. */
int sb_loop_run_once(struct sb_loop *l, int max_wait_ms);
void sb_loop_stop(struct sb_loop *l);

/* CLOCK_MONOTONIC / CLOCK_REALTIME in ms. */
uint64_t sb_mono_ms(void);
uint64_t sb_wall_ms(void);

#endif
