/* SPDX-License-Identifier: MIT */
/*
 * b2bua/consult.c — consultation calls and three-party calls keyed from
 * the agent's phone (see consult.h for the codes).  The caller's call c
 * (caller C <-> agent A) is the "main" call; the gateway's call to the
 * target B is a second struct sb_call k with no caller side (no a_msg,
 * a_final preset: nothing is ever answered on it) whose agent side is B,
 * its leg on the worker of C's leg, so that one conference holds all.
 *
 *            *2 B #                         B answers
 *   IDLE ──────────────▶ DIALING ─────────────────────▶ CONSULT
 *    ▲   C: moh (PROMPT_PLAY   A: CONF_JOIN TALK          B: LEG_MEDIA,
 *    │   LOOP) or silence      k: LEG_ADD, INVITE B       CONF_JOIN TALK
 *    │                                                    │      ▲
 *    │                                             *3     │      │ (no way
 *    │                                                    ▼      │  back)
 *    │                                                  THREEWAY
 *    │                                       C: PROMPT_STOP, CONF_JOIN TALK
 *    │
 *    ├── cancel (*5), B busy / no answer / BYE, k failed: CONF_LEAVE A (C, B),
 *    │   PROMPT_STOP, LEG_CONNECT C<->A; k ends (CANCEL or BYE to B)
 *    └── complete (*4, or A's BYE with agent_hangup: complete) from CONSULT
 *        or THREEWAY: CONF_LEAVE A, B (C), PROMPT_STOP, then xfer_join():
 *        B's dialog and leg become c's agent side, LEG_CONNECT C<->B, A's
 *        leg LEG_DEL, BYE to A (not when it hung up), k ends (CDR
 *        hangup_by transfer), queue event transfer + CDR transferred_by.
 *
 * The caller hanging up at any point ends the consultation too: B is
 * CANCELled or BYEd (k's CDR hangup_by caller), A gets the usual BYE.
 * A hanging up while B rings, or with agent_hangup: end, is a plain
 * hang-up: C and B are BYEd.  B's call k is never longer than c's.
 *
 * All dataplane commands of one call go on one worker ring, so they apply
 * in order; their failures are logged (OP_AUX), never end the live call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/sdp_oa.h"

static const struct sb_cfg_fcodes *codes(const struct sb_call *c)
{
	return &c->cp->cfg->fcodes;
}

static bool codes_on(const struct sb_call *c);

bool cons_enabled(const struct sb_call *c)
{
	return c->sup.role == SUP_NONE && c->agent >= 0 && codes_on(c);
}

/* Codes configured on a backend that can do it, for a call that could
 * take them (not a target's or a supervisor's call); c->agent unknown yet. */
static bool codes_on(const struct sb_call *c)
{
	const struct sb_cfg_fcodes *f = codes(c);

	return c->cons.role != CONS_LEG && c->sup.role != SUP_SUPERVISOR &&
	       (f->consult[0] || f->conference[0] || f->complete[0] || f->cancel[0]) &&
	       sb_media_has(c->cp->media, SB_MEDIA_CAP_MIX | SB_MEDIA_CAP_DTMF |
					  SB_MEDIA_CAP_XCODE);
}

void cons_offer_te(const struct sb_call *c, struct sb_sdp_neg *o)
{
	static const char te[] = "telephone-event", ev[] = "0-15";
	struct sb_sdp_codec nc;
	uint8_t pt = 101;

	if (!codes_on(c) || o->n_codecs >= SB_SDP_NEG_MAX)
		return;
	for (unsigned i = 0; i < o->n_codecs; i++)
		if (o->codecs[i].codec == SB_CODEC_TEL_EVENT)
			return;
	for (unsigned i = 0; i < o->n_codecs; i++) /* a dynamic number nobody uses */
		if (o->codecs[i].pt == pt) {
			if (++pt > 127)
				return;
			i = (unsigned)-1;
		}
	memset(&nc, 0, sizeof(nc));
	nc.pt = pt;
	nc.codec = SB_CODEC_TEL_EVENT;
	nc.rate = 8000;
	nc.enc = sb_str_mk(te, te + sizeof(te) - 1);
	nc.fmtp = sb_str_mk(ev, ev + sizeof(ev) - 1);
	o->codecs[o->n_codecs++] = nc;
}

