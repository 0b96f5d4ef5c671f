/* SPDX-License-Identifier: MIT */
/*
 * b2bua/queue.c — hotline queues: the distribution engine (acd/acd.h)
 * driven by the B2BUA (b2bua/queue.h for the mapping).
 *
 * The engine's callback must not re-enter it, so actions are collected in
 * a buffer and carried out after each entry point returns; what they do
 * (an INVITE that fails at once, a call that ends) may call the engine
 * again and add actions: one drain loop, not recursion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acd/acd.h"
#include "b2bua/call_priv.h"
#include "b2bua/queue.h"
#include "log.h"

/* an agent that did not answer, rejected or was busy is not offered
 * another call for this long (else a busy phone is rung in a loop) */
#define DECLINE_DELAY_MS 5000u
#define ACT_MAX 256u

struct sb_cpq {
	struct sb_acd *acd;
	struct sb_cp *cp;
	struct sb_timer t;
	bool *logged_in;        /* per config agent: told the engine */
	struct sb_acd_action act[ACT_MAX];
	unsigned n_act, head;
	bool draining;
	uint64_t dropped;       /* actions beyond ACT_MAX (never expected) */
};

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

static struct sb_call *acd_call(struct sb_cpq *q, uint32_t idx)
{
	struct sb_call *c = calltab_slot(q->cp, idx);

	return c && c->acd_in && c->state != CALL_GONE ? c : NULL;
}

static void do_offer(struct sb_cpq *q, const struct sb_acd_action *a)
{
	struct sb_call *c = acd_call(q, a->call);
	struct sb_cp *cp = q->cp;
	uint64_t now = now_ms(cp);
	struct sb_cfg_hotline one;

	if (c == NULL) {
		sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_REJECT, now);
		return;
	}
	if (c->agent >= 0)
		b_reset(c);
	/* its most recent live binding (busy with a call of an `agents:`
	 * hotline, or no binding left: declined, the next one is offered) */
	memset(&one, 0, sizeof(one));
	one.n_agents = 1;
	one.agents[0] = (uint16_t)a->agent;
	c->agent = sb_registrar_pick(cp, &one);
	if (c->agent < 0 || uac_invite_agent(c) < 0) {
		sb_info("call %u: cannot offer to agent %s", c->idx, cp->cfg->agents[a->agent].user);
		b_reset(c);
		sb_acd_decline(q->acd, a->call, a->agent, SB_ACD_REJECT, now);
		return;
	}
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

	if (c == NULL)
		return;
	switch (a->reason) {
	case SB_ACD_EXIT_FULL:
		code = 486;
		why = "queue full";
		break;
	case SB_ACD_EXIT_EMPTY:
		code = 480;
		why = "no agent in the queue";
		break;
	default:
		code = 480;
		why = "queue maximum wait";
		break;
	}
	sb_info("call %u: leaves queue %s: %s", c->idx, q->cp->cfg->queues[a->queue].name, why);
	c->acd_in = false; /* the engine let go of it */
	snprintf(hdr, sizeof(hdr), "Reason: SIP;cause=%u;text=\"%s\"\r\n", code, why);
	if (c->agent >= 0) {
		uac_cancel_agent(c);
		b_reset(c);
	}
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
		case SB_ACD_ACT_CANCEL: /* ring timeout (or the caller left) */
			c = acd_call(q, a.call);
			if (c && c->agent == (int)a.agent) {
				sb_info("call %u: %s did not answer in time", c->idx,
					q->cp->cfg->agents[a.agent].user);
				uac_cancel_agent(c);
				b_reset(c);
			}
			break;
		case SB_ACD_ACT_MOVE:
			sb_info("call %u: overflows from queue %s to %s", a.call,
				q->cp->cfg->queues[a.queue].name,
				q->cp->cfg->queues[a.to_queue].name);
			break;
		case SB_ACD_ACT_EXIT:
			do_exit(q, &a);
			break;
		case SB_ACD_ACT_AUTOPAUSE:
			sb_info("queue: agent %s paused after unanswered offers",
				q->cp->cfg->agents[a.agent].user);
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

