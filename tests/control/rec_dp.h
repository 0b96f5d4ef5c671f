/* SPDX-License-Identifier: MIT */
/*
 * rec_dp.h — the recording fake dataplane of the tests that check what
 * sb-control asks of the media, in order (media_proc_t, cc_ivr_t,
 * cc_consult_t, cc_announce_t): every command on a real segment's ring
 * kept whole (the first REC_DP_MAX), answered ok with RESULT, the legs'
 * stats kept as LEG_ADD/LEG_DEL say, and the events a worker would send
 * (DTMF, PROMPT_DONE) injected one at a time on worker 0.  What a test
 * expects of the commands stays in the test.
 *
 * Include after sipc.h (test.h, the C library), as fake_dp.h, which it
 * includes.
 */
#ifndef SB_TEST_REC_DP_H
#define SB_TEST_REC_DP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fake_dp.h"

#define REC_DP_MAX 1024
/* rec_dp_find/count: a command on any leg */
#define ANY_LEG 0xfffffffeu

struct rec_dp {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t lock;
	atomic_int n;                 /* commands in cmd[] */
	union sb_msg cmd[REC_DP_MAX];
	union sb_msg inject[1];       /* the event to send (worker 0) */
	atomic_int n_inject;          /* 1 while inject[0] is not sent yet */
};

static inline int32_t rec_dp_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct rec_dp *d = arg;
	int n;

	(void)w;
	if (m->h.type == SB_CMD_LEG_ADD)
		fake_dp_leg_add(&d->shm, m);
	else if (m->h.type == SB_CMD_LEG_DEL && m->h.leg != SB_LEG_NONE)
		sb_dp_shm_leg_stats(&d->shm, m->h.leg % 64)->active = 0;
	pthread_mutex_lock(&d->lock);
	n = atomic_load(&d->n);
	if (n < REC_DP_MAX) {
		d->cmd[n] = *m;
		atomic_store(&d->n, n + 1);
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static inline void rec_dp_idle(void *arg)
{
	struct rec_dp *d = arg;

	fake_dp_send(&d->shm, 0, d->inject, (unsigned)atomic_load(&d->n_inject));
	atomic_store(&d->n_inject, 0);
}

static inline void *rec_dp_main(void *arg)
{
	struct rec_dp *d = arg;

	fake_dp_serve(&d->shm, &d->stop, rec_dp_cmd, rec_dp_idle, d);
	return NULL;
}

/* Empty D, create instance INST's segment (one worker, MEDIA_IP) and start
 * the thread; < 0 as fake_dp_create (no /dev/shm: the test skips). */
static inline int rec_dp_start(struct rec_dp *d, const char *inst, const char *media_ip)
{
	int rc;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	rc = fake_dp_create(&d->shm, inst, 1, 100, media_ip);
	if (rc < 0)
		return rc;
	T_ASSERT(pthread_create(&d->thread, NULL, rec_dp_main, d) == 0);
	return 0;
}

/* Stop the thread, STOPPED; UNLINK: remove the segment's name too (not
 * for a restart: sb-control still maps it). */
static inline void rec_dp_stop(struct rec_dp *d, int unlink)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	sb_dp_shm_set_state(&d->shm, SB_DP_STOPPED);
	sb_dp_shm_detach(&d->shm, unlink);
	pthread_mutex_destroy(&d->lock);
}

/* Index of the first command of TYPE from FROM on (on LEG unless ANY_LEG),
 * waiting up to MS; -1. */
static inline int rec_dp_find_ms(struct rec_dp *d, int from, unsigned type, uint32_t leg,
				 int ms)
{
	for (int t = 0; t < ms / 5; t++) {
		int n = atomic_load(&d->n);

		for (int i = from; i < n; i++)
			if (d->cmd[i].h.type == type && (leg == ANY_LEG || d->cmd[i].h.leg == leg))
				return i;
		usleep(5000);
	}
	return -1;
}