void cons_answer_te(struct sb_call *c)
{
	struct sb_media_sdp *l = &c->leg[SIDE_B].sdp;

	if (!cons_enabled(c) || l->n_pt >= SB_MEDIA_MAX_PT)
		return;
	for (unsigned i = 0; i < l->n_pt; i++)
		if (l->pt[i].codec == SB_CODEC_TEL_EVENT)
			return;
	for (unsigned i = 0; i < c->b_neg.n_codecs; i++) {
		const struct sb_sdp_codec *e = &c->b_neg.codecs[i];

		if (e->codec == SB_CODEC_TEL_EVENT && e->rate == 8000) {
			struct sb_media_pt *p = &l->pt[l->n_pt++];

			/* stripped (never forwarded): its number needs no mapping */
			memset(p, 0, sizeof(*p));
			p->pt_in = p->pt_out = e->pt;
			p->codec = SB_CODEC_TEL_EVENT;
			p->clock_hz = 8000;
			return;
		}
	}
}

static struct sb_call *peer_of(struct sb_call *c)
{
	struct sb_call *p = calltab_get(c->cp, c->cons.peer_idx, c->cons.peer_gen);

	return p && p->state != CALL_GONE ? p : NULL;
}

static int aux_join(struct sb_call *c, struct sb_media_leg *leg, uint32_t conf)
{
	struct sb_media *md = c->cp->media;
	int rc = md->ops->conf_join(md, leg, conf, SB_MEDIA_CONF_TALK, NULL,
				    call_cookie(c, OP_AUX));

	if (rc == 0)
		c->pending++;
	else
		sb_warn("call %u: CONF_JOIN not sent: %s", c->idx, strerror(-rc));
	return rc;
}

static void aux_leave(struct sb_call *c, struct sb_media_leg *leg)
{
	struct sb_media *md = c->cp->media;
	int rc = md->ops->conf_leave(md, leg, call_cookie(c, OP_AUX));

	if (rc == 0)
		c->pending++;
	else
		sb_warn("call %u: CONF_LEAVE not sent: %s", c->idx, strerror(-rc));
}

/* Every leg of the main call (and the target's, when k still has it) out
 * of the conference; the number goes back. */
static void leave_all(struct sb_call *c, struct sb_call *k)
{
	struct sb_media *md = c->cp->media;

	if (c->cons.agent_in && c->leg_st[SIDE_B] == LEG_ADDED)
		aux_leave(c, &c->leg[SIDE_B]);
	/* a queue target still waiting: the agent heard the queue's music */
	if (!c->cons.agent_in && k && k->hotline >= 0 && c->leg_st[SIDE_B] == LEG_ADDED &&
	    md->ops->prompt_stop(md, &c->leg[SIDE_B], call_cookie(c, OP_AUX)) == 0)
		c->pending++;
	if (c->cons.caller_in && c->leg_st[SIDE_A] == LEG_ADDED)
		aux_leave(c, &c->leg[SIDE_A]);
	if (c->cons.target_in && k && k->leg_st[SIDE_B] == LEG_ADDED)
		aux_leave(k, &k->leg[SIDE_B]);
	call_moh_stop(c);
	call_conf_put(c->cp, c->leg[SIDE_A].worker, c->cons.conf);
	c->cons.agent_in = c->cons.caller_in = c->cons.target_in = false;
}

/* Back to caller <-> agent: the consultation is over (cancelled, or the
 * target is gone). */
static void back_to_caller(struct sb_call *c, struct sb_call *k, const char *why)
{
	struct sb_media *md = c->cp->media;
	int rc;

	leave_all(c, k);
	c->cons = (struct call_cons){ 0 };
	rc = md->ops->connect(md, &c->leg[SIDE_A], &c->leg[SIDE_B], call_cookie(c, OP_AUX));
	if (rc == 0)
		c->pending++;
	else
		sb_warn("call %u: caller and agent not reconnected: %s", c->idx, strerror(-rc));
	sb_info("call %u: consultation ended (%s); agent back with the caller", c->idx, why);
}

/* End the target's call k (CANCEL while it rings, else BYE). */
static void end_leg(struct sb_call *k, const char *by)
{
	k->cons.role = CONS_NONE; /* no way back into the main call */
	if (k->state == CALL_GONE)
		return;
	if (k->state == CALL_UP || k->state == CALL_ANSWERING) {
		uac_bye_agent(k);
		call_end(k, by, 200);
		return;
	}
	uac_cancel_agent(k);
	call_fail(k, 487, by);
}

static void ring_timeout(struct sb_timer *t, void *arg)
{
	struct sb_call *k = arg;

	(void)t;
	if (k->state != CALL_RINGING && k->state != CALL_LEGS)
		return;
	sb_info("call %u: consultation target did not answer within %u s", k->idx,
		k->cp->cfg->ring_timeout_s);
	uac_cancel_agent(k);
	call_fail(k, 480, "timeout"); /* cons_call_end: the agent is back */
}

