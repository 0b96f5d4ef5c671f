/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_cycles.h>

#include "arp.h"
#include "dpmedia.h"
#include "legs.h"
#include "rectap.h"
#include "worker.h"

#define SWEEP_MS        1u    /* timer period of sb_legs_timer() */
#define FRACTION_MS     1000u /* fraction-lost interval */
#define SCRIPT_MAX      64u   /* "at N" commands per worker */

int sb_leg_tbl_init(struct sb_leg_tbl *t, uint32_t max, struct sb_leg_stats *st, int socket)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	t->st = st;
	t->leg = rte_zmalloc_socket("sb_legs", (size_t)max * sizeof(*t->leg),
				    RTE_CACHE_LINE_SIZE, socket);
	t->x = rte_zmalloc_socket("sb_legs_x", (size_t)max * sizeof(*t->x),
				  RTE_CACHE_LINE_SIZE, socket);
	if (t->leg == NULL || t->x == NULL) {
		sb_leg_tbl_free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < max; i++)
		t->leg[i].fwd = SB_LEG_NONE;
	return 0;
}

void sb_leg_tbl_free(struct sb_leg_tbl *t)
{
	rte_free(t->leg);
	rte_free(t->x);
	t->leg = NULL;
	t->x = NULL;
	for (unsigned i = 0; i < SB_MAX_WORKERS; i++) {
		rte_free(t->script_mem[i]);
		t->script_mem[i] = NULL;
		t->script[i] = NULL;
	}
}

/* The leg must be active, owned by w and of that generation. */
static int leg_check(struct sb_worker *w, uint32_t idx, uint32_t gen, struct sb_leg **out)
{
	struct sb_leg *l;

	if (idx >= w->legs->max)
		return -EINVAL;
	l = &w->legs->leg[idx];
	if (!w->legs->x[idx].active)
		return -ENOENT;
	if (w->legs->x[idx].worker != w->id)
		return -EXDEV;
	if (w->legs->x[idx].gen != gen)
		return -ESTALE;
	*out = l;
	return 0;
}

/* Where this leg's RTCP goes: the SDP a=rtcp port while the peer is the
 * SDP address, else the peer's RTP port (+1 unless mux). */
static uint16_t leg_rtcp_port(const struct sb_leg *l, const struct sb_leg_x *x)
{
	if (l->peer_port == 0)
		return 0;
	if (x->cfg_rtcp_port != 0 && l->peer_ip == x->latch.sdp_ip &&
	    l->peer_port == x->latch.sdp_port)
		return x->cfg_rtcp_port;
	if (l->flags & SB_LEG_F_RTCP_MUX)
		return l->peer_port;
	return (uint16_t)(l->peer_port + 1);
}

