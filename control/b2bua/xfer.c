/* SPDX-License-Identifier: MIT */
/*
 * b2bua/xfer.c — call transfer by REFER (RFC 3515) from the agent side
 * of an established call, blind and attended (see dialog.h for where it fits):
 *
 *   agent REFER (Refer-To: <sip:TARGET@..>) ─▶ 202, NOTIFY "100 Trying"
 *   TARGET = an agent's user name or a hotline number, resolved as a call
 *   would be (a registered, free agent) ─▶ INVITE to it whose SDP offers
 *   our agent-side leg (the transferee keeps its leg: no re-INVITE), the
 *   caller's codec in use only
 *   2xx ─▶ ACK; the target's dialog becomes the call's agent side, the
 *   transferor's moves to SIDE_X; LEG_MOD of the agent leg to the target
 *   (the dataplane re-anchors the caller's outgoing stream: same SSRC,
 *   continuous seq/ts, marker set) and of the caller leg when the target
 *   numbers the codec differently; NOTIFY "200 OK" (terminated); BYE to
 *   the transferor unless it sends its own within XFER_BYE_MS
 *   4xx-6xx, no answer (ring timeout or timer B) ─▶ NOTIFY with that
 *   status line (terminated); the call goes on unchanged
 *   the transferor may hang up at once after the 202 (BYE answered, the
 *   call goes on); if the transfer then fails nobody is left for the
 *   caller: BYE, CDR hangup_by agent
 *
 * Tier 2: TARGET = a hotline with `queue:` (or, when no agent or hotline
 * has that name, a queue's own name) puts the caller back into that queue
 * (to_queue): NOTIFY 200 at once, the transferor's dialog ends as above,
 * the caller hears the queue's music and the queue offers the next agent
 * as it would a new caller (queue.c cpq_transfer_to_queue: rows, waits,
 * transfer_priority).  A queue that would turn the caller away (full, or
 * nobody with join_empty false) -> NOTIFY 486/480, the call goes on.
 *
 * Attended (REFER with Refer-To: <sip:B@..?Replaces=...> naming the
 * transferor's own dialog of a consultation call it made to agent B):
 * the two calls are joined, see join().  INVITE with Replaces: matched
 * (481 / 486 early-only), otherwise refused 501 (xfer_check_replaces).
 *
 * Trust: REFER is authorised by its dialog match (Call-ID + both tags, the
 * tags being our random tokens), as re-INVITE and UPDATE are: only the
 * agent the call was given to (or whoever sees its signalling) can send
 * it.  A REFER from the caller's side is refused (403): callers do not
 * move agents around.  CDR: agent = the target, transferred_by = the
 * transferor, transfer_ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/queue.h"
#include "b2bua/dlg_parse.h"
#include "b2bua/refer_parse.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define XFER_BYE_MS 4000u

#define SIPFRAG "Content-Type: message/sipfrag;version=2.0\r\n"
#define NOTIFY_ACTIVE "Event: refer\r\nSubscription-State: active;expires=60\r\n" SIPFRAG
#define NOTIFY_DONE "Event: refer\r\nSubscription-State: terminated;reason=noresource\r\n" SIPFRAG

static uint64_t cookie_of(const struct sb_call *c, enum media_op op)
{
	return ((uint64_t)c->gen << 32) | ((uint64_t)op << 24) | c->idx;
}

static void on_notify_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			       unsigned status)
{
	struct sb_call *c = arg;

	(void)ct;
	(void)m;
	if (status >= 300) /* the subscription is the transferor's business */
		sb_info("call %u: transferor answered NOTIFY %u", c->idx, status);
}

/* Progress to the transferor in its dialog: a sipfrag status line. */
static void notify(struct sb_call *c, int side, unsigned code, bool final)
{
	char body[80];
	int n = snprintf(body, sizeof(body), "SIP/2.0 %u %s\r\n", code, sb_sip_reason(code));

	if (dlg_send_req(c, side, "NOTIFY", final ? NOTIFY_DONE : NOTIFY_ACTIVE, body,
			 (uint32_t)n, on_notify_response, NULL, NULL) < 0)
		sb_warn("call %u: cannot send NOTIFY %u to the transferor", c->idx, code);
}

static void free_agent(struct sb_call *c, int agent)
{
	if (agent >= 0 && c->cp->reg.e[agent].busy_call == c->idx)
		c->cp->reg.e[agent].busy_call = SB_CALL_NONE;
}

/* The transfer did not happen: tell the transferor, the call goes on. */
static void xfer_fail(struct sb_call *c, unsigned code)
{
	struct call_xfer *x = &c->xfer;

	sb_info("call %u: transfer to %s failed: %u", c->idx,
		x->agent >= 0 ? c->cp->cfg->agents[x->agent].user : "?", code);
	sb_timer_cancel(c->cp->loop, &x->t_bye);
	free_agent(c, x->agent);
	x->agent = -1;
	x->st = XF_NONE;
	c->cp->cnt.xfer_failed++;
	if (!x->b_gone) {
		notify(c, SIDE_B, code, true);
		return;
	}
	/* the transferor left after 202: nobody is left to talk to the caller */
	x->b_gone = false;
	c->b_bye_sent = true;
	uac_bye_caller(c);
	call_end(c, "agent", 200);
}

/* ---- requests to the target ---- */

