/* SPDX-License-Identifier: MIT */
/*
 * b2bua/uac.c — what switchboard sends as a client: the INVITE to the agent
 * (retransmitted until a response, timer A), ACK, CANCEL and BYE; and the
 * agent's responses.  Also the generic retransmitter used for both sides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

/* ---- retransmissions ---- */

static void rtx_fire(struct sb_timer *t, void *arg)
{
	struct sb_rtx *r = arg;
	struct sb_call *c = r->call;

	(void)t;
	if (sb_mono_ms() >= r->give_up_ms) {
		r->active = false;
		if (r->on_give_up)
			r->on_give_up(c); /* may end or destroy nothing: c stays valid */
		return;
	}
	sb_cp_send(c->cp, r->sock, &r->dst, r->buf, r->len);
	r->interval_ms *= 2;
	if (r->interval_ms > r->cap_ms)
		r->interval_ms = r->cap_ms;
	sb_timer_arm(c->cp->loop, &r->t, r->interval_ms);
}

void rtx_init(struct sb_call *c, struct sb_rtx *r)
{
	memset(r, 0, sizeof(*r));
	r->call = c;
	sb_timer_init(&r->t, rtx_fire, r);
}

void rtx_start(struct sb_call *c, struct sb_rtx *r, unsigned sock,
	       const struct sb_sip_addr *dst, const char *buf, uint32_t len, uint32_t cap_ms,
	       void (*on_give_up)(struct sb_call *c))
{
	char *copy = malloc(len);

	sb_cp_send(c->cp, sock, dst, buf, len);
	rtx_stop(c, r);
	free(r->buf);
	r->buf = copy;
	r->len = copy ? len : 0;
	if (copy == NULL)
		return;
	memcpy(copy, buf, len);
	r->sock = sock;
	r->dst = *dst;
	r->interval_ms = SB_SIP_T1_MS;
	r->cap_ms = cap_ms;
	r->give_up_ms = sb_mono_ms() + SB_SIP_TIMEOUT_MS;
	r->on_give_up = on_give_up;
	r->active = true;
	sb_timer_arm(c->cp->loop, &r->t, r->interval_ms);
}

void rtx_stop(struct sb_call *c, struct sb_rtx *r)
{
	sb_timer_cancel(c->cp->loop, &r->t);
	r->active = false;
}

void rtx_free(struct sb_call *c, struct sb_rtx *r)
{
	rtx_stop(c, r);
	free(r->buf);
	r->buf = NULL;
	r->len = 0;
}

/* ---- building requests ---- */

static void write_req_head(struct sb_buf *b, struct sb_call *c, const char *method,
			   const char *ruri, unsigned sock, const char *branch, const char *from,
			   const char *to, const char *callid, uint32_t cseq)
{
	sb_buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	sb_sip_write_via(b, &c->cp->tx.socks[sock].local, branch);
	sb_buf_printf(b, "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
		      "CSeq: %u %s\r\nUser-Agent: switchboard\r\n",
		      from, to, callid, cseq, method);
}

static void new_branch(struct sb_call *c, char *out, size_t cap)
{
	char tok[SB_SIP_TOKEN_LEN + 1];

	sb_rand_token(&c->cp->rnd, tok, SB_SIP_TOKEN_LEN);
	snprintf(out, cap, SB_SIP_BRANCH_MAGIC "%s", tok);
}

static void inv_give_up(struct sb_call *c)
{
	/* timer B: no response at all from the agent */
	if (c->state == CALL_RINGING) {
		sb_info("call %u: agent did not respond to INVITE", c->idx);
		call_fail(c, 480, "timeout");
	}
}

