/* SPDX-License-Identifier: MIT */
/*
 * b2bua/call.c — the caller's side of a hotline call and its life cycle:
 *
 *   INVITE ─▶ 100 ─▶ pick agent ─▶ LEG_ADD a, b ─▶ INVITE agent (uac.c)
 *          ◀─ 180 relayed ◀─ agent 180
 *   agent 200 ─▶ ACK ─▶ LEG_MOD b + CONNECT ─▶ 200 to caller (until ACK)
 *   BYE either side ─▶ 200, BYE other side, counters, LEG_DEL, CDR
 *
 * A hotline with `queue:` (config.h) instead: after the legs are added
 * the caller gets 180 and waits in the queue; its engine picks the agent,
 * and a failed offer goes to the next one (b2bua/queue.c).
 *
 * An INVITE from a registered agent (digest-checked by the registrar) to
 * another agent's user name is a call too: the consultation before an
 * attended transfer (b2bua/xfer.c); anyone else calling a name that is
 * no hotline gets 404.
 *
 * Every failure goes through call_fail() (final response to the caller)
 * and call_end() (legs, agent, CDR), so each call writes exactly one CDR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/ivr.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define LINGER_MS SB_SIP_TIMEOUT_MS

static uint64_t cookie_of(const struct sb_call *c, enum media_op op)
{
	return ((uint64_t)c->gen << 32) | ((uint64_t)op << 24) | c->idx;
}

uint64_t call_cookie(const struct sb_call *c, enum media_op op)
{
	return cookie_of(c, op);
}

/* ---- responses to the caller's INVITE ---- */

/* The caller never ACKed our 200 (timer L of its INVITE transaction). */
void sb_call_on_no_ack(struct sb_cp *cp, struct sb_stx *st, void *owner)
{
	struct sb_call *c = owner;

	(void)cp;
	(void)st;
	if (c->state == CALL_CONFIRMING) {
		sb_warn("call %u: no ACK from the caller; hanging up", c->idx);
		uac_bye_agent(c);
		uac_bye_caller(c);
		call_end(c, "system", 200);
	}
}

/* Through the INVITE's server transaction: it keeps the response for
 * retransmitted INVITEs, resends a 2xx until the ACK and a non-2xx until
 * its ACK (timer G). */
static void reply_caller(struct sb_call *c, unsigned code, const char *reason, const char *extra,
			 struct sb_str sdp)
{
	int rc;

	if (c->a_st == NULL || c->a_final)
		return;
	rc = sb_stx_reply(c->a_st, code, reason, extra, sdp.len ? "application/sdp" : NULL, sdp);
	if (rc < 0) {
		sb_err("call %u: cannot send %u: %s", c->idx, code, strerror(-rc));
		return;
	}
	if (code >= 200)
		c->a_final = (uint16_t)code;
}

void call_reply(struct sb_call *c, unsigned code, const char *extra, struct sb_str sdp)
{
	reply_caller(c, code, NULL, extra, sdp);
}

void call_stop_2xx(struct sb_call *c)
{
	if (c->a_st)
		sb_stx_acked(c->a_st);
}

void call_relay_ringing(struct sb_call *c)
{
	/* early media (early.c): the caller hears ours until the 200; a 180
	 * after the 183 could switch its phone to local ringback */
	if (c->a_early)
		return;
	reply_caller(c, 180, NULL, NULL, SB_STR_EMPTY);
}

/* ---- end of a call ---- */

static void linger_done(struct sb_timer *t, void *arg)
{
	struct sb_call *c = arg;

	if (c->pending) { /* media answers still due: their cookies name us */
		sb_timer_arm(c->cp->loop, t, 1000);
		return;
	}
	calltab_destroy(c);
}

static void release_leg(struct sb_call *c, int s)
{
	struct sb_media *md = c->cp->media;

	switch (c->leg_st[s]) {
	case LEG_ALLOCATED:
		md->ops->leg_free(md, &c->leg[s]);
		c->leg_st[s] = LEG_NONE;
		break;
	case LEG_ADDED:
		if (md->ops->leg_del(md, &c->leg[s], cookie_of(c, OP_DEL)) == 0)
			c->pending++;
		c->leg_st[s] = LEG_NONE;
		break;
	case LEG_ADDING: /* released when the LEG_ADD answer arrives */
	case LEG_NONE:
		break;
	}
}