static void host_of(const struct sb_sip_addr *a, char *out, size_t cap)
{
	const uint8_t *ip = (const uint8_t *)&a->ip;

	snprintf(out, cap, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

static void req_head(struct sb_call *c, struct sb_buf *b, const char *method, const char *ruri,
		     const char *to, uint32_t cseq)
{
	struct call_xfer *x = &c->xfer;
	char branch[40];

	sb_txl_branch(c->cp->txl, branch, sizeof(branch));
	sb_buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	sb_sip_write_via_proto(b, sb_sip_flow_proto_name(x->sock),
			       sb_sip_flow_local(&c->cp->tx, x->sock), branch);
	sb_buf_printf(b, "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
		      "CSeq: %u %s\r\nUser-Agent: switchboard\r\n", x->from, to, x->callid, cseq,
		      method);
}

/* What we offer the target: the caller's offer as relayed to the first
 * agent, narrowed to the codec the call uses (and DTMF), so that the
 * caller's side never has to change codec. */
static void target_offer(struct sb_call *c, struct sb_sdp_neg *o)
{
	/* the agent's answer: its first audio codec is the one in use (the
	 * caller leg's own map may still list every offered codec) */
	const struct sb_sdp_codec *use = c->b_neg.n_codecs ? &c->b_neg.codecs[0] : NULL;
	uint8_t n = 0;

	sb_sdp_oa_relay_offer(&c->a_neg, o);
	if (use == NULL)
		return;
	for (uint8_t i = 0; i < o->n_codecs; i++)
		if ((o->codecs[i].codec == use->codec && o->codecs[i].rate == use->rate) ||
		    o->codecs[i].codec == SB_CODEC_TEL_EVENT)
			o->codecs[n++] = o->codecs[i];
	if (n)
		o->n_codecs = n;
}

static void on_target_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			       unsigned status);

static int invite_target(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct call_xfer *x = &c->xfer;
	/* an agent's registered contact, or (agent -1) the outbound trunk */
	const struct sb_reg_entry *e = x->agent >= 0 ? &cp->reg.e[x->agent] : NULL;
	unsigned sock = e ? e->sock : SB_SIP_FLOW_MK(0, SB_SIP_PROTO_UDP, 0, 0);
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, sock);
	char mem[SB_SIP_MAX_MSG], sdp_mem[1024], tag[SB_SIP_TOKEN_LEN + 1], tok[24], host[24];
	struct sb_buf b, sdp;
	struct sb_sdp_neg offer;
	struct sb_sdp_local sl;

	host_of(local, host, sizeof(host));
	sb_rand_token(&cp->rnd, tok, 20);
	snprintf(x->callid, sizeof(x->callid), "%s@switchboard", tok);
	sb_rand_token(&cp->rnd, tag, SB_SIP_TOKEN_LEN);
	snprintf(x->from, sizeof(x->from), "<sip:%s@%s>;tag=%s", c->caller, host, tag);
	if (e) {
		snprintf(x->ruri, sizeof(x->ruri), "%s", e->contact);
		snprintf(x->to, sizeof(x->to), "<sip:%s@%s>", cp->cfg->agents[x->agent].user,
			 host);
		x->dst = e->addr;
	} else {
		if (uac_trunk_uri(cp->cfg, x->number, x->ruri, sizeof(x->ruri)) < 0)
			return -EINVAL;
		snprintf(x->to, sizeof(x->to), "<%s>", x->ruri);
		x->dst = cp->cfg->outbound.proxy;
	}
	x->sock = sock;

	/* our agent-side leg, as the first agent got it */
	target_offer(c, &offer);
	call_leg_sdp_local(c, SIDE_B, sb_rand_next(&cp->rnd) >> 20, 1, &sl);
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	sb_sdp_oa_write_offer(&sdp, &offer, &sl);

	sb_buf_init(&b, mem, sizeof(mem));
	req_head(c, &b, "INVITE", x->ruri, x->to, 1);
	sb_buf_printf(&b, "Contact: <sip:switchboard@%s:%u%s>\r\n"
		      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REFER\r\n"
		      "Referred-By: <sip:%s@%s>\r\n"
		      "Content-Type: application/sdp\r\nContent-Length: %u\r\n\r\n",
		      host, local->port,
		      SB_SIP_FLOW_PROTO(x->sock) == SB_SIP_PROTO_TCP ? ";transport=tcp" : "",
		      x->by, host, sdp.len);
	sb_buf_put(&b, sdp.p, sdp.len);
	if (!sb_buf_ok(&b) || !sb_buf_ok(&sdp))
		return -EMSGSIZE;
	sb_ctx_put(x->inv); /* an earlier attempt's, still waiting for its end */
	x->inv = sb_ctx_start(cp->txl, x->sock, &x->dst, b.p, b.len, on_target_response, c);
	if (x->inv == NULL) {
		int err = errno;

		sb_warn("call %u: cannot send INVITE to transfer target: %s", c->idx,
			strerror(err));
		return -err;
	}
	sb_info("call %u: transfer: INVITE %s at %s", c->idx,
		x->agent >= 0 ? cp->cfg->agents[x->agent].user : x->number, x->ruri);
	return 0;
}

