/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_cycles.h>

#include "arp.h"
#include "legs.h"
#include "worker.h"

#define LEG_FLAGS_KNOWN (SB_LEG_F_LATCH | SB_LEG_F_STRICT)

int sb_leg_tbl_init(struct sb_leg_tbl *t, uint32_t max, struct sb_leg_stats *st, int socket)
{
	t->max = max;
	t->st = st;
	t->leg = rte_zmalloc_socket("sb_legs", (size_t)max * sizeof(*t->leg),
				    RTE_CACHE_LINE_SIZE, socket);
	if (t->leg == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < max; i++)
		t->leg[i].fwd = SB_LEG_NONE;
	return 0;
}

void sb_leg_tbl_free(struct sb_leg_tbl *t)
{
	rte_free(t->leg);
	t->leg = NULL;
}

/* The leg must be active, owned by w and of that generation. */
static int leg_check(struct sb_worker *w, uint32_t idx, uint32_t gen, struct sb_leg **out)
{
	struct sb_leg *l;

	if (idx >= w->legs->max)
		return -EINVAL;
	l = &w->legs->leg[idx];
	if (!l->active)
		return -ENOENT;
	if (l->worker != w->id)
		return -EXDEV;
	if (l->gen != gen)
		return -ESTALE;
	*out = l;
	return 0;
}

static void leg_publish_peer(struct sb_worker *w, uint32_t idx)
{
	struct sb_leg *l = &w->legs->leg[idx];
	struct sb_leg_stats *s = &w->legs->st[idx];

	s->peer_ip = l->peer_ip;
	s->peer_port = l->peer_port;
}

/* Resolve the peer's next hop early so the first packet is not dropped. */
static void leg_resolve_peer(struct sb_worker *w, const struct sb_leg *l)
{
	if (l->peer_ip != 0)
		sb_arp_solicit(w, sb_arp_nexthop(l->peer_ip, w->media_ip, w->netmask, w->gateway),
			       rte_rdtsc());
}

static void leg_disconnect(struct sb_worker *w, struct sb_leg *l)
{
	if (l->fwd != SB_LEG_NONE) {
		struct sb_leg *o = &w->legs->leg[l->fwd];

		if (o->fwd == (uint32_t)(l - w->legs->leg))
			o->fwd = SB_LEG_NONE;
		l->fwd = SB_LEG_NONE;
	}
}

static int leg_add(struct sb_worker *w, const struct sb_cmd_leg *c)
{
	uint32_t idx = c->h.leg;
	struct sb_leg *l;
	struct sb_leg_stats *s;
	uint32_t slot;

	if (idx >= w->legs->max || (c->flags & ~LEG_FLAGS_KNOWN) != 0 || c->worker != w->id)
		return -EINVAL;
	if (c->local_port < w->port_base ||
	    (uint32_t)c->local_port >= (uint32_t)w->port_base + w->port_span)
		return -ERANGE;
	l = &w->legs->leg[idx];
	if (l->active)
		return -EEXIST;
	slot = c->local_port - w->port_base;
	if (w->port_leg[slot] != SB_LEG_NONE)
		return -EEXIST;

	memset(l, 0, sizeof(*l));
	l->peer_ip = c->peer_ip;
	l->peer_port = c->peer_port;
	l->local_port = c->local_port;
	l->flags = c->flags;
	l->gen = c->h.leg_gen;
	l->fwd = SB_LEG_NONE;
	l->call_id = c->call_id;
	l->worker = w->id;

	s = &w->legs->st[idx];
	memset(s, 0, sizeof(*s));
	s->local_port = c->local_port;
	s->leg_gen = c->h.leg_gen;
	leg_publish_peer(w, idx);

	l->active = 1;
	s->active = 1;
	w->port_leg[slot] = idx;
	w->st->legs_active++;
	leg_resolve_peer(w, l);
	return 0;
}

