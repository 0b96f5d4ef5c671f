/* SPDX-License-Identifier: MIT */
/*
 * b2bua/queue.c — hotline queues: the distribution engine (acd/acd.h)
 * driven by the B2BUA (b2bua/queue.h for the mapping).
 *
 * The engine's callback must not re-enter it, so actions are collected in
 * a buffer and carried out after each entry point returns; what they do
 * (an INVITE that fails at once, a call that ends) may call the engine
 * again and add actions: one drain loop, not recursion.
 *
 * Ring-all: the engine emits one OFFER per free member at once; each
 * becomes a fork of the call (uac.c, call_priv.h struct call_fork), and
 * the first 2xx is promoted to the call's agent side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acd/acd.h"
#include "acd/fcode.h"
#include "acd/qstats.h"
#include "b2bua/call_priv.h"
#include "b2bua/callback.h"
#include "b2bua/queue.h"
#include "log.h"

#define ACT_MAX 256u

/* What the queue side knows of a call the engine has (or had): for the
 * event log and live figures.  Indexed by sb_call.idx; `live` ones are
 * also in cpq.live[] (position lpos) for the API's listing. */
struct cpq_call {
	uint64_t enter_ms;      /* loop ms, first queue; after a transfer to a
				 * queue: now - waited_ms (talk is no wait) */
	uint64_t answer_ms;     /* answer, or the last transfer */
	uint64_t waited_ms;     /* wait reported at the last connect */
	char alias[48];         /* rows' Call-ID of a call without caller side (a
				 * consultation into a queue: the consulting
				 * call's caller's); "" = its own */
	int16_t queue, agent;   /* current queue; talking agent (-1) */
	uint8_t prio;
	bool live, answered, xferred;
	uint32_t lpos;
};

/* Announcements to a waiting caller (queue `announce_every`, `comfort`):
 * a sequence of prompts played once each, music on hold stopped before
 * and started again after.  Apart from cpq_call (which enqueue clears)
 * because the timer is linked into the loop. */
#define ANN_SEQ 24
struct cpq_ann {
	struct sb_timer t;
	struct sb_cpq *q;
	uint32_t idx;           /* sb_call.idx */
	uint64_t next_ann, next_comfort; /* loop ms; 0 = off */
	bool playing;           /* seq[i] plays on the caller's leg */
	uint8_t i, n;
	uint16_t seq[ANN_SEQ];
};

/* A caller who pressed the queue's callback_digit: the B2BUA's call is
 * over, its place waits in the engine under a virtual index (max_calls +
 * its slot here: the engine is sized for twice the calls, acd.h
 * sb_acd_call_move).  What the event log and the API need of it. */
struct cpq_cb {
	bool used;
	char call_id[128];      /* the original caller's (its rows keep it) */
	char number[128];       /* whom to call back: the caller's From user */
	/* dialling back (b2bua/callback.c): attempts that failed so far; the
	 * next one's timer (retry_wait: out of the engine till then); due
	 * logged for this attempt; the session */
	uint32_t attempts;
	bool retry_wait, due_logged;
	struct sb_timer t_retry;
	struct sb_cpq *q;
	struct cbk_sess sess;
};

struct sb_cpq {
	struct sb_acd *acd;
	struct sb_cp *cp;
	struct sb_timer t;
	bool *logged_in;        /* per config agent: told the engine */
	struct sb_acd_action act[ACT_MAX];
	unsigned n_act, head;
	bool draining;
	uint64_t dropped;       /* actions beyond ACT_MAX (never expected) */
	bool *away;             /* per agent: logged out by *21 / the API */
	struct sb_qstats *qs;   /* event ring and figures (acd/qstats.h) */
	struct cpq_call *calls; /* 2 x max_calls: the upper half callbacks' */
	uint32_t max_calls;
	uint32_t *live, n_live; /* call indexes */
	bool ids_synced;        /* event ids follow the store's */
	struct sb_cpq_qset *qset; /* per queue: settings the API may change */
	struct sb_cpq_aset *aset; /* per agent: the same */
	struct cpq_ann *ann;    /* max_calls */
	struct cpq_cb *cb;      /* max_calls: callbacks (engine index max_calls + i) */
	/* per agent: the call its phone is busy with that the engine does not
	 * route (SB_CALL_NONE: none told), see busy_elsewhere() */
	uint32_t *ext, n_ext, na;
	struct sb_timer t_ext;
};

static void live_add(struct sb_cpq *q, uint32_t idx)
{
	struct cpq_call *k = &q->calls[idx];

	if (k->live)
		return;
	k->live = true;
	k->lpos = q->n_live;
	q->live[q->n_live++] = idx;
}

static void live_del(struct sb_cpq *q, uint32_t idx)
{
	struct cpq_call *k = &q->calls[idx];

	if (!k->live)
		return;
	k->live = false;
	q->live[k->lpos] = q->live[--q->n_live];
	q->calls[q->live[k->lpos]].lpos = k->lpos;
}

/* One queue event: figures, the ring (API), the store (SQLite).  cid:
 * the caller's Call-ID (NULL none), idx its engine index (cpq_call: the
 * priority; UINT32_MAX none). */
static void qev_id(struct sb_cpq *q, enum sb_qev_type t, const char *cid, uint32_t cid_len,
		   uint32_t idx, int qi, int ag, const char *other, uint32_t pos, uint64_t wait,
		   uint64_t talk, uint32_t reason)
{
	const struct sb_config *cfg = q->cp->cfg;
	struct sb_qevent e;
	uint32_t wu = 0;

	memset(&e, 0, sizeof(e));
	e.ts_ms = (int64_t)sb_wall_ms();
	e.type = t;
	if (cid)
		snprintf(e.call_id, sizeof(e.call_id), "%.*s", (int)cid_len, cid);
	if (qi >= 0) {
		snprintf(e.queue, sizeof(e.queue), "%s", cfg->queues[qi].name);
		snprintf(e.tenant, sizeof(e.tenant), "%s", cfg->queues[qi].tenant);
	}
	if (ag >= 0) {
		snprintf(e.agent, sizeof(e.agent), "%s", cfg->agents[ag].user);
		if (qi < 0)
			snprintf(e.tenant, sizeof(e.tenant), "%s", cfg->agents[ag].tenant);
		wu = q->aset[ag].wrapup_ms;
	}
	if (wu == SB_CFG_WRAPUP_QUEUE)
		wu = qi >= 0 ? q->qset[qi].wrapup_ms : 0;
	if (other)
		snprintf(e.other, sizeof(e.other), "%s", other);
	e.position = pos;
	e.wait_ms = wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
	e.talk_ms = talk > UINT32_MAX ? UINT32_MAX : (uint32_t)talk;
	e.reason = reason;
	if (idx < 2 * q->max_calls)
		e.prio = q->calls[idx].prio;
	if (q->cp->store && !q->ids_synced) {
		/* event ids go on from the last run's (the store opens after
		 * the queues are set up) */
		sb_qstats_set_last_id(q->qs, sb_store_qlog_max_id(q->cp->store));
		q->ids_synced = true;
	}
	sb_qstats_add(q->qs, &e, qi, ag, sb_loop_now_ms(q->cp->loop), wu);
	if (q->cp->store)
		sb_store_qlog_put(q->cp->store, &e);
}

static void qev(struct sb_cpq *q, enum sb_qev_type t, const struct sb_call *c, int qi, int ag,
		const char *other, uint32_t pos, uint64_t wait, uint64_t talk, uint32_t reason)
{
	if (c == NULL)
		qev_id(q, t, NULL, 0, UINT32_MAX, qi, ag, other, pos, wait, talk, reason);
	else if (c->key[SIDE_A].id == NULL && c->idx < q->max_calls && q->calls[c->idx].alias[0])
		qev_id(q, t, q->calls[c->idx].alias, (uint32_t)strlen(q->calls[c->idx].alias),
		       c->idx, qi, ag, other, pos, wait, talk, reason);
	else
		qev_id(q, t, c->key[SIDE_A].id ? c->key[SIDE_A].id : "",
		       c->key[SIDE_A].id ? c->key[SIDE_A].len : 0, c->idx < q->max_calls ? c->idx
									: UINT32_MAX,
		       qi, ag, other, pos, wait, talk, reason);
}

/* the callback waiting under engine index idx, or NULL (a B2BUA call) */
static struct cpq_cb *cb_of(struct sb_cpq *q, uint32_t idx)
{
	if (idx < q->max_calls || idx >= 2 * q->max_calls || !q->cb[idx - q->max_calls].used)
		return NULL;
	return &q->cb[idx - q->max_calls];
}

static void qev_cb(struct sb_cpq *q, enum sb_qev_type t, uint32_t idx, int qi, int ag,
		   const char *other, uint32_t pos, uint64_t wait, uint32_t reason)
{
	const struct cpq_cb *b = cb_of(q, idx);

	qev_id(q, t, b ? b->call_id : "", b ? (uint32_t)strlen(b->call_id) : 0, idx, qi, ag,
	       other, pos, wait, 0, reason);
}

static uint64_t now_ms(struct sb_cp *cp)
{
	return sb_loop_now_ms(cp->loop);
}

static void emit(void *arg, const struct sb_acd_action *a)
{
	struct sb_cpq *q = arg;

	if (q->n_act == ACT_MAX) {
		q->dropped++;
		return;
	}
	q->act[q->n_act++] = *a;
}

static void drain(struct sb_cpq *q);
static void ann_stop(struct sb_cpq *q, struct sb_call *c);
static void on_ann_timer(struct sb_timer *t, void *arg);

static void on_timer(struct sb_timer *t, void *arg)
{
	struct sb_cpq *q = arg;

	(void)t;
	sb_acd_tick(q->acd, now_ms(q->cp));
	drain(q);
}

/* Forget the agent side of an offer that ended without an answer: the
 * next offer is a new INVITE (new Call-ID) on the same media leg. */
static void b_reset(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;

	sb_ctx_put(c->b_inv); /* it finishes alone (CANCEL, ACK of a non-2xx) */
	c->b_inv = NULL;
	calltab_unlink(c, SIDE_B);
	c->b_callid[0] = '\0';
	c->b_invited = c->b_provisional = c->b_final = c->b_ringing_relayed = false;
	c->dlg[SIDE_B].se_req = 0;
	if (c->agent >= 0 && cp->reg.e[c->agent].busy_call == c->idx)
		cp->reg.e[c->agent].busy_call = SB_CALL_NONE;
	c->agent = -1;
}