void sb_legs_peer_changed(struct sb_worker *w, uint32_t idx)
{
	struct sb_leg *l = &w->legs->leg[idx];
	struct sb_leg_x *x = &w->legs->x[idx];
	struct sb_leg_stats *s = &w->legs->st[idx];

	l->rtcp_port = leg_rtcp_port(l, x);
	l->rtcp_locked = 0;
	s->peer_ip = l->peer_ip;
	s->peer_port = l->peer_port;
	s->rtcp_peer_port = l->rtcp_port;
	s->latch_state = x->latch.state;
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

static int leg_cfg_check(const struct sb_cmd_leg *c)
{
	if ((c->flags & ~SB_LEG_F_KNOWN) != 0 || c->n_pt_map > SB_PT_MAP_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_pt_map; i++)
		if (c->pt_map[i].pt_in > 127 || c->pt_map[i].pt_out > 127)
			return -EINVAL;
	return 0;
}

/* Flags, payload map, timeout, peer; the latch restarts when the SDP peer
 * or the latching permission changed (a re-INVITE with the same address
 * keeps a locked source locked). */
static void leg_configure(struct sb_worker *w, uint32_t idx, const struct sb_cmd_leg *c,
			  bool fresh)
{
	struct sb_leg *l = &w->legs->leg[idx];
	struct sb_leg_x *x = &w->legs->x[idx];
	bool may_latch = (c->flags & SB_LEG_F_LATCH) != 0;
	bool same = !fresh && c->peer_ip == x->latch.sdp_ip && c->peer_port == x->latch.sdp_port &&
		    ((l->flags & SB_LEG_F_LATCH) != 0) == may_latch;

	l->flags = (uint8_t)(c->flags | (fresh ? 0u : (l->flags & SB_LEGI_MASK)));
	l->n_pt = c->n_pt_map;
	for (unsigned i = 0; i < SB_PT_MAP_MAX; i++) {
		l->pt_in[i] = i < c->n_pt_map ? c->pt_map[i].pt_in : 0;
		l->pt_out[i] = i < c->n_pt_map ? c->pt_map[i].pt_out : 0;
		x->pt_clock[i] = i < c->n_pt_map ? c->pt_map[i].clock_hz : 0;
	}
	l->rx_clock_pt = 0xff; /* recompute the jitter clock on the next packet */
	x->timeout_ms = c->timeout_ms != 0 ? c->timeout_ms : SB_MEDIA_TIMEOUT_MS;
	x->cfg_rtcp_port = c->peer_rtcp_port;
	if (!same) {
		sb_latch_init(&x->latch, c->peer_ip, c->peer_port, may_latch, &l->peer_ip,
			      &l->peer_port);
		l->locked = 0;
	}
	w->legs->st[idx].rtcp_mux = (c->flags & SB_LEG_F_RTCP_MUX) ? 1 : 0;
	sb_legs_peer_changed(w, idx);
}

static int leg_add(struct sb_worker *w, const struct sb_cmd_leg *c)
{
	uint32_t idx = c->h.leg;
	struct sb_leg *l;
	struct sb_leg_stats *s;
	uint32_t slot;
	bool mux = (c->flags & SB_LEG_F_RTCP_MUX) != 0;

	if (idx >= w->legs->max || leg_cfg_check(c) < 0 || c->worker != w->id)
		return -EINVAL;
	if (c->local_port < w->port_base ||
	    (uint32_t)c->local_port + (mux ? 0u : 1u) >= (uint32_t)w->port_base + w->port_span ||
	    c->local_addr >= w->n_addr)
		return -ERANGE;
	l = &w->legs->leg[idx];
	if (w->legs->x[idx].active)
		return -EEXIST;
	slot = (uint32_t)c->local_addr * w->port_span + (c->local_port - w->port_base);
	if (w->port_leg[slot] != SB_LEG_NONE || (!mux && w->port_leg[slot + 1] != SB_LEG_NONE))
		return -EEXIST;

	memset(l, 0, sizeof(*l));
	memset(&w->legs->x[idx], 0, sizeof(w->legs->x[idx]));
	l->local_port = c->local_port;
	l->addr = c->local_addr;
	l->fwd = SB_LEG_NONE;
	w->legs->x[idx].gen = c->h.leg_gen;
	w->legs->x[idx].worker = w->id;

	s = &w->legs->st[idx];
	memset(s, 0, sizeof(*s));
	s->local_port = c->local_port;
	s->leg_gen = c->h.leg_gen;
	leg_configure(w, idx, c, true);
	w->legs->x[idx].idle_start_ns = sb_tsc_to_ns(&w->clk, rte_rdtsc());

	w->legs->x[idx].active = 1;
	s->active = 1;
	w->port_leg[slot] = idx;
	if (!mux)
		w->port_leg[slot + 1] = idx | SB_PORT_RTCP;
	w->st->legs_active++;
	leg_resolve_peer(w, l);
	return 0;
}

static int leg_mod(struct sb_worker *w, const struct sb_cmd_leg *c)
{
	struct sb_leg *l;
	uint32_t slot;
	bool mux = (c->flags & SB_LEG_F_RTCP_MUX) != 0, was_mux;
	int rc;

	if (leg_cfg_check(c) < 0)
		return -EINVAL;
	rc = leg_check(w, c->h.leg, c->h.leg_gen, &l);
	if (rc < 0)
		return rc;
	if ((c->local_port != 0 && c->local_port != l->local_port) || c->local_addr != l->addr)
		return -EINVAL;
	slot = (uint32_t)l->addr * w->port_span + (l->local_port - w->port_base);
	was_mux = (l->flags & SB_LEG_F_RTCP_MUX) != 0;
	if (was_mux && !mux) { /* RTCP moves to port + 1 */
		if (l->local_port - w->port_base + 1u >= w->port_span)
			return -ERANGE;
		if (w->port_leg[slot + 1] != SB_LEG_NONE)
			return -EEXIST;
		w->port_leg[slot + 1] = c->h.leg | SB_PORT_RTCP;
	} else if (!was_mux && mux) {
		w->port_leg[slot + 1] = SB_LEG_NONE;
	}
	leg_configure(w, c->h.leg, c, false);
	leg_resolve_peer(w, l);
	return 0;
}

static int leg_del(struct sb_worker *w, const struct sb_msg_hdr *h)
{
	struct sb_leg *l;
	uint32_t slot;
	int rc;

	rc = leg_check(w, h->leg, h->leg_gen, &l);
	if (rc < 0)
		return rc;
	leg_disconnect(w, l);
	if (unlikely(l->flags & SB_LEGI_MASK)) {
		sb_dpm_leg_reset(w, h->leg);
		sb_dprec_leg_reset(w, h->leg);
	}
	slot = (uint32_t)l->addr * w->port_span + (l->local_port - w->port_base);
	w->port_leg[slot] = SB_LEG_NONE;
	if (!(l->flags & SB_LEG_F_RTCP_MUX))
		w->port_leg[slot + 1] = SB_LEG_NONE;
	w->legs->x[h->leg].active = 0;
	for (uint16_t i = 0; i < w->tx.n; i++) /* its queued packets count as sent */
		if (w->tx.leg[i] == h->leg) {
			sb_worker_tx_flush(w);
			break;
		}
	sb_legs_publish(w, h->leg, sb_tsc_to_ns(&w->clk, rte_rdtsc())); /* final figures */
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
	/* A new source feeds a's and b's outputs: re-anchor on the next packet. */
	if (a->fwd != c->leg_b) {
		leg_disconnect(w, a);
		a->out_state |= SB_OUT_RESYNC;
	}
	if (b->fwd != c->h.leg) {
		leg_disconnect(w, b);
		b->out_state |= SB_OUT_RESYNC;
	}
	a->fwd = c->leg_b;
	b->fwd = c->h.leg;
	/* The media timeout counts from the connection (a leg parked on
	 * hold music or early media for a while must not time out at once). */
	w->legs->x[c->h.leg].idle_start_ns = sb_tsc_to_ns(&w->clk, rte_rdtsc());
	w->legs->x[c->leg_b].idle_start_ns = w->legs->x[c->h.leg].idle_start_ns;
	if (unlikely((a->flags | b->flags) & SB_LEGI_MEDIA))
		return sb_dpm_connect(w, c->h.leg, c->leg_b); /* transcoders follow (dpmedia.c) */
	return 0;
}

/* ABI commands, from the ring or --preload. */
static int legs_apply_cmd(struct sb_worker *w, const union sb_msg *m)
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
	case SB_CMD_LEG_MEDIA:
	case SB_CMD_DTMF_SEND:
	case SB_CMD_PROMPT_LOAD:
	case SB_CMD_PROMPT_PLAY:
	case SB_CMD_PROMPT_STOP:
	case SB_CMD_CONF_JOIN:
	case SB_CMD_CONF_LEAVE:
		return sb_dpm_cmd(w, m); /* dpmedia.c */
	case SB_CMD_REC_START:
	case SB_CMD_REC_STOP:
	case SB_CMD_REC_PAUSE:
	case SB_CMD_REC_RESUME:
	case SB_CMD_REC_LEG:
		return sb_dprec_cmd(w, m); /* rectap.c */
	case SB_CMD_N:
		break;
	}
	return -ENOTSUP;
}