static void write_cdr(struct sb_call *c, const char *hangup_by, int status,
		      const struct sb_media_counters *ca, const struct sb_media_counters *ag)
{
	struct sb_cp *cp = c->cp;
	struct sb_cdr r;

	memset(&r, 0, sizeof(r));
	/* a consultation leg (b2bua/consult.c) has no caller side: its own
	 * Call-ID, the target's user as the number called */
	if (c->a_msg == NULL)
		snprintf(r.call_id, sizeof(r.call_id), "%s", c->b_callid);
	else
		sb_str_copy(r.call_id, sizeof(r.call_id), c->a_msg->call_id);
	snprintf(r.caller, sizeof(r.caller), "%s", c->caller);
	if (c->hotline >= 0)
		snprintf(r.hotline, sizeof(r.hotline), "%s", cp->cfg->hotlines[c->hotline].number);
	else if (c->a_msg == NULL && c->callee_agent >= 0)
		snprintf(r.hotline, sizeof(r.hotline), "%s", cp->cfg->agents[c->callee_agent].user);
	else if (c->a_msg) {
		struct sb_sip_uri u;
		if (sb_sip_uri_parse(c->a_msg->ruri, &u, NULL) == 0)
			sb_str_copy(r.hotline, sizeof(r.hotline), u.user);
	}
	if (c->agent >= 0)
		snprintf(r.agent, sizeof(r.agent), "%s", cp->cfg->agents[c->agent].user);
	snprintf(r.hangup_by, sizeof(r.hangup_by), "%s", hangup_by);
	if (c->xfer.done_ms) { /* agent is the transfer target (xfer.c) */
		snprintf(r.transferred_by, sizeof(r.transferred_by), "%s", c->xfer.done_by);
		r.transfer_ms = (int64_t)c->xfer.done_ms;
	}
	r.start_ms = c->start_ms;
	r.answer_ms = c->answer_ms;
	r.end_ms = (int64_t)sb_wall_ms();
	r.status = status;
	r.caller_rx_pkts = ca->rx_pkts;
	r.caller_tx_pkts = ca->tx_pkts;
	r.caller_rx_bytes = ca->rx_bytes;
	r.agent_rx_pkts = ag->rx_pkts;
	r.agent_tx_pkts = ag->tx_pkts;
	r.agent_rx_bytes = ag->rx_bytes;
	sb_info("cdr: call %u %s caller=%s hotline=%s agent=%s%s%s status=%d by=%s "
		"caller rx/tx %llu/%llu agent rx/tx %llu/%llu",
		c->idx, r.call_id, r.caller, r.hotline, r.agent,
		r.transferred_by[0] ? " transferred_by=" : "", r.transferred_by, status, hangup_by,
		(unsigned long long)r.caller_rx_pkts, (unsigned long long)r.caller_tx_pkts,
		(unsigned long long)r.agent_rx_pkts, (unsigned long long)r.agent_tx_pkts);
	if (cp->store && sb_store_cdr_put(cp->store, &r) < 0)
		cp->cnt.cdr_dropped++;
}

void call_end(struct sb_call *c, const char *hangup_by, int status)
{
	struct sb_media *md = c->cp->media;
	struct sb_media_counters ctr[2];

	if (c->state == CALL_GONE)
		return;
	/* counters first: the dataplane may clear them on LEG_DEL */
	for (int s = 0; s < 2; s++)
		if (c->leg_st[s] != LEG_ADDED ||
		    md->ops->leg_counters(md, &c->leg[s], &ctr[s]) < 0)
			memset(&ctr[s], 0, sizeof(ctr[s]));
	c->state = CALL_GONE;
	ivr_call_end(c); /* its timer (b2bua/ivr.c) */
	cpq_call_end(c); /* queue: abandoned, or the agent goes to wrap-up */
	sup_call_end(c); /* supervision: back to a plain call, or BYE the supervisor */
	cons_call_end(c); /* consultation: agent back, or the target BYEd (consult.c) */
	cbk_call_end(c, status); /* a callback's party: the other one too (callback.c) */
	calltab_gone(c);
	xfer_call_end(c); /* a transfer in flight, a transferor still on */
	sb_timer_cancel(c->cp->loop, &c->t_ring);
	call_rec_stop(c); /* before the legs go: DONE follows (callrec.c) */
	release_leg(c, SIDE_A);
	release_leg(c, SIDE_B);
	if (c->agent >= 0 && c->cp->reg.e[c->agent].busy_call == c->idx)
		c->cp->reg.e[c->agent].busy_call = SB_CALL_NONE;
	write_cdr(c, hangup_by, status, &ctr[SIDE_A], &ctr[SIDE_B]);
	sb_timer_init(&c->t_linger, linger_done, c);
	sb_timer_arm(c->cp->loop, &c->t_linger, LINGER_MS);
}