/* A ring-all offer is over (failed, cancelled): the agent is free for
 * the registrar; the fork stays in the call for a late 2xx (uac.c). */
static void fork_done(struct sb_call *c, struct call_fork *f)
{
	struct sb_cp *cp = c->cp;

	f->live = false;
	if (cp->reg.e[f->agent].busy_call == c->idx)
		cp->reg.e[f->agent].busy_call = SB_CALL_NONE;
}

/* CANCEL every ring-all offer still ringing (caller gone, queue exit) */
static void forks_cancel(struct sb_call *c)
{
	for (struct call_fork *f = c->forks; f; f = f->next)
		if (f->live) {
			uac_fork_cancel(f);
			fork_done(c, f);
		}
}

static struct sb_call *acd_call(struct sb_cpq *q, uint32_t idx)
{
	struct sb_call *c = calltab_slot(q->cp, idx);

	return c && c->acd_in && c->state != CALL_GONE ? c : NULL;
}

/* A callback's turn: an agent is free for it before those who came after
 * the caller.  With an `outbound:` trunk b2bua/callback.c dials the agent
 * and the customer and joins them (row `due` once per attempt).  Without
 * one there is nothing to call back through: the place ends here with a
 * `callback` row `failed` (reason 501), and the agent, never rung, takes
 * the next caller at once. */
static void cb_offer(struct sb_cpq *q, const struct sb_acd_action *a)
{
	struct cpq_cb *b = cb_of(q, a->call);
	const struct cpq_call *k = &q->calls[a->call];
	uint64_t now = now_ms(q->cp);
	uint32_t why = 501; /* the failed row's status when no outbound trunk is configured */

	if (b == NULL)
		return; /* ring-all: its other offers, after the first one ended it */
	sb_info("callback %s (%s): queue %s, agent %s is free for it", b->call_id, b->number,
		q->cp->cfg->queues[a->queue].name, q->cp->cfg->agents[a->agent].user);
	if (!b->due_logged)
		qev_cb(q, SB_QEV_CALLBACK, a->call, (int)a->queue, (int)a->agent, "due", 0,
		       now - k->enter_ms, 0);
	b->due_logged = true;
	if (q->cp->cfg->outbound.on) { /* dialled back through the trunk (callback.c) */
		char ruri[256];

		if (uac_trunk_uri(q->cp->cfg, b->number, ruri, sizeof(ruri)) == 0) {
			q->calls[a->call].queue = (int16_t)a->queue;
			cbk_offer(q->cp, (uint32_t)(b - q->cb), (int)a->queue, (int)a->agent,
				  b->number);
			return;
		}
		/* a From user no trunk can dial (escapes, parameters) */
		sb_warn("callback %s: '%s' cannot be dialled", b->call_id, b->number);
		why = 484;
	} else {
		sb_warn("callback %s: no outbound trunk to call %s back", b->call_id, b->number);
	}
	qev_cb(q, SB_QEV_CALLBACK, a->call, (int)a->queue, (int)a->agent, "failed", 0,
	       now - k->enter_ms, why);
	live_del(q, a->call);
	b->used = false;
	sb_acd_abandon(q->acd, a->call, now);
}

/* Agents whose phones were busy elsewhere (busy_elsewhere): once a second
 * while any is, those whose call ended are given back to the engine (it
 * offers them the best waiting caller at once).  The registrar's busy_call
 * is set and cleared in many places (direct calls, consultations,
 * transfers, supervision); looking at it here keeps them all unaware of
 * the engine. */
static void on_ext_timer(struct sb_timer *t, void *arg)
{
	struct sb_cpq *q = arg;
	struct sb_cp *cp = q->cp;

	(void)t;
	for (uint32_t ag = 0; ag < q->na && q->n_ext; ag++) {
		if (q->ext[ag] == SB_CALL_NONE || cp->reg.e[ag].busy_call == q->ext[ag])
			continue;
		q->ext[ag] = SB_CALL_NONE;
		q->n_ext--;
		sb_acd_agent_elsewhere(q->acd, ag, false, now_ms(cp));
	}
	drain(q);
	if (q->n_ext)
		sb_timer_arm(cp->loop, &q->t_ext, 1000);
}

/* The offer cannot ring because the agent's phone is on a call the engine
 * does not route (a direct call, a consultation or transfer target, a
 * supervision): the engine counts that call against the agent's lines
 * until it ends (on_ext_timer) and the offer is declined without a delay,
 * a round or a reject row, so the figures stay true.  false: not that (not
 * registered, or already told: the old reject path, which cannot loop). */
static bool busy_elsewhere(struct sb_cpq *q, const struct sb_acd_action *a, uint32_t idx)
{
	struct sb_cp *cp = q->cp;
	uint32_t bc = cp->reg.e[a->agent].busy_call;
	uint64_t now = now_ms(cp);

	if (bc == SB_CALL_NONE || bc == idx || a->agent >= q->na ||
	    q->ext[a->agent] != SB_CALL_NONE ||
	    sb_acd_agent_elsewhere(q->acd, a->agent, true, now) < 0)
		return false;
	q->ext[a->agent] = bc;
	if (q->n_ext++ == 0)
		sb_timer_arm(cp->loop, &q->t_ext, 1000);
	sb_info("call %u: agent %s is on another call: not offered calls until it ends", idx,
		cp->cfg->agents[a->agent].user);
	sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_ELSEWHERE, now);
	return true;
}

static void do_offer(struct sb_cpq *q, const struct sb_acd_action *a)
{
	struct sb_call *c = acd_call(q, a->call);
	struct sb_cp *cp = q->cp;
	uint64_t now = now_ms(cp);
	struct sb_cfg_hotline one;

	if (a->call >= q->max_calls) {
		cb_offer(q, a);
		return;
	}
	if (c == NULL) {
		sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_REJECT, now);
		return;
	}
	/* its most recent live binding (busy with a call of an `agents:`
	 * hotline, or no binding left: declined, the next one is offered) */
	memset(&one, 0, sizeof(one));
	one.n_agents = 1;
	one.agents[0] = (uint16_t)a->agent;
	if (q->qset[a->queue].strategy == SB_ACD_RING_ALL && c->agent < 0) {
		/* ring-all: one more fork beside the ones ringing (uac.c) */
		int ag = sb_registrar_pick(cp, &one);

		q->calls[c->idx].queue = (int16_t)a->queue;
		if (ag < 0 && busy_elsewhere(q, a, c->idx))
			return;
		if (ag < 0 || uac_fork_agent(c, ag) < 0) {
			sb_info("call %u: cannot offer to agent %s", c->idx,
				cp->cfg->agents[a->agent].user);
			qev(q, SB_QEV_REJECT, c, (int)a->queue, (int)a->agent, "unreachable", 0, 0,
			    0, 0);
			sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_REJECT, now);
			return;
		}
		qev(q, SB_QEV_OFFER, c, (int)a->queue, (int)a->agent, NULL, 0, 0, 0, 0);
		cp->reg.e[ag].busy_call = c->idx;
		sb_info("call %u: queue %s offers it to %s (ring-all)", c->idx,
			cp->cfg->queues[a->queue].name, cp->cfg->agents[a->agent].user);
		return;
	}
	if (c->agent >= 0)
		b_reset(c);
	c->agent = sb_registrar_pick(cp, &one);
	q->calls[c->idx].queue = (int16_t)a->queue;
	if (c->agent < 0 && busy_elsewhere(q, a, c->idx))
		return;
	if (c->agent < 0 || uac_invite_agent(c) < 0) {
		sb_info("call %u: cannot offer to agent %s", c->idx, cp->cfg->agents[a->agent].user);
		b_reset(c);
		qev(q, SB_QEV_REJECT, c, (int)a->queue, (int)a->agent, "unreachable", 0, 0, 0, 0);
		sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_REJECT, now);
		return;
	}
	qev(q, SB_QEV_OFFER, c, (int)a->queue, (int)a->agent, NULL, 0, 0, 0, 0);
	cp->reg.e[a->agent].busy_call = c->idx;
	sb_info("call %u: queue %s offers it to %s", c->idx, cp->cfg->queues[a->queue].name,
		cp->cfg->agents[a->agent].user);
}

static void do_exit(struct sb_cpq *q, const struct sb_acd_action *a)
{
	struct sb_call *c = acd_call(q, a->call);
	const char *why;
	unsigned code;
	char hdr[120];
	enum sb_qev_type t;

	if (c == NULL && cb_of(q, a->call) == NULL)
		return;
	switch (a->reason) {
	case SB_ACD_EXIT_FULL:
		code = 486;
		why = "queue full";
		t = SB_QEV_FULL;
		break;
	case SB_ACD_EXIT_EMPTY:
		code = 480;
		why = "no agent in the queue";
		t = SB_QEV_EMPTY;
		break;
	default:
		code = 480;
		why = "queue maximum wait";
		t = SB_QEV_TIMEOUT;
		break;
	}
	if (c == NULL) { /* a callback's place (max wait, leave-when-empty) */
		qev_cb(q, t, a->call, (int)a->queue, -1, NULL, 0,
		       now_ms(q->cp) - q->calls[a->call].enter_ms, a->reason);
		live_del(q, a->call);
		cbk_drop(q->cp, a->call - q->max_calls); /* a customer on hold */
		cb_of(q, a->call)->used = false;
		return;
	}
	qev(q, t, c, (int)a->queue, -1, NULL, 0,
	    sb_loop_now_ms(q->cp->loop) - q->calls[c->idx].enter_ms, 0, a->reason);
	live_del(q, c->idx);
	ann_stop(q, c);
	sb_info("call %u: leaves queue %s: %s", c->idx, q->cp->cfg->queues[a->queue].name, why);
	c->acd_in = false; /* the engine let go of it */
	snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=%u;text=\"%s\"\r\n", code, why);
	if (c->agent >= 0) {
		uac_cancel_agent(c);
		b_reset(c);
	}
	forks_cancel(c);
	call_fail_hdr(c, code, hdr, "queue");
}