static int leg_mod(struct sb_worker *w, const struct sb_cmd_leg *c)
{
	struct sb_leg *l;
	int rc;

	if ((c->flags & ~LEG_FLAGS_KNOWN) != 0)
		return -EINVAL;
	rc = leg_check(w, c->h.leg, c->h.leg_gen, &l);
	if (rc < 0)
		return rc;
	if (c->local_port != 0 && c->local_port != l->local_port)
		return -EINVAL;
	if (c->peer_ip != l->peer_ip || c->peer_port != l->peer_port)
		l->latched = 0; /* a new expected peer: latch again if asked to */
	l->peer_ip = c->peer_ip;
	l->peer_port = c->peer_port;
	l->flags = c->flags;
	leg_publish_peer(w, c->h.leg);
	leg_resolve_peer(w, l);
	return 0;
}

static int leg_del(struct sb_worker *w, const struct sb_msg_hdr *h)
{
	struct sb_leg *l;
	int rc;

	rc = leg_check(w, h->leg, h->leg_gen, &l);
	if (rc < 0)
		return rc;
	leg_disconnect(w, l);
	w->port_leg[l->local_port - w->port_base] = SB_LEG_NONE;
	l->active = 0;
	w->legs->st[h->leg].active = 0; /* counters stay for the CDR */
	w->st->legs_active--;
	return 0;
}

static int leg_connect(struct sb_worker *w, const struct sb_cmd_connect *c)
{
	struct sb_leg *a, *b;
	int rc;

	rc = leg_check(w, c->h.leg, c->h.leg_gen, &a);
	if (rc < 0)
		return rc;
	if (c->leg_b == SB_LEG_NONE) { /* disconnect a */
		leg_disconnect(w, a);
		return 0;
	}
	rc = leg_check(w, c->leg_b, c->leg_b_gen, &b);
	if (rc < 0)
		return rc;
	if (a == b)
		return -EINVAL;
	if (a->fwd != c->leg_b)
		leg_disconnect(w, a);
	if (b->fwd != c->h.leg)
		leg_disconnect(w, b);
	a->fwd = c->leg_b;
	b->fwd = c->h.leg;
	return 0;
}

int sb_legs_apply(struct sb_worker *w, const union sb_msg *m)
{
	uint16_t type = m->h.type;

	if (type >= SB_CMD_N || sb_cmd_size[type] == 0)
		return -ENOTSUP;
	if (m->h.len != sb_cmd_size[type])
		return -EBADMSG;
	switch ((enum sb_cmd_type)type) {
	case SB_CMD_NOP:
		return 0;
	case SB_CMD_LEG_ADD:
		return leg_add(w, &m->leg);
	case SB_CMD_LEG_MOD:
		return leg_mod(w, &m->leg);
	case SB_CMD_LEG_DEL:
		return leg_del(w, &m->h);
	case SB_CMD_LEG_CONNECT:
		return leg_connect(w, &m->connect);
	case SB_CMD_N:
		break;
	}
	return -ENOTSUP;
}

unsigned sb_legs_cmd_poll(struct sb_worker *w)
{
	union sb_msg cmds[SB_CMD_BURST];
	unsigned n = sb_ring_dequeue_burst(w->cmd, cmds, SB_CMD_BURST);

	for (unsigned i = 0; i < n; i++) {
		union sb_msg ev;

		memset(&ev, 0, sizeof(ev));
		ev.result.status = sb_legs_apply(w, &cmds[i]);
		ev.result.h.type = SB_EVT_RESULT;
		ev.result.h.len = sizeof(ev.result);
		ev.result.h.req_id = cmds[i].h.req_id;
		ev.result.h.leg = cmds[i].h.leg;
		ev.result.h.leg_gen = cmds[i].h.leg_gen;
		ev.result.cmd_type = cmds[i].h.type;
		w->st->cmds++;
		sb_worker_evt_push(w, &ev);
	}
	return n;
}
