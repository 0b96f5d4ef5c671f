/* SPDX-License-Identifier: MIT */
/*
 * b2bua/uac.c — what switchboard sends as a client: the INVITE to the agent
 * in a client transaction (timers A/B, CANCEL and the ACK of a non-2xx are
 * the transaction's: sip/txn.h), the ACK of its 2xx, and BYE either way
 * (transactions nobody holds: they retransmit and time out by themselves);
 * and the agent's responses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/dlg_parse.h"
#include "b2bua/queue.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

/* ---- building requests ---- */

static void write_req_head(struct sb_buf *b, struct sb_call *c, const char *method,
			   const char *ruri, unsigned sock, const char *branch, const char *from,
			   const char *to, const char *callid, uint32_t cseq)
{
	/* the INVITE we relay carries the caller's Max-Forwards minus one
	 * (checked to be > 0 by dialog.c) */
	int mf = strcmp(method, "INVITE") == 0 && c->a_msg ? sb_dlg_max_forwards(c->a_msg) - 1 : 70;

	sb_buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	sb_sip_write_via_proto(b, sb_sip_flow_proto_name(sock), sb_sip_flow_local(&c->cp->tx, sock),
			       branch);
	sb_buf_printf(b, "Max-Forwards: %d\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
		      "CSeq: %u %s\r\nUser-Agent: switchboard\r\n",
		      mf > 0 ? mf : 70, from, to, callid, cseq, method);
}

static void new_branch(struct sb_call *c, char *out, size_t cap)
{
	sb_txl_branch(c->cp->txl, out, cap);
}

/* ";transport=tcp" for Contact URIs on stream flows */
static const char *transport_param(unsigned flow)
{
	switch (SB_SIP_FLOW_PROTO(flow)) {
	case SB_SIP_PROTO_TCP: return ";transport=tcp";
	case SB_SIP_PROTO_TLS: return ";transport=tls";
	default:               return "";
	}
}

static void on_invite_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			       unsigned status);

int uac_invite_agent(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	struct sb_reg_entry *e = &cp->reg.e[c->agent];
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, e->sock);
	char mem[SB_SIP_MAX_MSG], sdp_mem[1024], tag[SB_SIP_TOKEN_LEN + 1], host[24], tok[24];
	char branch[40];
	struct sb_buf b, sdp;
	struct sb_sdp_neg offer;
	struct sb_sdp_local sl;
	const uint8_t *ip = (const uint8_t *)&local->ip;
	char st_hdrs[160];

	snprintf(host, sizeof(host), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	new_branch(c, branch, sizeof(branch));
	if (c->b_callid[0] == '\0') {
		sb_rand_token(&cp->rnd, tok, 20);
		snprintf(c->b_callid, sizeof(c->b_callid), "%s@switchboard", tok);
		sb_rand_token(&cp->rnd, tag, SB_SIP_TOKEN_LEN);
		snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", e->contact);
		snprintf(c->b_from, sizeof(c->b_from), "<sip:%s@%s>;tag=%s", c->caller, host, tag);
		snprintf(c->b_to, sizeof(c->b_to), "<sip:%s@%s>", cp->cfg->agents[c->agent].user,
			 host);
		c->b_sock = e->sock;
		c->b_dst = e->addr;
		c->b_cseq = 1;
		c->b_cseq_next = 2;
		calltab_link(c, SIDE_B, c->b_callid, (uint32_t)strlen(c->b_callid));
	} else {
		/* sent again after a 422 (dialog.c): same Call-ID and tag, next CSeq */
		c->b_cseq = c->b_cseq_next++;
	}

	/* offer what we can carry of the caller's offer on our agent-side leg
	 * (its codecs and numbers, direction, ptime, rtcp-mux; plain RTP) */
	sb_sdp_oa_relay_offer(&c->a_neg, &offer);
	call_agent_offer(c, &offer); /* + our codecs, our key (callmedia.c) */
	call_leg_sdp_local(c, SIDE_B, sb_rand_next(&cp->rnd) >> 20, 1, &sl);
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	sb_sdp_oa_write_offer(&sdp, &offer, &sl);

	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "INVITE", c->b_ruri, c->b_sock, branch, c->b_from, c->b_to,
		       c->b_callid, c->b_cseq);
	dlg_invite_st_hdrs(c, st_hdrs, sizeof(st_hdrs)); /* session timer (dialog.c) */
	sb_buf_printf(&b, "Contact: <sip:switchboard@%s:%u%s>\r\n"
		      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\n%s"
		      "Content-Type: application/sdp\r\nContent-Length: %u\r\n\r\n",
		      host, local->port, transport_param(c->b_sock), st_hdrs, sdp.len);
	sb_buf_put(&b, sdp.p, sdp.len);
	if (!sb_buf_ok(&b) || !sb_buf_ok(&sdp))
		return -1;
	c->b_inv = sb_ctx_start(cp->txl, c->b_sock, &c->b_dst, b.p, b.len, on_invite_response, c);
	if (c->b_inv == NULL) {
		sb_warn("call %u: cannot send INVITE to agent: %s", c->idx, strerror(errno));
		return -1;
	}
	c->b_invited = true;
	sb_info("call %u: INVITE agent %s at %s", c->idx, cp->cfg->agents[c->agent].user,
		c->b_ruri);
	return 0;
}

void uac_cancel_agent(struct sb_call *c)
{
	/* sent once the agent has answered provisionally (RFC 3261 §9.1) */
	if (c->b_inv && !c->b_final)
		sb_ctx_cancel(c->b_inv);
}