/* The target: an agent whose user name is the digits, else a free agent
 * of the hotline with that number; -1 none (logged). */
static int pick_target(struct sb_call *c, const char *digits)
{
	struct sb_cp *cp = c->cp;
	size_t n = strlen(digits);
	int ag = sb_config_agent_find(cp->cfg, digits, n), hl = -1, pick;

	if (ag < 0)
		hl = sb_config_hotline_find(cp->cfg, digits, n);
	if (ag < 0 && hl < 0) {
		sb_info("call %u: consultation: no agent or hotline '%s'", c->idx, digits);
		return -1;
	}
	if (ag >= 0) {
		struct sb_cfg_hotline one;

		memset(&one, 0, sizeof(one));
		one.n_agents = 1;
		one.agents[0] = (uint16_t)ag;
		pick = sb_registrar_pick(cp, &one);
	} else {
		pick = sb_registrar_pick(cp, &cp->cfg->hotlines[hl]);
	}
	if (pick < 0 || pick == c->agent) {
		sb_info("call %u: consultation: '%s' has no free registered agent", c->idx, digits);
		return -1;
	}
	return pick;
}

/* The offer to the target: the caller's offer narrowed to the codec in
 * use (the agent's answer's first), so that complete can connect C and B
 * without transcoding (xfer.c target_offer does the same). */
static void target_offer(const struct sb_call *c, struct sb_sdp_neg *o)
{
	const struct sb_sdp_codec *use = c->b_neg.n_codecs ? &c->b_neg.codecs[0] : NULL;
	uint8_t n = 0;

	*o = c->a_neg; /* slices into c's INVITE: c outlives k (cons_call_end) */
	if (use == NULL)
		return;
	for (uint8_t i = 0; i < o->n_codecs; i++)
		if ((o->codecs[i].codec == use->codec && o->codecs[i].rate == use->rate) ||
		    o->codecs[i].codec == SB_CODEC_TEL_EVENT)
			o->codecs[n++] = o->codecs[i];
	if (n)
		o->n_codecs = n;
}

static void start_consult(struct sb_call *c, const char *digits)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	unsigned worker = c->leg[SIDE_A].worker;
	struct sb_call *k;
	int target, conf, rc, hl, qi;

	if (c->state != CALL_UP || c->xfer.st == XF_INVITING || c->relay.active ||
	    c->leg_st[SIDE_A] != LEG_ADDED || c->leg_st[SIDE_B] != LEG_ADDED) {
		sb_info("call %u: consultation not possible now", c->idx);
		return;
	}
	/* a hotline with `queue:` (and no agent of that name): the
	 * consultation call waits in that queue (tier 2, b2bua/queue.c) */
	hl = sb_config_agent_find(cp->cfg, digits, strlen(digits)) < 0
		     ? sb_config_hotline_find(cp->cfg, digits, strlen(digits)) : -1;
	qi = hl >= 0 ? cp->cfg->hotlines[hl].queue : -1;
	if (qi >= 0 && cpq_transfer_check(c, qi) != 0)
		return; /* the queue would turn it away (logged) */
	target = qi >= 0 ? -1 : pick_target(c, digits);
	if (target < 0 && qi < 0)
		return;
	conf = call_conf_get(cp, worker);
	if (conf < 0) {
		sb_warn("call %u: consultation: no free conference on worker %u", c->idx, worker);
		return;
	}
	k = calltab_new(cp);
	if (k == NULL) {
		sb_warn("call %u: consultation: no room for another call", c->idx);
		call_conf_put(cp, worker, (uint32_t)conf);
		return;
	}
	cp->cnt.calls++;
	k->start_ms = (int64_t)sb_wall_ms();
	k->a_final = 200; /* no caller side: nothing is answered on it */
	k->caller_agent = c->agent;
	k->callee_agent = target;
	k->agent = target;
	if (target >= 0)
		cp->reg.e[target].busy_call = k->idx;
	else
		k->hotline = hl; /* the queue's agent is offered later (cons_legs_added) */
	snprintf(k->caller, sizeof(k->caller), "%s", cp->cfg->agents[c->agent].user);
	target_offer(c, &k->a_neg);
	sb_timer_init(&k->t_ring, ring_timeout, k);
	k->cons = (struct call_cons){ .role = CONS_LEG, .peer_idx = c->idx, .peer_gen = c->gen };
	rc = md->ops->leg_alloc(md, (int)worker, &k->leg[SIDE_B]);
	if (rc == 0) {
		k->leg_st[SIDE_B] = LEG_ALLOCATED;
		rc = md->ops->leg_add(md, &k->leg[SIDE_B], 0, 0, SB_MEDIA_F_LATCH, k->idx,
				      call_cookie(k, OP_ADD_B));
	}
	if (rc < 0) {
		sb_warn("call %u: consultation: no media leg: %s", c->idx, strerror(-rc));
		call_conf_put(cp, worker, (uint32_t)conf);
		k->cons.role = CONS_NONE;
		call_fail(k, 503, "system");
		return;
	}
	k->leg_st[SIDE_B] = LEG_ADDING;
	k->pending++;
	k->state = CALL_LEGS;
	c->cons = (struct call_cons){ .role = CONS_MAIN, .st = CS_DIALING, .peer_idx = k->idx,
				      .peer_gen = k->gen, .conf = (uint32_t)conf };
	/* the caller on hold (its queue's music, or silence: nothing is
	 * relayed to it while the agent is in the mixer); the agent alone in
	 * the conference until the target answers */
	call_moh_start(c);
	/* a queue target: the agent hears the queue's music until one of its
	 * agents answers, outside the conference; only while the caller's
	 * leg plays its own music, which keeps the agent's voice from it */
	if (qi >= 0 && cp->cfg->queues[qi].moh >= 0 && c->moh_on &&
	    md->ops->prompt_play(md, &c->leg[SIDE_B], (uint32_t)cp->cfg->queues[qi].moh,
				 SB_MEDIA_PROMPT_LOOP, call_cookie(c, OP_AUX)) == 0)
		c->pending++;
	else if (aux_join(c, &c->leg[SIDE_B], c->cons.conf) == 0)
		c->cons.agent_in = true;
	sb_info("call %u: agent %s consults %s%s (call %u, conference %u)", c->idx,
		cp->cfg->agents[c->agent].user, qi >= 0 ? "queue " : "",
		qi >= 0 ? cp->cfg->queues[qi].name : cp->cfg->agents[target].user, k->idx,
		c->cons.conf);
}