/* ACK of the target's 2xx (CSeq 1); a copy in *keep (heap) when asked. */
static void ack_target(struct sb_call *c, const struct sb_sip_msg *m, const char *target,
		       char **keep, uint32_t *keep_len)
{
	char mem[2048], to[320];
	struct sb_buf b;

	sb_str_copy(to, sizeof(to), sb_sip_msg_hdr(m, SB_HDR_TO));
	sb_buf_init(&b, mem, sizeof(mem));
	req_head(c, &b, "ACK", target, to, m->cseq);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (!sb_buf_ok(&b))
		return;
	sb_cp_send(c->cp, c->xfer.sock, &c->xfer.dst, b.p, b.len);
	if (keep && (*keep = malloc(b.len)) != NULL) {
		memcpy(*keep, b.p, b.len);
		*keep_len = b.len;
	}
}

static void contact_of(const struct sb_sip_msg *m, char *out, size_t cap, const char *dflt)
{
	struct sb_sip_nameaddr na;

	if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(m, SB_HDR_CONTACT), &na, NULL) == 0 && !na.star &&
	    na.uri.len && na.uri.len < cap)
		sb_str_copy(out, cap, na.uri);
	else
		snprintf(out, cap, "%s", dflt);
}

/* A 2xx we cannot use (the transfer was given up, or its SDP is
 * unusable): ACK, then BYE (a transaction nobody holds). */
static void ack_and_bye(struct sb_call *c, const struct sb_sip_msg *m)
{
	char mem[2048], to[320], target[256];
	struct sb_buf b;
	struct sb_ctx *ct;

	contact_of(m, target, sizeof(target), c->xfer.ruri);
	ack_target(c, m, target, NULL, NULL);
	sb_str_copy(to, sizeof(to), sb_sip_msg_hdr(m, SB_HDR_TO));
	sb_buf_init(&b, mem, sizeof(mem));
	req_head(c, &b, "BYE", target, to, m->cseq + 1);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (!sb_buf_ok(&b))
		return;
	ct = sb_ctx_start(c->cp->txl, c->xfer.sock, &c->xfer.dst, b.p, b.len, NULL, NULL);
	sb_ctx_put(ct);
}

/* The transferor's dialog (the agent side) becomes SIDE_X, found by its
 * own Call-ID until it ends; an earlier transferor still there is hung
 * up first (one SIDE_X at a time). */
static void agent_side_to_x(struct sb_call *c)
{
	struct call_xfer *x = &c->xfer;

	sb_timer_cancel(c->cp->loop, &x->t_bye);
	if (x->x_open) {
		x->x_open = false;
		dlg_bye(c, SIDE_X);
	}
	dlg_move_to_x(c);
	calltab_unlink(c, SIDE_B);
	calltab_unlink(c, SIDE_X);
	snprintf(x->old_callid, sizeof(x->old_callid), "%s", c->b_callid);
	calltab_link(c, SIDE_X, x->old_callid, (uint32_t)strlen(x->old_callid));
	x->x_open = true;
}