void call_fail(struct sb_call *c, unsigned code, const char *hangup_by)
{
	call_fail_hdr(c, code, NULL, hangup_by);
}

void call_fail_hdr(struct sb_call *c, unsigned code, const char *extra, const char *hangup_by)
{
	if (c->a_final == 0)
		reply_caller(c, code, NULL, extra, SB_STR_EMPTY);
	else if (c->a_final < 300 && c->state != CALL_GONE)
		uac_bye_caller(c); /* answered by the IVR before: a BYE is its end */
	call_end(c, hangup_by, (int)code);
}

/* RFC 3261 21.4.26: 488 says which media part failed in a Warning. */
void call_fail_488(struct sb_call *c, const struct sb_sdp_fail *f, const char *hangup_by)
{
	char w[240];

	snprintf(w, sizeof(w), "Warning: %u switchboard \"%s\"\r\n", f->warn ? f->warn : 399,
		 f->text ? f->text : "Unusable SDP");
	if (c->a_final == 0)
		reply_caller(c, 488, NULL, w, SB_STR_EMPTY);
	else if (c->a_final < 300 && c->state != CALL_GONE)
		uac_bye_caller(c); /* answered by the IVR before */
	call_end(c, hangup_by, 488);
}

void call_oa_cfg(const struct sb_call *c, struct sb_sdp_oa_cfg *cfg)
{
	sb_sdp_oa_cfg_default(cfg);
	if (c->cp->cfg->n_media_codecs) {
		cfg->n_codecs = (uint8_t)c->cp->cfg->n_media_codecs;
		memcpy(cfg->codecs, c->cp->cfg->media_codecs, cfg->n_codecs);
	}
	/* a key we could not use would be a lie to the caller */
	if (!(c->cp->media->caps & SB_MEDIA_CAP_SRTP))
		cfg->srtp_suites = 0;
}

int call_accept_offer(struct sb_call *c, struct sb_sdp_fail *f)
{
	struct sb_sdp offer;
	struct sb_sdp_oa_cfg oa;
	const char *why = NULL;
	int rc;

	if (sb_sdp_parse(c->a_msg->body.p, sb_str_end(c->a_msg->body), &offer, &why) < 0) {
		*f = (struct sb_sdp_fail){ 399, why };
		rc = -ENOTSUP;
	} else {
		call_oa_cfg(c, &oa);
		rc = sb_sdp_oa_accept(&oa, &offer, &c->a_neg, f);
	}
	if (rc == 0 && c->a_neg.addr.family != 4) {
		*f = (struct sb_sdp_fail){ 301, "IPv6 media not supported by the dataplane" };
		rc = -ENOTSUP;
	}
	return rc;
}

/* ---- media answers ---- */

static void legs_added(struct sb_call *c)
{
	if (c->cons.role == CONS_LEG) {
		cons_legs_added(c); /* INVITE the target (b2bua/consult.c) */
		return;
	}
	if (cbk_legs_added(c))
		return; /* a callback's party: INVITE it (b2bua/callback.c) */
	if (c->media_err) {
		sb_warn("call %u: dataplane refused the legs: %s", c->idx, strerror(-c->media_err));
		call_fail(c, 503, "system");
		return;
	}
	if (c->sup.role == SUP_SUPERVISOR) {
		sup_legs_added(c); /* answered by us (b2bua/supervise.c) */
		return;
	}
	if (c->hotline >= 0 && c->cp->cfg->hotlines[c->hotline].queue >= 0) {
		cpq_enqueue(c); /* the queue picks the agent (b2bua/queue.c) */
		return;
	}
	if (ivr_wanted(c)) {
		ivr_start(c); /* answered by us, menus first (b2bua/ivr.c) */
		return;
	}
	c->state = CALL_RINGING;
	if (uac_invite_agent(c) < 0) {
		call_fail(c, 500, "system");
		return;
	}
	sb_timer_arm(c->cp->loop, &c->t_ring, (uint64_t)c->cp->cfg->ring_timeout_s * 1000u);
}