/* rec_dp_find_ms for up to 2 s */
static inline int rec_dp_find(struct rec_dp *d, int from, unsigned type, uint32_t leg)
{
	return rec_dp_find_ms(d, from, type, leg, 2000);
}

/* How many commands of TYPE (on LEG unless ANY_LEG) from FROM on, now. */
static inline int rec_dp_count(struct rec_dp *d, int from, unsigned type, uint32_t leg)
{
	int c = 0, n = atomic_load(&d->n);

	for (int i = from; i < n; i++)
		c += d->cmd[i].h.type == type && (leg == ANY_LEG || d->cmd[i].h.leg == leg);
	return c;
}

/* The leg (index) the last LEG_ADD put on local port PORT; SB_LEG_NONE. */
static inline uint32_t rec_dp_leg_at(struct rec_dp *d, unsigned port)
{
	uint32_t leg = SB_LEG_NONE;
	int n = atomic_load(&d->n);

	for (int i = 0; i < n; i++)
		if (d->cmd[i].h.type == SB_CMD_LEG_ADD && d->cmd[i].leg.local_port == port)
			leg = d->cmd[i].h.leg;
	return leg;
}

/* The generation the last LEG_ADD of LEG gave it; 0. */
static inline uint32_t rec_dp_gen_of(struct rec_dp *d, uint32_t leg)
{
	uint32_t g = 0;
	int n = atomic_load(&d->n);

	for (int i = 0; i < n; i++)
		if (d->cmd[i].h.type == SB_CMD_LEG_ADD && d->cmd[i].h.leg == leg)
			g = d->cmd[i].h.leg_gen;
	return g;
}

/* Send event E on worker 0 and wait until the thread has sent it (so the
 * next one cannot overwrite it): 0, or -1 if it was not sent within 2 s. */
static inline int rec_dp_inject(struct rec_dp *d, const union sb_msg *e)
{
	int t;

	for (t = 0; t < 400 && atomic_load(&d->n_inject) != 0; t++)
		usleep(5000);
	if (atomic_load(&d->n_inject) != 0)
		return -1;
	d->inject[0] = *e;
	atomic_store(&d->n_inject, 1);
	for (t = 0; t < 400 && atomic_load(&d->n_inject) != 0; t++)
		usleep(5000);
	return atomic_load(&d->n_inject) == 0 ? 0 : -1;
}

/* An RFC 4733 digit of MS on LEG (its current generation), as a worker
 * reports it; rec_dp_inject's result. */
static inline int rec_dp_dtmf(struct rec_dp *d, uint32_t leg, char digit, uint32_t ms)
{
	union sb_msg e;

	memset(&e, 0, sizeof(e));
	e.dtmf_evt.h = (struct sb_msg_hdr){ .type = SB_EVT_DTMF, .len = sizeof(struct sb_evt_dtmf),
					    .leg = leg, .leg_gen = rec_dp_gen_of(d, leg) };
	e.dtmf_evt.digit = (uint8_t)digit;
	e.dtmf_evt.source = SB_DTMF_SRC_4733;
	e.dtmf_evt.duration_ms = ms;
	return rec_dp_inject(d, &e);
}

/* PROMPT_DONE (played to the end) of PROMPT on LEG; rec_dp_inject's result. */
static inline int rec_dp_prompt_done(struct rec_dp *d, uint32_t leg, uint32_t prompt)
{
	union sb_msg e;

	memset(&e, 0, sizeof(e));
	e.prompt_evt.h = (struct sb_msg_hdr){ .type = SB_EVT_PROMPT_DONE,
					      .len = sizeof(struct sb_evt_prompt), .leg = leg,
					      .leg_gen = rec_dp_gen_of(d, leg) };
	e.prompt_evt.prompt = prompt;
	e.prompt_evt.reason = SB_PROMPT_END_DONE;
	return rec_dp_inject(d, &e);
}

#endif
