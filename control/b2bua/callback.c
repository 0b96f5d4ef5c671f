/* SPDX-License-Identifier: MIT */
/*
 * b2bua/callback.c — dialling a callback back (issue 6).  A caller who
 * pressed the queue's callback_digit left; its place waits in the engine
 * under a virtual index (b2bua/queue.c struct cpq_cb).  When the engine
 * offers it to a free agent, this file makes two calls with no caller
 * side (as a consultation's target, b2bua/consult.c: a_final preset, the
 * far end on side B as UAC, a leg of their own on one worker): ka to the
 * agent (its registered contact) and kc to the customer (sip:NUMBER@proxy
 * through the `outbound:` trunk, config.h).  When both are up their legs
 * are connected (LEG_CONNECT), and each call's CDR is written at its end.
 *
 * agent-first (the default: the customer never answers into silence or
 * a waiting line, and the agent is the one who waits):
 *
 *   IDLE ──OFFER(ag)──▶ RING_AGENT ──ag 2xx──▶ DIAL ──customer 2xx──▶ UP
 *    ▲    ka: INVITE     │  sb_acd_ringing     sb_acd_answer,  moh stops,
 *    │                   │                     ag hears moh,   LEG_CONNECT
 *    │                   │                     kc: INVITE      connect rows
 *    │   no answer (engine CANCEL) / busy      │
 *    ├──────────────────── decline: the engine offers the next agent
 *    │                                         │ customer busy, no answer,
 *    │   release (agent free at once), retry   │ failure; or the agent
 *    └──────────── after callback_retry_after ◀┘ hung up first
 *
 * customer-first:
 *
 *   IDLE ──OFFER(ag)──▶ DIAL ──customer 2xx──▶ RING_AGENT ──ag 2xx──▶ UP
 *         the agent stays     customer hears moh,  sb_acd_answer, moh
 *         reserved (no ring   the offer's ring     stops, LEG_CONNECT
 *         timer), kc: INVITE  timeout from now,
 *                             ka: INVITE
 *   RING_AGENT ── no answer / busy ──▶ HOLD (customer on moh, the place
 *   waiting again with its turn) ──OFFER(ag2)──▶ RING_AGENT
 *   DIAL ── customer busy / no answer / failure ──▶ release, retry as above
 *   HOLD/RING_AGENT ── customer hangs up ──▶ abandon row, place gone
 *
 * UP ── either side's BYE ──▶ BYE to the other, complete row (talk from
 * the connect), sb_acd_hangup (the agent's wrap-up).  After the last
 * retry the place ends with row failed (reason: the SIP status).  The
 * engine holds the place throughout, so one call is with one agent and
 * an agent with one call (acd.h invariants) as for callers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/callback.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/sdp_oa.h"

/* Our own offer (there is no caller's to relay): the G.711 pair and
 * RFC 4733 digits, narrowed by media: codecs.  Slices point in here. */
static const char our_offer[] =
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	"m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

static struct sb_call *party(struct sb_cp *cp, bool valid, uint32_t idx, uint32_t gen)
{
	struct sb_call *k = valid ? calltab_get(cp, idx, gen) : NULL;

	return k && k->state != CALL_GONE ? k : NULL;
}

static struct sb_call *ka_of(struct sb_cp *cp, const struct cbk_sess *s)
{
	return party(cp, s->ka, s->ka_idx, s->ka_gen);
}

static struct sb_call *kc_of(struct sb_cp *cp, const struct cbk_sess *s)
{
	return party(cp, s->kc, s->kc_idx, s->kc_gen);
}

static struct cbk_sess *sess_of(struct sb_call *k)
{
	struct cbk_sess *s;

	if (k->cbk.role == CBK_NONE)
		return NULL;
	s = cpq_cb_sess(k->cp, k->cbk.slot);
	if (s == NULL)
		return NULL;
	if (k->cbk.role == CBK_AGENT && (!s->ka || s->ka_idx != k->idx || s->ka_gen != k->gen))
		return NULL;
	if (k->cbk.role == CBK_CUSTOMER && (!s->kc || s->kc_idx != k->idx || s->kc_gen != k->gen))
		return NULL;
	return s;
}