static void media_connected(struct sb_call *c)
{
	const struct sb_sip_addr *local = sb_sip_flow_local(&c->cp->tx, c->a_sock);
	const uint8_t *ip = (const uint8_t *)&local->ip;
	char sdp_mem[2048], contact[600];
	struct sb_buf sdp;
	struct sb_sdp offer;
	struct sb_sdp_local l;

	if (c->media_err) {
		sb_warn("call %u: dataplane could not connect the legs: %s", c->idx,
			strerror(-c->media_err));
		uac_bye_agent(c);
		call_fail(c, 503, "system");
		return;
	}
	if (c->a_final >= 200 && c->a_final < 300) {
		/* the IVR answered the caller (b2bua/ivr.c): no second 200 */
		c->state = CALL_UP;
		sb_info("call %u: answered by %s", c->idx,
			c->agent >= 0 ? c->cp->cfg->agents[c->agent].user : "an outside number");
		call_rec_start(c);
		return;
	}
	/* the answer bridged from the agent's (call_agent_answered), on our
	 * caller-side leg; every m= line of the offer answered (it parsed
	 * before: the body has not changed) */
	memset(&l, 0, sizeof(l));
	l.addr.family = 4;
	l.addr.ip4 = sb_media_leg_ip(c->cp->media, &c->leg[SIDE_A]);
	l.port = c->leg[SIDE_A].port;
	l.sess_id = sb_rand_next(&c->cp->rnd) >> 20;
	l.sess_ver = 1;
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	if (c->a_early) /* the 183's answer again, as it was (b2bua/early.c) */
		sb_buf_put(&sdp, c->a_early, c->a_early_len);
	else if (sb_sdp_parse(c->a_msg->body.p, sb_str_end(c->a_msg->body), &offer, NULL) == 0)
		sb_sdp_oa_write_answer(&sdp, &offer, &c->a_ans, &l);
	if (!sb_buf_ok(&sdp) || sdp.len == 0) {
		sb_warn("call %u: cannot write the answer to the caller", c->idx);
		uac_bye_agent(c);
		call_fail(c, 500, "system");
		return;
	}
	snprintf(contact, sizeof(contact), "Contact: <sip:%s@%u.%u.%u.%u:%u%s>\r\n",
		 c->hotline >= 0 ? c->cp->cfg->hotlines[c->hotline].number
				 : c->cp->cfg->agents[c->callee_agent].user,
		 ip[0], ip[1], ip[2], ip[3], local->port,
		 sb_sip_flow_is_stream(c->a_sock) ? ";transport=tcp" : "");
	/* session timer of the caller's dialog (dialog.c) */
	dlg_answer_st_hdrs(c, contact + strlen(contact), sizeof(contact) - strlen(contact));
	c->state = CALL_CONFIRMING;
	c->answer_ms = (int64_t)sb_wall_ms();
	c->cp->cnt.calls_answered++;
	reply_caller(c, 200, NULL, contact, sb_str_mk(sdp.p, sdp.p + sdp.len));
	dlg_sent_sdp(c, SIDE_A, sdp.p, sdp.len); /* for offerless re-INVITEs (dialog.c) */
	sb_info("call %u: answered by %s", c->idx, c->cp->cfg->agents[c->agent].user);
	call_rec_start(c); /* `record: true` (callrec.c) */
}

void sb_call_media_done(void *arg, uint64_t cookie, int status)
{
	struct sb_cp *cp = arg;
	enum media_op op = (enum media_op)((cookie >> 24) & 0xff);
	struct sb_call *c = calltab_get(cp, (uint32_t)(cookie & 0xffffff), (uint32_t)(cookie >> 32));
	struct sb_media *md = cp->media;

	if (c == NULL)
		return;
	c->pending--;
	switch (op) {
	case OP_ADD_A:
	case OP_ADD_B: {
		int s = op == OP_ADD_A ? SIDE_A : SIDE_B;

		if (status == 0) {
			c->leg_st[s] = LEG_ADDED;
		} else {
			c->media_err = status;
			c->leg_st[s] = LEG_ALLOCATED;
		}
		if (c->state == CALL_GONE) { /* ended while the add was in flight */
			release_leg(c, s);
			return;
		}
		if (c->pending == 0 && c->state == CALL_LEGS)
			legs_added(c);
		break;
	}
	case OP_MOD_A: /* re-INVITE/UPDATE moved a peer (dialog.c) */
	case OP_MOD_B:
	case OP_CONNECT:
	case OP_MEDIA_A: /* keys, codecs (transcoding), DTMF (callmedia.c) */
	case OP_MEDIA_B:
		if (status)
			c->media_err = status;
		if (c->pending == 0 && c->state == CALL_ANSWERING)
			media_connected(c);
		break;
	case OP_DEL:
		(void)md;
		break;
	case OP_AUX: /* prompt, conference, DTMF hook: the call goes on */
		if (status)
			sb_warn("call %u: media command failed: %s", c->idx, strerror(-status));
		break;
	}
}