static void drain(struct sb_cpq *q)
{
	uint64_t due;

	if (q->draining)
		return; /* the outer loop takes what was added */
	q->draining = true;
	while (q->head < q->n_act) {
		struct sb_acd_action a = q->act[q->head++];
		struct sb_call *c;

		switch (a.type) {
		case SB_ACD_ACT_OFFER:
			do_offer(q, &a);
			break;
		case SB_ACD_ACT_CANCEL: /* ring timeout, ring-all loser (or the caller left) */
			if (cb_of(q, a.call)) { /* a callback's agent (callback.c) */
				if (cbk_cancel(q->cp, a.call - q->max_calls, (int)a.agent))
					qev_cb(q, SB_QEV_NOANSWER, a.call, (int)a.queue,
					       (int)a.agent, NULL, 0, 0, 0);
				break;
			}
			c = acd_call(q, a.call);
			if (c && uac_fork_of(c, (int)a.agent)) {
				struct call_fork *f = uac_fork_of(c, (int)a.agent);

				if (!c->acd_answered) { /* else another agent won */
					sb_info("call %u: %s did not answer in time", c->idx,
						q->cp->cfg->agents[a.agent].user);
					qev(q, SB_QEV_NOANSWER, c, (int)a.queue, (int)a.agent, NULL,
					    0, 0, 0, 0);
				}
				uac_fork_cancel(f);
				fork_done(c, f);
			} else if (c && c->agent == (int)a.agent) {
				sb_info("call %u: %s did not answer in time", c->idx,
					q->cp->cfg->agents[a.agent].user);
				qev(q, SB_QEV_NOANSWER, c, (int)a.queue, (int)a.agent, NULL, 0, 0,
				    0, 0);
				uac_cancel_agent(c);
				b_reset(c);
			}
			break;
		case SB_ACD_ACT_MOVE:
			sb_info("call %u: overflows from queue %s to %s", a.call,
				q->cp->cfg->queues[a.queue].name,
				q->cp->cfg->queues[a.to_queue].name);
			c = acd_call(q, a.call);
			if (c == NULL && cb_of(q, a.call)) { /* a callback's place moves on */
				uint64_t w = now_ms(q->cp) - q->calls[a.call].enter_ms;

				qev_cb(q, SB_QEV_OVERFLOW, a.call, (int)a.queue, -1,
				       q->cp->cfg->queues[a.to_queue].name, 0, w, a.reason);
				q->calls[a.call].queue = (int16_t)a.to_queue;
				qev_cb(q, SB_QEV_ENTER, a.call, (int)a.to_queue, -1, NULL,
				       sb_acd_position(q->acd, a.call), w, 0);
			}
			if (c) {
				uint64_t w = now_ms(q->cp) - q->calls[c->idx].enter_ms;

				qev(q, SB_QEV_OVERFLOW, c, (int)a.queue, -1,
				    q->cp->cfg->queues[a.to_queue].name, 0, w, 0, a.reason);
				q->calls[c->idx].queue = (int16_t)a.to_queue;
				qev(q, SB_QEV_ENTER, c, (int)a.to_queue, -1, NULL,
				    sb_acd_position(q->acd, c->idx), w, 0, 0);
			}
			break;
		case SB_ACD_ACT_EXIT:
			do_exit(q, &a);
			break;
		case SB_ACD_ACT_AUTOPAUSE:
			sb_info("queue: agent %s paused after unanswered offers",
				q->cp->cfg->agents[a.agent].user);
			qev(q, SB_QEV_AUTOPAUSE, NULL, -1, (int)a.agent, NULL, 0, 0, 0,
			    SB_ACD_REASON_NOANSWER);
			break;
		}
	}
	q->head = q->n_act = 0;
	q->draining = false;
	due = sb_acd_next_due(q->acd);
	if (due == UINT64_MAX) {
		sb_timer_cancel(q->cp->loop, &q->t);
	} else {
		uint64_t now = now_ms(q->cp);

		sb_timer_arm(q->cp->loop, &q->t, due > now ? due - now : 0);
	}
}

/* ---- announcements while waiting ---- */

static void acd_qcfg(const struct sb_config *cfg, unsigned i, const struct sb_cpq_qset *qs,
		     struct sb_acd_queue_cfg *qc);

/* n spoken: its own prompt "num-N", else digit by digit (config.h) */
static void ann_number(const struct sb_config *cfg, struct cpq_ann *an, uint64_t n)
{
	char d[24];
	int len;

	if (n < SB_CFG_NUM_PROMPTS && cfg->num_prompt[n] >= 0) {
		if (an->n < ANN_SEQ)
			an->seq[an->n++] = (uint16_t)cfg->num_prompt[n];
		return;
	}
	len = snprintf(d, sizeof(d), "%llu", (unsigned long long)n);
	for (int i = 0; i < len && an->n < ANN_SEQ; i++)
		if (cfg->num_prompt[d[i] - '0'] >= 0)
			an->seq[an->n++] = (uint16_t)cfg->num_prompt[d[i] - '0'];
}

/* Estimated wait of a waiting caller, ms (UINT64_MAX: no one staffs the
 * queue).  The engine's: the observed answer rate once the queue has
 * SB_ACD_EWT_MIN_HISTORY answers, else Erlang C (acd.h) with the handle
 * time observed so far (qstats AHT), or the queue's `aht` before any. */
static uint64_t ann_ewt(struct sb_cpq *q, uint32_t idx, int qi)
{
	const struct sb_qfig_queue *f = sb_qstats_queue(q->qs, (unsigned)qi);
	uint32_t aht = f && f->completed ? (uint32_t)sb_qfig_aht_ms(f) : 0;
	struct sb_acd_queue_cfg qc;

	if (aht == 0)
		aht = q->cp->cfg->queues[qi].aht_ms;
	if (aht != q->qset[qi].aht_ms) {
		q->qset[qi].aht_ms = aht;
		acd_qcfg(q->cp->cfg, (unsigned)qi, &q->qset[qi], &qc);
		(void)sb_acd_queue_update(q->acd, (unsigned)qi, &qc);
	}
	return sb_acd_ewt(q->acd, idx, now_ms(q->cp));
}

static void ann_play(struct sb_call *c, struct cpq_ann *an)
{
	struct sb_media *md = c->cp->media;
	int rc = md->ops->prompt_play(md, &c->leg[SIDE_A], an->seq[an->i], 0,
				      call_cookie(c, OP_AUX));

	if (rc < 0) {
		sb_warn("call %u: announcement prompt %u not played: %s", c->idx, an->seq[an->i],
			strerror(-rc));
		an->playing = false;
		call_moh_start_q(c, c->cp->q->calls[c->idx].queue);
		return;
	}
	c->pending++;
	an->playing = true;
}

/* The next announcement or comfort message due after now: the timer. */
static void ann_arm(struct sb_cpq *q, struct cpq_ann *an)
{
	uint64_t next = UINT64_MAX, now = now_ms(q->cp);

	if (an->next_ann && an->next_ann < next)
		next = an->next_ann;
	if (an->next_comfort && an->next_comfort < next)
		next = an->next_comfort;
	if (next != UINT64_MAX)
		sb_timer_arm(q->cp->loop, &an->t, next > now ? next - now : 0);
}

/* Is the caller still waiting for an agent (not ringing one, not gone)? */
static bool ann_waiting(struct sb_cpq *q, const struct sb_call *c)
{
	return c && c->acd_in && !c->acd_answered && c->state != CALL_GONE &&
	       c->leg_st[SIDE_A] == LEG_ADDED && sb_acd_position(q->acd, c->idx) > 0;
}

static void on_ann_timer(struct sb_timer *t, void *arg)
{
	struct cpq_ann *an = arg;
	struct sb_cpq *q = an->q;
	struct sb_call *c = acd_call(q, an->idx);
	const struct sb_config *cfg = q->cp->cfg;
	uint64_t now = now_ms(q->cp);
	int qi;
	const struct sb_cfg_queue *cq;
	bool pos_due, comfort_due;

	(void)t;
	if (c == NULL)
		return;
	qi = q->calls[c->idx].queue;
	cq = &cfg->queues[qi];
	pos_due = an->next_ann && now >= an->next_ann;
	comfort_due = an->next_comfort && now >= an->next_comfort;
	if (pos_due)
		an->next_ann = cq->announce_every_ms ? now + cq->announce_every_ms : 0;
	if (comfort_due)
		an->next_comfort = cq->comfort_every_ms ? now + cq->comfort_every_ms : 0;
	ann_arm(q, an);
	if (an->playing || !ann_waiting(q, c) ||
	    !sb_media_has(c->cp->media, SB_MEDIA_CAP_PROMPT | SB_MEDIA_CAP_XCODE))
		return; /* ringing an agent, still speaking, or no prompts here */
	an->n = an->i = 0;
	if (pos_due) {
		uint32_t pos = sb_acd_position(q->acd, c->idx);
		uint64_t ewt = ann_ewt(q, c->idx, qi);

		if (cq->ann_position >= 0) {
			an->seq[an->n++] = (uint16_t)cq->ann_position;
			ann_number(cfg, an, pos);
		}
		if (cq->ann_wait >= 0 && ewt != UINT64_MAX) {
			/* whole minutes, rounded up: "1" for anything under one */
			uint64_t min = (ewt + 59999) / 60000;

			an->seq[an->n++] = (uint16_t)cq->ann_wait;
			ann_number(cfg, an, min ? min : 1);
			if (cq->ann_minutes >= 0 && an->n < ANN_SEQ)
				an->seq[an->n++] = (uint16_t)cq->ann_minutes;
		}
		sb_info("call %u: announcement: position %u, estimated wait %lld ms", c->idx, pos,
			ewt == UINT64_MAX ? -1LL : (long long)ewt);
	}
	if (comfort_due && cq->comfort >= 0 && an->n < ANN_SEQ)
		an->seq[an->n++] = (uint16_t)cq->comfort;
	if (an->n == 0)
		return;
	/* music on hold pauses for it (PROMPT_STOP, then the prompts once
	 * each); without music the leg still needs its codec declared */
	if (c->moh_on) {
		call_moh_stop(c);
	} else {
		c->media_prog = true;
		call_media_leg(c, SIDE_A);
	}
	ann_play(c, an);
}

bool cpq_on_prompt(struct sb_call *c, uint32_t prompt, unsigned reason)
{
	struct sb_cpq *q = c->cp->q;
	struct cpq_ann *an;

	if (q == NULL || c->idx >= q->max_calls)
		return false;
	an = &q->ann[c->idx];
	if (!an->playing || an->seq[an->i] != prompt)
		return false; /* music on hold's, the IVR's */
	if (reason == SB_MEDIA_PROMPT_DONE && ++an->i < an->n && ann_waiting(q, c)) {
		ann_play(c, an);
		return true;
	}
	an->playing = false;
	/* the music again while it is in the queue (waiting or ringing one) */
	if (reason != SB_MEDIA_PROMPT_STOPPED && c->acd_in && !c->acd_answered &&
	    c->state != CALL_GONE)
		call_moh_start_q(c, q->calls[c->idx].queue);
	return true;
}