int uac_invite_agent(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct sb_reg_entry *e = &cp->reg.e[c->agent];
	const struct sb_sip_addr *local = &cp->tx.socks[e->sock].local;
	char mem[SB_SIP_MAX_MSG], sdp_mem[1024], tag[SB_SIP_TOKEN_LEN + 1], host[24], tok[24];
	struct sb_buf b, sdp;
	const uint8_t *ip = (const uint8_t *)&local->ip;

	snprintf(host, sizeof(host), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	sb_rand_token(&cp->rnd, tok, 20);
	snprintf(c->b_callid, sizeof(c->b_callid), "%s@switchboard", tok);
	sb_rand_token(&cp->rnd, tag, SB_SIP_TOKEN_LEN);
	new_branch(c, c->b_branch, sizeof(c->b_branch));
	snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", e->contact);
	snprintf(c->b_from, sizeof(c->b_from), "<sip:%s@%s>;tag=%s", c->caller, host, tag);
	snprintf(c->b_to, sizeof(c->b_to), "<sip:%s@%s>", cp->cfg->agents[c->agent].user, host);
	c->b_sock = e->sock;
	c->b_dst = e->addr;
	c->b_cseq = 1;
	c->b_cseq_next = 2;
	calltab_link(c, SIDE_B, c->b_callid, (uint32_t)strlen(c->b_callid));

	/* offer the caller's codecs on our agent-side leg */
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	sb_sdp_write(&sdp, &c->a_sdp, cp->media->ops->media_ip(cp->media), c->leg[SIDE_B].port,
		     sb_rand_next(&cp->rnd) >> 20, 1);

	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "INVITE", c->b_ruri, c->b_sock, c->b_branch, c->b_from, c->b_to,
		       c->b_callid, c->b_cseq);
	sb_buf_printf(&b, "Contact: <sip:switchboard@%s:%u>\r\n"
		      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
		      "Content-Type: application/sdp\r\nContent-Length: %u\r\n\r\n",
		      host, local->port, sdp.len);
	sb_buf_put(&b, sdp.p, sdp.len);
	if (!sb_buf_ok(&b) || !sb_buf_ok(&sdp))
		return -1;
	c->b_invited = true;
	/* timer A doubles without the T2 cap */
	rtx_start(c, &c->b_inv, c->b_sock, &c->b_dst, b.p, b.len, SB_SIP_TIMEOUT_MS, inv_give_up);
	sb_info("call %u: INVITE agent %s at %s", c->idx, cp->cfg->agents[c->agent].user,
		c->b_ruri);
	return 0;
}

void uac_cancel_agent(struct sb_call *c)
{
	char mem[2048];
	struct sb_buf b;

	if (!c->b_invited || c->b_final)
		return;
	rtx_stop(c, &c->b_inv);
	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "CANCEL", c->b_ruri, c->b_sock, c->b_branch, c->b_from, c->b_to,
		       c->b_callid, c->b_cseq);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (sb_buf_ok(&b))
		rtx_start(c, &c->b_req, c->b_sock, &c->b_dst, b.p, b.len, SB_SIP_T2_MS, NULL);
}

void uac_bye_agent(struct sb_call *c)
{
	char mem[2048], branch[40];
	struct sb_buf b;

	if (c->b_bye_sent || !c->b_final || c->b_ok == NULL)
		return;
	c->b_bye_sent = true;
	new_branch(c, branch, sizeof(branch));
	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "BYE", c->b_target, c->b_sock, branch, c->b_from, c->b_to,
		       c->b_callid, c->b_cseq_next++);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (sb_buf_ok(&b))
		rtx_start(c, &c->b_req, c->b_sock, &c->b_dst, b.p, b.len, SB_SIP_T2_MS, NULL);
}

void uac_bye_caller(struct sb_call *c)
{
	const struct sb_sip_msg *inv = &c->a_inv->msg;
	char mem[4096], branch[40], from[400], to[400], callid[256];
	struct sb_buf b;

	new_branch(c, branch, sizeof(branch));
	/* we are the callee of the caller's dialog: From = its To + our tag */
	struct sb_str f = sb_sip_msg_hdr(inv, SB_HDR_FROM), t = sb_sip_msg_hdr(inv, SB_HDR_TO);
	snprintf(from, sizeof(from), SB_STR_FMT ";tag=%s", SB_STR_ARG(t), c->a_tag);
	sb_str_copy(to, sizeof(to), f);
	sb_str_copy(callid, sizeof(callid), inv->call_id);
	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "BYE", c->a_target, c->a_sock, branch, from, to, callid, ++c->a_cseq);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (sb_buf_ok(&b))
		rtx_start(c, &c->a_req, c->a_sock, &c->a_target_addr, b.p, b.len, SB_SIP_T2_MS, NULL);
}