void sb_call_media_event(void *arg, uint64_t owner, enum sb_media_event ev)
{
	struct sb_cp *cp = arg;
	enum media_op op = (enum media_op)((owner >> 24) & 0xff);
	struct sb_call *c = calltab_get(cp, (uint32_t)(owner & 0xffffff), (uint32_t)(owner >> 32));
	const char *side = op == OP_ADD_A ? "caller" : "agent";
	const char *by = ev == SB_MEDIA_EV_TIMEOUT ? "media_timeout" : "media_lost";

	/* the agent leg of a consultation that an attended transfer joined
	 * to another call: that call's now (xfer.c) */
	if (c && c->state == CALL_GONE && c->xfer.has_fwd && op == OP_ADD_B)
		c = calltab_get(cp, c->xfer.fwd_idx, c->xfer.fwd_gen);
	if (c == NULL || c->state == CALL_GONE)
		return; /* a leg of a call that already ended */
	if (c->state != CALL_UP && c->state != CALL_CONFIRMING && c->state != CALL_ANSWERING) {
		if (ev == SB_MEDIA_EV_TIMEOUT)
			return; /* no media is due before the answer: ring timeout's job */
		sb_warn("call %u: %s leg lost in a dataplane restart before the answer", c->idx,
			side);
		if (c->state == CALL_RINGING)
			uac_cancel_agent(c);
		call_fail(c, 503, by);
		return;
	}
	sb_info("call %u: %s on the %s leg; hanging up both sides", c->idx,
		ev == SB_MEDIA_EV_TIMEOUT ? "media timeout" : "media lost in a dataplane restart",
		side);
	call_stop_2xx(c);
	uac_bye_agent(c);
	if (c->state == CALL_ANSWERING) {
		call_fail(c, 503, by); /* the caller has no 200 yet */
		return;
	}
	uac_bye_caller(c);
	call_end(c, by, 200);
}

/* Does leg A need re-programming after the answer: a payload type the
 * two sides number differently, or RTCP/keys other than at LEG_ADD. */
static bool leg_a_changed(const struct sb_media_sdp *now, const struct sb_media_sdp *added)
{
	for (unsigned i = 0; i < now->n_pt; i++)
		if (now->pt[i].pt_in != now->pt[i].pt_out)
			return true;
	return now->rtcp_mux != added->rtcp_mux || now->peer_rtcp_port != added->peer_rtcp_port ||
	       memcmp(&now->tx, &added->tx, sizeof(now->tx)) != 0;
}

void call_agent_answered(struct sb_call *c)
{
	struct sb_media *md = c->cp->media;
	const uint32_t fl = SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT;
	struct sb_media_sdp la;
	struct sb_sdp_fail f;
	struct sb_sdp_crypto early_key = c->a_ans.local_key; /* our 183's (early.c) */
	bool changed;
	int rc;

	if (cons_answered(c))
		return; /* a consultation's target (b2bua/consult.c) */
	if (cbk_answered(c))
		return; /* a callback's party (b2bua/callback.c) */
	sb_timer_cancel(c->cp->loop, &c->t_ring);
	cpq_agent_answered(c);
	/* the caller's offer and the agent's answer: our answer to the
	 * caller and what each leg carries (payload-type maps both ways) */
	rc = sb_sdp_oa_bridge(&c->a_neg, &c->b_neg, &c->a_ans, &la, &c->leg[SIDE_B].sdp, &f);
	if (rc == -ENOTSUP && call_xcode_bridge(c, &la, &f) == 0)
		rc = 0; /* no codec in common: each side its own (callmedia.c) */
	if (rc == 0 && c->b_neg.addr.family != 4) {
		f = (struct sb_sdp_fail){ 301, "IPv6 media not supported by the dataplane" };
		rc = -ENOTSUP;
	}
	if (rc < 0) {
		sb_info("call %u: agent's answer cannot be bridged: %s", c->idx, f.text);
		uac_bye_agent(c);
		call_fail_488(c, &f, "agent");
		return;
	}
	call_early_bridged(c, &early_key, &la); /* the 183's key stays (early.c) */
	cons_answer_te(c); /* the agent's RFC 4733 digits, caller or not (consult.c) */
	c->state = CALL_ANSWERING;
	c->media_err = 0;
	rc = 0;
	changed = leg_a_changed(&la, &c->leg[SIDE_A].sdp);
	c->leg[SIDE_A].sdp = la; /* what it carries now (LEG_MEDIA reads it) */
	if (changed) {
		rc = md->ops->leg_mod(md, &c->leg[SIDE_A], c->a_neg.addr.ip4, c->a_neg.port, fl,
				      c->idx, cookie_of(c, OP_MOD_A));
		if (rc == 0)
			c->pending++;
	}
	/* same worker ring: MODs are applied before CONNECT */
	if (rc == 0)
		rc = md->ops->leg_mod(md, &c->leg[SIDE_B], c->b_neg.addr.ip4, c->b_neg.port, fl,
				      c->idx, cookie_of(c, OP_MOD_B));
	if (rc == 0) {
		c->pending++;
		/* keys, codecs, DTMF: same ring, before the CONNECT (callmedia.c) */
		if (call_media_wanted(c))
			rc = call_media_program(c, false);
	}
	if (rc == 0) {
		rc = md->ops->connect(md, &c->leg[SIDE_A], &c->leg[SIDE_B], cookie_of(c, OP_CONNECT));
		if (rc == 0)
			c->pending++;
	}
	if (rc < 0) {
		c->media_err = rc;
		if (c->pending == 0)
			media_connected(c);
	}
}