/* stop what plays (an agent answered, the caller left the queue) */
static void ann_stop(struct sb_cpq *q, struct sb_call *c)
{
	struct cpq_ann *an = &q->ann[c->idx];
	struct sb_media *md = c->cp->media;

	sb_timer_cancel(q->cp->loop, &an->t);
	an->next_ann = an->next_comfort = 0;
	if (!an->playing)
		return;
	an->playing = false;
	if (c->leg_st[SIDE_A] == LEG_ADDED &&
	    md->ops->prompt_stop(md, &c->leg[SIDE_A], call_cookie(c, OP_AUX)) == 0)
		c->pending++;
}

/* the engine's queue configuration: the config's, with the settings the
 * API may change at run time taken from qs */
static void acd_qcfg(const struct sb_config *cfg, unsigned i, const struct sb_cpq_qset *qs,
		     struct sb_acd_queue_cfg *qc)
{
	const struct sb_cfg_queue *cq = &cfg->queues[i];

	memset(qc, 0, sizeof(*qc));
	qc->strategy = (enum sb_acd_strategy)qs->strategy;
	qc->max_len = qs->max_len;
	qc->max_wait_ms = qs->max_wait_ms;
	qc->overflow = cq->overflow >= 0 ? (uint32_t)cq->overflow : SB_ACD_NONE;
	qc->wrapup_ms = qs->wrapup_ms;
	qc->ring_ms = qs->ring_ms;
	qc->join_empty = cq->join_empty;
	qc->leave_when_empty = cq->leave_empty;
	/* skills: the same shape as the engine's (limits checked below) */
	qc->nreq = (uint8_t)qs->skills.n_req;
	for (unsigned r = 0; r < qs->skills.n_req; r++) {
		qc->req[r].skill = qs->skills.req[r].skill;
		qc->req[r].level = qs->skills.req[r].level;
	}
	qc->nsteps = (uint8_t)qs->skills.n_steps;
	for (unsigned r = 0; r < qs->skills.n_steps; r++) {
		qc->step[r].after_ms = qs->skills.steps[r].after_ms;
		qc->step[r].drop = qs->skills.steps[r].drop;
	}
	qc->any_after_ms = qs->skills.any_after_ms;
	qc->aht_ms = qs->aht_ms ? qs->aht_ms : cq->aht_ms;
}

_Static_assert(SB_CFG_SKILLS == SB_ACD_NSKILLS && SB_CFG_SKILL_REQ == SB_ACD_MAX_REQ &&
	       SB_CFG_SKILL_STEPS == SB_ACD_MAX_STEPS, "config.h and acd.h skill limits differ");

/* an agent that did not answer, rejected or was busy is not offered
 * another call for a while (else a busy phone is rung in a loop): its
 * delays, 5 s by default (config.h) */
static void acd_agcfg(const struct sb_cpq_aset *as, struct sb_acd_agent_cfg *agc)
{
	memset(agc, 0, sizeof(*agc));
	agc->max_calls = 1;
	agc->wrapup_ms = as->wrapup_ms == SB_CFG_WRAPUP_QUEUE ? SB_ACD_WRAPUP_QUEUE
							      : as->wrapup_ms;
	agc->noanswer_delay_ms = as->noanswer_delay_ms;
	agc->reject_delay_ms = as->reject_delay_ms;
	agc->busy_delay_ms = as->busy_delay_ms;
	agc->max_noanswer = as->max_noanswer;
	memcpy(agc->level, as->skills, sizeof(agc->level));
}

static void cb_retry_due(struct sb_timer *t, void *arg);

