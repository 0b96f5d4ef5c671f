/* SPDX-License-Identifier: MIT */
/*
 * media/dpdk.c — the media backend for sb-dataplane: binary commands on the
 * per-worker SP/SC command rings of the shm segment (sb/dp_abi.h), results
 * matched by req_id from the event rings, which the loop polls (every 1 ms
 * while a command is in flight, every 20 ms otherwise).
 *
 * Only the loop thread touches this state.  Control is the single producer
 * of every command ring and the single consumer of every event ring.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "media/alloc.h"
#include "media/backend.h"
#include "sb/dp_shm.h"

#define PEND_N          4096u  /* in-flight commands; power of two */
#define PEND_TIMEOUT_MS 2000u
#define ATTACH_RETRY_MS 200u
#define POLL_BUSY_MS    1u
#define POLL_IDLE_MS    20u
#define HEALTH_MS       100u
#define HB_STALE_NS     2000000000ull

struct pend {
	uint32_t req_id;    /* 0 = free slot */
	uint16_t cmd;
	uint64_t cookie;
	uint64_t deadline_ms;
	struct sb_media_leg leg; /* LEG_DEL: released when answered */
};

struct media_dpdk {
	struct sb_media base;      /* must be first */
	struct sb_loop *loop;
	char instance[48];
	struct sb_dp_shm shm;
	bool attached;
	uint64_t generation;       /* of the attached segment; legs carry it as epoch */
	struct sb_media_alloc alloc;
	struct sb_timer t_attach;
	struct sb_timer t_poll;
	uint64_t next_health_ms;
	char last_why[256];
	uint32_t next_req;
	unsigned n_pending;
	struct pend pend[PEND_N];
};

static struct media_dpdk *to_dp(struct sb_media *m)
{
	return (struct media_dpdk *)m;
}

static bool dp_is_ready(struct sb_media *m)
{
	return to_dp(m)->attached;
}

static uint32_t dp_media_ip(struct sb_media *m)
{
	struct media_dpdk *d = to_dp(m);
	return d->attached ? d->shm.hdr->media_ip : 0;
}

static void dp_release_leg(struct media_dpdk *d, struct sb_media_leg *leg)
{
	if (leg->idx == UINT32_MAX)
		return;
	/* a leg of an older dataplane incarnation has no slot in today's pools */
	if (d->attached && leg->epoch == d->generation)
		sb_media_alloc_put(&d->alloc, leg->idx, leg->worker, leg->port);
	leg->idx = UINT32_MAX;
}

static void complete(struct media_dpdk *d, struct pend *p, int status)
{
	uint64_t cookie = p->cookie;

	if (p->cmd == SB_CMD_LEG_DEL)
		dp_release_leg(d, &p->leg);
	p->req_id = 0;
	d->n_pending--;
	d->base.done(d->base.done_arg, cookie, status);
}

static void fail_all_pending(struct media_dpdk *d, int status)
{
	for (unsigned i = 0; i < PEND_N && d->n_pending; i++)
		if (d->pend[i].req_id)
			complete(d, &d->pend[i], status);
}

static void arm_poll(struct media_dpdk *d)
{
	if (!d->attached)
		return;
	sb_timer_arm(d->loop, &d->t_poll, d->n_pending ? POLL_BUSY_MS : POLL_IDLE_MS);
}

static int submit(struct media_dpdk *d, unsigned worker, union sb_msg *msg, uint64_t cookie,
		  const struct sb_media_leg *del_leg)
{
	uint32_t id;
	struct pend *p;

	if (!d->attached)
		return -ENOTCONN;
	if (worker >= d->shm.hdr->n_workers)
		return -EINVAL;
	do {
		id = ++d->next_req;
	} while (id == 0);
	p = &d->pend[id & (PEND_N - 1)];
	if (p->req_id)
		return -EBUSY;
	msg->h.req_id = id;
	if (sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&d->shm, worker), msg, 1) != 1) {
		sb_warn("media: command ring of worker %u full", worker);
		return -EBUSY;
	}
	*p = (struct pend){ .req_id = id, .cmd = msg->h.type, .cookie = cookie,
			    .deadline_ms = sb_mono_ms() + PEND_TIMEOUT_MS };
	if (del_leg)
		p->leg = *del_leg;
	d->n_pending++;
	if (d->n_pending == 1)
		sb_timer_arm(d->loop, &d->t_poll, POLL_BUSY_MS);
	return 0;
}