/* ---- requests from the caller (and BYE/ACK from either side) ---- */

static void ring_timeout(struct sb_timer *t, void *arg)
{
	struct sb_call *c = arg;

	(void)t;
	if (c->state != CALL_RINGING && c->state != CALL_LEGS)
		return;
	sb_info("call %u: no answer within %u s", c->idx, c->cp->cfg->ring_timeout_s);
	uac_cancel_agent(c);
	call_fail(c, 480, "timeout");
}

static void caller_target(struct sb_call *c)
{
	struct sb_sip_nameaddr na;
	struct sb_sip_uri u;
	struct sb_str v = sb_sip_msg_hdr(c->a_msg, SB_HDR_CONTACT);

	c->a_target_addr = c->a_src;
	if (v.len && sb_sip_nameaddr_parse(v, &na, NULL) == 0 && !na.star &&
	    na.uri.len < sizeof(c->a_target) && sb_sip_uri_parse(na.uri, &u, NULL) == 0) {
		sb_str_copy(c->a_target, sizeof(c->a_target), na.uri);
		if (u.host_is_ipv4) {
			c->a_target_addr.ip = u.ipv4;
			c->a_target_addr.port = u.port ? u.port : 5060;
		}
		return;
	}
	/* no usable Contact: the From URI, sent to where the INVITE came from */
	if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(c->a_msg, SB_HDR_FROM), &na, NULL) == 0)
		sb_str_copy(c->a_target, sizeof(c->a_target), na.uri);
}

static void start_call(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct sb_sdp_fail f = { 0, NULL };
	int rc, worker = -1;

	sb_timer_init(&c->t_ring, ring_timeout, c);
	if (!md->ops->is_ready(md)) {
		sb_info("call %u: dataplane not ready", c->idx);
		call_fail(c, 503, "system");
		return;
	}
	rc = call_accept_offer(c, &f);
	if (rc < 0) {
		sb_info("call %u: unusable offer: %s", c->idx, f.text);
		call_fail_488(c, &f, "system");
		return;
	}
	if (c->hotline >= 0 && (cp->cfg->hotlines[c->hotline].queue >= 0 || ivr_wanted(c))) {
		c->agent = -1; /* the queue's engine offers it after the legs are up */
	} else if (c->hotline >= 0) {
		c->agent = sb_registrar_pick(cp, &cp->cfg->hotlines[c->hotline]);
	} else { /* an agent calls another by name: that one or nobody */
		struct sb_cfg_hotline one;

		memset(&one, 0, sizeof(one));
		one.n_agents = 1;
		one.agents[0] = (uint16_t)c->callee_agent;
		c->agent = sb_registrar_pick(cp, &one);
	}
	if (c->agent < 0 &&
	    !(c->hotline >= 0 && (cp->cfg->hotlines[c->hotline].queue >= 0 || ivr_wanted(c)))) {
		sb_info("call %u: no free registered agent for %s", c->idx,
			c->hotline >= 0 ? cp->cfg->hotlines[c->hotline].number
					: cp->cfg->agents[c->callee_agent].user);
		call_fail(c, c->hotline >= 0 ? 480 : 486, "system");
		return;
	}
	if (c->agent >= 0)
		cp->reg.e[c->agent].busy_call = c->idx;

	/* an agent's call (a consultation) goes on the worker of the call it
	 * is already on, so that an attended transfer can connect a leg of
	 * each (legs of one connection share a worker: xfer.c) */
	if (c->caller_agent >= 0) {
		struct sb_call *on = calltab_slot(cp, cp->reg.e[c->caller_agent].busy_call);

		if (on && on != c && on->state != CALL_GONE && on->leg_st[SIDE_A] != LEG_NONE)
			worker = (int)on->leg[SIDE_A].worker;
	}
	rc = md->ops->leg_alloc(md, worker, &c->leg[SIDE_A]);
	if (rc == 0) {
		c->leg_st[SIDE_A] = LEG_ALLOCATED;
		rc = md->ops->leg_alloc(md, c->leg[SIDE_A].worker, &c->leg[SIDE_B]);
	}
	if (rc == 0) {
		c->leg_st[SIDE_B] = LEG_ALLOCATED;
		/* caller's codecs with their clocks, RTCP and mux as offered */
		sb_sdp_oa_leg_params(&c->a_neg, &c->leg[SIDE_A].sdp);
		rc = md->ops->leg_add(md, &c->leg[SIDE_A], c->a_neg.addr.ip4, c->a_neg.port,
				      SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT, c->idx,
				      cookie_of(c, OP_ADD_A));
	}
	if (rc == 0) {
		c->leg_st[SIDE_A] = LEG_ADDING;
		c->pending++;
		rc = md->ops->leg_add(md, &c->leg[SIDE_B], 0, 0, SB_MEDIA_F_LATCH, c->idx,
				      cookie_of(c, OP_ADD_B));
		if (rc == 0) {
			c->leg_st[SIDE_B] = LEG_ADDING;
			c->pending++;
		}
	}
	if (rc < 0) {
		sb_warn("call %u: cannot set up media: %s", c->idx, strerror(-rc));
		call_fail(c, 503, "system");
		return;
	}
	c->state = CALL_LEGS;
}