int sb_cpq_init(struct sb_cp *cp, unsigned max_calls)
{
	const struct sb_config *cfg = cp->cfg;
	struct sb_acd_cfg ac;
	struct sb_cpq *q;
	uint64_t now;
	unsigned nq, na;
	int rc = 0;

	cp->q = NULL;
	/* with the API, queues may come at run time (api/objects.c): every
	 * array is sized by the config's capacity, indexes never move */
	if (cfg->n_queues == 0 && !cfg->api.enabled)
		return 0;
	nq = cfg->cap_queues > cfg->n_queues ? cfg->cap_queues : cfg->n_queues;
	na = cfg->cap_agents > cfg->n_agents ? cfg->cap_agents : cfg->n_agents;
	nq = nq ? nq : 1;
	na = na ? na : 1;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->cp = cp;
	q->logged_in = calloc(na, sizeof(bool));
	q->away = calloc(na, sizeof(bool));
	q->max_calls = max_calls;
	/* the upper half: callbacks (struct cpq_cb) */
	q->calls = calloc(2 * (size_t)max_calls, sizeof(*q->calls));
	q->live = calloc(2 * (size_t)max_calls, sizeof(*q->live));
	q->cb = calloc(max_calls, sizeof(*q->cb));
	q->qs = sb_qstats_create(nq, na);
	q->qset = calloc(nq, sizeof(*q->qset));
	q->aset = calloc(na, sizeof(*q->aset));
	q->ann = calloc(max_calls, sizeof(*q->ann));
	q->ext = malloc(na * sizeof(*q->ext));
	q->na = na;
	if (!q->away || !q->calls || !q->live || !q->qs || !q->qset || !q->aset || !q->ann ||
	    !q->cb || !q->ext) {
		rc = -ENOMEM;
		goto fail;
	}

	memset(&ac, 0, sizeof(ac));
	ac.max_queues = nq;
	ac.max_agents = na;
	ac.max_calls = 2 * max_calls;
	ac.emit = emit;
	ac.emit_arg = q;
	q->acd = q->logged_in ? sb_acd_create(&ac) : NULL;
	if (q->acd == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	sb_timer_init(&q->t, on_timer, q);
	sb_timer_init(&q->t_ext, on_ext_timer, q);
	for (unsigned i = 0; i < na; i++)
		q->ext[i] = SB_CALL_NONE;
	for (unsigned i = 0; i < max_calls; i++) {
		sb_timer_init(&q->cb[i].t_retry, cb_retry_due, &q->cb[i]);
		q->cb[i].q = q;
		sb_timer_init(&q->ann[i].t, on_ann_timer, &q->ann[i]);
		q->ann[i].q = q;
		q->ann[i].idx = i;
	}
	now = sb_loop_now_ms(cp->loop);
	for (unsigned i = 0; i < cfg->n_queues && rc == 0; i++) {
		const struct sb_cfg_queue *cq = &cfg->queues[i];
		struct sb_acd_queue_cfg qc;

		q->qset[i] = (struct sb_cpq_qset){ .strategy = cq->strategy, .ring_ms = cq->ring_ms,
			.wrapup_ms = cq->wrapup_ms, .max_len = cq->max_len,
			.max_wait_ms = cq->max_wait_ms, .sl_ms = cq->sl_ms,
			.short_ms = cq->short_abandon_ms, .skills = cq->skills,
			.aht_ms = cq->aht_ms };
		acd_qcfg(cfg, i, &q->qset[i], &qc);
		rc = sb_acd_queue_add(q->acd, i, &qc);
		sb_qstats_queue_cfg(q->qs, i, cq->sl_ms, cq->short_abandon_ms);
	}
	for (unsigned i = 0; i < cfg->n_agents && rc == 0; i++) {
		struct sb_acd_agent_cfg agc;

		const struct sb_cfg_agent *ca = &cfg->agents[i];

		q->aset[i] = (struct sb_cpq_aset){ .wrapup_ms = ca->wrapup_ms,
			.max_noanswer = ca->max_noanswer, .noanswer_delay_ms = ca->noanswer_delay_ms,
			.reject_delay_ms = ca->reject_delay_ms, .busy_delay_ms = ca->busy_delay_ms };
		memcpy(q->aset[i].skills, ca->skills, sizeof(q->aset[i].skills));
		acd_agcfg(&q->aset[i], &agc);
		rc = sb_acd_agent_add(q->acd, i, &agc);
	}
	for (unsigned i = 0; i < cfg->n_queues && rc == 0; i++)
		for (unsigned m = 0; m < cfg->queues[i].n_members && rc == 0; m++)
			rc = sb_acd_agent_join(q->acd, cfg->queues[i].members[m], i, now);
	if (rc < 0)
		goto fail;
	cp->q = q;
	return 0;
fail:
	sb_acd_free(q->acd);
	free(q->ext);
	free(q->cb);
	free(q->ann);
	free(q->qset);
	free(q->aset);
	sb_qstats_free(q->qs);
	free(q->calls);
	free(q->live);
	free(q->away);
	free(q->logged_in);
	free(q);
	return rc ? rc : -ENOMEM;
}

void sb_cpq_fini(struct sb_cp *cp)
{
	struct sb_cpq *q = cp->q;

	if (q == NULL)
		return;
	sb_timer_cancel(cp->loop, &q->t);
	sb_timer_cancel(cp->loop, &q->t_ext);
	for (unsigned i = 0; i < q->max_calls; i++) {
		sb_timer_cancel(cp->loop, &q->ann[i].t);
		sb_timer_cancel(cp->loop, &q->cb[i].t_retry);
	}
	sb_acd_free(q->acd);
	free(q->ext);
	free(q->cb);
	free(q->ann);
	free(q->qset);
	free(q->aset);
	sb_qstats_free(q->qs);
	free(q->calls);
	free(q->live);
	free(q->away);
	free(q->logged_in);
	free(q);
	cp->q = NULL;
}

static void sync_agent(struct sb_cpq *q, unsigned i, uint64_t mono, uint64_t now)
{
	bool reg = sb_registrar_count(&q->cp->reg, i, mono) > 0 && !q->away[i];
	enum sb_acd_agent_state st;

	if (reg == q->logged_in[i])
		return;
	if (reg) {
		if (sb_acd_agent_login(q->acd, i, now) == 0) {
			q->logged_in[i] = true;
			qev(q, SB_QEV_LOGIN, NULL, -1, (int)i, NULL, 0, 0, 0, 0);
		}
		return;
	}
	/* logout only without calls: retried at the next sync */
	st = sb_acd_agent_state(q->acd, i, now, NULL);
	if (st == SB_ACD_RESERVED || st == SB_ACD_RINGING || st == SB_ACD_ON_CALL)
		return;
	if (sb_acd_agent_logout(q->acd, i, now) == 0) {
		q->logged_in[i] = false;
		qev(q, SB_QEV_LOGOUT, NULL, -1, (int)i, NULL, 0, 0, 0, 0);
	}
}

void sb_cpq_sync_agent(struct sb_cp *cp, unsigned agent)
{
	struct sb_cpq *q = cp->q;

	if (q == NULL || agent >= cp->cfg->n_agents)
		return;
	sync_agent(q, agent, sb_mono_ms(), now_ms(cp));
	drain(q);
}

int cpq_call_queue(const struct sb_call *c)
{
	return c->cp->q && c->acd_in ? c->cp->q->calls[c->idx].queue : -1;
}

void cpq_enqueue(struct sb_call *c)
{
	const struct sb_cfg_hotline *h = &c->cp->cfg->hotlines[c->hotline];

	cpq_enqueue_to(c, h->queue, h->priority, NULL);
}

/* Into queue qi.  waited: what the caller waited before (a transfer to a
 * queue: its wait up to the first answer; the engine orders it as if it
 * had entered that long ago, and every wait reported from here on
 * includes it); min_prio: its priority is at least this. */
static void enqueue(struct sb_call *c, int qi, uint8_t prio, const char *via, uint64_t waited,
		    uint8_t min_prio, const char *alias)
{
	struct sb_cp *cp = c->cp;
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	uint64_t mono = sb_mono_ms(), now = now_ms(cp);
	struct cpq_call *k = &cp->q->calls[c->idx];

	/* caller priority: the number's, or the queue's header when the
	 * INVITE carries a valid one (0..255; a bad value is ignored) */
	if (cq->priority_header[0] && c->a_msg) {
		size_t hl = strlen(cq->priority_header);

		for (unsigned h = 0; h < c->a_msg->n_hdrs; h++) {
			const struct sb_sip_hdr *sh = &c->a_msg->hdrs[h];
			uint8_t v;

			if (sh->name.len == hl &&
			    strncasecmp(sh->name.p, cq->priority_header, hl) == 0) {
				if (sb_prio_parse(sh->value.p, sh->value.len, &v) == 0)
					prio = v;
				break;
			}
		}
	}
	if (prio < min_prio)
		prio = min_prio;
	memset(k, 0, sizeof(*k));
	k->enter_ms = now - (waited < now ? waited : now);
	if (alias)
		snprintf(k->alias, sizeof(k->alias), "%s", alias);
	k->queue = (int16_t)qi;
	k->agent = -1;
	k->prio = prio;
	/* bindings that expired since their agent's last REGISTER: logged out */
	for (unsigned m = 0; m < cq->n_members; m++)
		sync_agent(cp->q, cq->members[m], mono, now_ms(cp));
	c->state = CALL_RINGING; /* waiting: CANCEL/BYE from the caller as while ringing */
	/* `early_media`: 183 with our answer instead of 180 (b2bua/early.c) */
	if (!cq->early_media || call_early_answer(c) < 0)
		call_relay_ringing(c);
	call_moh_start_q(c, qi); /* the queue's `moh:` loops on the caller's leg (callmedia.c) */
	c->acd_in = true;
	if (sb_acd_enqueue_keep(cp->q->acd, c->idx, (uint32_t)qi, prio, k->enter_ms, now) < 0) {
		c->acd_in = false;
		sb_warn("call %u: queue %s refused it", c->idx, cp->cfg->queues[qi].name);
		call_fail(c, 500, "system");
		return;
	}
	live_add(cp->q, c->idx);
	{ /* announcements and comfort messages from now on (none if offered) */
		struct cpq_ann *an = &cp->q->ann[c->idx];

		sb_timer_cancel(cp->loop, &an->t);
		an->playing = false;
		an->next_ann = cq->announce_every_ms ? now_ms(cp) + cq->announce_every_ms : 0;
		an->next_comfort = cq->comfort_every_ms ? now_ms(cp) + cq->comfort_every_ms : 0;
		ann_arm(cp->q, an);
	}
	{
		/* 0: offered at once (or already gone): it was first in line */
		uint32_t pos = sb_acd_position(cp->q->acd, c->idx);

		qev(cp->q, SB_QEV_ENTER, c, qi, -1, via, pos ? pos : 1, now - k->enter_ms, 0, 0);
		sb_info("call %u: waits in queue %s (position %u, priority %u)", c->idx,
			cp->cfg->queues[qi].name, pos, prio);
	}
	drain(cp->q);
}

void cpq_enqueue_to(struct sb_call *c, int qi, uint8_t prio, const char *via)
{
	enqueue(c, qi, prio, via, 0, 0, NULL);
}

void cpq_enqueue_consult(struct sb_call *k, int qi, const struct sb_call *c)
{
	struct sb_cp *cp = k->cp;
	char via[SB_CFG_NAME_MAX + 12], alias[48];

	snprintf(alias, sizeof(alias), "%.*s", c->key[SIDE_A].id ? (int)c->key[SIDE_A].len : 0,
		 c->key[SIDE_A].id ? c->key[SIDE_A].id : "");
	snprintf(via, sizeof(via), "consult:%s", c->agent >= 0 ? cp->cfg->agents[c->agent].user : "");
	/* the caller's own priority there (a transfer, if completed, is one) */
	enqueue(k, qi, c->hotline >= 0 ? cp->cfg->hotlines[c->hotline].priority : 0, via, 0,
		cp->cfg->queues[qi].transfer_priority, alias);
}

unsigned cpq_transfer_check(struct sb_call *c, int qi)
{
	struct sb_cpq *q = c->cp->q;
	const struct sb_cfg_queue *cq;
	uint64_t mono = sb_mono_ms();
	int ex;

	if (q == NULL || qi < 0 || (unsigned)qi >= c->cp->cfg->n_queues || c->idx >= q->max_calls)
		return 404;
	/* as at any enqueue: bindings that expired are logged out first */
	cq = &c->cp->cfg->queues[qi];
	for (unsigned m = 0; m < cq->n_members; m++)
		sync_agent(q, cq->members[m], mono, now_ms(c->cp));
	drain(q); /* what the logins emitted */
	ex = sb_acd_would_exit(q->acd, (uint32_t)qi);
	if (ex < 0)
		return 0;
	sb_info("call %u: queue %s would refuse it (%s)", c->idx, cq->name,
		ex == SB_ACD_EXIT_FULL ? "full" : "no agent");
	return ex == SB_ACD_EXIT_FULL ? 486 : 480;
}

void cpq_transfer_to_queue(struct sb_call *c, int qi, int from)
{
	struct sb_cp *cp = c->cp;
	struct sb_cpq *q = cp->q;
	struct cpq_call *k = &q->calls[c->idx];
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	uint64_t now = now_ms(cp), waited = 0, talk = 0;
	int fromq = -1;
	uint8_t prio = c->hotline >= 0 ? cp->cfg->hotlines[c->hotline].priority : 0;
	char other[SB_CFG_NAME_MAX + 8], via[SB_CFG_NAME_MAX + 12];

	if (k->live && k->answered) { /* it came through a queue */
		waited = k->waited_ms;
		talk = now - k->answer_ms;
		fromq = k->queue;
		prio = k->prio;
	} else if (c->answer_ms > 0) { /* an `agents:` hotline's, an agent's call */
		int64_t w = (int64_t)sb_wall_ms() - c->answer_ms;

		talk = w > 0 ? (uint64_t)w : 0;
	}
	/* the transferor's talk ends here (wait 0: reported at its connect) */
	snprintf(other, sizeof(other), "queue:%s", cq->name);
	qev(q, SB_QEV_TRANSFER, c, fromq, from, other, 0, 0, talk, 0);
	if (c->acd_in) { /* the engine's agent: wrap-up, then free */
		c->acd_in = false;
		sb_acd_hangup(q->acd, c->idx, now);
	}
	live_del(q, c->idx);
	/* the agent side is empty now (xfer.c moved the transferor's dialog
	 * aside): the next offer is a fresh INVITE, as a first one.  b_ok
	 * stays until the next agent's 2xx replaces it (a_ans, b_neg slice
	 * into it) */
	sb_ctx_put(c->b_inv);
	c->b_inv = NULL;
	calltab_unlink(c, SIDE_B);
	c->b_callid[0] = '\0';
	c->b_invited = c->b_provisional = c->b_final = c->b_ringing_relayed = false;
	c->b_bye_sent = false;
	free(c->b_ack);
	c->b_ack = NULL;
	c->dlg[SIDE_B].se_req = 0;
	if (from >= 0 && cp->reg.e[from].busy_call == c->idx)
		cp->reg.e[from].busy_call = SB_CALL_NONE;
	c->agent = -1;
	c->acd_answered = false;
	sb_info("call %u: transferred by %s to queue %s (waited %llu ms before)", c->idx,
		from >= 0 ? cp->cfg->agents[from].user : "?", cq->name,
		(unsigned long long)waited);
	snprintf(via, sizeof(via), "transfer:%s", from >= 0 ? cp->cfg->agents[from].user : "");
	enqueue(c, qi, prio, via, waited, cq->transfer_priority, NULL);
	if (from >= 0) /* its binding may have gone during the call */
		sync_agent(q, (unsigned)from, sb_mono_ms(), now);
	drain(q);
}

void cpq_agent_ringing(struct sb_call *c)
{
	struct sb_cpq *q = c->cp->q;

	if (!c->acd_in || c->agent < 0)
		return;
	sb_acd_ringing(q->acd, c->idx, (uint32_t)c->agent, now_ms(c->cp));
	drain(q);
}

void cpq_agent_answered(struct sb_call *c)
{
	struct sb_cpq *q = c->cp->q;

	call_moh_stop(c); /* before the answer's LEG_MOD/CONNECT (same ring) */
	if (c->cp->q && c->idx < c->cp->q->max_calls)
		ann_stop(c->cp->q, c); /* an announcement too */
	if (!c->acd_in || c->agent < 0)
		return;
	if (sb_acd_answer(q->acd, c->idx, (uint32_t)c->agent, now_ms(c->cp)) == 0) {
		struct cpq_call *k = &q->calls[c->idx];

		c->acd_answered = true;
		k->answered = true;
		k->answer_ms = now_ms(c->cp);
		k->agent = (int16_t)c->agent;
		k->waited_ms = k->answer_ms - k->enter_ms;
		qev(q, SB_QEV_CONNECT, c, k->queue, c->agent, NULL, 0, k->answer_ms - k->enter_ms,
		    0, 0);
	}
	drain(q);
}

void cpq_agent_failed(struct sb_call *c, unsigned status)
{
	struct sb_cpq *q = c->cp->q;
	enum sb_acd_decline why = SB_ACD_NOANSWER;
	uint32_t ag = (uint32_t)c->agent;

	if (!c->acd_in || c->agent < 0)
		return;
	if (status == 486 || status == 600)
		why = SB_ACD_BUSY;
	else if (status == 603)
		why = SB_ACD_REJECT;
	sb_info("call %u: agent %s answered %u; next agent", c->idx,
		c->cp->cfg->agents[ag].user, status);
	qev(q, why == SB_ACD_BUSY ? SB_QEV_BUSY : why == SB_ACD_REJECT ? SB_QEV_REJECT
								   : SB_QEV_NOANSWER,
	    c, q->calls[c->idx].queue, (int)ag, NULL, 0, 0, 0, status);
	b_reset(c);
	sb_acd_decline(q->acd, c->idx, ag, why, now_ms(c->cp));
	drain(q);
}

void cpq_fork_ringing(struct sb_call *c, int agent)
{
	struct sb_cpq *q = c->cp->q;

	if (!c->acd_in)
		return;
	sb_acd_ringing(q->acd, c->idx, (uint32_t)agent, now_ms(c->cp));
	drain(q);
}

void cpq_fork_failed(struct sb_call *c, struct call_fork *f, unsigned status)
{
	struct sb_cpq *q = c->cp->q;
	enum sb_acd_decline why = SB_ACD_NOANSWER;
	uint32_t ag = (uint32_t)f->agent;

	if (!c->acd_in || !f->live)
		return;
	if (status == 486 || status == 600)
		why = SB_ACD_BUSY;
	else if (status == 603)
		why = SB_ACD_REJECT;
	sb_info("call %u: agent %s answered %u (ring-all)", c->idx, c->cp->cfg->agents[ag].user,
		status);
	qev(q, why == SB_ACD_BUSY ? SB_QEV_BUSY : why == SB_ACD_REJECT ? SB_QEV_REJECT
								   : SB_QEV_NOANSWER,
	    c, q->calls[c->idx].queue, (int)ag, NULL, 0, 0, 0, status);
	fork_done(c, f);
	/* the last one: the caller waits again (the engine re-offers) */
	sb_acd_decline(q->acd, c->idx, ag, why, now_ms(c->cp));
	drain(q);
}

bool cpq_on_dtmf(struct sb_call *c, char digit)
{
	struct sb_cpq *q = c->cp->q;
	struct cpq_call *k;
	struct cpq_cb *b = NULL;
	uint32_t pos, v;
	uint64_t now;
	int qi;

	/* waiting, not being offered (a ringing agent may answer any moment) */
	if (q == NULL || c->idx >= q->max_calls || !c->acd_in || c->acd_answered ||
	    c->agent >= 0 || c->state == CALL_GONE)
		return false;
	k = &q->calls[c->idx];
	qi = k->queue;
	if (qi < 0 || q->cp->cfg->queues[qi].callback_digit != digit)
		return false;
	for (uint32_t i = 0; i < q->max_calls && b == NULL; i++)
		if (!q->cb[i].used)
			b = &q->cb[i];
	now = now_ms(c->cp);
	pos = sb_acd_position(q->acd, c->idx);
	if (b == NULL || pos == 0)
		return false;
	v = q->max_calls + (uint32_t)(b - q->cb);
	if (sb_acd_call_move(q->acd, c->idx, v, now) < 0)
		return false; /* offered meanwhile (ring-all forks) */
	b->used = true;
	snprintf(b->call_id, sizeof(b->call_id), "%.*s", (int)c->key[SIDE_A].len,
		 c->key[SIDE_A].id ? c->key[SIDE_A].id : "");
	snprintf(b->number, sizeof(b->number), "%s", c->caller);
	live_del(q, c->idx);
	q->calls[v] = *k;
	q->calls[v].live = false;
	live_add(q, v);
	qev_cb(q, SB_QEV_CALLBACK, v, qi, -1, "requested", pos, now - k->enter_ms, 0);
	sb_info("call %u: caller %s leaves queue %s for a callback at position %u", c->idx,
		b->number, q->cp->cfg->queues[qi].name, pos);
	/* the engine no longer has this call: its end is no abandon */
	c->acd_in = false;
	ann_stop(q, c);
	call_fail_hdr(c, 480, "Reason: SIP;cause=480;text=\"callback requested\"\r\n",
		      "callback");
	drain(q);
	return true;
}

void cpq_call_end(struct sb_call *c)
{
	struct sb_cpq *q = c->cp->q;
	struct cpq_call *k;
	uint64_t now;

	if (q == NULL || c->idx >= q->max_calls)
		return;
	forks_cancel(c); /* ring-all offers still ringing */
	ann_stop(q, c);
	k = &q->calls[c->idx];
	now = now_ms(c->cp);
	if (!c->acd_in) {
		/* transferred away from the engine's agent: the new agent's
		 * share of the talk (cpq_call_transferred) */
		if (k->live && k->xferred)
			qev(q, SB_QEV_COMPLETE, c, k->queue, k->agent, NULL, 0, 0,
			    now - k->answer_ms, 0);
		live_del(q, c->idx);
		return;
	}
	c->acd_in = false;
	/* the agent is free for the engine now (with no wrap-up it offers
	 * the next call from in here): free for the registrar too, which
	 * call_end() would only do after this */
	if (c->agent >= 0 && c->cp->reg.e[c->agent].busy_call == c->idx)
		c->cp->reg.e[c->agent].busy_call = SB_CALL_NONE;
	if (c->acd_answered) {
		qev(q, SB_QEV_COMPLETE, c, k->queue, k->agent, NULL, 0, 0, now - k->answer_ms, 0);
		sb_acd_hangup(q->acd, c->idx, now);
	} else {
		uint32_t pos = sb_acd_position(q->acd, c->idx);

		qev(q, SB_QEV_ABANDON, c, k->queue, c->agent, NULL, pos, now - k->enter_ms, 0, 0);
		sb_acd_abandon(q->acd, c->idx, now);
	}
	live_del(q, c->idx);
	if (c->agent >= 0) /* its binding may have gone during the call */
		sync_agent(q, (unsigned)c->agent, sb_mono_ms(), now);
	drain(q);
}

void cpq_call_transferred(struct sb_call *c, int from, int to)
{
	struct sb_cpq *q = c->cp->q;
	struct cpq_call *k;
	uint64_t now;

	if (q == NULL || c->idx >= q->max_calls || !q->calls[c->idx].live)
		return;
	k = &q->calls[c->idx];
	if (!k->answered)
		return;
	now = now_ms(c->cp);
	qev(q, SB_QEV_TRANSFER, c, k->queue, from,
	    to >= 0 ? c->cp->cfg->agents[to].user : "", 0, 0, now - k->answer_ms, 0);
	if (c->acd_in) {
		/* the engine's agent is done with it: wrap-up, then free; the
		 * new agent is the B2BUA's (busy_call) until the call ends */
		c->acd_in = false;
		sb_acd_hangup(q->acd, c->idx, now);
	}
	k->xferred = true;
	k->agent = (int16_t)to;
	k->answer_ms = now;
	/* xfer.c is mid-way through moving the agent side: act on what the
	 * engine emitted from the loop's next tick, not from in here */
	sb_timer_arm(q->cp->loop, &q->t, 0);
}

/* ---- dialling callbacks back (b2bua/callback.c) ---- */

static uint32_t cb_idx(const struct sb_cpq *q, uint32_t slot)
{
	return q->max_calls + slot;
}

struct cbk_sess *cpq_cb_sess(struct sb_cp *cp, uint32_t slot)
{
	struct sb_cpq *q = cp->q;

	return q && slot < q->max_calls && q->cb[slot].used ? &q->cb[slot].sess : NULL;
}

const char *cpq_cb_number(struct sb_cp *cp, uint32_t slot)
{
	return cp->q && slot < cp->q->max_calls ? cp->q->cb[slot].number : "";
}

static uint64_t cb_wait(struct sb_cpq *q, uint32_t slot)
{
	return now_ms(q->cp) - q->calls[cb_idx(q, slot)].enter_ms;
}

void cpq_cb_row(struct sb_cp *cp, uint32_t slot, const char *what, int agent, uint32_t reason)
{
	struct sb_cpq *q = cp->q;
	uint32_t v = cb_idx(q, slot);

	qev_cb(q, SB_QEV_CALLBACK, v, q->calls[v].queue, agent, what, 0, cb_wait(q, slot), reason);
}

void cpq_cb_offered(struct sb_cp *cp, uint32_t slot, int agent)
{
	struct sb_cpq *q = cp->q;
	uint32_t v = cb_idx(q, slot);

	qev_cb(q, SB_QEV_OFFER, v, q->calls[v].queue, agent, NULL, 0, 0, 0);
}

void cpq_cb_ringing(struct sb_cp *cp, uint32_t slot, int agent)
{
	struct sb_cpq *q = cp->q;

	(void)sb_acd_ringing(q->acd, cb_idx(q, slot), (uint32_t)agent, now_ms(cp));
	drain(q);
}

int cpq_cb_answer(struct sb_cp *cp, uint32_t slot, int agent)
{
	struct sb_cpq *q = cp->q;
	int rc = sb_acd_answer(q->acd, cb_idx(q, slot), (uint32_t)agent, now_ms(cp));

	drain(q);
	return rc;
}

void cpq_cb_decline(struct sb_cp *cp, uint32_t slot, int agent, unsigned status)
{
	struct sb_cpq *q = cp->q;
	uint32_t v = cb_idx(q, slot);
	enum sb_acd_decline why = SB_ACD_NOANSWER;

	if (status == 486 || status == 600)
		why = SB_ACD_BUSY;
	else if (status == 603)
		why = SB_ACD_REJECT;
	qev_cb(q, why == SB_ACD_BUSY ? SB_QEV_BUSY : why == SB_ACD_REJECT ? SB_QEV_REJECT
									: SB_QEV_NOANSWER,
	       v, q->calls[v].queue, agent, NULL, 0, 0, status);
	/* the place goes back (keeping its turn): the engine offers the next */
	(void)sb_acd_decline(q->acd, v, (uint32_t)agent, why, now_ms(cp));
	drain(q);
}

void cpq_cb_rearm(struct sb_cp *cp, uint32_t slot, int agent, uint32_t ring_ms)
{
	struct sb_cpq *q = cp->q;

	if (sb_acd_offer_rearm(q->acd, cb_idx(q, slot), (uint32_t)agent, ring_ms, now_ms(cp)) < 0)
		sb_warn("callback %u: the engine has no offer to agent %d", slot, agent);
	drain(q);
}

void cpq_cb_connected(struct sb_cp *cp, uint32_t slot, int agent)
{
	struct sb_cpq *q = cp->q;
	uint32_t v = cb_idx(q, slot);
	struct cpq_call *k = &q->calls[v];

	k->answered = true;
	k->answer_ms = now_ms(cp);
	k->agent = (int16_t)agent;
	qev_cb(q, SB_QEV_CALLBACK, v, k->queue, agent, "connected", 0, k->answer_ms - k->enter_ms,
	       q->cb[slot].attempts + 1);
	qev_cb(q, SB_QEV_CONNECT, v, k->queue, agent, NULL, 0, k->answer_ms - k->enter_ms, 0);
}

/* the next attempt is due: the place goes back into its queue */
static void cb_retry_due(struct sb_timer *t, void *arg)
{
	struct cpq_cb *b = arg;
	struct sb_cpq *q = b->q;
	uint32_t slot = (uint32_t)(b - q->cb), v = cb_idx(q, slot);
	struct cpq_call *k = &q->calls[v];
	uint64_t now = now_ms(q->cp);

	(void)t;
	if (!b->used || !b->retry_wait)
		return;
	b->retry_wait = false;
	b->due_logged = false;
	/* its first entry and priority as when the caller pressed the digit:
	 * ahead of those who came after it */
	if (sb_acd_enqueue_keep(q->acd, v, (uint32_t)k->queue, k->prio, k->enter_ms, now) < 0) {
		sb_warn("callback %s: queue %s refused it back", b->call_id,
			q->cp->cfg->queues[k->queue].name);
		qev_cb(q, SB_QEV_CALLBACK, v, k->queue, -1, "failed", 0, now - k->enter_ms, 500);
		live_del(q, v);
		b->used = false;
		return;
	}
	sb_info("callback %s: attempt %u, back in queue %s at position %u", b->call_id,
		b->attempts + 1, q->cp->cfg->queues[k->queue].name, sb_acd_position(q->acd, v));
	drain(q);
}

void cpq_cb_attempt_failed(struct sb_cp *cp, uint32_t slot, unsigned status)
{
	struct sb_cpq *q = cp->q;
	struct cpq_cb *b = &q->cb[slot];
	uint32_t v = cb_idx(q, slot);
	const struct sb_cfg_queue *cq = &cp->cfg->queues[q->calls[v].queue];
	int ag = b->sess.agent;

	/* the agent is free at once: no wrap-up, no no-answer delay */
	(void)sb_acd_release(q->acd, v, now_ms(cp));
	b->attempts++;
	b->sess = (struct cbk_sess){ .agent = -1 };
	if (b->attempts > cq->callback_retries) {
		sb_info("callback %s: %s not reached (%u), no retry left", b->call_id, b->number,
			status);
		qev_cb(q, SB_QEV_CALLBACK, v, q->calls[v].queue, ag, "failed", 0, cb_wait(q, slot),
		       status);
		live_del(q, v);
		b->used = false;
	} else {
		sb_info("callback %s: %s not reached (%u); attempt %u in %u s", b->call_id,
			b->number, status, b->attempts + 1, cq->callback_retry_ms / 1000);
		qev_cb(q, SB_QEV_CALLBACK, v, q->calls[v].queue, ag, "retry", 0, cb_wait(q, slot),
		       b->attempts);
		b->retry_wait = true;
		sb_timer_arm(cp->loop, &b->t_retry, cq->callback_retry_ms);
	}
	drain(q);
}

void cpq_cb_end(struct sb_cp *cp, uint32_t slot, bool talked)
{
	struct sb_cpq *q = cp->q;
	struct cpq_cb *b = &q->cb[slot];
	uint32_t v = cb_idx(q, slot);
	struct cpq_call *k = &q->calls[v];
	uint64_t now = now_ms(cp);

	if (talked) {
		qev_id(q, SB_QEV_COMPLETE, b->call_id, (uint32_t)strlen(b->call_id), v, k->queue,
		       k->agent, NULL, 0, 0, now - k->answer_ms, 0);
		(void)sb_acd_hangup(q->acd, v, now); /* the agent to wrap-up */
	} else {
		qev_cb(q, SB_QEV_ABANDON, v, k->queue, b->sess.agent, NULL, 0, now - k->enter_ms,
		       0);
		(void)sb_acd_release(q->acd, v, now);
	}
	b->sess = (struct cbk_sess){ .agent = -1 };
	live_del(q, v);
	b->used = false;
	drain(q);
}

struct sb_acd *sb_cpq_acd(const struct sb_cp *cp)
{
	return cp->q ? cp->q->acd : NULL;
}

const struct sb_qstats *sb_cpq_qstats(const struct sb_cp *cp)
{
	return cp->q ? cp->q->qs : NULL;
}

unsigned sb_cpq_live(const struct sb_cp *cp, struct sb_cpq_live *out, unsigned max)
{
	const struct sb_cpq *q = cp->q;
	uint64_t now;
	unsigned n = 0;

	if (q == NULL)
		return 0;
	now = sb_loop_now_ms(cp->loop);
	for (uint32_t i = 0; i < q->n_live && n < max; i++) {
		const struct cpq_call *k = &q->calls[q->live[i]];
		struct sb_call *c = calltab_slot((struct sb_cp *)cp, q->live[i]);
		struct sb_cpq_live *o = &out[n];

		if (q->live[i] >= q->max_calls) { /* a callback's place */
			const struct cpq_cb *b = &q->cb[q->live[i] - q->max_calls];

			memset(o, 0, sizeof(*o));
			o->call = q->live[i];
			o->queue = k->queue;
			o->agent = -1;
			o->prio = k->prio;
			o->callback = true;
			o->position = sb_acd_position(q->acd, q->live[i]);
			o->wait_ms = now - k->enter_ms;
			o->cb_state = b->retry_wait ? "retry-wait" : cbk_state_name(&b->sess);
			if (b->sess.st == CBK_UP) { /* talking: as a call's (cpq_cb_connected) */
				o->answered = true;
				o->agent = k->agent;
				o->wait_ms = k->answer_ms - k->enter_ms;
				o->talk_ms = now - k->answer_ms;
			} else if (b->sess.st != CBK_IDLE) {
				o->agent = b->sess.agent;
			}
			o->call_id = b->call_id;
			o->call_id_len = (uint32_t)strlen(b->call_id);
			o->caller = b->number;
			n++;
			continue;
		}
		if (c == NULL)
			continue;
		o->call = c->idx;
		o->queue = k->queue;
		o->agent = k->answered ? k->agent : c->agent;
		o->prio = k->prio;
		o->answered = k->answered;
		o->callback = false;
		o->cb_state = NULL;
		o->position = c->acd_in ? sb_acd_position(q->acd, c->idx) : 0;
		o->wait_ms = (k->answered ? k->answer_ms : now) - k->enter_ms;
		if (k->answered && k->xferred)
			o->wait_ms = 0; /* its wait was reported at the first answer */
		o->talk_ms = k->answered ? now - k->answer_ms : 0;
		o->call_id = c->key[SIDE_A].id ? c->key[SIDE_A].id : "";
		o->call_id_len = c->key[SIDE_A].id ? c->key[SIDE_A].len : 0;
		o->caller = c->caller;
		n++;
	}
	return n;
}

void sb_cpq_queue_now(const struct sb_cp *cp, unsigned qi, uint32_t *waiting,
		      uint64_t *longest_ms)
{
	const struct sb_cpq *q = cp->q;
	uint64_t now = sb_loop_now_ms(cp->loop);

	*waiting = 0;
	*longest_ms = 0;
	if (q == NULL)
		return;
	for (uint32_t i = 0; i < q->n_live; i++) {
		const struct cpq_call *k = &q->calls[q->live[i]];

		if (k->answered || k->queue != (int)qi)
			continue;
		(*waiting)++;
		if (now - k->enter_ms > *longest_ms)
			*longest_ms = now - k->enter_ms;
	}
}

int sb_cpq_agent_cmd(struct sb_cp *cp, unsigned ag, enum sb_cpq_cmd cmd, uint16_t reason,
		     const char **why)
{
	struct sb_cpq *q = cp->q;
	enum sb_acd_agent_state st;
	uint64_t now;
	int rc = 0;

	*why = NULL;
	if (q == NULL || ag >= cp->cfg->n_agents) {
		*why = "no queues";
		return -ENODEV;
	}
	now = now_ms(cp);
	st = sb_acd_agent_state(q->acd, ag, now, NULL);
	switch (cmd) {
	case SB_CPQ_LOGIN:
		if (q->logged_in[ag]) {
			*why = "already logged in";
			return -EINVAL;
		}
		q->away[ag] = false;
		sync_agent(q, ag, sb_mono_ms(), now);
		if (!q->logged_in[ag]) {
			*why = "the agent has no registration";
			rc = -EAGAIN;
		}
		break;
	case SB_CPQ_LOGOUT:
		if (!q->logged_in[ag]) {
			*why = "not logged in";
			return -EINVAL;
		}
		if (st == SB_ACD_RESERVED || st == SB_ACD_RINGING || st == SB_ACD_ON_CALL) {
			*why = "the agent has a call";
			return -EINVAL;
		}
		q->away[ag] = true;
		sync_agent(q, ag, sb_mono_ms(), now);
		if (q->logged_in[ag]) {
			q->away[ag] = false;
			*why = "refused by the engine";
			return -EINVAL;
		}
		break;
	case SB_CPQ_PAUSE:
		if (!q->logged_in[ag] || st == SB_ACD_PAUSED) {
			*why = q->logged_in[ag] ? "already paused" : "not logged in";
			return -EINVAL;
		}
		if (sb_acd_agent_pause(q->acd, ag, reason, now) < 0) {
			*why = "refused by the engine";
			return -EINVAL;
		}
		qev(q, SB_QEV_PAUSE, NULL, -1, (int)ag, NULL, 0, 0, 0, reason);
		break;
	case SB_CPQ_UNPAUSE:
		if (st != SB_ACD_PAUSED) {
			*why = "not paused";
			return -EINVAL;
		}
		if (sb_acd_agent_unpause(q->acd, ag, now) < 0) {
			*why = "refused by the engine";
			return -EINVAL;
		}
		qev(q, SB_QEV_UNPAUSE, NULL, -1, (int)ag, NULL, 0, 0, 0, 0);
		break;
	}
	sb_info("queue: agent %s: %s%s%s", cp->cfg->agents[ag].user,
		cmd == SB_CPQ_LOGIN ? "login" : cmd == SB_CPQ_LOGOUT ? "logout" :
		cmd == SB_CPQ_PAUSE ? "pause" : "unpause", *why ? ": " : "", *why ? *why : "");
	drain(q);
	return rc;
}

bool sb_cpq_feature_code(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src, const char *user, uint32_t len)
{
	const struct sb_cfg_fcodes *f = &cp->cfg->fcodes;
	struct sb_fcode_set set = { f->login, f->logout, f->pause, f->unpause };
	static const char *const done[] = { [SB_CPQ_LOGIN] = "logged in",
		[SB_CPQ_LOGOUT] = "logged out", [SB_CPQ_PAUSE] = "paused",
		[SB_CPQ_UNPAUSE] = "unpaused" };
	enum sb_fcode fc;
	enum sb_cpq_cmd cmd;
	uint16_t reason;
	const char *why;
	char hdr[160];
	int ag, rc;

	fc = sb_fcode_parse(&set, user, len, &reason);
	if (fc == SB_FC_NONE || fc == SB_FC_UNKNOWN)
		return false; /* supervision codes (supervise.h), else 404 there */
	ag = sb_registrar_agent_at(&cp->reg, src);
	if (ag < 0) { /* not a registered agent: codes are not for callers */
		sb_cp_reply(cp, m, sock, src, 403, "Feature codes are for agents", NULL);
		return true;
	}
	switch (fc) {
	case SB_FC_LOGIN: cmd = SB_CPQ_LOGIN; break;
	case SB_FC_LOGOUT: cmd = SB_CPQ_LOGOUT; break;
	case SB_FC_PAUSE: cmd = SB_CPQ_PAUSE; break;
	case SB_FC_UNPAUSE: cmd = SB_CPQ_UNPAUSE; break;
	case SB_FC_BAD_REASON:
		sb_cp_reply(cp, m, sock, src, 484, "Bad pause reason", NULL);
		return true;
	default:
		return false;
	}
	rc = sb_cpq_agent_cmd(cp, (unsigned)ag, cmd, reason, &why);
	if (rc < 0) {
		snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=403;text=\"%s\"\r\n", why);
		sb_cp_reply(cp, m, sock, src, 403, why, hdr);
		return true;
	}
	snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=200;text=\"%s\"\r\n", done[cmd]);
	sb_cp_reply(cp, m, sock, src, 480, done[cmd], hdr);
	return true;
}