int sb_cpq_init(struct sb_cp *cp, unsigned max_calls)
{
	const struct sb_config *cfg = cp->cfg;
	struct sb_acd_cfg ac;
	struct sb_cpq *q;
	uint64_t now;
	int rc = 0;

	cp->q = NULL;
	if (cfg->n_queues == 0)
		return 0;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->cp = cp;
	q->logged_in = calloc(cfg->n_agents ? cfg->n_agents : 1, sizeof(bool));
	memset(&ac, 0, sizeof(ac));
	ac.max_queues = cfg->n_queues;
	ac.max_agents = cfg->n_agents ? cfg->n_agents : 1;
	ac.max_calls = max_calls;
	ac.emit = emit;
	ac.emit_arg = q;
	q->acd = q->logged_in ? sb_acd_create(&ac) : NULL;
	if (q->acd == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	sb_timer_init(&q->t, on_timer, q);
	now = sb_loop_now_ms(cp->loop);
	for (unsigned i = 0; i < cfg->n_queues && rc == 0; i++) {
		const struct sb_cfg_queue *cq = &cfg->queues[i];
		struct sb_acd_queue_cfg qc;

		memset(&qc, 0, sizeof(qc));
		qc.strategy = (enum sb_acd_strategy)cq->strategy;
		qc.max_len = cq->max_len;
		qc.max_wait_ms = cq->max_wait_ms;
		qc.overflow = cq->overflow >= 0 ? (uint32_t)cq->overflow : SB_ACD_NONE;
		qc.wrapup_ms = cq->wrapup_ms;
		qc.ring_ms = cq->ring_ms;
		qc.join_empty = cq->join_empty;
		qc.leave_when_empty = cq->leave_empty;
		rc = sb_acd_queue_add(q->acd, i, &qc);
	}
	for (unsigned i = 0; i < cfg->n_agents && rc == 0; i++) {
		struct sb_acd_agent_cfg agc;

		memset(&agc, 0, sizeof(agc));
		agc.max_calls = 1;
		agc.wrapup_ms = SB_ACD_WRAPUP_QUEUE;
		agc.noanswer_delay_ms = agc.reject_delay_ms = agc.busy_delay_ms = DECLINE_DELAY_MS;
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
	sb_acd_free(q->acd);
	free(q->logged_in);
	free(q);
	cp->q = NULL;
}

static void sync_agent(struct sb_cpq *q, unsigned i, uint64_t mono, uint64_t now)
{
	bool reg = sb_registrar_count(&q->cp->reg, i, mono) > 0;
	enum sb_acd_agent_state st;

	if (reg == q->logged_in[i])
		return;
	if (reg) {
		if (sb_acd_agent_login(q->acd, i, now) == 0)
			q->logged_in[i] = true;
		return;
	}
	/* logout only without calls: retried at the next sync */
	st = sb_acd_agent_state(q->acd, i, now, NULL);
	if (st == SB_ACD_RESERVED || st == SB_ACD_RINGING || st == SB_ACD_ON_CALL)
		return;
	if (sb_acd_agent_logout(q->acd, i, now) == 0)
		q->logged_in[i] = false;
}

void sb_cpq_sync_agent(struct sb_cp *cp, unsigned agent)
{
	struct sb_cpq *q = cp->q;

	if (q == NULL || agent >= cp->cfg->n_agents)
		return;
	sync_agent(q, agent, sb_mono_ms(), now_ms(cp));
	drain(q);
}

void cpq_enqueue(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	int qi = cp->cfg->hotlines[c->hotline].queue;
	const struct sb_cfg_queue *cq = &cp->cfg->queues[qi];
	uint64_t mono = sb_mono_ms();

	/* bindings that expired since their agent's last REGISTER: logged out */
	for (unsigned m = 0; m < cq->n_members; m++)
		sync_agent(cp->q, cq->members[m], mono, now_ms(cp));
	c->state = CALL_RINGING; /* waiting: CANCEL/BYE from the caller as while ringing */
	call_relay_ringing(c);
	c->acd_in = true;
	if (sb_acd_enqueue(cp->q->acd, c->idx, (uint32_t)qi, 0, now_ms(cp)) < 0) {
		c->acd_in = false;
		sb_warn("call %u: queue %s refused it", c->idx, cp->cfg->queues[qi].name);
		call_fail(c, 500, "system");
		return;
	}
	sb_info("call %u: waits in queue %s (position %u)", c->idx, cp->cfg->queues[qi].name,
		sb_acd_position(cp->q->acd, c->idx));
	drain(cp->q);
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

	if (!c->acd_in || c->agent < 0)
		return;
	if (sb_acd_answer(q->acd, c->idx, (uint32_t)c->agent, now_ms(c->cp)) == 0)
		c->acd_answered = true;
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
	b_reset(c);
	sb_acd_decline(q->acd, c->idx, ag, why, now_ms(c->cp));
	drain(q);
}

void cpq_call_end(struct sb_call *c)
{
	struct sb_cpq *q = c->cp->q;
	uint64_t now;

	if (q == NULL || !c->acd_in)
		return;
	c->acd_in = false;
	now = now_ms(c->cp);
	if (c->acd_answered)
		sb_acd_hangup(q->acd, c->idx, now);
	else
		sb_acd_abandon(q->acd, c->idx, now);
	if (c->agent >= 0) /* its binding may have gone during the call */
		sync_agent(q, (unsigned)c->agent, sb_mono_ms(), now);
	drain(q);
}