/* ---- the agent's responses ---- */

static void send_ack(struct sb_call *c, const struct sb_sip_msg *m, bool is_2xx)
{
	char mem[2048], branch[40], to[320];
	struct sb_buf b;

	sb_str_copy(to, sizeof(to), sb_sip_msg_hdr(m, SB_HDR_TO));
	sb_buf_init(&b, mem, sizeof(mem));
	if (is_2xx) {
		/* end-to-end ACK: new transaction, to the remote target */
		new_branch(c, branch, sizeof(branch));
		write_req_head(&b, c, "ACK", c->b_target, c->b_sock, branch, c->b_from, to,
			       c->b_callid, c->b_cseq);
	} else {
		/* hop-by-hop ACK of a non-2xx: same branch as the INVITE */
		write_req_head(&b, c, "ACK", c->b_ruri, c->b_sock, c->b_branch, c->b_from, to,
			       c->b_callid, c->b_cseq);
	}
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (!sb_buf_ok(&b))
		return;
	sb_cp_send(c->cp, c->b_sock, &c->b_dst, b.p, b.len);
	if (is_2xx) {
		free(c->b_ack);
		c->b_ack = malloc(b.len);
		if (c->b_ack) {
			memcpy(c->b_ack, b.p, b.len);
			c->b_ack_len = b.len;
		}
	}
}

static void on_invite_2xx(struct sb_call *c, const struct sb_sip_msg *m)
{
	struct sb_sip_nameaddr na;
	const char *why = NULL;

	if (c->b_final) {
		/* retransmitted 2xx: our ACK got lost */
		if (c->b_ack)
			sb_cp_send(c->cp, c->b_sock, &c->b_dst, c->b_ack, c->b_ack_len);
		return;
	}
	c->b_final = true;
	c->b_ok = pkt_copy(m);
	sb_str_copy(c->b_to, sizeof(c->b_to), sb_sip_msg_hdr(m, SB_HDR_TO));
	if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(m, SB_HDR_CONTACT), &na, NULL) == 0 &&
	    !na.star && na.uri.len < sizeof(c->b_target))
		sb_str_copy(c->b_target, sizeof(c->b_target), na.uri);
	else
		snprintf(c->b_target, sizeof(c->b_target), "%s", c->b_ruri);
	send_ack(c, m, true);

	if (c->state != CALL_RINGING || c->b_ok == NULL) {
		/* answered after we gave up (CANCEL crossed the 200): hang it up */
		sb_info("call %u: agent answered after the call ended; BYE", c->idx);
		uac_bye_agent(c);
		return;
	}
	if (sb_sdp_parse(c->b_ok->msg.body.p, sb_str_end(c->b_ok->msg.body), &c->b_sdp, &why) < 0) {
		sb_warn("call %u: agent's answer has no usable SDP: %s", c->idx, why);
		uac_bye_agent(c);
		call_fail(c, 488, "agent");
		return;
	}
	call_agent_answered(c);
}

void uac_on_agent_response(struct sb_call *c, const struct sb_sip_msg *m)
{
	if (m->cseq_method != SB_SIP_INVITE) {
		/* CANCEL or BYE: any final response ends its retransmissions */
		if (m->status >= 200)
			rtx_stop(c, &c->b_req);
		return;
	}
	if (m->cseq != c->b_cseq)
		return;
	rtx_stop(c, &c->b_inv); /* any response stops timer A */
	if (m->status < 200) {
		c->b_provisional = true;
		if ((m->status == 180 || m->status == 183) && c->state == CALL_RINGING &&
		    !c->b_ringing_relayed) {
			c->b_ringing_relayed = true;
			call_relay_ringing(c);
		}
		return;
	}
	if (m->status < 300) {
		on_invite_2xx(c, m);
		return;
	}
	/* 3xx-6xx: ACK it (retransmissions too), then fail the caller */
	send_ack(c, m, false);
	if (c->b_final)
		return;
	c->b_final = true;
	rtx_stop(c, &c->b_req); /* a CANCEL is answered by this too */
	if (c->state == CALL_RINGING) {
		sb_info("call %u: agent answered %u", c->idx, m->status);
		call_fail(c, 480, "agent");
	}
}