int sb_cpq_queue_get(const struct sb_cp *cp, unsigned qi, struct sb_cpq_qset *out)
{
	if (cp->q == NULL || qi >= cp->cfg->n_queues)
		return -ENODEV;
	*out = cp->q->qset[qi];
	return 0;
}

int sb_cpq_queue_set(struct sb_cp *cp, unsigned qi, const struct sb_cpq_qset *in)
{
	struct sb_cpq *q = cp->q;
	struct sb_acd_queue_cfg qc;

	if (q == NULL || qi >= cp->cfg->n_queues)
		return -ENODEV;
	if (in->strategy >= SB_ACD_STRATEGY_N)
		return -EINVAL;
	acd_qcfg(cp->cfg, qi, in, &qc);
	if (sb_acd_queue_update(q->acd, qi, &qc) < 0)
		return -EINVAL;
	/* new skills or steps may let a free member take a waiting caller */
	sb_acd_queue_rescan(q->acd, qi, now_ms(cp));
	q->qset[qi] = *in;
	sb_qstats_queue_cfg(q->qs, qi, in->sl_ms, in->short_ms);
	sb_info("queue %s: settings changed (strategy %u, ring %u ms, wrap-up %u ms, max_len %u, "
		"max_wait %u ms)", cp->cfg->queues[qi].name, in->strategy, in->ring_ms,
		in->wrapup_ms, in->max_len, in->max_wait_ms);
	drain(q); /* a longer max_len or another strategy: offers may follow */
	return 0;
}