static int dp_leg_alloc(struct sb_media *m, int worker, struct sb_media_leg *out)
{
	struct media_dpdk *d = to_dp(m);
	int rc;

	if (!d->attached)
		return -ENOTCONN;
	rc = sb_media_alloc_get(&d->alloc, worker, &out->idx, &out->gen, &out->port, &out->worker);
	if (rc < 0)
		return rc;
	out->epoch = d->generation;
	return 0;
}

static void dp_leg_free(struct sb_media *m, struct sb_media_leg *leg)
{
	dp_release_leg(to_dp(m), leg);
}

static int leg_cmd(struct sb_media *m, uint16_t type, const struct sb_media_leg *leg,
		   uint32_t peer_ip, uint16_t peer_port, uint32_t flags, uint32_t call_no,
		   uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	union sb_msg msg;

	if (!d->attached || leg->epoch != d->generation)
		return -ENOTCONN;
	memset(&msg, 0, sizeof(msg));
	msg.leg.h = (struct sb_msg_hdr){ .type = type, .len = sizeof(struct sb_cmd_leg),
					 .leg = leg->idx, .leg_gen = leg->gen };
	msg.leg.peer_ip = peer_ip;
	msg.leg.peer_port = peer_port;
	msg.leg.local_port = leg->port;
	msg.leg.flags = (flags & SB_MEDIA_F_LATCH ? SB_LEG_F_LATCH : 0) |
			(flags & SB_MEDIA_F_STRICT ? SB_LEG_F_STRICT : 0);
	msg.leg.worker = leg->worker;
	msg.leg.call_id = call_no;
	return submit(d, leg->worker, &msg, cookie, NULL);
}

static int dp_leg_add(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		      uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	return leg_cmd(m, SB_CMD_LEG_ADD, leg, peer_ip, peer_port, flags, call_no, cookie);
}

static int dp_leg_mod(struct sb_media *m, const struct sb_media_leg *leg, uint32_t peer_ip,
		      uint16_t peer_port, uint32_t flags, uint32_t call_no, uint64_t cookie)
{
	return leg_cmd(m, SB_CMD_LEG_MOD, leg, peer_ip, peer_port, flags, call_no, cookie);
}

static int dp_leg_del(struct sb_media *m, struct sb_media_leg *leg, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	union sb_msg msg;
	int rc = -ENOTCONN;

	if (leg->idx == UINT32_MAX)
		return -EINVAL;
	if (d->attached && leg->epoch == d->generation) {
		memset(&msg, 0, sizeof(msg));
		msg.h = (struct sb_msg_hdr){ .type = SB_CMD_LEG_DEL, .len = sizeof(struct sb_msg_hdr),
					     .leg = leg->idx, .leg_gen = leg->gen };
		rc = submit(d, leg->worker, &msg, cookie, leg);
		if (rc == 0) {
			leg->idx = UINT32_MAX; /* owned by the pending entry now */
			return 0;
		}
		sb_warn("media: LEG_DEL of leg %u not sent (%s); releasing it anyway",
			leg->idx, strerror(-rc));
	}
	dp_release_leg(d, leg);
	return rc;
}

static int dp_connect(struct sb_media *m, const struct sb_media_leg *a,
		      const struct sb_media_leg *b, uint64_t cookie)
{
	struct media_dpdk *d = to_dp(m);
	union sb_msg msg;

	if (!d->attached || a->epoch != d->generation || b->epoch != d->generation)
		return -ENOTCONN;
	memset(&msg, 0, sizeof(msg));
	msg.connect.h = (struct sb_msg_hdr){ .type = SB_CMD_LEG_CONNECT,
					     .len = sizeof(struct sb_cmd_connect),
					     .leg = a->idx, .leg_gen = a->gen };
	msg.connect.leg_b = b->idx;
	msg.connect.leg_b_gen = b->gen;
	return submit(d, a->worker, &msg, cookie, NULL);
}

static int dp_leg_counters(struct sb_media *m, const struct sb_media_leg *leg,
			   struct sb_media_counters *out)
{
	struct media_dpdk *d = to_dp(m);
	const volatile struct sb_leg_stats *st;