void sb_call_on_invite(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		       const struct sb_sip_addr *src)
{
	enum call_side side;
	struct sb_call *c = calltab_find(cp, m->call_id, &side);
	struct sb_sip_nameaddr na;
	struct sb_sip_uri ruri, from;
	const char *why = NULL;

	/* retransmissions never get here: the transaction layer answers them */
	if (c) {
		sb_cp_reply(cp, m, sock, src, 501, "re-INVITE not supported yet", NULL);
		return;
	}
	if (sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_TO)).len) {
		sb_cp_reply(cp, m, sock, src, 481, NULL, NULL);
		return;
	}
	if (xfer_check_replaces(cp, m, sock, src))
		return; /* INVITE with Replaces: answered there */
	if (sb_sip_uri_parse(m->ruri, &ruri, &why) < 0) {
		/* a scheme we do not serve is 416 (RFC 3261 §8.2.2.1, RFC 4475 unkscm) */
		sb_cp_reply(cp, m, sock, src, ruri.scheme ? 400 : 416, why, NULL);
		return;
	}
	/* *20, *21, ... from an agent phone: answered there (b2bua/queue.h) */
	if (sb_cpq_feature_code(cp, m, sock, src, ruri.user.p, ruri.user.len))
		return;
	c = cp->cur_st ? calltab_new(cp) : NULL;
	if (c == NULL) {
		sb_warn("sip: no room for another call");
		sb_cp_reply(cp, m, sock, src, 503, "Too many calls", NULL);
		return;
	}
	cp->cnt.calls++;
	c->a_st = cp->cur_st;
	sb_stx_hold(c->a_st, c);
	c->a_msg = sb_stx_request(c->a_st);
	c->a_sock = sock;
	c->a_src = *src;
	c->start_ms = (int64_t)sb_wall_ms();
	snprintf(c->a_tag, sizeof(c->a_tag), "%s", sb_stx_tag(c->a_st));
	calltab_link(c, SIDE_A, c->a_msg->call_id.p, c->a_msg->call_id.len);
	caller_target(c);
	snprintf(c->caller, sizeof(c->caller), "anonymous");
	if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(m, SB_HDR_FROM), &na, NULL) == 0 &&
	    sb_sip_uri_parse(na.uri, &from, NULL) == 0 && from.user.len)
		sb_str_copy(c->caller, sizeof(c->caller), from.user);
	/* the user part goes into our own From towards the agent: keep it tame */
	for (char *p = c->caller; *p; p++)
		if (*p == '<' || *p == '>' || *p == '"' || *p == ';' || *p == '@')
			*p = '_';

	c->hotline = sb_config_hotline_find(cp->cfg, ruri.user.p, ruri.user.len);
	/* registered agents (the registrar checked their digest) may also
	 * call each other by user name: consultation before a transfer */
	c->caller_agent = sb_registrar_agent_at(&cp->reg, src);
	if (c->hotline < 0 && c->caller_agent >= 0 && ruri.user.len)
		c->callee_agent = sb_config_agent_find(cp->cfg, ruri.user.p, ruri.user.len);
	sb_info("call %u: INVITE from %s to " SB_STR_FMT " (Call-ID " SB_STR_FMT ")", c->idx,
		c->caller, SB_STR_ARG(ruri.user), SB_STR_ARG(m->call_id));
	if (c->hotline < 0 && c->callee_agent < 0 && sup_on_invite(c, ruri.user))
		return; /* a supervision code (b2bua/supervise.c) */
	if (c->hotline < 0 && (c->callee_agent < 0 || c->callee_agent == c->caller_agent)) {
		call_fail(c, 404, "system");
		return;
	}
	reply_caller(c, 100, NULL, NULL, SB_STR_EMPTY);
	start_call(c);
}