/* --preload "at N": keep the wrapped command for sb_legs_script_run(). */
static int legs_script_add(struct sb_worker *w, const union sb_msg *m)
{
	struct sb_leg_tbl *t = w->legs;
	struct sb_leg_script *s = t->script_mem[w->id];
	const union sb_msg *inner = (const union sb_msg *)(const void *)(m->raw + sizeof(m->h));
	size_t inner_max = sizeof(*m) - sizeof(m->h);
	unsigned i;

	if (m->h.len < sizeof(m->h) + sizeof(inner->h) || m->h.len > sizeof(*m) ||
	    inner->h.len != m->h.len - sizeof(m->h) ||
	    (inner->h.type >= SB_CMD_N && inner->h.type != SB_CMD_PRELOAD_SLEEP))
		return -EINVAL;
	if (s == NULL) {
		s = rte_zmalloc("sb_leg_script",
				sizeof(*s) + SCRIPT_MAX * sizeof(s->ent[0]), RTE_CACHE_LINE_SIZE);
		if (s == NULL)
			return -ENOMEM;
		t->script_mem[w->id] = s;
	}
	if (s->n == SCRIPT_MAX)
		return -ENOSPC;
	/* keep the list ordered by packet number, file order among equals */
	for (i = s->n; i > 0 && s->ent[i - 1].at > m->h.req_id; i--)
		s->ent[i] = s->ent[i - 1];
	s->ent[i].at = m->h.req_id;
	memset(&s->ent[i].m, 0, sizeof(s->ent[i].m));
	memcpy(&s->ent[i].m, inner, inner_max);
	s->n++;
	t->script[w->id] = s;
	return 0;
}