void cons_legs_added(struct sb_call *k)
{
	struct sb_call *c = peer_of(k);

	if (k->media_err || c == NULL || c->cons.peer_idx != k->idx) {
		call_fail(k, 503, "system"); /* cons_call_end: the agent is back */
		return;
	}
	k->state = CALL_RINGING;
	if (k->hotline >= 0) { /* a queue's: the engine offers it (queue.c) */
		cpq_enqueue_consult(k, k->cp->cfg->hotlines[k->hotline].queue, c);
		return;
	}
	if (uac_invite_agent(k) < 0) {
		call_fail(k, 500, "system");
		return;
	}
	sb_timer_arm(k->cp->loop, &k->t_ring, (uint64_t)k->cp->cfg->ring_timeout_s * 1000u);
}

bool cons_answered(struct sb_call *k)
{
	struct sb_cp *cp = k->cp;
	struct sb_media *md = cp->media;
	struct sb_media_sdp *l = &k->leg[SIDE_B].sdp;
	struct sb_call *c;
	int rc;

	if (k->cons.role != CONS_LEG)
		return false;
	sb_timer_cancel(cp->loop, &k->t_ring);
	c = peer_of(k);
	if (c == NULL || c->cons.st != CS_DIALING || k->b_neg.addr.family != 4) {
		uac_bye_agent(k);
		call_end(k, "system", 200);
		return true;
	}
	/* the target's leg: its answer's codec (the mixer decodes it), keys */
	sb_sdp_oa_leg_params(&k->b_neg, l);
	if (k->b_neg.has_local_key)
		sb_sdp_oa_srtp_of(&l->tx, &k->b_neg.local_key);
	k->state = CALL_UP;
	k->answer_ms = (int64_t)sb_wall_ms();
	cp->cnt.calls_answered++;
	if (k->acd_in) /* a queue's agent: its connect row (queue.c) */
		cpq_agent_answered(k);
	if (!c->cons.agent_in) { /* it heard the queue's music: into the conference */
		if (c->leg_st[SIDE_B] == LEG_ADDED &&
		    md->ops->prompt_stop(md, &c->leg[SIDE_B], call_cookie(c, OP_AUX)) == 0)
			c->pending++;
		if (aux_join(c, &c->leg[SIDE_B], c->cons.conf) == 0)
			c->cons.agent_in = true;
	}
	rc = md->ops->leg_mod(md, &k->leg[SIDE_B], k->b_neg.addr.ip4, k->b_neg.port,
			      SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, k->idx, call_cookie(k, OP_AUX));
	if (rc == 0) {
		k->pending++;
		rc = call_media_program(k, true);
	}
	if (rc == 0 && aux_join(k, &k->leg[SIDE_B], c->cons.conf) == 0)
		c->cons.target_in = true;
	if (rc < 0)
		sb_warn("call %u: consultation target's media not set up: %s", k->idx,
			strerror(-rc));
	c->cons.st = CS_CONSULT;
	sb_info("call %u: consultation: %s answered (call %u)", c->idx,
		cp->cfg->agents[k->agent].user, k->idx);
	return true;
}

