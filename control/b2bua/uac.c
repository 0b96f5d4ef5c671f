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

/* "a.b.c.d" of our address on flow sock */
static void local_host(struct sb_call *c, unsigned sock, char *host, size_t cap)
{
	const struct sb_sip_addr *local = sb_sip_flow_local(&c->cp->tx, sock);
	const uint8_t *ip = (const uint8_t *)&local->ip;

	snprintf(host, cap, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
}

/* The INVITE with our offer on the agent-side leg, in the call's
 * Call-ID and From, in a new client transaction (NULL on failure). */
static struct sb_ctx *send_invite(struct sb_call *c, unsigned sock,
				  const struct sb_sip_addr *dst, const char *ruri, const char *to,
				  uint32_t cseq, sb_ctx_cb *cb, void *arg)
{
	struct sb_cp *cp = c->cp;
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, sock);
	char mem[SB_SIP_MAX_MSG], sdp_mem[1024], host[24];
	char branch[40];
	struct sb_buf b, sdp;
	struct sb_sdp_neg offer;
	struct sb_sdp_local sl;
	char st_hdrs[160];
	struct sb_ctx *ct;

	local_host(c, sock, host, sizeof(host));
	new_branch(c, branch, sizeof(branch));
	/* offer what we can carry of the caller's offer on our agent-side leg
	 * (its codecs and numbers, direction, ptime, rtcp-mux; plain RTP) */
	sb_sdp_oa_relay_offer(&c->a_neg, &offer);
	call_agent_offer(c, &offer); /* + our codecs, our key (callmedia.c) */
	call_leg_sdp_local(c, SIDE_B, sb_rand_next(&cp->rnd) >> 20, 1, &sl);
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	sb_sdp_oa_write_offer(&sdp, &offer, &sl);

	sb_buf_init(&b, mem, sizeof(mem));
	write_req_head(&b, c, "INVITE", ruri, sock, branch, c->b_from, to, c->b_callid, cseq);
	dlg_invite_st_hdrs(c, st_hdrs, sizeof(st_hdrs)); /* session timer (dialog.c) */
	sb_buf_printf(&b, "Contact: <sip:switchboard@%s:%u%s>\r\n"
		      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\n%s"
		      "Content-Type: application/sdp\r\nContent-Length: %u\r\n\r\n",
		      host, local->port, transport_param(sock), st_hdrs, sdp.len);
	sb_buf_put(&b, sdp.p, sdp.len);
	if (!sb_buf_ok(&b) || !sb_buf_ok(&sdp))
		return NULL;
	ct = sb_ctx_start(cp->txl, sock, dst, b.p, b.len, cb, arg);
	if (ct == NULL)
		sb_warn("call %u: cannot send INVITE to agent: %s", c->idx, strerror(errno));
	return ct;
}

/* The agent side's Call-ID and From (with our tag), once per call */
static void b_ids(struct sb_call *c, unsigned sock)
{
	char tag[SB_SIP_TOKEN_LEN + 1], host[24], tok[24];

	local_host(c, sock, host, sizeof(host));
	sb_rand_token(&c->cp->rnd, tok, 20);
	snprintf(c->b_callid, sizeof(c->b_callid), "%s@switchboard", tok);
	sb_rand_token(&c->cp->rnd, tag, SB_SIP_TOKEN_LEN);
	snprintf(c->b_from, sizeof(c->b_from), "<sip:%s@%s>;tag=%s", c->caller, host, tag);
	c->b_cseq = 1;
	c->b_cseq_next = 2;
	calltab_link(c, SIDE_B, c->b_callid, (uint32_t)strlen(c->b_callid));
}

/* The agent side's INVITE to ruri (To: to) at dst over flow sock: the
 * first one of an offer, or (b_invited) the same again after a 422. */
static int invite_to(struct sb_call *c, unsigned sock, const struct sb_sip_addr *dst,
		     const char *ruri, const char *to)
{
	if (c->b_callid[0] == '\0' || !c->b_invited) {
		/* the first INVITE of this offer; the Call-ID may be there
		 * already from ring-all forks (the strategy changed since):
		 * then a CSeq of its own */
		if (c->b_callid[0] == '\0')
			b_ids(c, sock);
		else
			c->b_cseq = c->b_cseq_next++;
		snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", ruri);
		snprintf(c->b_to, sizeof(c->b_to), "%s", to);
		c->b_sock = sock;
		c->b_dst = *dst;
	} else {
		/* sent again after a 422 (dialog.c): same Call-ID and tag, next CSeq */
		c->b_cseq = c->b_cseq_next++;
	}
	c->b_inv = send_invite(c, c->b_sock, &c->b_dst, c->b_ruri, c->b_to, c->b_cseq,
			       on_invite_response, c);
	if (c->b_inv == NULL)
		return -1;
	c->b_invited = true;
	/* tests read "INVITE agent NAME" (cancel_race.sh) */
	if (c->agent >= 0)
		sb_info("call %u: INVITE agent %s at %s", c->idx, c->cp->cfg->agents[c->agent].user,
			c->b_ruri);
	else
		sb_info("call %u: INVITE outside number at %s", c->idx, c->b_ruri);
	return 0;
}