int sb_legs_apply(struct sb_worker *w, const union sb_msg *m)
{
	if (m->h.type == SB_CMD_PRELOAD_AT)
		return legs_script_add(w, m);
	return legs_apply_cmd(w, m);
}

bool sb_legs_script_run(struct sb_worker *w)
{
	struct sb_leg_script *s = w->legs->script[w->id];
	bool slept = false;

	while (s->next < s->n && s->ent[s->next].at <= s->seen + 1) {
		union sb_msg m = s->ent[s->next++].m;
		int rc;

		if (m.h.type == SB_CMD_PRELOAD_SLEEP) {
			/* --preload tests only: a stall of the worker, so that a
			 * pcap replay can contain wall time; then one whole timer
			 * pass, as if the worker had idled through it */
			struct sb_leg_sweep *sw = &w->legs->sweep[w->id];

			rte_delay_us_sleep(m.h.leg_gen * 1000u);
			for (uint32_t k = 0; k <= w->n_slots / SB_SWEEP_SLOTS; k++) {
				sw->next_tsc = 0;
				sb_legs_timer(w, rte_rdtsc());
			}
			slept = true;
			continue;
		}

		/* preload commands name legs, not generations: use the current ones */
		if (m.h.leg < w->legs->max && m.h.leg_gen == 0 && m.h.type != SB_CMD_LEG_ADD)
			m.h.leg_gen = w->legs->x[m.h.leg].gen;
		if (m.h.type == SB_CMD_LEG_CONNECT && m.connect.leg_b < w->legs->max &&
		    m.connect.leg_b_gen == 0)
			m.connect.leg_b_gen = w->legs->x[m.connect.leg_b].gen;
		if (m.h.type == SB_CMD_LEG_ADD)
			m.leg.worker = w->id;
		rc = legs_apply_cmd(w, &m);
		w->st->cmds++;
		if (rc < 0) /* test-only path (--preload): say so, do not stop */
			fprintf(stderr, "sb-dataplane: preload line %u (at packet %llu): %s\n",
				m.h.req_id, (unsigned long long)s->ent[s->next - 1].at,
				strerror(-rc));
	}
	if (s->next == s->n)
		w->legs->script[w->id] = NULL; /* back to the plain burst loop */
	return slept;
}

/* ---- counters and figures to the segment ---- */

void sb_legs_publish(struct sb_worker *w, uint32_t idx, uint64_t now_ns)
{
	struct sb_leg *l = &w->legs->leg[idx];
	struct sb_leg_stats *s = &w->legs->st[idx];

	if (l->rx_pend != 0) {
		/* last_rx_ms is the time of the last pending packet, to the ms */
		uint32_t ago_ms = (uint32_t)(now_ns / 1000000u) - l->last_rx_ms;

		s->last_rx_ns = (now_ns / 1000000u - ago_ms) * 1000000u;
		s->rx_pkts += l->rx_pend;
		s->rx_bytes += l->rx_bytes_pend;
		l->rx_pend = 0;
		l->rx_bytes_pend = 0;
	}
	sb_legs_publish_tx(w->legs, idx);
	sb_legs_publish_rx(s, &l->rx);
}