void sb_call_on_ack(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		    const struct sb_sip_addr *src)
{
	enum call_side side;
	struct sb_call *c = calltab_find(cp, m->call_id, &side);

	(void)sock;
	(void)src;
	if (c == NULL || side != SIDE_A || m->cseq != c->a_msg->cseq) {
		cp->cnt.rx_stray++;
		return;
	}
	call_stop_2xx(c); /* the ACK of our 2xx: it is the dialog's */
	if (c->state == CALL_CONFIRMING) {
		c->state = CALL_UP;
		sb_info("call %u: up", c->idx);
		dlg_call_up(c); /* session timers */
	}
}

void sb_call_on_bye(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
		    const struct sb_sip_addr *src)
{
	enum call_side side;
	struct sb_call *c = calltab_find(cp, m->call_id, &side);

	if (c == NULL) {
		sb_cp_reply(cp, m, sock, src, 481, NULL, NULL);
		return;
	}
	sb_cp_reply(cp, m, sock, src, 200, NULL, NULL);
	if (c->state == CALL_GONE || side == SIDE_X) /* SIDE_X: dialog.c, xfer.c */
		return;
	sb_info("call %u: BYE from the %s", c->idx, side == SIDE_A ? "caller" : "agent");
	if (side == SIDE_A) {
		call_stop_2xx(c);
		if (c->state == CALL_UP || c->state == CALL_CONFIRMING) {
			uac_bye_agent(c);
			call_end(c, "caller", 200);
		} else {
			bool ivr_answered = c->a_final >= 200 && c->a_final < 300;

			if (c->state == CALL_ANSWERING)
				uac_bye_agent(c);
			else
				uac_cancel_agent(c);
			if (ivr_answered) /* in a queue or ringing after the IVR */
				call_end(c, "caller", 200);
			else
				call_fail(c, 487, "caller");
		}
		return;
	}
	if (c->state == CALL_UP && cons_agent_bye(c))
		return; /* completed a consultation: caller <-> target (consult.c) */
	if (c->state == CALL_UP && xfer_on_agent_bye(c))
		return; /* blind transfer: the transferor need not wait (xfer.c) */
	if (c->state == CALL_UP || c->state == CALL_CONFIRMING) {
		call_stop_2xx(c);
		uac_bye_caller(c);
		call_end(c, "agent", 200);
	} else {
		call_fail(c, 480, "agent");
	}
}

/* The transaction layer matched a CANCEL to the caller's INVITE and sent
 * its 200; 487 follows from here (or from the layer if we do not send it). */
void sb_call_on_cancel(struct sb_cp *cp, struct sb_stx *st, void *owner)
{
	struct sb_call *c = owner;

	(void)cp;
	(void)st;
	if (c->a_final || c->state == CALL_GONE)
		return; /* too late: the INVITE has its final answer */
	sb_info("call %u: CANCEL from the caller", c->idx);
	if (c->state == CALL_ANSWERING)
		uac_bye_agent(c);
	else
		uac_cancel_agent(c);
	call_fail(c, 487, "caller");
}

/* Responses that no client transaction took: a 2xx of the agent
 * retransmitted after the INVITE transaction ended (our ACK was lost). */
void sb_call_on_response(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src)
{
	enum call_side side;
	struct sb_call *c = calltab_find(cp, m->call_id, &side);

	(void)sock;
	(void)src;
	if (c == NULL || side != SIDE_B) {
		cp->cnt.rx_stray++;
		return;
	}
	uac_on_stray_response(c, m);
}