void uac_bye_agent(struct sb_call *c)
{
	if (c->b_bye_sent || !c->b_final || c->b_ok == NULL)
		return;
	c->b_bye_sent = true;
	/* in the agent's dialog: its CSeq, route set, remote target */
	dlg_bye(c, SIDE_B);
}

void uac_bye_caller(struct sb_call *c)
{
	/* we are the callee of the caller's dialog (dialog.c) */
	dlg_bye(c, SIDE_A);
}

/* ---- the agent's responses ---- */

/* The ACK of the agent's 2xx: its own transaction (no response), to the
 * remote target; kept to answer retransmissions of the 2xx. */
static void send_ack_2xx(struct sb_call *c, const struct sb_sip_msg *m)
{
	char mem[2048], branch[40], to[320];
	struct sb_buf b;

	sb_str_copy(to, sizeof(to), sb_sip_msg_hdr(m, SB_HDR_TO));
	sb_buf_init(&b, mem, sizeof(mem));
	new_branch(c, branch, sizeof(branch));
	write_req_head(&b, c, "ACK", c->b_target, c->b_sock, branch, c->b_from, to, c->b_callid,
		       c->b_cseq);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (!sb_buf_ok(&b))
		return;
	sb_cp_send(c->cp, c->b_sock, &c->b_dst, b.p, b.len);
	free(c->b_ack);
	c->b_ack = malloc(b.len);
	if (c->b_ack) {
		memcpy(c->b_ack, b.p, b.len);
		c->b_ack_len = b.len;
	}
}

static void on_invite_2xx(struct sb_call *c, const struct sb_sip_msg *m)
{
	struct sb_sip_nameaddr na;
	struct sb_sdp ans;
	struct sb_sdp_neg offer;
	struct sb_sdp_fail f = { 0, NULL };
	bool ok = false;
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
	send_ack_2xx(c, m);

	if (c->state != CALL_RINGING || c->b_ok == NULL) {
		/* answered after we gave up (CANCEL crossed the 200): hang it up */
		sb_info("call %u: agent answered after the call ended; BYE", c->idx);
		uac_bye_agent(c);
		return;
	}
	/* the agent's answer against what we offered it (uac_invite_agent) */
	sb_sdp_oa_relay_offer(&c->a_neg, &offer);
	call_agent_offer(c, &offer);
	if (sb_sdp_parse(c->b_ok->msg.body.p, sb_str_end(c->b_ok->msg.body), &ans, &why) < 0)
		f = (struct sb_sdp_fail){ 399, why };
	else if (sb_sdp_oa_match(&offer, &ans, &c->b_neg, &f) == 0)
		ok = true;
	if (ok && offer.has_local_key) { /* we protect toward the agent with it */
		c->b_neg.has_local_key = true;
		c->b_neg.local_key = offer.local_key;
	}
	if (!ok) {
		sb_warn("call %u: agent's answer has no usable SDP: %s", c->idx, f.text);
		uac_bye_agent(c);
		call_fail_488(c, &f, "agent");
		return;
	}
	call_agent_answered(c);
}

static void on_invite_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			       unsigned status)
{
	struct sb_call *c = arg;

	(void)ct;
	if (m == NULL) {
		/* timer B (408) or the transport failed (503): no answer at all */
		c->b_final = true;
		if (c->state == CALL_RINGING && c->acd_in) {
			cpq_agent_failed(c, status); /* the queue offers the next agent */
		} else if (c->state == CALL_RINGING) {
			sb_info("call %u: agent did not respond to INVITE (%u)", c->idx, status);
			call_fail(c, 480, "timeout");
		}
		return;
	}
	if (status < 200) {
		c->b_provisional = true;
		if ((status == 180 || status == 183) && c->state == CALL_RINGING &&
		    !c->b_ringing_relayed) {
			c->b_ringing_relayed = true;
			if (c->acd_in)
				cpq_agent_ringing(c); /* the caller has its 180 already */
			else
				call_relay_ringing(c);
		}
		return;
	}
	if (status < 300) {
		on_invite_2xx(c, m);
		return;
	}
	/* 3xx-6xx: the transaction has ACKed it */
	if (status == 422 && !c->b_final && c->state == CALL_RINGING && dlg_agent_422(c, m))
		return; /* sent again with the interval it wants (RFC 4028 7.4) */
	if (c->b_final)
		return;
	c->b_final = true;
	if (c->state == CALL_RINGING && c->acd_in) {
		cpq_agent_failed(c, status); /* the queue offers the next agent */
		return;
	}
	if (c->state == CALL_RINGING) {
		sb_info("call %u: agent answered %u", c->idx, status);
		if (status == 488) { /* our offer was the caller's: so is the failure */
			struct sb_sdp_fail f = { 305, "The agent accepts none of the offered media" };

			call_fail_488(c, &f, "agent");
			return;
		}
		call_fail(c, 480, "agent");
	}
}

void uac_on_stray_response(struct sb_call *c, const struct sb_sip_msg *m)
{
	/* the INVITE transaction is over, the agent resends its 2xx: our ACK
	 * was lost */
	if (m->cseq_method == SB_SIP_INVITE && m->cseq == c->b_cseq && m->status >= 200 &&
	    m->status < 300 && c->b_ack)
		sb_cp_send(c->cp, c->b_sock, &c->b_dst, c->b_ack, c->b_ack_len);
}