/* ---- coarse timer: media timeout and fraction-lost intervals ---- */

static void leg_timeout_check(struct sb_worker *w, uint32_t idx, uint64_t now_ns)
{
	struct sb_leg_x *x = &w->legs->x[idx];
	struct sb_leg_stats *s = &w->legs->st[idx];
	uint64_t since = x->idle_start_ns;
	union sb_msg ev;

	/* RTCP keeps a leg alive (RFC 3550 6.3.5: a member is timed out when
	 * neither RTP nor RTCP came): a call on hold may send only RTCP. */
	if (s->last_rx_ns > since)
		since = s->last_rx_ns;
	if (s->rtcp_last_ns > since)
		since = s->rtcp_last_ns;
	if (now_ns < since || now_ns - since < (uint64_t)x->timeout_ms * 1000000u ||
	    x->idle_mark_ns == since)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.timeout.h.type = SB_EVT_MEDIA_TIMEOUT;
	ev.timeout.h.len = sizeof(ev.timeout);
	ev.timeout.h.leg = idx;
	ev.timeout.h.leg_gen = x->gen;
	ev.timeout.idle_ms = (uint32_t)((now_ns - since) / 1000000u);
	ev.timeout.timeout_ms = x->timeout_ms;
	if (sb_ring_enqueue_bulk(w->evt, &ev, 1) == 0) {
		w->st->evts_dropped++; /* retried on the next visit */
		return;
	}
	x->idle_mark_ns = since; /* once per silence period */
	s->timeouts++;
}

void sb_legs_timer(struct sb_worker *w, uint64_t now)
{
	struct sb_leg_sweep *sw = &w->legs->sweep[w->id];
	uint64_t now_ns, frac_tsc;

	if (now < sw->next_tsc)
		return;
	sw->next_tsc = now + sb_ms_to_tsc(&w->clk, SWEEP_MS);
	now_ns = sb_tsc_to_ns(&w->clk, now);
	frac_tsc = sb_ms_to_tsc(&w->clk, FRACTION_MS);
	for (unsigned k = 0; k < SB_SWEEP_SLOTS && k < w->n_slots; k++) {
		uint32_t slot = sw->cursor, idx;

		sw->cursor = slot + 1 >= w->n_slots ? 0 : slot + 1;
		idx = w->port_leg[slot];
		if (idx == SB_LEG_NONE || (idx & SB_PORT_RTCP))
			continue;
		sb_legs_publish(w, idx, now_ns); /* first: the timeout reads last_rx_ns */
		leg_timeout_check(w, idx, now_ns);
		if (now - w->legs->x[idx].frac_tsc >= frac_tsc) {
			struct sb_leg_x *x = &w->legs->x[idx];

			w->legs->st[idx].fraction_lost = sb_rtp_src_fraction(&w->legs->leg[idx].rx);
			x->frac_tsc = now;
		}
	}
}

void sb_legs_publish_all(struct sb_worker *w)
{
	uint64_t now_ns = sb_tsc_to_ns(&w->clk, rte_rdtsc());

	for (uint32_t slot = 0; slot < w->n_slots; slot++) {
		uint32_t idx = w->port_leg[slot];

		if (idx != SB_LEG_NONE && !(idx & SB_PORT_RTCP))
			sb_legs_publish(w, idx, now_ns);
	}
}

unsigned sb_legs_cmd_poll(struct sb_worker *w)
{
	union sb_msg cmds[SB_CMD_BURST];
	unsigned n = sb_ring_dequeue_burst(w->cmd, cmds, SB_CMD_BURST);

	for (unsigned i = 0; i < n; i++) {
		union sb_msg ev;

		memset(&ev, 0, sizeof(ev));
		ev.result.status = legs_apply_cmd(w, &cmds[i]);
		if (ev.result.status == -EINPROGRESS) { /* PROMPT_LOAD: answered when loaded */
			w->st->cmds++;
			continue;
		}
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
