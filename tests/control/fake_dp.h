/* SPDX-License-Identifier: MIT */
/*
 * fake_dp.h — the parts the control tests' "dataplane" repeated: a real
 * shm segment (sb_dp_shm_create, then READY as sb-dataplane once up)
 * whose command rings a thread of the test drains, answering each command
 * with the RESULT event sb-dataplane would send.  What a test records of
 * the commands (LEG_MODs, CONNECTs ...) and how it fails stay in the test.
 *
 * Include after sipc.h (test.h, the C library) and sb/dp_shm.h.
 */
#ifndef SB_TEST_FAKE_DP_H
#define SB_TEST_FAKE_DP_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sb/dp_shm.h"
#include "test.h"

/* Create instance INST's segment as the tests size it (64 legs, 64-slot
 * rings, media ports 20000 + PORT_SPAN, WORKERS workers, MEDIA_IP or none)
 * and mark it READY; < 0 as sb_dp_shm_create (no /dev/shm: the test skips
 * or fails, its choice). */
static inline int fake_dp_create(struct sb_dp_shm *shm, const char *inst, unsigned workers,
				 unsigned port_span, const char *media_ip)
{
	struct sb_dp_shm_params prm = {
		.n_workers = workers, .max_legs = 64, .cmd_slots = 64, .evt_slots = 64,
		.port_min = 20000, .port_span = port_span,
	};
	int rc;

	if (media_ip)
		inet_pton(AF_INET, media_ip, &prm.media_ip);
	rc = sb_dp_shm_create(shm, inst, &prm);
	if (rc < 0)
		return rc;
	sb_dp_shm_set_state(shm, SB_DP_READY);
	return 0;
}

/* The leg statistics a LEG_ADD starts: zeroed, this generation, active. */
static inline struct sb_leg_stats *fake_dp_leg_add(struct sb_dp_shm *shm, const union sb_msg *m)
{
	struct sb_leg_stats *ls = sb_dp_shm_leg_stats(shm, m->h.leg % 64);

	memset(ls, 0, sizeof(*ls));
	ls->leg_gen = m->h.leg_gen;
	ls->local_port = m->leg.local_port;
	ls->active = 1;
	return ls;
}

/* Send events on worker W's event ring, waiting for room. */
static inline void fake_dp_send(struct sb_dp_shm *shm, unsigned w, const union sb_msg *ev,
				unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		while (sb_ring_enqueue_bulk(sb_dp_shm_evt_ring(shm, w), &ev[i], 1) != 1)
			usleep(100);
}

/* Answer command M (from worker W's ring) with a RESULT of STATUS. */
static inline void fake_dp_reply(struct sb_dp_shm *shm, unsigned w, const union sb_msg *m,
				 int32_t status)
{
	union sb_msg ev;

	memset(&ev, 0, sizeof(ev));
	ev.result.h = (struct sb_msg_hdr){ .type = SB_EVT_RESULT,
		.len = sizeof(struct sb_evt_result), .req_id = m->h.req_id,
		.leg = m->h.leg, .leg_gen = m->h.leg_gen };
	ev.result.status = status;
	ev.result.cmd_type = m->h.type;
	fake_dp_send(shm, w, &ev, 1);
}

/* The loop of a fake dataplane's thread, until *STOP: the heartbeat kept
 * fresh, each command on each worker's ring handed to ON_CMD(CTX, worker,
 * command) and answered with the RESULT status it returns, then IDLE(CTX)
 * (if not NULL: the test's own events to send), 200 us of sleep. */
static inline void fake_dp_serve(struct sb_dp_shm *shm, atomic_int *stop,
				 int32_t (*on_cmd)(void *ctx, unsigned w, const union sb_msg *m),
				 void (*idle)(void *ctx), void *ctx)
{
	while (!atomic_load(stop)) {
		atomic_store(&shm->hdr->heartbeat_ns, sb_now_ns());
		for (unsigned w = 0; w < shm->hdr->n_workers; w++) {
			union sb_msg m;

			while (sb_ring_dequeue_burst(sb_dp_shm_cmd_ring(shm, w), &m, 1) == 1)
				fake_dp_reply(shm, w, &m, on_cmd(ctx, w, &m));
		}
		if (idle)
			idle(ctx);
		usleep(200);
	}
}

/* The simplest dataplane: a thread keeping the heartbeat fresh and
 * answering every command ok (counted in n_cmds), enough for calls to be set
 * up and torn down.  fake_dp_create(&d->shm, ...), then
 * pthread_create(&d->thread, NULL, fake_dp_ok_main, d); fake_dp_ok_stop()
 * ends the thread and removes the segment. */