/* The target answered: it becomes the call's agent side. */
static void target_answered(struct sb_call *c, struct sb_ctx *ct, const struct sb_sip_msg *m)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct call_xfer *x = &c->xfer;
	const uint32_t fl = SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT;
	struct sb_pkt *ok = pkt_copy(m);
	struct sb_sdp_neg offer, nb, ax;
	struct sb_media_sdp la, lb;
	struct sb_sdp ans;
	struct sb_sdp_fail f = { 0, NULL };
	const char *why = NULL;
	char target[256], *ack = NULL;
	uint32_t ack_len = 0;
	struct sb_dlg *da;
	int rc;

	sb_timer_cancel(cp->loop, &x->t_bye);
	if (ok == NULL) {
		ack_and_bye(c, m);
		xfer_fail(c, 500);
		return;
	}
	/* its answer against our offer, bridged to the caller's offer as the
	 * first agent's was (same codec: target_offer) */
	target_offer(c, &offer);
	rc = -ENOTSUP;
	if (sb_sdp_parse(ok->msg.body.p, sb_str_end(ok->msg.body), &ans, &why) < 0)
		f = (struct sb_sdp_fail){ 399, why };
	else if (sb_sdp_oa_match(&offer, &ans, &nb, &f) == 0) {
		if (nb.addr.family != 4)
			f = (struct sb_sdp_fail){ 301, "IPv6 media not supported by the dataplane" };
		else
			rc = sb_sdp_oa_bridge(&c->a_neg, &nb, &ax, &la, &lb, &f);
	}
	if (rc < 0) {
		sb_info("call %u: transfer target's answer unusable: %s", c->idx,
			f.text ? f.text : strerror(-rc));
		pkt_free(ok);
		ack_and_bye(c, m);
		xfer_fail(c, 488);
		return;
	}
	contact_of(m, target, sizeof(target), x->ruri);
	ack_target(c, m, target, &ack, &ack_len);

	/* the transferor's dialog steps aside (SIDE_X, its own Call-ID key) */
	agent_side_to_x(c);
	if (x->b_gone) { /* it hung up after the 202: nothing to tell it */
		x->b_gone = false;
		x->x_open = false;
	}
	/* the target's takes the agent side: the b_* fields fill dlg[SIDE_B] */
	snprintf(c->b_callid, sizeof(c->b_callid), "%s", x->callid);
	calltab_link(c, SIDE_B, c->b_callid, (uint32_t)strlen(c->b_callid));
	snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", x->ruri);
	snprintf(c->b_from, sizeof(c->b_from), "%s", x->from);
	sb_str_copy(c->b_to, sizeof(c->b_to), sb_sip_msg_hdr(m, SB_HDR_TO));
	snprintf(c->b_target, sizeof(c->b_target), "%s", target);
	c->b_sock = x->sock;
	c->b_dst = x->dst;
	c->b_cseq = 1;
	c->b_cseq_next = 2;
	pkt_free(c->b_ok);
	c->b_ok = ok;
	c->b_neg = nb;    /* slices into ok */
	c->a_ans = ax;    /* no slice into the old agent's 2xx left behind */
	free(c->b_ack);
	c->b_ack = ack;
	c->b_ack_len = ack_len;
	sb_ctx_put(c->b_inv);
	c->b_inv = ct;    /* the hold moves: 2xx retransmissions get b_ack */
	x->inv = NULL;
	c->b_final = c->b_invited = c->b_ringing_relayed = true;
	c->b_provisional = c->b_bye_sent = false;
	cpq_call_transferred(c, c->agent, x->agent); /* queue log, talk time */
	free_agent(c, c->agent);
	c->agent = x->agent; /* -1: an outside number (the trunk) */
	if (c->agent >= 0)
		cp->reg.e[c->agent].busy_call = c->idx;
	x->agent = -1;
	cp->cnt.xfer_blind++;
	x->st = XF_DONE;
	x->done_ms = sb_wall_ms();
	memcpy(x->done_by, x->by, sizeof(x->done_by));

	/* media: the agent leg to the target; the caller leg only when the
	 * target numbers the codec differently (its peer and keys stay) */
	da = dlg_get(c, SIDE_A);
	c->leg[SIDE_B].sdp = lb;
	rc = md->ops->leg_mod(md, &c->leg[SIDE_B], nb.addr.ip4, nb.port, fl, c->idx,
			      cookie_of(c, OP_MOD_B));
	if (rc == 0) {
		c->pending++;
		cp->cnt.leg_mods++;
	}
	if (rc == 0 && da && (la.n_pt != c->leg[SIDE_A].sdp.n_pt ||
			      memcmp(la.pt, c->leg[SIDE_A].sdp.pt, sizeof(la.pt)) != 0)) {
		c->leg[SIDE_A].sdp.n_pt = la.n_pt;
		memcpy(c->leg[SIDE_A].sdp.pt, la.pt, sizeof(la.pt));
		rc = md->ops->leg_mod(md, &c->leg[SIDE_A], da->peer_ip, da->peer_port, fl, c->idx,
				      cookie_of(c, OP_MOD_A));
		if (rc == 0) {
			c->pending++;
			cp->cnt.leg_mods++;
		}
	}
	if (rc < 0)
		sb_warn("call %u: transfer: cannot re-program media: %s", c->idx, strerror(-rc));
	dlg_agent_replaced(c); /* its dialog and session timer */
	sb_info("call %u: transferred by %s to %s (media to port %u)", c->idx, x->by,
		c->agent >= 0 ? cp->cfg->agents[c->agent].user : x->number, nb.port);
	if (x->x_open) {
		notify(c, SIDE_X, 200, true);
		sb_timer_arm(cp->loop, &x->t_bye, XFER_BYE_MS);
	}
}

static void on_target_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			       unsigned status)
{
	struct sb_call *c = arg;
	struct call_xfer *x = &c->xfer;

	if (ct == c->b_inv) { /* promoted: a 2xx retransmission wants its ACK */
		if (m && status >= 200 && status < 300 && c->b_ack)
			sb_cp_send(c->cp, c->b_sock, &c->b_dst, c->b_ack, c->b_ack_len);
		return;
	}
	if (ct != x->inv)
		return;
	if (m && status < 200)
		return;
	if (m && status < 300) {
		if (x->st == XF_INVITING && c->state == CALL_UP) {
			target_answered(c, ct, m);
		} else {
			/* given up meanwhile (timeout, the call ended) */
			ack_and_bye(c, m);
		}
		return;
	}
	/* final failure (the transaction ACKed a non-2xx), or no answer */
	sb_ctx_put(x->inv);
	x->inv = NULL;
	if (x->st == XF_INVITING)
		xfer_fail(c, m ? status : status == 503 ? 503 : 408);
}

static void xfer_timer(struct sb_timer *t, void *arg)
{
	struct sb_call *c = arg;
	struct call_xfer *x = &c->xfer;

	(void)t;
	if (x->st == XF_INVITING) {
		/* no answer: CANCEL (a crossing 2xx gets ACK + BYE) */
		sb_info("call %u: transfer target did not answer within %u s", c->idx,
			c->cp->cfg->ring_timeout_s);
		sb_ctx_cancel(x->inv);
		xfer_fail(c, 408);
		return;
	}
	if (x->st == XF_DONE && x->x_open) {
		sb_info("call %u: transferor did not hang up; BYE", c->idx);
		x->x_open = false;
		dlg_bye(c, SIDE_X);
	}
}

/* ---- attended transfer: join two calls ---- */

/* The codec in use in both calls (each agent's answer: its first audio
 * codec) at the same clock: we do not transcode. */