	memset(out, 0, sizeof(*out));
	if (!d->attached || leg->idx == UINT32_MAX || leg->epoch != d->generation)
		return -ENOTCONN;
	if (leg->idx >= d->shm.hdr->max_legs)
		return -EINVAL;
	st = sb_dp_shm_leg_stats(&d->shm, leg->idx);
	if (st->leg_gen != leg->gen)
		return -ESTALE;
	out->rx_pkts = st->rx_pkts;
	out->rx_bytes = st->rx_bytes;
	out->tx_pkts = st->tx_pkts;
	out->tx_bytes = st->tx_bytes;
	out->rej_src = st->rej_src;
	return 0;
}

static void on_event(struct media_dpdk *d, const union sb_msg *ev)
{
	switch (ev->h.type) {
	case SB_EVT_RESULT: {
		struct pend *p = &d->pend[ev->h.req_id & (PEND_N - 1)];

		if (p->req_id == 0 || p->req_id != ev->h.req_id) {
			sb_warn("media: result for unknown request %u", ev->h.req_id);
			return;
		}
		if (ev->result.status)
			sb_warn("media: command %u on leg %u failed: %s", ev->result.cmd_type,
				ev->h.leg, strerror(-ev->result.status));
		complete(d, p, ev->result.status);
		break;
	}
	case SB_EVT_PEER_LATCHED:
		sb_dbg("media: leg %u latched to peer port %u", ev->h.leg, ev->peer.peer_port);
		break;
	case SB_EVT_MEDIA_TIMEOUT:
		/* hanging up on media timeout comes with the session timers */
		sb_info("media: leg %u reports a media timeout", ev->h.leg);
		break;
	default:
		sb_warn("media: unknown event type %u", ev->h.type);
	}
}

static void detach(struct media_dpdk *d, const char *why)
{
	sb_warn("media: dataplane %s lost: %s; live calls keep their SIP state, "
		"media is not re-programmed (not implemented yet)", d->instance, why);
	d->attached = false;
	sb_timer_cancel(d->loop, &d->t_poll);
	fail_all_pending(d, -ECONNRESET);
	sb_media_alloc_fini(&d->alloc);
	sb_dp_shm_detach(&d->shm, 0);
	d->last_why[0] = '\0';
	sb_timer_arm(d->loop, &d->t_attach, ATTACH_RETRY_MS);
}

static void check_health(struct media_dpdk *d, uint64_t now_ms)
{
	const struct sb_dp_shm_hdr *h = d->shm.hdr;
	uint32_t st = atomic_load_explicit(&((struct sb_dp_shm_hdr *)h)->state, memory_order_acquire);
	uint64_t hb = atomic_load_explicit(&((struct sb_dp_shm_hdr *)h)->heartbeat_ns,
					   memory_order_acquire);
	uint64_t now_ns = sb_now_ns();
	char why[96];

	d->next_health_ms = now_ms + HEALTH_MS;
	if (st != SB_DP_READY) {
		snprintf(why, sizeof(why), "segment state %u (generation %llx)", st,
			 (unsigned long long)d->generation);
		detach(d, why);
	} else if (now_ns > hb && now_ns - hb > HB_STALE_NS) {
		snprintf(why, sizeof(why), "heartbeat %llu ms old",
			 (unsigned long long)((now_ns - hb) / 1000000));
		detach(d, why);
	}
}

static void on_poll(struct sb_timer *t, void *arg)
{
	struct media_dpdk *d = arg;
	union sb_msg evs[32];
	uint64_t now = sb_mono_ms();

	(void)t;
	if (!d->attached)
		return;
	for (unsigned w = 0; w < d->shm.hdr->n_workers && d->attached; w++) {
		struct sb_ring *r = sb_dp_shm_evt_ring(&d->shm, w);
		unsigned n;

		while (d->attached && (n = sb_ring_dequeue_burst(r, evs, 32)) > 0)
			for (unsigned i = 0; i < n && d->attached; i++)
				on_event(d, &evs[i]);
	}
	if (!d->attached)
		return;
	if (d->n_pending) {
		for (unsigned i = 0; i < PEND_N; i++)
			if (d->pend[i].req_id && d->pend[i].deadline_ms < now) {
				sb_warn("media: request %u (cmd %u) timed out", d->pend[i].req_id,
					d->pend[i].cmd);
				complete(d, &d->pend[i], -ETIMEDOUT);
			}
	}
	if (now >= d->next_health_ms)
		check_health(d, now);
	arm_poll(d);
}