struct fake_dp_ok {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_cmds;
};

static inline int32_t fake_dp_ok_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp_ok *d = arg;

	(void)w, (void)m;
	atomic_fetch_add(&d->n_cmds, 1);
	return 0;
}

static inline void *fake_dp_ok_main(void *arg)
{
	struct fake_dp_ok *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_ok_cmd, NULL, d);
	return NULL;
}

static inline void fake_dp_ok_stop(struct fake_dp_ok *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	sb_dp_shm_detach(&d->shm, 1);
}

/* A dataplane that records (transfer_t, dialog_t): the first FAKE_DP_MAX
 * LEG_ADDs and LEG_MODs, the count of each command, the legs' stats in the
 * segment (active from LEG_ADD to LEG_DEL); events the test puts in
 * inject[] (then sets n_inject) are sent once on worker 0.  One worker. */
#define FAKE_DP_MAX 64

struct fake_dp_rec {
	struct sb_dp_shm shm;
	pthread_t thread;
	atomic_int stop;
	atomic_int n_add, n_mod, n_connect, n_del, n_inject;
	struct sb_cmd_leg mod[FAKE_DP_MAX];
	struct sb_cmd_leg add[FAKE_DP_MAX];
	union sb_msg inject[2];   /* events to send once (worker 0) */
};

static inline int32_t fake_dp_rec_cmd(void *arg, unsigned w, const union sb_msg *m)
{
	struct fake_dp_rec *d = arg;
	int n;

	(void)w;
	switch (m->h.type) {
	case SB_CMD_LEG_ADD:
		fake_dp_leg_add(&d->shm, m);
		n = atomic_load(&d->n_add);
		if (n < FAKE_DP_MAX)
			d->add[n] = m->leg;
		atomic_fetch_add(&d->n_add, 1);
		break;
	case SB_CMD_LEG_MOD:
		n = atomic_load(&d->n_mod);
		if (n < FAKE_DP_MAX)
			d->mod[n] = m->leg;
		atomic_fetch_add(&d->n_mod, 1);
		break;
	case SB_CMD_LEG_CONNECT:
		atomic_fetch_add(&d->n_connect, 1);
		break;
	case SB_CMD_LEG_DEL:
		sb_dp_shm_leg_stats(&d->shm, m->h.leg % 64)->active = 0;
		atomic_fetch_add(&d->n_del, 1);
		break;
	default:
		break;
	}
	return 0;
}

/* inject[] (n_inject of them, set by the test) sent once on worker 0 */
static inline void fake_dp_rec_idle(void *arg)
{
	struct fake_dp_rec *d = arg;

	fake_dp_send(&d->shm, 0, d->inject, (unsigned)atomic_load(&d->n_inject));
	atomic_store(&d->n_inject, 0);
}

static inline void *fake_dp_rec_main(void *arg)
{
	struct fake_dp_rec *d = arg;

	fake_dp_serve(&d->shm, &d->stop, fake_dp_rec_cmd, fake_dp_rec_idle, d);
	return NULL;
}

static inline void fake_dp_rec_start(struct fake_dp_rec *d, const char *inst, const char *media_ip)
{
	memset(d, 0, sizeof(*d));
	T_ASSERT(fake_dp_create(&d->shm, inst, 1, 100, media_ip) == 0);
	T_ASSERT(pthread_create(&d->thread, NULL, fake_dp_rec_main, d) == 0);
}

/* The first LEG_MOD from the MARKth on of the leg on LOCAL_PORT toward
 * PEER_PORT (either byte order; 0: any peer), waiting up to 2 s for it. */
static inline const struct sb_cmd_leg *fake_dp_rec_find_mod(struct fake_dp_rec *d, int mark,
							     unsigned local_port,
							     unsigned peer_port)
{
	for (int t = 0; t < 400; t++) {
		int n = atomic_load(&d->n_mod);

		for (int i = mark; i < n && i < FAKE_DP_MAX; i++)
			if (d->mod[i].local_port == local_port &&
			    (peer_port == 0 || ntohs(d->mod[i].peer_port) == peer_port ||
			     d->mod[i].peer_port == peer_port))
				return &d->mod[i];
		usleep(5000);
	}
	return NULL;
}

/* Orderly stop: STOPPED, and the segment's name stays (sb-control may
 * still map it; the test unlinks it). */
static inline void fake_dp_rec_stop(struct fake_dp_rec *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	sb_dp_shm_set_state(&d->shm, SB_DP_STOPPED);
	sb_dp_shm_detach(&d->shm, 0);
}

#endif
