/* SPDX-License-Identifier: MIT */
/*
 * b2bua/calltab.c — calls by slot (index + generation, for media cookies)
 * and by Call-ID (chained hash over both sides' Call-IDs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "log.h"

#define BUCKETS 65536u /* power of two; two keys per call, up to MAX_CALLS (main.c) */

struct sb_calls {
	struct sb_cp *cp;
	unsigned max, active;
	unsigned gone;           /* of active, lingering in CALL_GONE */
	struct sb_call **slot;
	uint32_t *gen;           /* per slot, survives the call */
	unsigned next_free_hint;
	struct call_key *bucket[BUCKETS];
};

static uint32_t fnv1a(const char *p, uint32_t n)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static void unlink_key(struct sb_calls *t, struct call_key *k);

struct sb_calls *sb_calls_create(struct sb_cp *cp, unsigned max_calls)
{
	struct sb_calls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cp = cp;
	t->max = max_calls;
	t->slot = calloc(max_calls, sizeof(*t->slot));
	t->gen = calloc(max_calls, sizeof(*t->gen));
	if (t->slot == NULL || t->gen == NULL) {
		free(t->slot);
		free(t->gen);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void sb_calls_free(struct sb_calls *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < t->max; i++)
		if (t->slot[i])
			calltab_destroy(t->slot[i]);
	free(t->slot);
	free(t->gen);
	free(t);
}

/* O(1): overload.c asks at every INVITE when max_calls is set */
unsigned sb_calls_active(const struct sb_calls *t)
{
	return t->active - t->gone;
}

void calltab_gone(struct sb_call *c)
{
	if (!c->counted_gone) {
		c->counted_gone = true;
		c->cp->calls->gone++;
	}
}

struct sb_call *calltab_new(struct sb_cp *cp)
{
	struct sb_calls *t = cp->calls;
	struct sb_call *c;

	if (t->active == t->max)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (unsigned k = 0; k < t->max; k++) {
		unsigned i = (t->next_free_hint + k) % t->max;

		if (t->slot[i])
			continue;
		t->slot[i] = c;
		t->next_free_hint = (i + 1) % t->max;
		c->idx = i;
		c->gen = ++t->gen[i];
		break;
	}
	t->active++;
	c->cp = cp;
	c->agent = -1;
	c->hotline = -1;
	for (int s = 0; s < 3; s++)
		c->key[s].call = c;
	for (int s = 0; s < 2; s++)
		c->leg[s].idx = UINT32_MAX;
	c->xfer.agent = c->xfer.from_agent = -1;
	c->callee_agent = c->caller_agent = -1;
	return c;
}

void calltab_link(struct sb_call *c, enum call_side side, const char *id, uint32_t len)
{
	struct sb_calls *t = c->cp->calls;
	struct call_key *k = &c->key[side];

	unlink_key(t, k); /* re-linked under a new Call-ID (transfer: xfer.c) */
	k->id = id;
	k->len = len;
	k->hash = fnv1a(id, len);
	k->next = t->bucket[k->hash & (BUCKETS - 1)];
	t->bucket[k->hash & (BUCKETS - 1)] = k;
	k->linked = true;
}

static void unlink_key(struct sb_calls *t, struct call_key *k)
{
	struct call_key **pp;

	if (!k->linked)
		return;
	for (pp = &t->bucket[k->hash & (BUCKETS - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	k->linked = false;
}

void calltab_unlink(struct sb_call *c, enum call_side side)
{
	unlink_key(c->cp->calls, &c->key[side]);
}

struct sb_call *calltab_find(struct sb_cp *cp, struct sb_str call_id, enum call_side *side)
{
	uint32_t h = fnv1a(call_id.p, call_id.len);

	for (struct call_key *k = cp->calls->bucket[h & (BUCKETS - 1)]; k; k = k->next)
		if (k->hash == h && k->len == call_id.len && memcmp(k->id, call_id.p, k->len) == 0) {
			*side = (enum call_side)(k - k->call->key);
			return k->call;
		}
	return NULL;
}

struct sb_call *calltab_get(struct sb_cp *cp, uint32_t idx, uint32_t gen)
{
	struct sb_calls *t = cp->calls;

	if (idx >= t->max || t->slot[idx] == NULL || t->slot[idx]->gen != gen)
		return NULL;
	return t->slot[idx];
}

struct sb_call *calltab_slot(struct sb_cp *cp, uint32_t idx)
{
	return idx < cp->calls->max ? cp->calls->slot[idx] : NULL;
}

struct sb_pkt *pkt_copy(const struct sb_sip_msg *m)
{
	uint32_t len = (uint32_t)(m->end - m->buf);
	struct sb_pkt *p = malloc(sizeof(*p));

	if (p == NULL)
		return NULL;
	p->buf = malloc(len ? len : 1);
	if (p->buf == NULL) {
		free(p);
		return NULL;
	}
	memcpy(p->buf, m->buf, len);
	p->len = len;
	/* it parsed once; it parses the same way again, now pointing into buf */
	sb_sip_msg_parse(&p->msg, p->buf, p->buf + len);
	return p;
}

void pkt_free(struct sb_pkt *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}

void calltab_destroy(struct sb_call *c)
{
	struct sb_calls *t = c->cp->calls;
	struct sb_loop *l = c->cp->loop;

	unlink_key(t, &c->key[SIDE_A]);
	unlink_key(t, &c->key[SIDE_B]);
	unlink_key(t, &c->key[SIDE_X]);
	sb_timer_cancel(l, &c->t_ring);
	xfer_free(c);
	sb_timer_cancel(l, &c->t_linger);
	free(c->a_early); /* early media's SDP (early.c) */
	c->a_early = NULL;
	/* the transactions run on (or end) without us */
	dlg_free(c);
	sb_stx_put(c->a_st);
	sb_ctx_put(c->b_inv);
	uac_forks_free(c);
	/* shutdown with live legs: give them back (the dataplane keeps media
	 * flowing; a restarted control does not interrupt it) */
	for (int s = 0; s < 2; s++)
		if (c->leg[s].idx != UINT32_MAX)
			c->cp->media->ops->leg_free(c->cp->media, &c->leg[s]);
	if (c->agent >= 0 && c->cp->reg.e[c->agent].busy_call == c->idx)
		c->cp->reg.e[c->agent].busy_call = SB_CALL_NONE;
	free(c->b_ack);
	pkt_free(c->b_ok);
	t->slot[c->idx] = NULL;
	t->active--;
	if (c->counted_gone)
		t->gone--;
	free(c);
}