int sb_cpq_agent_get(const struct sb_cp *cp, unsigned ag, struct sb_cpq_aset *out)
{
	if (cp->q == NULL || ag >= cp->cfg->n_agents)
		return -ENODEV;
	*out = cp->q->aset[ag];
	return 0;
}

int sb_cpq_agent_set(struct sb_cp *cp, unsigned ag, const struct sb_cpq_aset *in)
{
	struct sb_cpq *q = cp->q;
	struct sb_acd_agent_cfg agc;

	if (q == NULL || ag >= cp->cfg->n_agents)
		return -ENODEV;
	acd_agcfg(in, &agc);
	if (sb_acd_agent_update(q->acd, ag, &agc) < 0)
		return -EINVAL;
	sb_acd_agent_rescan(q->acd, ag, now_ms(cp)); /* new skills: it may qualify now */
	q->aset[ag] = *in;
	sb_info("queue: agent %s: settings changed", cp->cfg->agents[ag].user);
	drain(q);
	return 0;
}

/* ---- objects added, replaced and deleted at run time (api/objects.c) ---- */

static void qset_of(const struct sb_cfg_queue *cq, struct sb_cpq_qset *qs)
{
	*qs = (struct sb_cpq_qset){ .strategy = cq->strategy, .ring_ms = cq->ring_ms,
		.wrapup_ms = cq->wrapup_ms, .max_len = cq->max_len,
		.max_wait_ms = cq->max_wait_ms, .sl_ms = cq->sl_ms,
		.short_ms = cq->short_abandon_ms, .skills = cq->skills, .aht_ms = cq->aht_ms };
}