int uac_invite_agent(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	const struct sb_reg_entry *e;
	char host[24], to[320];

	if ((c->b_callid[0] != '\0' && c->b_invited) || c->agent < 0)
		return invite_to(c, c->b_sock, &c->b_dst, c->b_ruri, c->b_to); /* a 422 */
	e = &cp->reg.e[c->agent];
	local_host(c, e->sock, host, sizeof(host));
	snprintf(to, sizeof(to), "<sip:%s@%s>", cp->cfg->agents[c->agent].user, host);
	return invite_to(c, e->sock, &e->addr, e->contact, to);
}

int uac_trunk_uri(const struct sb_config *cfg, const char *number, char *ruri, size_t cap)
{
	const struct sb_cfg_outbound *o = &cfg->outbound;
	const uint8_t *ip = (const uint8_t *)&o->proxy.ip;
	int n;

	if (!o->on || number[0] == '\0')
		return -ENOENT;
	/* a dialled number (or a caller's user name): digits, letters and
	 * + * # . _ -, nothing that would need escaping or change the URI */
	for (const char *p = number; *p; p++)
		if (!strchr("0123456789+*#._-abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *p))
			return -EINVAL;
	n = snprintf(ruri, cap, "sip:%s%s@%u.%u.%u.%u:%u", o->prefix, number, ip[0], ip[1], ip[2],
		     ip[3], o->proxy.port);
	return n > 0 && (size_t)n < cap ? 0 : -EINVAL;
}

int uac_invite_number(struct sb_call *c, const char *number)
{
	const struct sb_cfg_outbound *o = &c->cp->cfg->outbound;
	char ruri[256], to[300];

	if (uac_trunk_uri(c->cp->cfg, number, ruri, sizeof(ruri)) < 0)
		return -1;
	snprintf(to, sizeof(to), "<%s>", ruri);
	/* UDP from the first listen address: a trunk is not a registered flow */
	return invite_to(c, SB_SIP_FLOW_MK(0, SB_SIP_PROTO_UDP, 0, 0), &o->proxy, ruri, to);
}

/* ---- ring-all forks (call_priv.h) ---- */

static void on_fork_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			     unsigned status);

int uac_fork_agent(struct sb_call *c, int agent)
{
	struct sb_cp *cp = c->cp;
	struct sb_reg_entry *e = &cp->reg.e[agent];
	struct call_fork *f;
	char host[24];

	if (c->b_callid[0] == '\0')
		b_ids(c, e->sock);
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	local_host(c, e->sock, host, sizeof(host));
	f->call = c;
	f->agent = agent;
	f->sock = e->sock;
	f->dst = e->addr;
	snprintf(f->ruri, sizeof(f->ruri), "%s", e->contact);
	snprintf(f->to, sizeof(f->to), "<sip:%s@%s>", cp->cfg->agents[agent].user, host);
	f->cseq = c->b_cseq_next++;
	f->inv = send_invite(c, f->sock, &f->dst, f->ruri, f->to, f->cseq, on_fork_response, f);
	if (f->inv == NULL) {
		free(f);
		return -1;
	}
	f->live = true;
	f->next = c->forks;
	c->forks = f;
	sb_info("call %u: INVITE agent %s at %s (ring-all)", c->idx, cp->cfg->agents[agent].user,
		f->ruri);
	return 0;
}

void uac_fork_cancel(struct call_fork *f)
{
	/* sent once the agent has answered provisionally (RFC 3261 §9.1) */
	if (f->inv && !f->final)
		sb_ctx_cancel(f->inv);
}

struct call_fork *uac_fork_of(struct sb_call *c, int agent)
{
	for (struct call_fork *f = c->forks; f; f = f->next)
		if (f->live && f->agent == agent)
			return f;
	return NULL;
}

void uac_forks_free(struct sb_call *c)
{
	while (c->forks) {
		struct call_fork *f = c->forks;

		c->forks = f->next;
		sb_ctx_put(f->inv); /* it finishes alone */
		free(f);
	}
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
	pkt_free(c->b_ok); /* a transfer to a queue kept the earlier agent's (queue.c) */
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
		if (c->state == CALL_RINGING && cbk_failed(c, status)) {
			/* a callback's party (callback.c) */
		} else if (c->state == CALL_RINGING && c->acd_in) {
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
			else if (!cbk_ringing(c)) /* a callback's party: callback.c */
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
	if (c->state == CALL_RINGING && cbk_failed(c, status))
		return; /* a callback's party (callback.c) */
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

/* A fork's 2xx after another fork won (or the call ended): ACK it (every
 * retransmission) and end its dialog with a BYE (once), in that dialog:
 * the 2xx's To tag and Contact, the fork's CSeq. */
static void fork_ack_bye(struct sb_call *c, struct call_fork *f, const struct sb_sip_msg *m)
{
	char mem[2048], branch[40], to[320], target[256];
	struct sb_sip_nameaddr na;
	struct sb_buf b;
	struct sb_ctx *ct;

	sb_str_copy(to, sizeof(to), sb_sip_msg_hdr(m, SB_HDR_TO));
	if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(m, SB_HDR_CONTACT), &na, NULL) == 0 &&
	    !na.star && na.uri.len < sizeof(target))
		sb_str_copy(target, sizeof(target), na.uri);
	else
		snprintf(target, sizeof(target), "%s", f->ruri);
	sb_buf_init(&b, mem, sizeof(mem));
	new_branch(c, branch, sizeof(branch));
	write_req_head(&b, c, "ACK", target, f->sock, branch, c->b_from, to, c->b_callid, f->cseq);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (sb_buf_ok(&b))
		sb_cp_send(c->cp, f->sock, &f->dst, b.p, b.len);
	if (f->bye_sent)
		return;
	f->bye_sent = true;
	sb_info("call %u: agent %s answered after another one (or too late); BYE", c->idx,
		c->cp->cfg->agents[f->agent].user);
	sb_buf_init(&b, mem, sizeof(mem));
	new_branch(c, branch, sizeof(branch));
	write_req_head(&b, c, "BYE", target, f->sock, branch, c->b_from, to, c->b_callid,
		       f->cseq + 1);
	sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	if (!sb_buf_ok(&b))
		return;
	ct = sb_ctx_start(c->cp->txl, f->sock, &f->dst, b.p, b.len, NULL, NULL);
	sb_ctx_put(ct); /* nobody holds a BYE: it retransmits and ends alone */
}

/* The winning fork becomes the call's agent side: its transaction, its
 * agent; the rest goes on as for a single offer (on_invite_response). */
static void fork_promote(struct sb_call *c, struct call_fork *f)
{
	c->agent = f->agent;
	c->b_sock = f->sock;
	c->b_dst = f->dst;
	snprintf(c->b_ruri, sizeof(c->b_ruri), "%s", f->ruri);
	snprintf(c->b_to, sizeof(c->b_to), "%s", f->to);
	c->b_cseq = f->cseq;
	sb_ctx_put(c->b_inv); /* none in ring-all; for safety */
	c->b_inv = f->inv;    /* its callbacks still name f: forwarded below */
	f->inv = NULL;
	f->promoted = true;
	f->live = false;
	c->b_invited = c->b_ringing_relayed = true;
	c->b_provisional = f->ringing;
}

static void on_fork_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			     unsigned status)
{
	struct call_fork *f = arg;
	struct sb_call *c = f->call;

	if (f->promoted) {
		on_invite_response(c, ct, m, status);
		return;
	}
	if (m != NULL && status < 200) {
		if ((status == 180 || status == 183) && !f->ringing) {
			f->ringing = true;
			if (f->live)
				cpq_fork_ringing(c, f->agent);
		}
		return;
	}
	if (m != NULL && status < 300) {
		/* the first 2xx while the caller waits wins */
		if (f->live && !f->final && c->state == CALL_RINGING && c->acd_in &&
		    c->agent < 0 && !c->b_final) {
			sb_info("call %u: agent %s answered first (ring-all)", c->idx,
				c->cp->cfg->agents[f->agent].user);
			fork_promote(c, f);
			on_invite_response(c, ct, m, status);
			return;
		}
		f->final = true;
		fork_ack_bye(c, f, m);
		return;
	}
	/* 3xx-6xx (ACKed by the transaction), 408 or 503 without a response */
	if (f->final)
		return;
	f->final = true;
	if (f->live)
		cpq_fork_failed(c, f, status); /* the others ring on */
}

void uac_on_stray_response(struct sb_call *c, const struct sb_sip_msg *m)
{
	/* the INVITE transaction is over, the agent resends its 2xx: our ACK
	 * was lost */
	if (m->cseq_method == SB_SIP_INVITE && m->cseq == c->b_cseq && m->status >= 200 &&
	    m->status < 300 && c->b_ack)
		sb_cp_send(c->cp, c->b_sock, &c->b_dst, c->b_ack, c->b_ack_len);
}