static bool same_codec(const struct sb_call *c, const struct sb_call *c2)
{
	if (c->b_neg.n_codecs == 0 || c2->b_neg.n_codecs == 0)
		return false;
	return c->b_neg.codecs[0].codec == c2->b_neg.codecs[0].codec &&
	       c->b_neg.codecs[0].rate == c2->b_neg.codecs[0].rate;
}

/* Payload-type maps of two legs about to be connected: what arrives on
 * one with its peer's number leaves the other with that peer's number
 * for the same codec and clock (identity where the other has none). */
static void remap(struct sb_media_sdp *a, struct sb_media_sdp *b)
{
	for (unsigned i = 0; i < a->n_pt; i++)
		a->pt[i].pt_out = a->pt[i].pt_in;
	for (unsigned j = 0; j < b->n_pt; j++)
		b->pt[j].pt_out = b->pt[j].pt_in;
	for (unsigned i = 0; i < a->n_pt; i++)
		for (unsigned j = 0; j < b->n_pt; j++)
			if (a->pt[i].codec == b->pt[j].codec &&
			    a->pt[i].clock_hz == b->pt[j].clock_hz) {
				a->pt[i].pt_out = b->pt[j].pt_in;
				b->pt[j].pt_out = a->pt[i].pt_in;
				break;
			}
}

/* The husk of an earlier attended transfer lingers out now (its leg was
 * deleted by a later transfer, or this call ends). */
static void release_husk(struct sb_call *c)
{
	struct sb_call *h;

	if (!c->xfer.has_husk)
		return;
	c->xfer.has_husk = false;
	h = calltab_get(c->cp, c->xfer.husk_idx, c->xfer.husk_gen);
	if (h && h->state == CALL_GONE) {
		h->xfer.has_fwd = false;
		sb_timer_arm(c->cp->loop, &h->t_linger, SB_SIP_TIMEOUT_MS);
	}
}

/* Call c: caller C <-> agent A (A sent the REFER).  Call c2: A <-> B, A
 * the caller (A's consultation).  Afterwards c is C <-> B: A's dialog of
 * c moves to SIDE_X, B's side of c2 (dialog, 2xx, leg) moves into c; C's
 * leg and B's leg are connected (re-anchoring keeps both streams
 * continuous), the two A-facing legs deleted; c2 ends (BYE to A, CDR
 * hangup_by transfer); NOTIFY 200 to A, BYE to A unless it sends its own.
 * Without a REFER (refer false: an in-call code, b2bua/consult.c) A is
 * sent no NOTIFY but its BYE at once (none when x->b_gone: it left). */