static void three_way(struct sb_call *c)
{
	if (c->cons.st != CS_CONSULT)
		return;
	call_moh_stop(c);
	if (aux_join(c, &c->leg[SIDE_A], c->cons.conf) == 0)
		c->cons.caller_in = true;
	c->cons.st = CS_THREEWAY;
	sb_info("call %u: three-way call (caller, agent, target)", c->idx);
}

/* Attended transfer to the target: A leaves, C <-> B.  agent_gone: A
 * already hung up (its BYE made it). */
static bool complete(struct sb_call *c, bool agent_gone)
{
	struct sb_call *k = peer_of(c);
	struct call_xfer *x = &c->xfer;

	if (k == NULL || (c->cons.st != CS_CONSULT && c->cons.st != CS_THREEWAY) ||
	    k->state != CALL_UP || k->leg_st[SIDE_B] != LEG_ADDED || c->relay.active ||
	    k->relay.active) {
		sb_info("call %u: nothing to complete now", c->idx);
		return false;
	}
	leave_all(c, k);
	c->cons = (struct call_cons){ 0 };
	k->cons.role = CONS_NONE; /* its end is the transfer's, not a cancel */
	x->from_agent = c->agent;
	snprintf(x->by, sizeof(x->by), "%s", c->cp->cfg->agents[c->agent].user);
	x->b_gone = agent_gone;
	c->cp->cnt.xfer_attended++;
	xfer_join(c, k, false);
	/* the new agent may consult in turn: its leg strips DTMF now */
	if (cons_enabled(c))
		call_media_leg(c, SIDE_B);
	return true;
}

static void cancel(struct sb_call *c, const char *why)
{
	struct sb_call *k = peer_of(c);

	back_to_caller(c, k, why);
	if (k)
		end_leg(k, "agent");
}

bool cons_on_dtmf(struct sb_call *c, char digit)
{
	char target[CONS_DIGITS];

	if (!cons_enabled(c) || c->state != CALL_UP)
		return false;
	switch (cons_key_digit(codes(c), &c->cons.keys, digit, sb_mono_ms(), target,
			       sizeof(target))) {
	case CK_CONSULT:
		if (c->cons.role == CONS_NONE)
			start_consult(c, target);
		else
			sb_info("call %u: consultation code ignored: one is on", c->idx);
		break;
	case CK_CONFERENCE:
		three_way(c);
		break;
	case CK_COMPLETE:
		(void)complete(c, false);
		break;
	case CK_CANCEL:
		if (c->cons.role == CONS_MAIN)
			cancel(c, "cancelled by the agent");
		break;
	case CK_NONE:
		break;
	}
	return true;
}

bool cons_agent_bye(struct sb_call *c)
{
	if (c->cons.role != CONS_MAIN || codes(c)->hangup_ends ||
	    (c->cons.st != CS_CONSULT && c->cons.st != CS_THREEWAY))
		return false;
	sb_info("call %u: agent hung up during the consultation: transfer", c->idx);
	return complete(c, true);
}

void cons_call_end(struct sb_call *c)
{
	struct sb_call *p;

	if (c->cons.role == CONS_NONE)
		return;
	p = peer_of(c);
	if (c->cons.role == CONS_LEG) {
		/* the target's call ended (busy, no answer, BYE, failure) */
		c->cons.role = CONS_NONE;
		if (p && p->cons.role == CONS_MAIN && p->cons.peer_idx == c->idx &&
		    p->cons.peer_gen == c->gen)
			back_to_caller(p, c, c->answer_ms ? "the target hung up"
							  : "the target did not answer");
		return;
	}
	/* the main call ended (the caller hung up, or anything else): the
	 * target goes too; its conference number is free again */
	call_conf_put(c->cp, c->leg[SIDE_A].worker, c->cons.conf);
	c->cons = (struct call_cons){ 0 };
	if (p)
		end_leg(p, "caller");
}