/* End party k ourselves: nothing is reported from its end. */
static void end_party(struct sb_call *k, const char *by)
{
	if (k == NULL)
		return;
	k->cbk.role = CBK_NONE;
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

static void drop_ka(struct sb_cp *cp, struct cbk_sess *s, const char *by)
{
	struct sb_call *ka = ka_of(cp, s);

	s->ka = false;
	end_party(ka, by);
}

static void drop_kc(struct sb_cp *cp, struct cbk_sess *s, const char *by)
{
	struct sb_call *kc = kc_of(cp, s);

	s->kc = false;
	end_party(kc, by);
}

static void cust_ring_timeout(struct sb_timer *t, void *arg)
{
	struct sb_call *k = arg;

	(void)t;
	if (k->state != CALL_RINGING && k->state != CALL_LEGS)
		return;
	sb_info("call %u: the callback's customer did not answer in time", k->idx);
	uac_cancel_agent(k);
	if (!cbk_failed(k, 408))
		call_fail(k, 408, "timeout");
}

/* A party's call: its own leg (on `worker`, -1 any), our offer narrowed to
 * `use` (the codec the other party answered with) when given. */
static struct sb_call *new_party(struct sb_cp *cp, uint32_t slot, enum cbk_role role, int agent,
				 const char *number, int worker, const struct sb_sdp_codec *use)
{
	struct sb_media *md = cp->media;
	struct sb_sdp sdp;
	struct sb_sdp_oa_cfg oa;
	struct sb_sdp_fail f;
	const char *why = NULL;
	struct sb_call *k = calltab_new(cp);
	int rc;

	if (k == NULL) {
		sb_warn("callback %u: no room for another call", slot);
		return NULL;
	}
	cp->cnt.calls++;
	k->start_ms = (int64_t)sb_wall_ms();
	k->a_final = 200; /* no caller side: nothing is answered on it */
	k->caller_agent = -1;
	k->callee_agent = role == CBK_AGENT ? agent : -1;
	k->agent = role == CBK_AGENT ? agent : -1;
	k->cbk = (struct call_cbk){ .role = (uint8_t)role, .slot = slot };
	/* From: the trunk's user toward the customer, the customer's number
	 * toward the agent (its phone shows whom it is calling back) */
	snprintf(k->caller, sizeof(k->caller), "%s",
		 role == CBK_AGENT ? number : cp->cfg->outbound.from_user);
	if (role == CBK_AGENT)
		cp->reg.e[agent].busy_call = k->idx;
	call_oa_cfg(k, &oa);
	if (sb_sdp_parse(our_offer, our_offer + sizeof(our_offer) - 1, &sdp, &why) < 0 ||
	    sb_sdp_oa_accept(&oa, &sdp, &k->a_neg, &f) < 0) {
		sb_warn("callback %u: no offer of ours: %s", slot, why ? why : f.text);
		call_fail(k, 500, "system");
		return NULL;
	}
	if (use) { /* the other party's codec (and digits): no transcoding */
		uint8_t n = 0;

		for (uint8_t i = 0; i < k->a_neg.n_codecs; i++)
			if ((k->a_neg.codecs[i].codec == use->codec &&
			     k->a_neg.codecs[i].rate == use->rate) ||
			    k->a_neg.codecs[i].codec == SB_CODEC_TEL_EVENT)
				k->a_neg.codecs[n++] = k->a_neg.codecs[i];
		if (n)
			k->a_neg.n_codecs = n;
	}
	sb_timer_init(&k->t_ring, cust_ring_timeout, k);
	rc = md->ops->leg_alloc(md, worker, &k->leg[SIDE_B]);
	if (rc == 0) {
		k->leg_st[SIDE_B] = LEG_ALLOCATED;
		rc = md->ops->leg_add(md, &k->leg[SIDE_B], 0, 0, SB_MEDIA_F_LATCH, k->idx,
				      call_cookie(k, OP_ADD_B));
	}
	if (rc < 0) {
		sb_warn("callback %u: no media leg: %s", slot, strerror(-rc));
		k->cbk.role = CBK_NONE;
		call_fail(k, 503, "system");
		return NULL;
	}
	k->leg_st[SIDE_B] = LEG_ADDING;
	k->pending++;
	k->state = CALL_LEGS;
	return k;
}

static void moh(struct sb_call *k, int qi, bool on)
{
	struct sb_media *md = k->cp->media;
	int prompt = qi >= 0 ? k->cp->cfg->queues[qi].moh : -1;
	int rc;

	if (prompt < 0 || k->leg_st[SIDE_B] != LEG_ADDED || k->moh_on == on ||
	    !sb_media_has(md, SB_MEDIA_CAP_PROMPT | SB_MEDIA_CAP_XCODE))
		return;
	rc = on ? md->ops->prompt_play(md, &k->leg[SIDE_B], (uint32_t)prompt, SB_MEDIA_PROMPT_LOOP,
				       call_cookie(k, OP_AUX))
		: md->ops->prompt_stop(md, &k->leg[SIDE_B], call_cookie(k, OP_AUX));
	if (rc == 0) {
		k->pending++;
		k->moh_on = on;
	} else {
		sb_warn("call %u: callback music not %s: %s", k->idx, on ? "started" : "stopped",
			strerror(-rc));
	}
}

static void start_agent(struct sb_cp *cp, struct cbk_sess *s, uint32_t slot, const char *number)
{
	struct sb_call *kc = kc_of(cp, s);
	struct sb_call *ka = new_party(cp, slot, CBK_AGENT, s->agent, number,
				       kc ? (int)kc->leg[SIDE_B].worker : -1,
				       kc && kc->b_neg.n_codecs ? &kc->b_neg.codecs[0] : NULL);

	s->st = CBK_RING_AGENT;
	if (ka == NULL) {
		int ag = s->agent;

		s->st = s->cust_up ? CBK_HOLD : CBK_IDLE;
		s->agent = -1;
		cpq_cb_decline(cp, slot, ag, 503);
		return;
	}
	s->ka = true;
	s->ka_idx = ka->idx;
	s->ka_gen = ka->gen;
	cpq_cb_offered(cp, slot, s->agent);
}

static void start_customer(struct sb_cp *cp, struct cbk_sess *s, uint32_t slot,
			   const char *number)
{
	struct sb_call *ka = ka_of(cp, s);
	struct sb_call *kc = new_party(cp, slot, CBK_CUSTOMER, -1, number,
				       ka ? (int)ka->leg[SIDE_B].worker : -1,
				       ka && ka->b_neg.n_codecs ? &ka->b_neg.codecs[0] : NULL);

	s->st = CBK_DIAL;
	if (kc == NULL) {
		cpq_cb_attempt_failed(cp, slot, 503);
		return;
	}
	/* the CDR's number: the customer's (From was set from the trunk's) */
	s->kc = true;
	s->kc_idx = kc->idx;
	s->kc_gen = kc->gen;
	cpq_cb_row(cp, slot, "dialling", s->agent, 0);
}

void cbk_offer(struct sb_cp *cp, uint32_t slot, int qi, int ag, const char *number)
{
	struct cbk_sess *s = cpq_cb_sess(cp, slot);

	if (s == NULL)
		return;
	if (s->st != CBK_IDLE && s->st != CBK_HOLD) {
		/* ring-all's further offers: one agent at a time here; the
		 * engine withdraws them when this one answers */
		sb_info("callback %u: agent %s not rung (one at a time)", slot,
			cp->cfg->agents[ag].user);
		return;
	}
	s->queue = qi;
	s->agent = ag;
	if (s->st == CBK_HOLD || !cp->cfg->queues[qi].callback_customer_first) {
		start_agent(cp, s, slot, number); /* agent-first, or the customer is on */
		return;
	}
	/* customer-first: the agent stays reserved while the customer rings */
	cpq_cb_rearm(cp, slot, ag, 0);
	start_customer(cp, s, slot, number);
}

bool cbk_cancel(struct sb_cp *cp, uint32_t slot, int ag)
{
	struct cbk_sess *s = cpq_cb_sess(cp, slot);

	if (s == NULL || s->st != CBK_RING_AGENT || s->agent != ag)
		return false;
	sb_info("callback %u: agent %s did not answer in time", slot, cp->cfg->agents[ag].user);
	drop_ka(cp, s, "timeout");
	s->agent = -1;
	s->st = s->cust_up ? CBK_HOLD : CBK_IDLE;
	return true;
}

void cbk_drop(struct sb_cp *cp, uint32_t slot)
{
	struct cbk_sess *s = cpq_cb_sess(cp, slot);

	if (s == NULL)
		return;
	drop_ka(cp, s, "queue");
	drop_kc(cp, s, "queue");
	*s = (struct cbk_sess){ .agent = -1 };
}

const char *cbk_state_name(const struct cbk_sess *s)
{
	switch (s->st) {
	case CBK_RING_AGENT: return "ringing-agent";
	case CBK_DIAL:       return "dialling";
	case CBK_HOLD:       return "on-hold";
	case CBK_UP:         return "connected";
	default:             return "waiting";
	}
}

/* ---- hooks from call.c / uac.c ---- */

bool cbk_legs_added(struct sb_call *k)
{
	struct sb_cp *cp = k->cp;
	struct cbk_sess *s;
	char number[128];
	int rc;

	if (k->cbk.role == CBK_NONE)
		return false;
	s = sess_of(k);
	if (k->media_err || s == NULL) {
		if (s == NULL)
			k->cbk.role = CBK_NONE;
		if (!cbk_failed(k, 503))
			call_fail(k, 503, "system");
		return true;
	}
	k->state = CALL_RINGING;
	if (k->cbk.role == CBK_AGENT) {
		rc = uac_invite_agent(k);
	} else {
		snprintf(number, sizeof(number), "%s", cpq_cb_number(cp, k->cbk.slot));
		rc = uac_invite_number(k, number);
		/* the CDR names the customer (From was the trunk's user) */
		snprintf(k->caller, sizeof(k->caller), "%s", number);
		if (rc == 0)
			sb_timer_arm(cp->loop, &k->t_ring,
				     cp->cfg->queues[s->queue].callback_ring_ms);
	}
	if (rc < 0 && !cbk_failed(k, 500))
		call_fail(k, 500, "system");
	return true;
}

bool cbk_ringing(struct sb_call *k)
{
	struct cbk_sess *s;

	if (k->cbk.role == CBK_NONE)
		return false;
	s = sess_of(k);
	if (s && k->cbk.role == CBK_AGENT && s->st == CBK_RING_AGENT)
		cpq_cb_ringing(k->cp, k->cbk.slot, s->agent);
	return true;
}

static void attempt_failed(struct sb_cp *cp, struct cbk_sess *s, uint32_t slot,
			   unsigned status);

/* Agent and customer: both legs up, music off, connected. */
static void join(struct sb_cp *cp, struct cbk_sess *s, uint32_t slot)
{
	struct sb_media *md = cp->media;
	struct sb_call *ka = ka_of(cp, s), *kc = kc_of(cp, s);
	int rc;

	if (ka == NULL || kc == NULL) { /* cannot be: their ends moved the state on */
		attempt_failed(cp, s, slot, 500);
		return;
	}
	moh(ka, s->queue, false);
	moh(kc, s->queue, false);
	rc = md->ops->connect(md, &ka->leg[SIDE_B], &kc->leg[SIDE_B], call_cookie(ka, OP_AUX));
	if (rc == 0)
		ka->pending++;
	else
		sb_warn("callback %u: agent and customer not connected: %s", slot, strerror(-rc));
	s->st = CBK_UP;
	sb_info("callback %u: agent %s and customer %s connected (calls %u, %u)", slot,
		cp->cfg->agents[s->agent].user, kc->caller, ka->idx, kc->idx);
	cpq_cb_connected(cp, slot, s->agent);
}

bool cbk_answered(struct sb_call *k)
{
	struct sb_cp *cp = k->cp;
	struct sb_media *md = cp->media;
	struct sb_media_sdp *l = &k->leg[SIDE_B].sdp;
	struct cbk_sess *s;
	uint32_t slot = k->cbk.slot;
	int rc;

	if (k->cbk.role == CBK_NONE)
		return false;
	sb_timer_cancel(cp->loop, &k->t_ring);
	s = sess_of(k);
	if (s == NULL || k->b_neg.addr.family != 4 ||
	    (k->cbk.role == CBK_AGENT ? s->st != CBK_RING_AGENT : s->st != CBK_DIAL)) {
		k->cbk.role = CBK_NONE;
		uac_bye_agent(k);
		call_end(k, "system", 200);
		return true;
	}
	/* its leg: the answer's codec and keys, music or the other party */
	sb_sdp_oa_leg_params(&k->b_neg, l);
	if (k->b_neg.has_local_key)
		sb_sdp_oa_srtp_of(&l->tx, &k->b_neg.local_key);
	k->state = CALL_UP;
	k->answer_ms = (int64_t)sb_wall_ms();
	cp->cnt.calls_answered++;
	rc = md->ops->leg_mod(md, &k->leg[SIDE_B], k->b_neg.addr.ip4, k->b_neg.port,
			      SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, k->idx, call_cookie(k, OP_AUX));
	if (rc == 0) {
		k->pending++;
		if (sb_media_has(md, SB_MEDIA_CAP_XCODE))
			rc = call_media_program(k, true);
	}
	if (rc < 0)
		sb_warn("call %u: callback party's media not set up: %s", k->idx, strerror(-rc));
	if (k->cbk.role == CBK_AGENT) {
		if (cpq_cb_answer(cp, slot, s->agent) < 0)
			sb_warn("callback %u: the engine has no offer to %s", slot,
				cp->cfg->agents[s->agent].user);
		if (s->cust_up) { /* customer-first: the customer waits on music */
			join(cp, s, slot);
			return true;
		}
		s->agent_up = true;
		sb_info("callback %u: agent %s answered; dialling %s", slot,
			cp->cfg->agents[s->agent].user, cpq_cb_number(cp, slot));
		moh(k, s->queue, true);
		start_customer(cp, s, slot, cpq_cb_number(cp, slot));
		return true;
	}
	cpq_cb_row(cp, slot, "answered", s->agent, 0);
	if (s->agent_up) { /* agent-first: the agent hears music till now */
		join(cp, s, slot);
		return true;
	}
	/* customer-first: music while the reserved agent is rung */
	s->cust_up = true;
	moh(k, s->queue, true);
	cpq_cb_rearm(cp, slot, s->agent, cp->cfg->queues[s->queue].ring_ms);
	start_agent(cp, s, slot, cpq_cb_number(cp, slot));
	return true;
}

/* The customer not reached in this attempt (or the agent gone before). */
static void attempt_failed(struct sb_cp *cp, struct cbk_sess *s, uint32_t slot, unsigned status)
{
	drop_ka(cp, s, "callback");
	drop_kc(cp, s, "callback");
	cpq_cb_attempt_failed(cp, slot, status);
}

bool cbk_failed(struct sb_call *k, unsigned status)
{
	struct sb_cp *cp = k->cp;
	struct cbk_sess *s;
	uint32_t slot = k->cbk.slot;
	enum cbk_role role = (enum cbk_role)k->cbk.role;

	if (role == CBK_NONE)
		return false;
	s = sess_of(k);
	k->cbk.role = CBK_NONE; /* ended here: its end reports nothing more */
	sb_timer_cancel(cp->loop, &k->t_ring);
	sb_info("call %u: callback %s answered %u", k->idx,
		role == CBK_AGENT ? "agent" : "customer", status);
	call_end(k, role == CBK_AGENT ? "agent" : "callee", (int)status);
	if (s == NULL)
		return true;
	if (role == CBK_AGENT) {
		int ag = s->agent;

		s->ka = false;
		s->agent = -1;
		s->st = s->cust_up ? CBK_HOLD : CBK_IDLE;
		if (s->agent_up) /* cannot be: it answered; for safety */
			attempt_failed(cp, s, slot, 487);
		else
			cpq_cb_decline(cp, slot, ag, status); /* the next agent */
		return true;
	}
	s->kc = false;
	attempt_failed(cp, s, slot, status);
	return true;
}

void cbk_call_end(struct sb_call *k, int status)
{
	struct sb_cp *cp = k->cp;
	struct cbk_sess *s;
	uint32_t slot = k->cbk.slot;
	enum cbk_role role = (enum cbk_role)k->cbk.role;

	(void)status;
	if (role == CBK_NONE)
		return;
	s = sess_of(k);
	k->cbk.role = CBK_NONE;
	sb_timer_cancel(cp->loop, &k->t_ring);
	if (s == NULL)
		return;
	if (role == CBK_AGENT)
		s->ka = false;
	else
		s->kc = false;
	switch (s->st) {
	case CBK_UP: /* a hang-up: the other one too */
		sb_info("callback %u: the %s hung up", slot,
			role == CBK_AGENT ? "agent" : "customer");
		drop_ka(cp, s, role == CBK_AGENT ? "agent" : "caller");
		drop_kc(cp, s, role == CBK_AGENT ? "agent" : "caller");
		cpq_cb_end(cp, slot, true);
		break;
	case CBK_DIAL: /* agent-first: the agent hung up while the customer rang;
			* or the customer's call failed on our side (media) */
		attempt_failed(cp, s, slot, role == CBK_AGENT || status < 300 ? 487u
									   : (unsigned)status);
		break;
	case CBK_HOLD:
	case CBK_RING_AGENT:
		if (role == CBK_CUSTOMER) { /* customer-first: the customer left */
			sb_info("callback %u: the customer hung up before an agent took it", slot);
			drop_ka(cp, s, "caller");
			cpq_cb_end(cp, slot, false);
		} else { /* the ringing agent's call went (media, system) */
			int ag = s->agent;

			s->agent = -1;
			s->st = s->cust_up ? CBK_HOLD : CBK_IDLE;
			cpq_cb_decline(cp, slot, ag, 480);
		}
		break;
	default:
		break;
	}
}