void xfer_join(struct sb_call *c, struct sb_call *c2, bool refer)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct call_xfer *x = &c->xfer;
	const uint32_t fl = SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT;
	struct sb_media_leg old_b = c->leg[SIDE_B];
	enum leg_state old_b_st = c->leg_st[SIDE_B];
	struct sb_dlg *da, *db;
	int rc, b_agent = c2->agent;

	/* A's dialog of call 1 steps aside */
	agent_side_to_x(c);

	/* B's side of call 2 becomes call 1's agent side */
	calltab_unlink(c2, SIDE_B);
	snprintf(c->b_callid, sizeof(c->b_callid), "%s", c2->b_callid);
	calltab_link(c, SIDE_B, c->b_callid, (uint32_t)strlen(c->b_callid));
	memcpy(c->b_ruri, c2->b_ruri, sizeof(c->b_ruri));
	memcpy(c->b_from, c2->b_from, sizeof(c->b_from));
	memcpy(c->b_to, c2->b_to, sizeof(c->b_to));
	memcpy(c->b_target, c2->b_target, sizeof(c->b_target));
	c->b_sock = c2->b_sock;
	c->b_dst = c2->b_dst;
	c->b_cseq = c2->b_cseq;
	c->b_cseq_next = c2->b_cseq_next;
	pkt_free(c->b_ok);
	c->b_ok = c2->b_ok; /* b_neg's slices move with it */
	c->b_neg = c2->b_neg;
	c2->b_ok = NULL;
	free(c->b_ack);
	c->b_ack = c2->b_ack;
	c->b_ack_len = c2->b_ack_len;
	c2->b_ack = NULL;
	sb_ctx_put(c->b_inv); /* c2's stays with c2: its callbacks name c2 */
	c->b_inv = NULL;
	c->b_final = c->b_invited = c->b_ringing_relayed = true;
	c->b_provisional = c->b_bye_sent = false;
	c2->b_bye_sent = true;
	dlg_take_b(c, c2);

	/* media: C's leg to B's leg; the A-facing legs go */
	c->leg[SIDE_B] = c2->leg[SIDE_B];
	c->leg_st[SIDE_B] = LEG_ADDED;
	c2->leg[SIDE_B].idx = UINT32_MAX;
	c2->leg_st[SIDE_B] = LEG_NONE;
	remap(&c->leg[SIDE_A].sdp, &c->leg[SIDE_B].sdp);
	da = dlg_get(c, SIDE_A);
	db = dlg_get(c, SIDE_B);
	rc = md->ops->leg_mod(md, &c->leg[SIDE_A], da ? da->peer_ip : 0, da ? da->peer_port : 0,
			      fl, c->idx, cookie_of(c, OP_MOD_A));
	if (rc == 0) {
		c->pending++;
		rc = md->ops->leg_mod(md, &c->leg[SIDE_B], db ? db->peer_ip : 0,
				      db ? db->peer_port : 0, fl, c->idx, cookie_of(c, OP_MOD_B));
	}
	if (rc == 0) {
		c->pending++;
		cp->cnt.leg_mods += 2;
		/* same worker ring: MODs before CONNECT; CONNECT drops the old pairs */
		rc = md->ops->connect(md, &c->leg[SIDE_A], &c->leg[SIDE_B],
				      cookie_of(c, OP_CONNECT));
	}
	if (rc == 0)
		c->pending++;
	else
		sb_warn("call %u: attended transfer: cannot re-program media: %s", c->idx,
			strerror(-rc));
	call_rec_agent_changed(c); /* the new agent leg into the same file (callrec.c) */
	if (old_b_st == LEG_ADDED) {
		if (md->ops->leg_del(md, &old_b, cookie_of(c, OP_DEL)) == 0)
			c->pending++;
	} else if (old_b_st == LEG_ALLOCATED) {
		md->ops->leg_free(md, &old_b);
	}

	/* people: A is done with both calls, B is on call 1 */
	cpq_call_transferred(c, c->agent, b_agent); /* queue log, talk time */
	free_agent(c, c->agent);
	c->agent = b_agent;
	x->st = XF_DONE;
	x->done_ms = sb_wall_ms();
	memcpy(x->done_by, x->by, sizeof(x->done_by));
	sb_info("call %u: attended transfer by %s to %s (call %u joined)", c->idx, x->by,
		b_agent >= 0 ? cp->cfg->agents[b_agent].user : "?", c2->idx);
	call_stop_2xx(c2);
	uac_bye_caller(c2); /* A's consultation dialog */
	call_end(c2, "transfer", 200);
	/* c2 stays (not lingering) while c lives: B's leg's media events
	 * still carry c2's cookie (sb_call_media_event forwards them) */
	release_husk(c);
	sb_timer_cancel(cp->loop, &c2->t_linger);
	c2->xfer.has_fwd = true;
	c2->xfer.fwd_idx = c->idx;
	c2->xfer.fwd_gen = c->gen;
	c->xfer.has_husk = true;
	c->xfer.husk_idx = c2->idx;
	c->xfer.husk_gen = c2->gen;
	if (b_agent >= 0)
		cp->reg.e[b_agent].busy_call = c->idx;
	if (!refer) {
		if (x->b_gone) /* its BYE made the transfer: nothing to end */
			x->x_open = false;
		x->b_gone = false;
		if (x->x_open) {
			x->x_open = false;
			dlg_bye(c, SIDE_X);
		}
		return;
	}
	notify(c, SIDE_X, 200, true);
	sb_timer_arm(cp->loop, &x->t_bye, XFER_BYE_MS);
}

/* REFER whose Refer-To carries ?Replaces= (still %-escaped): it must name
 * A's dialog of a consultation call A made (A = this call's agent).
 * Anything else -> NOTIFY 481; a call we cannot join now -> 491; legs on
 * different dataplane workers -> 503; different codecs -> 488 (we do not
 * transcode).  The original call goes on unchanged in every such case. */