static void on_attach(struct sb_timer *t, void *arg)
{
	struct media_dpdk *d = arg;
	const struct sb_dp_shm_hdr *h;
	char why[256];
	int rc;

	(void)t;
	rc = sb_dp_shm_attach(&d->shm, d->instance, why, sizeof(why));
	if (rc < 0) {
		/* log each new reason once, not every 200 ms */
		if (strcmp(why, d->last_why) != 0) {
			sb_warn("media: dataplane %s not attached: %s (retrying every %u ms)",
				d->instance, why, ATTACH_RETRY_MS);
			snprintf(d->last_why, sizeof(d->last_why), "%s", why);
		}
		sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
		return;
	}
	h = d->shm.hdr;
	{
		/* a dataplane that died without marking STOPPED leaves a READY
		 * segment behind: do not attach to it until it beats again */
		uint64_t hb = atomic_load_explicit(&d->shm.hdr->heartbeat_ns, memory_order_acquire);
		uint64_t now = sb_now_ns();

		if (now > hb && now - hb > HB_STALE_NS) {
			snprintf(why, sizeof(why), "segment %s is READY but its heartbeat is %llu ms old",
				 d->shm.name, (unsigned long long)((now - hb) / 1000000));
			if (strcmp(why, d->last_why) != 0 && strncmp(d->last_why, why, 40) != 0) {
				sb_warn("media: dataplane %s not attached: %s (retrying every %u ms)",
					d->instance, why, ATTACH_RETRY_MS);
				snprintf(d->last_why, sizeof(d->last_why), "%s", why);
			}
			sb_dp_shm_detach(&d->shm, 0);
			sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
			return;
		}
	}
	rc = sb_media_alloc_init(&d->alloc, h->max_legs, h->n_workers, h->port_min, h->port_span);
	if (rc < 0) {
		sb_err("media: cannot size leg/port pools: %s", strerror(-rc));
		sb_dp_shm_detach(&d->shm, 0);
		sb_timer_arm(d->loop, t, ATTACH_RETRY_MS);
		return;
	}
	/* drain results meant for an earlier control process */
	for (unsigned w = 0; w < h->n_workers; w++) {
		union sb_msg ev;
		while (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&d->shm, w), &ev, 1))
			;
	}
	d->generation = h->generation;
	d->attached = true;
	d->last_why[0] = '\0';
	d->next_health_ms = sb_mono_ms() + HEALTH_MS;
	{
		const uint8_t *ip = (const uint8_t *)&h->media_ip;
		sb_info("media: attached to dataplane %s: generation %llx, pid %u, %u workers, "
			"%u legs, media %u.%u.%u.%u ports %u..%u",
			d->instance, (unsigned long long)h->generation, h->dp_pid, h->n_workers,
			h->max_legs, ip[0], ip[1], ip[2], ip[3], h->port_min,
			h->port_min + h->port_span * h->n_workers - 1);
	}
	arm_poll(d);
}

static void dp_destroy(struct sb_media *m)
{
	struct media_dpdk *d = to_dp(m);

	sb_timer_cancel(d->loop, &d->t_attach);
	sb_timer_cancel(d->loop, &d->t_poll);
	if (d->attached) {
		sb_media_alloc_fini(&d->alloc);
		sb_dp_shm_detach(&d->shm, 0);
	}
	free(d);
}

static const struct sb_media_ops dpdk_ops = {
	.name = "dpdk",
	.is_ready = dp_is_ready,
	.media_ip = dp_media_ip,
	.leg_alloc = dp_leg_alloc,
	.leg_free = dp_leg_free,
	.leg_add = dp_leg_add,
	.leg_mod = dp_leg_mod,
	.leg_del = dp_leg_del,
	.connect = dp_connect,
	.leg_counters = dp_leg_counters,
	.destroy = dp_destroy,
};

struct sb_media *sb_media_dpdk_create(struct sb_loop *loop, const char *instance,
				      sb_media_done_cb *done, void *done_arg)
{
	struct media_dpdk *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->base = (struct sb_media){ .ops = &dpdk_ops, .done = done, .done_arg = done_arg };
	d->loop = loop;
	snprintf(d->instance, sizeof(d->instance), "%s", instance);
	sb_timer_init(&d->t_attach, on_attach, d);
	sb_timer_init(&d->t_poll, on_poll, d);
	sb_timer_arm(loop, &d->t_attach, 0);
	return &d->base;
}