int sb_cpq_agent_put(struct sb_cp *cp, unsigned ag, bool fresh)
{
	struct sb_cpq *q = cp->q;
	const struct sb_cfg_agent *ca = &cp->cfg->agents[ag];
	struct sb_cpq_aset as = { .wrapup_ms = ca->wrapup_ms, .max_noanswer = ca->max_noanswer,
				  .noanswer_delay_ms = ca->noanswer_delay_ms,
				  .reject_delay_ms = ca->reject_delay_ms,
				  .busy_delay_ms = ca->busy_delay_ms };
	struct sb_acd_agent_cfg agc;
	int rc;

	if (q == NULL)
		return 0;
	memcpy(as.skills, ca->skills, sizeof(as.skills));
	q->away[ag] = false; /* a deleted agent's slot taken again: as new */
	if (!fresh)
		return sb_cpq_agent_set(cp, ag, &as);
	acd_agcfg(&as, &agc);
	if ((rc = sb_acd_agent_add(q->acd, ag, &agc)) < 0)
		return rc;
	q->aset[ag] = as;
	return 0;
}

int sb_cpq_queue_put(struct sb_cp *cp, unsigned qi, bool fresh, const uint16_t *old,
		     unsigned n_old)
{
	struct sb_cpq *q = cp->q;
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	struct sb_cpq_qset qs;
	uint64_t now;
	int rc;

	if (q == NULL)
		return -ENODEV;
	qset_of(cq, &qs);
	now = now_ms(cp);
	if (fresh) {
		struct sb_acd_queue_cfg qc;

		acd_qcfg(cp->cfg, qi, &qs, &qc);
		if ((rc = sb_acd_queue_add(q->acd, qi, &qc)) < 0)
			return rc;
		q->qset[qi] = qs;
		sb_qstats_queue_cfg(q->qs, qi, cq->sl_ms, cq->short_abandon_ms);
	} else if ((rc = sb_cpq_queue_set(cp, qi, &qs)) < 0) {
		return rc;
	}
	for (unsigned i = 0; i < n_old; i++) { /* members no longer listed leave */
		unsigned m = 0;

		while (m < cq->n_members && cq->members[m] != old[i])
			m++;
		if (m == cq->n_members)
			sb_acd_agent_leave(q->acd, old[i], qi, now);
	}
	for (unsigned m = 0; m < cq->n_members; m++) { /* -EEXIST: already one */
		rc = sb_acd_agent_join(q->acd, cq->members[m], qi, now);
		if (rc < 0 && rc != -EEXIST)
			return rc;
		sync_agent(q, cq->members[m], sb_mono_ms(), now);
	}
	drain(q);
	return 0;
}

const char *sb_cpq_agent_busy(const struct sb_cp *cp, unsigned ag)
{
	const struct sb_cpq *q = cp->q;
	enum sb_acd_agent_state st;

	if (ag < cp->reg.n && cp->reg.e[ag].busy_call != SB_CALL_NONE)
		return "the agent is on a call";
	if (q == NULL)
		return NULL;
	st = sb_acd_agent_state(q->acd, ag, now_ms((struct sb_cp *)cp), NULL);
	if (st == SB_ACD_RESERVED || st == SB_ACD_RINGING || st == SB_ACD_ON_CALL)
		return "the agent has a call (ringing or talking)";
	for (uint32_t i = 0; i < q->n_live; i++)
		if (q->calls[q->live[i]].agent == (int)ag)
			return "the agent is talking to a queue caller";
	return NULL;
}

const char *sb_cpq_queue_busy(const struct sb_cp *cp, unsigned qi)
{
	const struct sb_cpq *q = cp->q;

	if (q == NULL)
		return NULL;
	for (uint32_t i = 0; i < q->n_live; i++)
		if (q->calls[q->live[i]].queue == (int)qi)
			return "callers are waiting in, or talking through, the queue";
	return NULL;
}

void sb_cpq_agent_gone(struct sb_cp *cp, unsigned ag)
{
	struct sb_cpq *q = cp->q;

	if (q == NULL)
		return;
	q->away[ag] = true; /* logged out, and no REGISTER logs it in again */
	sync_agent(q, ag, sb_mono_ms(), now_ms(cp));
	drain(q);
}

void sb_cpq_queue_gone(struct sb_cp *cp, unsigned qi)
{
	struct sb_cpq *q = cp->q;
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	uint64_t now = now_ms(cp);

	if (q == NULL)
		return;
	for (unsigned m = 0; m < cq->n_members; m++)
		sb_acd_agent_leave(q->acd, cq->members[m], qi, now);
	drain(q);
}