static void attended(struct sb_call *c, struct sb_stx *st, struct sb_str esc)
{
	struct sb_cp *cp = c->cp;
	char un[512];
	struct sb_replaces rp;
	const char *why = "Bad escape in Replaces";
	struct sb_call *c2;
	int n = sb_uri_unescape(esc, un, sizeof(un)), s2 = -1;
	unsigned code = 0;

	if (n < 0 || sb_replaces_parse(sb_str_mk(un, un + n), &rp, &why) < 0) {
		sb_info("call %u: bad Replaces in Refer-To: %s", c->idx, why);
		sb_stx_reply(st, 400, why, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	sb_stx_reply(st, 202, NULL, NULL, NULL, SB_STR_EMPTY);
	c->cp->cnt.refers++;
	notify(c, SIDE_B, 100, false);
	c2 = sb_dlg_find(cp, rp.call_id, rp.to_tag, rp.from_tag, &s2);
	if (c2 == NULL || c2 == c || s2 != SIDE_A || c2->caller_agent < 0 ||
	    c2->caller_agent != c->agent)
		code = 481; /* not a dialog of this agent's that we could join */
	else if (c2->state != CALL_UP || c2->relay.active || c2->xfer.st == XF_INVITING ||
		 c2->leg_st[SIDE_B] != LEG_ADDED || c->leg_st[SIDE_A] != LEG_ADDED)
		code = 491;
	else if (c2->leg[SIDE_B].worker != c->leg[SIDE_A].worker)
		code = 503;
	else if (!same_codec(c, c2))
		code = 488;
	sb_info("call %u: REFER with Replaces from %s: call %d%s", c->idx, c->xfer.by,
		c2 ? (int)c2->idx : -1, code ? " cannot be joined" : "");
	if (code) {
		cp->cnt.xfer_failed++;
		notify(c, SIDE_B, code, true);
		return;
	}
	cp->cnt.xfer_attended++;
	xfer_join(c, c2, true);
}

/* ---- INVITE with Replaces (RFC 3891) ---- */

bool xfer_check_replaces(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			 const struct sb_sip_addr *src)
{
	struct sb_str v = sb_dlg_hdr_named(m, "Replaces", NULL);
	struct sb_replaces rp;
	const char *why = NULL;
	struct sb_call *c;
	int side = -1;

	if (v.len == 0)
		return false;
	if (sb_replaces_parse(v, &rp, &why) < 0) {
		sb_cp_reply(cp, m, sock, src, 400, why, NULL);
		return true;
	}
	c = sb_dlg_find(cp, rp.call_id, rp.to_tag, rp.from_tag, &side);
	if (c == NULL || side == SIDE_X) {
		sb_info("sip: INVITE with Replaces naming no dialog of ours: 481");
		sb_cp_reply(cp, m, sock, src, 481, NULL, NULL);
		return true;
	}
	if (rp.early_only && (c->state == CALL_UP || c->state == CALL_CONFIRMING)) {
		sb_cp_reply(cp, m, sock, src, 486, NULL, NULL); /* section 3, early-only */
		return true;
	}
	/* the new UA would be a UAC on the side it replaces: the call object
	 * has one UAS side (the caller's) and one UAC side (the agent's) */
	sb_info("call %u: INVITE with Replaces for its %s dialog: not supported", c->idx,
		side == SIDE_A ? "caller's" : "agent's");
	sb_cp_reply(cp, m, sock, src, 501, "Replacing a call party not supported", NULL);
	return true;
}

/* ---- REFER ---- */

/* Blind transfer to queue qi (tier 2): the caller goes back to waiting,
 * in qi, while the transferor's dialog ends as after any blind transfer
 * (NOTIFY 200, BYE unless it sends its own).  The caller's codec in use
 * is all the next agent is offered (as target_offer).  The agent leg
 * loses its peer (the transferor's media stops reaching the caller) and
 * keeps its port: the next agent's answer re-programs it as a first
 * answer does (call_agent_answered; the caller has its 200 already, as
 * after the IVR).  A queue that would refuse it (full, nobody with
 * join_empty false) -> NOTIFY 486/480, the call goes on unchanged. */
static void to_queue(struct sb_call *c, int qi)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct call_xfer *x = &c->xfer;
	const struct sb_sdp_codec *use = c->a_ans.n_codecs ? &c->a_ans.codecs[0] : NULL;
	unsigned code = cpq_transfer_check(c, qi);
	int from = c->agent;
	uint8_t n = 0;

	if (code == 0 && (c->leg_st[SIDE_A] != LEG_ADDED || c->leg_st[SIDE_B] != LEG_ADDED ||
			  c->cons.role != CONS_NONE || c->sup.role != SUP_NONE))
		code = 491; /* consulting, supervised, or its media half gone */
	if (code) {
		cp->cnt.xfer_failed++;
		notify(c, SIDE_B, code, true);
		return;
	}
	/* the caller keeps the codec it was answered with */
	for (uint8_t i = 0; use && i < c->a_neg.n_codecs; i++)
		if ((c->a_neg.codecs[i].codec == use->codec && c->a_neg.codecs[i].rate == use->rate) ||
		    c->a_neg.codecs[i].codec == SB_CODEC_TEL_EVENT)
			c->a_neg.codecs[n++] = c->a_neg.codecs[i];
	if (n)
		c->a_neg.n_codecs = n;
	agent_side_to_x(c);
	if (md->ops->leg_mod(md, &c->leg[SIDE_B], 0, 0, 0, c->idx, cookie_of(c, OP_MOD_B)) == 0) {
		c->pending++;
		cp->cnt.leg_mods++;
	}
	cp->cnt.xfer_blind++;
	x->st = XF_DONE;
	x->done_ms = sb_wall_ms();
	memcpy(x->done_by, x->by, sizeof(x->done_by));
	notify(c, SIDE_X, 200, true);
	sb_timer_arm(cp->loop, &x->t_bye, XFER_BYE_MS);
	cpq_transfer_to_queue(c, qi, from); /* music, the engine offers the next agent */
}

void xfer_on_refer(struct sb_call *c, struct sb_stx *st, const struct sb_sip_msg *m, int side)
{
	struct sb_cp *cp = c->cp;
	const struct sb_config *cfg = cp->cfg;
	struct call_xfer *x = &c->xfer;
	struct sb_str v = sb_dlg_hdr_named(m, "Refer-To", "r");
	struct sb_refer_to rt;
	const char *why = NULL;
	int ag, hl, pick, qn;

	if (c->state == CALL_GONE) { /* a late REFER of an ended call */
		sb_stx_reply(st, 481, NULL, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (side != SIDE_B) {
		sb_info("call %u: REFER from the caller refused", c->idx);
		sb_stx_reply(st, 403, "Only agents transfer calls", NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (v.len == 0) {
		sb_stx_reply(st, 400, "Missing Refer-To", NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (sb_refer_to_parse(v, &rt, &why) < 0) {
		sb_info("call %u: bad Refer-To: %s", c->idx, why);
		sb_stx_reply(st, 400, why, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (c->state != CALL_UP || x->st == XF_INVITING || c->relay.active) {
		sb_stx_reply(st, 491, NULL, "Retry-After: 1\r\n", NULL, SB_STR_EMPTY);
		return;
	}
	if (x->t_bye.cb == NULL)
		sb_timer_init(&x->t_bye, xfer_timer, c);
	x->from_agent = c->agent;
	snprintf(x->by, sizeof(x->by), "%s", c->agent >= 0 ? cfg->agents[c->agent].user : "");
	if (rt.replaces.len) {
		attended(c, st, rt.replaces);
		return;
	}
	sb_stx_reply(st, 202, NULL, NULL, NULL, SB_STR_EMPTY);
	c->cp->cnt.refers++;
	notify(c, SIDE_B, 100, false);
	ag = rt.user.len ? sb_config_agent_find(cfg, rt.user.p, rt.user.len) : -1;
	hl = ag < 0 && rt.user.len ? sb_config_hotline_find(cfg, rt.user.p, rt.user.len) : -1;
	sb_info("call %u: REFER from %s to " SB_STR_FMT, c->idx, x->by, SB_STR_ARG(rt.user));
	/* tier 2: a hotline with `queue:`, else a queue's own name */
	qn = ag < 0 && hl >= 0 ? cfg->hotlines[hl].queue : -1;
	if (ag < 0 && hl < 0 && rt.user.len)
		qn = sb_config_queue_find(cfg, rt.user.p, rt.user.len);
	if (qn >= 0) {
		to_queue(c, qn);
		return;
	}
	if (ag < 0 && hl < 0 && rt.user.len && rt.user.len < sizeof(x->number) &&
	    cfg->outbound.on) { /* neither agent nor hotline: outside, through the trunk */
		char ruri[256];

		sb_str_copy(x->number, sizeof(x->number), rt.user);
		if (uac_trunk_uri(cfg, x->number, ruri, sizeof(ruri)) == 0) {
			x->agent = -1;
			x->st = XF_INVITING;
			if (invite_target(c) < 0) {
				xfer_fail(c, 500);
				return;
			}
			sb_timer_arm(cp->loop, &x->t_bye, (uint64_t)cfg->ring_timeout_s * 1000u);
			return;
		}
	}
	if (ag < 0 && hl < 0) {
		cp->cnt.xfer_failed++;
		notify(c, SIDE_B, 404, true);
		return;
	}
	if (ag >= 0) {
		struct sb_cfg_hotline one;

		memset(&one, 0, sizeof(one));
		one.n_agents = 1;
		one.agents[0] = (uint16_t)ag;
		pick = sb_registrar_pick(cp, &one);
	} else {
		pick = sb_registrar_pick(cp, &cfg->hotlines[hl]);
	}
	if (pick < 0) { /* not registered, or on a call (the transferor is) */
		cp->cnt.xfer_failed++;
		notify(c, SIDE_B, ag == c->agent ? 482 : 480, true);
		return;
	}
	x->agent = pick;
	cp->reg.e[pick].busy_call = c->idx;
	x->st = XF_INVITING;
	if (invite_target(c) < 0) {
		xfer_fail(c, 500);
		return;
	}
	sb_timer_arm(cp->loop, &x->t_bye, (uint64_t)cfg->ring_timeout_s * 1000u);
}

void xfer_on_old_request(struct sb_call *c, struct sb_stx *st, const struct sb_sip_msg *m)
{
	struct call_xfer *x = &c->xfer;

	switch (m->method) {
	case SB_SIP_BYE:
		sb_stx_reply(st, 200, NULL, NULL, NULL, SB_STR_EMPTY);
		if (x->x_open)
			sb_info("call %u: transferor hung up", c->idx);
		x->x_open = false;
		break;
	case SB_SIP_OPTIONS:
		sb_stx_reply(st, 200, NULL, NULL, NULL, SB_STR_EMPTY);
		break;
	default: /* the call has left this dialog */
		sb_stx_reply(st, 481, "Transferred", NULL, NULL, SB_STR_EMPTY);
		break;
	}
}

bool xfer_on_agent_bye(struct sb_call *c)
{
	struct call_xfer *x = &c->xfer;

	if (x->st != XF_INVITING)
		return false;
	sb_info("call %u: transferor hung up before the target answered", c->idx);
	x->b_gone = true;
	return true;
}

void xfer_call_end(struct sb_call *c)
{
	struct call_xfer *x = &c->xfer;

	sb_timer_cancel(c->cp->loop, &x->t_bye);
	release_husk(c);
	x->b_gone = false;
	if (x->st == XF_INVITING) {
		/* the target may still answer: its 2xx gets ACK + BYE */
		sb_ctx_cancel(x->inv);
		free_agent(c, x->agent);
		x->agent = -1;
		x->st = XF_NONE;
	}
	if (x->x_open) {
		x->x_open = false;
		dlg_bye(c, SIDE_X);
	}
}

void xfer_free(struct sb_call *c)
{
	struct call_xfer *x = &c->xfer;

	if (x->has_fwd) { /* shutdown: the call it forwards to goes too */
		struct sb_call *to = calltab_get(c->cp, x->fwd_idx, x->fwd_gen);

		if (to)
			to->xfer.has_husk = false;
	}
	if (x->has_husk) {
		struct sb_call *h = calltab_get(c->cp, x->husk_idx, x->husk_gen);

		if (h)
			h->xfer.has_fwd = false;
	}

	sb_timer_cancel(c->cp->loop, &x->t_bye);
	sb_ctx_put(x->inv);
	x->inv = NULL;
	free_agent(c, x->agent);
}
