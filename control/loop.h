/* SPDX-License-Identifier: MIT */
/*
 * loop.h — the control plane's single event loop: epoll for file
 * descriptors, one-shot millisecond timers.  Everything that owns call,
 * agent or media state runs on this thread, so that state needs no locks.
 *
 * Timers live in an intrusive list sorted by deadline: O(n) insert, which is
 * fine at foundation scale; the hashed timer wheel (STYLE H15) replaces it
 * without changing this API.
 */
#ifndef SB_CP_LOOP_H
#define SB_CP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sb_loop;
struct sb_timer;

typedef void sb_fd_cb(void *arg, uint32_t events);
typedef void sb_timer_cb(struct sb_timer *t, void *arg);

struct sb_timer {
	uint64_t due_ms;   /* CLOCK_MONOTONIC ms */
	sb_timer_cb *cb;
	void *arg;
	struct sb_timer *prev, *next;
	bool armed;
};

struct sb_loop *sb_loop_create(void); /* NULL + errno */
void sb_loop_free(struct sb_loop *l); /* NULL ok; fds are not closed */

/* 0 or -errno.  The callback runs on the loop thread. */
int sb_loop_add_fd(struct sb_loop *l, int fd, sb_fd_cb *cb, void *arg);
void sb_loop_del_fd(struct sb_loop *l, int fd);

void sb_timer_init(struct sb_timer *t, sb_timer_cb *cb, void *arg);
/* (Re)arm to fire once after delay_ms. */
void sb_timer_arm(struct sb_loop *l, struct sb_timer *t, uint64_t delay_ms);
void sb_timer_cancel(struct sb_loop *l, struct sb_timer *t); /* unarmed ok */

/* Run until sb_loop_stop().  Returns 0 or -errno from epoll. */
int sb_loop_run(struct sb_loop *l);
void sb_loop_stop(struct sb_loop *l);

/* CLOCK_MONOTONIC / CLOCK_REALTIME in ms. */
uint64_t sb_mono_ms(void);
uint64_t sb_wall_ms(void);

#endif
