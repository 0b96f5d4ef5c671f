/* SPDX-License-Identifier: MIT */
/*
 * b2bua/dialog.c — the dialogs of each call and the requests inside them
 * (see dialog.h): matching, CSeq order, re-INVITE/UPDATE relay with the
 * media re-programmed, glare, ACKs per side, Max-Forwards and loops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "b2bua/dialog.h"
#include "b2bua/dlg_parse.h"
#include "log.h"
#include "sip/hdr.h"
#include "sip/uri.h"

#define ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REFER, REGISTER\r\n"
#define DLG_HDRS ALLOW_HDR "User-Agent: switchboard\r\n"

/* "Supported:" as configured: timer when session timers are on. */
static const char *supported(const struct sb_cp *cp)
{
	return cp->cfg->session_expires_s ? "Supported: timer\r\n" : "Supported: \r\n";
}

static void se_arm(struct sb_call *c, int s);
static void se_fire_a(struct sb_timer *t, void *arg);
static void se_fire_b(struct sb_timer *t, void *arg);

/* same layout as call.c's: gen | op | idx */
static uint64_t cookie(const struct sb_call *c, enum media_op op)
{
	return ((uint64_t)c->gen << 32) | ((uint64_t)op << 24) | c->idx;
}

/* ---- filling a dialog ---- */

static void copy_tag(char *out, size_t cap, struct sb_str hdr)
{
	sb_str_copy(out, cap, sb_sip_tag(hdr));
}

/* Route set from the Record-Route headers of m, in order or reversed. */
static void route_set(struct sb_dlg *d, const struct sb_sip_msg *m, bool reverse)
{
	struct sb_str r[SB_DLG_MAX_ROUTES];
	unsigned n = sb_dlg_record_routes(m, r), o = 0;

	free(d->route);
	d->route = NULL;
	if (n && (d->route = malloc(SB_DLG_ROUTE_MAX)) != NULL) {
		d->route[0] = '\0';
		for (unsigned k = 0; k < n; k++) {
			struct sb_str rs = r[reverse ? n - 1 - k : k];
			int w = snprintf(d->route + o, SB_DLG_ROUTE_MAX - o, "Route: %.*s\r\n",
					 (int)rs.len, rs.p);

			if (w < 0 || (size_t)w >= SB_DLG_ROUTE_MAX - o) {
				d->route[o] = '\0'; /* the routes that fit */
				break;
			}
			o += (unsigned)w;
		}
	}
	/* loose routing: the first hop is the first route's address */
	if (n) {
		struct sb_sip_nameaddr na;
		struct sb_sip_uri u;
		struct sb_str s = r[reverse ? n - 1 : 0];

		if (sb_sip_nameaddr_parse(s, &na, NULL) == 0 &&
		    sb_sip_uri_parse(na.uri, &u, NULL) == 0 && u.host_is_ipv4) {
			d->dst.ip = u.ipv4;
			d->dst.port = u.port ? u.port : 5060;
		}
	}
}

/* Address and port of the audio stream of an SDP body; false if none. */
static bool sdp_peer(struct sb_str body, uint32_t *ip, uint16_t *port)
{
	struct sb_sdp sd;
	const struct sb_sdp_media *a;

	if (body.len == 0 || sb_sdp_parse(body.p, sb_str_end(body), &sd, NULL) < 0 ||
	    (a = sb_sdp_audio(&sd)) == NULL || a->c.family != 4)
		return false;
	*ip = a->c.ip4;
	*port = a->port;
	return true;
}

/* Our o= toward this side goes on from the last SDP we sent it. */
static void adopt_origin(struct sb_dlg *d)
{
	struct sb_sdp sd;

	if (d->lsdp_len && sb_sdp_parse(d->lsdp, d->lsdp + d->lsdp_len, &sd, NULL) == 0) {
		d->sdp_id = sd.sess_id;
		d->sdp_ver = sd.sess_ver;
	}
}

static void keep_sent(struct sb_dlg *d, const char *sdp, uint32_t len)
{
	char *p;

	if (len == 0 || len > SB_DLG_SDP_MAX || (p = realloc(d->lsdp, len)) == NULL)
		return;
	d->lsdp = p;
	memcpy(d->lsdp, sdp, len);
	d->lsdp_len = (uint16_t)len;
}

void dlg_sent_sdp(struct sb_call *c, int side, const char *sdp, uint32_t len)
{
	keep_sent(&c->dlg[side], sdp, len);
	if (c->dlg[side].ready)
		adopt_origin(&c->dlg[side]);
}

static void our_contact(struct sb_dlg *d, struct sb_call *c, const char *user)
{
	const struct sb_sip_addr *l = sb_sip_flow_local(&c->cp->tx, d->flow);
	const uint8_t *ip = (const uint8_t *)&l->ip;
	const char *tp = SB_SIP_FLOW_PROTO(d->flow) == SB_SIP_PROTO_TCP ? ";transport=tcp"
			 : SB_SIP_FLOW_PROTO(d->flow) == SB_SIP_PROTO_TLS ? ";transport=tls" : "";

	snprintf(d->contact, sizeof(d->contact), "Contact: <sip:%s@%u.%u.%u.%u:%u%s>\r\n", user,
		 ip[0], ip[1], ip[2], ip[3], l->port, tp);
}

static void fill_caller(struct sb_call *c, struct sb_dlg *d)
{
	const struct sb_sip_msg *inv = c->a_msg;
	struct sb_str to = sb_sip_msg_hdr(inv, SB_HDR_TO);
	int n;

	sb_str_copy(d->call_id, sizeof(d->call_id), inv->call_id);
	snprintf(d->ltag, sizeof(d->ltag), "%s", c->a_tag);
	copy_tag(d->rtag, sizeof(d->rtag), sb_sip_msg_hdr(inv, SB_HDR_FROM));
	n = snprintf(d->local, sizeof(d->local), "%.*s;tag=%s", (int)to.len, to.p, c->a_tag);
	if (n < 0 || (size_t)n >= sizeof(d->local))
		snprintf(d->local, sizeof(d->local), "<sip:switchboard>;tag=%s", c->a_tag);
	sb_str_copy(d->remote, sizeof(d->remote), sb_sip_msg_hdr(inv, SB_HDR_FROM));
	d->lcseq = c->a_cseq;
	d->rcseq = inv->cseq;
	snprintf(d->target, sizeof(d->target), "%s", c->a_target);
	d->flow = c->a_sock;
	d->dst = c->a_target_addr;
	route_set(d, inv, false);
	our_contact(d, c, c->hotline >= 0 ? c->cp->cfg->hotlines[c->hotline].number
					   : "switchboard");
	sdp_peer(inv->body, &d->peer_ip, &d->peer_port);
	/* RFC 4028 section 9: its interval (lowered to ours, never below
	 * its Min-SE), its refresher; us when it does not do timers */
	d->peer_timer = sb_dlg_supports_timer(inv);
	if (c->cp->cfg->session_expires_s) {
		const struct sb_config *cfg = c->cp->cfg;
		struct sb_str rf;
		uint32_t se = sb_dlg_se_value(sb_dlg_hdr_named(inv, "Session-Expires", "x"), &rf);
		uint32_t their_min = sb_dlg_se_value(sb_dlg_hdr_named(inv, "Min-SE", NULL), NULL);

		if (se == 0 || se > cfg->session_expires_s)
			se = cfg->session_expires_s > their_min ? cfg->session_expires_s : their_min;
		d->se_s = se;
		if (sb_str_ieq(rf, "uac"))
			d->we_refresh = false;
		else if (sb_str_ieq(rf, "uas"))
			d->we_refresh = true;
		else
			d->we_refresh = !d->peer_timer;
	}
}

static void fill_agent(struct sb_call *c, struct sb_dlg *d)
{
	const struct sb_sip_msg *ok = &c->b_ok->msg;
	struct sb_str from = sb_str_mk(c->b_from, c->b_from + strlen(c->b_from));

	snprintf(d->call_id, sizeof(d->call_id), "%s", c->b_callid);
	copy_tag(d->ltag, sizeof(d->ltag), from);
	copy_tag(d->rtag, sizeof(d->rtag), sb_sip_msg_hdr(ok, SB_HDR_TO));
	snprintf(d->local, sizeof(d->local), "%s", c->b_from);
	sb_str_copy(d->remote, sizeof(d->remote), sb_sip_msg_hdr(ok, SB_HDR_TO));
	/* uac.c numbered its requests up to b_cseq_next - 1 */
	d->lcseq = c->b_cseq_next - 1;
	d->rcseq = 0;
	snprintf(d->target, sizeof(d->target), "%s", c->b_target);
	d->flow = c->b_sock;
	d->dst = c->b_dst;
	route_set(d, ok, true);
	our_contact(d, c, "switchboard");
	sdp_peer(ok->body, &d->peer_ip, &d->peer_port);
	if (d->lsdp_len == 0 && c->b_inv) { /* our offer in the INVITE */
		struct sb_str o = sb_ctx_request(c->b_inv)->body;

		keep_sent(d, o.p, o.len);
	}
	/* RFC 4028 section 7.2: what its 2xx says; nothing -> we refresh */
	d->peer_timer = sb_dlg_supports_timer(ok);
	if (c->cp->cfg->session_expires_s) {
		struct sb_str rf;
		uint32_t se = sb_dlg_se_value(sb_dlg_hdr_named(ok, "Session-Expires", "x"), &rf);

		uint32_t asked = d->se_req > c->cp->cfg->session_expires_s ?
				 d->se_req : c->cp->cfg->session_expires_s;

		d->se_s = se ? se : asked;
		d->we_refresh = se == 0 || !sb_str_ieq(rf, "uas");
	}
}

struct sb_dlg *dlg_get(struct sb_call *c, int side)
{
	struct sb_dlg *d = &c->dlg[side];

	if (d->ready || side == SIDE_X) /* the transferor's: moved in ready, or none */
		return d->ready ? d : NULL;
	if (side == SIDE_A) {
		if (c->a_msg == NULL)
			return NULL;
		fill_caller(c, d);
	} else {
		if (!c->b_final || c->b_ok == NULL)
			return NULL;
		fill_agent(c, d);
	}
	d->sdp_id = sb_rand_next(&c->cp->rnd) >> 20;
	d->sdp_ver = 1;
	adopt_origin(d);
	sb_timer_init(&d->t_se, side == SIDE_A ? se_fire_a : se_fire_b, c);
	d->ready = true;
	return d;
}

/* The agent side's dialog becomes the transferor's (SIDE_X): its
 * session timer stops (the transfer ends it soon), our refreshes in
 * flight are let go; dlg[SIDE_B] is empty, filled again from the call's
 * b_* fields (the transfer target's) on first use. */
void dlg_move_to_x(struct sb_call *c)
{
	struct sb_dlg *b = &c->dlg[SIDE_B], *x = &c->dlg[SIDE_X];

	sb_timer_cancel(c->cp->loop, &b->t_se);
	sb_ctx_put(b->refresh_ct);
	sb_ctx_put(b->refresh_done);
	b->refresh_ct = b->refresh_done = NULL;
	sb_timer_cancel(c->cp->loop, &x->t_se);
	free(x->route);
	free(x->lsdp);
	*x = *b;
	x->se_s = 0;
	sb_timer_init(&x->t_se, se_fire_b, c); /* never armed: se_s = 0 */
	memset(b, 0, sizeof(*b));
}

/* Attended transfer: from's agent side (dialog, session timer) becomes
 * to's; from keeps nothing of it.  Our refreshes in flight are let go
 * (their callbacks name from). */
void dlg_take_b(struct sb_call *to, struct sb_call *from)
{
	struct sb_dlg *src = &from->dlg[SIDE_B], *dst = &to->dlg[SIDE_B];

	sb_timer_cancel(from->cp->loop, &src->t_se);
	sb_ctx_put(src->refresh_ct);
	sb_ctx_put(src->refresh_done);
	src->refresh_ct = src->refresh_done = NULL;
	sb_timer_cancel(to->cp->loop, &dst->t_se);
	free(dst->route);
	free(dst->lsdp);
	*dst = *src;
	sb_timer_init(&dst->t_se, se_fire_b, to);
	memset(src, 0, sizeof(*src));
	se_arm(to, SIDE_B);
}

struct sb_call *sb_dlg_find(struct sb_cp *cp, struct sb_str call_id, struct sb_str tag1,
			    struct sb_str tag2, int *side)
{
	enum call_side s;
	struct sb_call *c = calltab_find(cp, call_id, &s);
	struct sb_dlg *d;

	if (c == NULL || c->state == CALL_GONE || (d = dlg_get(c, (int)s)) == NULL)
		return NULL;
	if (!((sb_str_eq(tag1, d->ltag) && sb_str_eq(tag2, d->rtag)) ||
	      (sb_str_eq(tag1, d->rtag) && sb_str_eq(tag2, d->ltag))))
		return NULL;
	*side = (int)s;
	return c;
}

/* The new agent side is up: fill its dialog, start its session timer. */
void dlg_agent_replaced(struct sb_call *c)
{
	if (dlg_get(c, SIDE_B))
		se_arm(c, SIDE_B);
}

/* ---- sending in a dialog ---- */

int dlg_send_req(struct sb_call *c, int side, const char *method, const char *extra,
		 const char *body, uint32_t body_len,
		 void (*cb)(void *, struct sb_ctx *, const struct sb_sip_msg *, unsigned),
		 struct sb_ctx **out, uint32_t *cseq)
{
	struct sb_dlg *d = dlg_get(c, side);
	char mem[SB_SIP_MAX_MSG], branch[40];
	struct sb_buf b;
	struct sb_ctx *ct;

	if (d == NULL)
		return -ENOTCONN;
	sb_txl_branch(c->cp->txl, branch, sizeof(branch));
	sb_buf_init(&b, mem, sizeof(mem));
	sb_buf_printf(&b, "%s %s SIP/2.0\r\n", method, d->target);
	sb_sip_write_via_proto(&b, sb_sip_flow_proto_name(d->flow),
			       sb_sip_flow_local(&c->cp->tx, d->flow), branch);
	if (extra == NULL || strstr(extra, "Max-Forwards:") == NULL)
		sb_buf_puts(&b, "Max-Forwards: 70\r\n");
	sb_buf_puts(&b, d->route ? d->route : "");
	sb_buf_printf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n", d->local,
		      d->remote, d->call_id, d->lcseq + 1, method);
	if (strcmp(method, "BYE") != 0)
		sb_buf_puts(&b, d->contact);
	sb_buf_puts(&b, DLG_HDRS);
	sb_buf_puts(&b, supported(c->cp));
	if (extra)
		sb_buf_puts(&b, extra);
	if (body) {
		/* SDP unless extra names the type (NOTIFY: message/sipfrag) */
		if (extra == NULL || strstr(extra, "Content-Type:") == NULL)
			sb_buf_puts(&b, "Content-Type: application/sdp\r\n");
		sb_buf_printf(&b, "Content-Length: %u\r\n\r\n", body_len);
		sb_buf_put(&b, body, body_len);
	} else {
		sb_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	}
	if (!sb_buf_ok(&b))
		return -EMSGSIZE;
	d->lcseq++;
	if (cseq)
		*cseq = d->lcseq;
	ct = sb_ctx_start(c->cp->txl, d->flow, &d->dst, b.p, b.len, cb, c);
	if (ct == NULL) {
		int e = errno;

		sb_warn("call %u: cannot send %s to the %s: %s", c->idx, method,
			side == SIDE_A ? "caller" : "agent", strerror(e));
		return -e;
	}
	if (out)
		*out = ct;
	else
		sb_ctx_put(ct);
	return 0;
}

void dlg_bye(struct sb_call *c, int side)
{
	dlg_send_req(c, side, "BYE", NULL, NULL, 0, NULL, NULL, NULL);
}

/* The ACK of the other side's 2xx to our re-INVITE: its own transaction,
 * CSeq of the INVITE (RFC 3261 §13.2.2.4). */
static void send_ack(struct sb_call *c, int side, uint32_t cseq)
{
	struct sb_dlg *d = &c->dlg[side];
	char mem[2048], branch[40];
	struct sb_buf b;

	sb_txl_branch(c->cp->txl, branch, sizeof(branch));
	sb_buf_init(&b, mem, sizeof(mem));
	sb_buf_printf(&b, "ACK %s SIP/2.0\r\n", d->target);
	sb_sip_write_via_proto(&b, sb_sip_flow_proto_name(d->flow),
			       sb_sip_flow_local(&c->cp->tx, d->flow), branch);
	sb_buf_puts(&b, "Max-Forwards: 70\r\n");
	sb_buf_puts(&b, d->route ? d->route : "");
	sb_buf_printf(&b, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u ACK\r\n"
		      "Content-Length: 0\r\n\r\n", d->local, d->remote, d->call_id, cseq);
	if (sb_buf_ok(&b))
		sb_cp_send(c->cp, d->flow, &d->dst, b.p, b.len);
}

/* Our side of the SDP toward side s: the media address, s's leg. */
void call_leg_sdp_local(struct sb_call *c, int s, uint64_t sess_id, uint64_t sess_ver,
			struct sb_sdp_local *l)
{
	memset(l, 0, sizeof(*l));
	l->addr.family = 4;
	l->addr.ip4 = sb_media_leg_ip(c->cp->media, &c->leg[s]); /* per leg: --media-addrs */
	l->port = c->leg[s].port;
	l->sess_id = sess_id;
	l->sess_ver = sess_ver;
}

/* in a dialog: our o= toward that side goes on */
static void local_of(struct sb_call *c, int s, struct sb_sdp_local *l)
{
	struct sb_dlg *d = &c->dlg[s];

	call_leg_sdp_local(c, s, d->sdp_id, ++d->sdp_ver, l);
}

/* An old-style hold (c=0.0.0.0, RFC 3264 section 8.4: "do not send me
 * media") becomes a=sendonly (a=inactive if it did not want to send
 * either): the other side sees our leg's real address. */
static void hold_fix(struct sb_sdp_neg *n)
{
	if (n->addr.family != 4 || n->addr.ip4 != 0)
		return;
	if (n->dir == SB_SDP_SENDRECV)
		n->dir = SB_SDP_SENDONLY;
	else if (n->dir == SB_SDP_RECVONLY)
		n->dir = SB_SDP_INACTIVE;
}

/* What offer/answer agreed for side s: its leg gets the peer address
 * (c=0.0.0.0 keeps the old one) and the negotiated parameters. */
static void media_update(struct sb_call *c, int s, const struct sb_sdp_neg *n,
			 const struct sb_media_sdp *prm)
{
	struct sb_dlg *d = &c->dlg[s];
	struct sb_media *md = c->cp->media;
	uint32_t ip = n->addr.family == 4 ? n->addr.ip4 : 0;
	uint16_t port = n->port;
	int rc;

	if (ip == 0 || port == 0) {
		ip = d->peer_ip;
		port = d->peer_port;
	}
	c->leg[s].sdp = *prm;
	if (c->leg_st[s] != LEG_ADDED)
		return;
	rc = md->ops->leg_mod(md, &c->leg[s], ip, port, SB_MEDIA_F_LATCH | SB_MEDIA_F_STRICT,
			      c->idx, cookie(c, s == SIDE_A ? OP_MOD_A : OP_MOD_B));
	if (rc < 0) {
		sb_warn("call %u: cannot re-program the %s leg: %s", c->idx,
			s == SIDE_A ? "caller" : "agent", strerror(-rc));
		return;
	}
	c->pending++;
	c->cp->cnt.leg_mods++;
	/* new keys (SDES: a fresh one each offer), codec, DTMF: LEG_MEDIA
	 * behind the MOD when the call has processing (b2bua/callmedia.c) */
	if (call_media_wanted(c))
		call_media_leg(c, s);
	if (ip != d->peer_ip || port != d->peer_port)
		sb_info("call %u: %s media moved to port %u", c->idx,
			s == SIDE_A ? "caller" : "agent", port);
	d->peer_ip = ip;
	d->peer_port = port;
}

static void reply_488(struct sb_stx *st, const struct sb_sdp_fail *f)
{
	char w[200];

	snprintf(w, sizeof(w), "Warning: %u switchboard \"%s\"\r\n", f->warn ? f->warn : 399,
		 f->text ? f->text : "unusable SDP");
	sb_stx_reply(st, 488, NULL, w, NULL, SB_STR_EMPTY);
}

/* Header lines of a 2xx we send side x in its dialog: our Contact,
 * Allow, Supported and, with a session timer, Session-Expires (the peer
 * is the UAC of what we answer, RFC 4028 section 9). */
static void answer_hdrs(struct sb_call *c, int x, char *out, size_t cap)
{
	struct sb_dlg *d = &c->dlg[x];
	int n = snprintf(out, cap, "%s" DLG_HDRS "%s", d->contact, supported(c->cp));

	if (d->se_s && n > 0 && (size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, "Session-Expires: %u;refresher=%s\r\n%s", d->se_s,
			 d->we_refresh ? "uas" : "uac", d->peer_timer ? "Require: timer\r\n" : "");
}

/* ---- relaying re-INVITE and UPDATE ---- */

static void relay_done(struct sb_call *c)
{
	struct sb_dlg_relay *r = &c->relay;

	if (r->method == SB_SIP_INVITE && r->st && sb_stx_status(r->st) >= 200 &&
	    sb_stx_status(r->st) < 300) {
		/* held until the ACK of our 2xx (sb_dlg_on_ack) */
		sb_stx_put(r->ack_st);
		r->ack_st = r->st;
		r->ack_cseq = r->x_cseq;
		r->ack_side = r->from;
	} else {
		sb_stx_put(r->st);
	}
	r->st = NULL;
	r->active = false;
}

static void relay_reply(struct sb_call *c, unsigned code, const char *reason, const char *extra,
			const struct sb_buf *sdp)
{
	struct sb_dlg_relay *r = &c->relay;
	int rc;

	if (r->st == NULL)
		return;
	rc = sb_stx_reply(r->st, code, reason, extra, sdp ? "application/sdp" : NULL,
			  sdp ? sb_str_mk(sdp->p, sdp->p + sdp->len) : SB_STR_EMPTY);
	if (rc < 0 && rc != -EALREADY)
		sb_warn("call %u: cannot answer the relayed request: %s", c->idx, strerror(-rc));
}

static void on_relay_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
			      unsigned status)
{
	struct sb_call *c = arg;
	struct sb_dlg_relay *r = &c->relay;
	int x = r->from, y = !r->from;
	struct sb_sdp ans, offer;
	const char *why = NULL;
	char sdp_mem[SB_DLG_SDP_MAX], extra[700];
	struct sb_buf sdp;

	if (m && status >= 200 && status < 300 && m->cseq_method == SB_SIP_INVITE)
		send_ack(c, y, m->cseq); /* every 2xx, retransmissions too */
	if ((status < 200 && m) || ct != r->ct || r->ct_final)
		return;
	/* final; the transaction stays held so that 2xx retransmissions
	 * still reach us for their ACK (until the next relay or the end) */
	r->ct_final = true;
	if (!r->active)
		return;
	if (c->state == CALL_GONE) { /* hung up meanwhile */
		relay_reply(c, 481, NULL, NULL, NULL);
		relay_done(c);
		return;
	}
	if (m == NULL) {
		sb_info("call %u: relayed %s got no answer (%u)", c->idx,
			sb_sip_method_name(r->method), status);
		relay_reply(c, status == 503 ? 503 : 408, NULL, NULL, NULL);
		relay_done(c);
		return;
	}
	if (status >= 300) {
		char rs[64];

		sb_str_copy(rs, sizeof(rs), m->reason);
		extra[0] = '\0';
		if (status == 491 || status == 500) {
			struct sb_str ra = SB_STR_EMPTY;

			for (unsigned i = 0; i < m->n_hdrs; i++)
				if (sb_str_ieq(m->hdrs[i].name, "Retry-After"))
					ra = m->hdrs[i].value;
			if (ra.len && ra.len < 64)
				snprintf(extra, sizeof(extra), "Retry-After: %.*s\r\n", (int)ra.len,
					 ra.p);
		}
		relay_reply(c, status, rs[0] ? rs : NULL, extra[0] ? extra : NULL, NULL);
		relay_done(c);
		return;
	}
	/* 2xx: a target refresh (its Contact), the answer, the media */
	{
		struct sb_sip_nameaddr na;

		if (sb_sip_nameaddr_parse(sb_sip_msg_hdr(m, SB_HDR_CONTACT), &na, NULL) == 0 &&
		    !na.star && na.uri.len && na.uri.len < sizeof(c->dlg[y].target))
			sb_str_copy(c->dlg[y].target, sizeof(c->dlg[y].target), na.uri);
	}
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	if (r->has_offer) {
		const struct sb_sip_msg *req = sb_stx_request(r->st);
		struct sb_sdp_neg nx, ny, ax;
		struct sb_media_sdp px, py;
		struct sb_sdp_oa_cfg cfg;
		struct sb_sdp_fail f = { 0, NULL };
		struct sb_sdp_local lx;

		call_oa_cfg(c, &cfg);
		/* X's offer parsed and accepted before; the same again */
		if (m->body.len == 0 ||
		    sb_sdp_parse(m->body.p, sb_str_end(m->body), &ans, &why) < 0 ||
		    sb_sdp_parse(req->body.p, sb_str_end(req->body), &offer, &why) < 0 ||
		    sb_sdp_oa_accept(&cfg, &offer, &nx, &f) < 0 ||
		    sb_sdp_oa_match(&r->oy, &ans, &ny, &f) < 0 ||
		    sb_sdp_oa_bridge(&nx, &ny, &ax, &px, &py, &f) < 0) {
			sb_warn("call %u: answer to the relayed offer is unusable: %s", c->idx,
				f.text ? f.text : why ? why : "no SDP");
			if (r->st)
				reply_488(r->st, &f);
			relay_done(c);
			return;
		}
		hold_fix(&nx);
		media_update(c, x, &nx, &px);
		media_update(c, y, &ny, &py);
		local_of(c, x, &lx);
		sb_sdp_oa_write_answer(&sdp, &offer, &ax, &lx);
		if (!sb_buf_ok(&sdp)) {
			relay_reply(c, 500, NULL, NULL, NULL);
			relay_done(c);
			return;
		}
		keep_sent(&c->dlg[x], sdp.p, sdp.len);
	}
	answer_hdrs(c, x, extra, sizeof(extra));
	se_arm(c, y); /* our request refreshed the other side's session */
	relay_reply(c, 200, NULL, extra, r->has_offer ? &sdp : NULL);
	relay_done(c);
}

static void answer_locally(struct sb_call *c, struct sb_stx *st, int x)
{
	struct sb_dlg *d = &c->dlg[x];
	char extra[700];

	/* no offer: a refresh.  An UPDATE gets a bare 200; a re-INVITE wants
	 * an offer in the 200: the session as it is, the SDP we last gave
	 * that side, unchanged (same o= version: nothing changed). */
	answer_hdrs(c, x, extra, sizeof(extra));
	if (sb_stx_request(st)->method != SB_SIP_INVITE) {
		sb_stx_reply(st, 200, NULL, extra, NULL, SB_STR_EMPTY);
		return;
	}
	if (d->lsdp_len == 0) {
		sb_stx_reply(st, 488, "No session to offer", NULL, NULL, SB_STR_EMPTY);
		return;
	}
	sb_stx_reply(st, 200, NULL, extra, "application/sdp",
		     sb_str_mk(d->lsdp, d->lsdp + d->lsdp_len));
	/* its ACK (with our offer's answer, which changes nothing we
	 * carry) is matched like a relayed one's */
	sb_stx_hold(st, c);
	sb_stx_put(c->relay.ack_st);
	c->relay.ack_st = st;
	c->relay.ack_cseq = sb_stx_request(st)->cseq;
	c->relay.ack_side = x;
}

static void relay_offer(struct sb_call *c, struct sb_stx *st, const struct sb_sip_msg *m, int x)
{
	struct sb_dlg_relay *r = &c->relay;
	int y = !x, mf = sb_dlg_max_forwards(m), rc;
	char sdp_mem[SB_DLG_SDP_MAX], extra[64];
	struct sb_buf sdp;
	const char *why = NULL;
	bool invite = m->method == SB_SIP_INVITE;
	struct sb_sdp offer;
	struct sb_sdp_neg nx;
	struct sb_sdp_oa_cfg cfg;
	struct sb_sdp_fail f = { 0, NULL };
	struct sb_sdp_local ly;

	if (invite)
		c->cp->cnt.reinvites++;
	else
		c->cp->cnt.updates++;
	if (mf == 0) {
		c->cp->cnt.mf_483++;
		sb_stx_reply(st, 483, NULL, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (mf < 0) {
		sb_stx_reply(st, 400, "Bad Max-Forwards", NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (r->active || (invite && c->state != CALL_UP) || dlg_get(c, y) == NULL ||
	    c->xfer.st == XF_INVITING || /* the agent side is about to change */
	    c->dlg[y].refresh_ct || c->dlg[x].refresh_ct) {
		/* RFC 3261 §14.1/§14.2, RFC 3311 §5.2: one offer at a time */
		c->cp->cnt.glare_491++;
		sb_info("call %u: %s from the %s while another is pending: 491", c->idx,
			sb_sip_method_name(m->method), x == SIDE_A ? "caller" : "agent");
		sb_stx_reply(st, 491, NULL, "Retry-After: 1\r\n", NULL, SB_STR_EMPTY);
		return;
	}
	if (m->body.len == 0) {
		answer_locally(c, st, x);
		return;
	}
	call_oa_cfg(c, &cfg);
	if (sb_sdp_parse(m->body.p, sb_str_end(m->body), &offer, &why) < 0) {
		sb_info("call %u: unusable offer in %s: %s", c->idx, sb_sip_method_name(m->method),
			why);
		sb_stx_reply(st, 488, why, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	if (sb_sdp_oa_accept(&cfg, &offer, &nx, &f) < 0) {
		sb_info("call %u: offer in %s refused: %s", c->idx, sb_sip_method_name(m->method),
			f.text ? f.text : "?");
		reply_488(st, &f);
		return;
	}
	hold_fix(&nx);
	sb_sdp_oa_relay_offer(&nx, &r->oy);
	local_of(c, y, &ly);
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	sb_sdp_oa_write_offer(&sdp, &r->oy, &ly);
	if (!sb_buf_ok(&sdp)) {
		sb_stx_reply(st, 500, NULL, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	snprintf(extra, sizeof(extra), "Max-Forwards: %d\r\n", mf - 1);
	sb_ctx_put(r->ct);
	r->ct = NULL;
	r->ct_final = false;
	r->method = m->method;
	r->from = x;
	r->x_cseq = m->cseq;
	r->has_offer = true;
	rc = dlg_send_req(c, y, invite ? "INVITE" : "UPDATE", extra, sdp.p, sdp.len,
			  on_relay_response, &r->ct, &r->y_cseq);
	if (rc < 0) {
		sb_stx_reply(st, 500, NULL, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	keep_sent(&c->dlg[y], sdp.p, sdp.len);
	sb_stx_hold(st, c);
	r->st = st;
	r->active = true;
	sb_info("call %u: %s from the %s relayed (CSeq %u there)", c->idx,
		sb_sip_method_name(m->method), x == SIDE_A ? "caller" : "agent", r->y_cseq);
}

/* ---- requests in a dialog ---- */

static void options_ok(struct sb_cp *cp, struct sb_stx *st)
{
	char h[300];

	snprintf(h, sizeof(h), DLG_HDRS "Accept: application/sdp\r\n%s", supported(cp));
	sb_stx_reply(st, 200, NULL, h, NULL, SB_STR_EMPTY);
}

static bool tags_match(const struct sb_dlg *d, const struct sb_sip_msg *m)
{
	struct sb_str tt = sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_TO));
	struct sb_str ft = sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_FROM));

	return sb_str_eq(tt, d->ltag) && sb_str_eq(ft, d->rtag);
}

/* The call and side of an in-dialog message, or NULL. */
static struct sb_call *find(struct sb_cp *cp, const struct sb_sip_msg *m, int *side)
{
	enum call_side s;
	struct sb_call *c = calltab_find(cp, m->call_id, &s);
	struct sb_dlg *d;

	if (c == NULL || (d = dlg_get(c, (int)s)) == NULL || !tags_match(d, m))
		return NULL;
	*side = (int)s;
	return c;
}

void sb_dlg_on_request(struct sb_cp *cp, struct sb_stx *st, const struct sb_sip_msg *m)
{
	unsigned sock = sb_stx_flow(st);
	const struct sb_sip_addr *src = sb_stx_src(st);
	int side;
	struct sb_call *c = find(cp, m, &side);
	struct sb_dlg *d;

	if (c == NULL) {
		if (m->method == SB_SIP_OPTIONS) { /* a ping with a stale tag */
			options_ok(cp, st);
			return;
		}
		cp->cnt.no_dialog_481++;
		sb_stx_reply(st, 481, NULL, NULL, NULL, SB_STR_EMPTY);
		return;
	}
	d = &c->dlg[side];
	if (side == SIDE_X) { /* a transferor's old dialog: only its end matters */
		if (m->cseq >= d->rcseq)
			d->rcseq = m->cseq;
		xfer_on_old_request(c, st, m);
		return;
	}
	if (m->cseq < d->rcseq) {
		cp->cnt.cseq_500++;
		sb_stx_reply(st, 500, "CSeq Out of Order", NULL, NULL, SB_STR_EMPTY);
		return;
	}
	d->rcseq = m->cseq;
	switch (m->method) {
	case SB_SIP_BYE:
		sb_call_on_bye(cp, m, sock, src);
		break;
	case SB_SIP_INVITE:
	case SB_SIP_UPDATE:
		if (c->state == CALL_GONE) {
			sb_stx_reply(st, 481, NULL, NULL, NULL, SB_STR_EMPTY);
			break;
		}
		se_arm(c, side); /* a refresh from it (RFC 4028 section 10) */
		relay_offer(c, st, m, side);
		break;
	case SB_SIP_OPTIONS:
		options_ok(cp, st);
		break;
	case SB_SIP_REFER:
		xfer_on_refer(c, st, m, side);
		break;
	default:
		sb_stx_reply(st, 501, NULL, ALLOW_HDR, NULL, SB_STR_EMPTY);
		break;
	}
}

bool sb_dlg_check_initial(struct sb_cp *cp, const struct sb_sip_msg *m, unsigned sock,
			  const struct sb_sip_addr *src)
{
	enum call_side s;
	struct sb_call *c;
	int mf = sb_dlg_max_forwards(m);

	if (mf == 0) {
		cp->cnt.mf_483++;
		sb_cp_reply(cp, m, sock, src, 483, NULL, NULL);
		return true;
	}
	if (mf < 0) {
		sb_cp_reply(cp, m, sock, src, 400, "Bad Max-Forwards", NULL);
		return true;
	}
	if (cp->cfg->session_expires_s) {
		uint32_t se = sb_dlg_se_value(sb_dlg_hdr_named(m, "Session-Expires", "x"), NULL);

		if (se && se < cp->cfg->min_se_s) { /* RFC 4028 section 9 */
			char h[64];

			snprintf(h, sizeof(h), "Min-SE: %u\r\n", cp->cfg->min_se_s);
			sb_cp_reply(cp, m, sock, src, 422, "Session Interval Too Small", h);
			return true;
		}
	}
	/* an INVITE we sent to an agent came back to us: a Call-ID we made
	 * and a Via with our own sent-by */
	c = calltab_find(cp, m->call_id, &s);
	if (c && s == SIDE_A) {
		/* the caller's INVITE again, on another path or branch: a merged
		 * request (RFC 3261 section 8.2.2.2) */
		cp->cnt.loop_482++;
		sb_info("call %u: INVITE for a call that exists, without To tag: 482", c->idx);
		sb_cp_reply(cp, m, sock, src, 482, "Merged Request", NULL);
		return true;
	}
	if (c && s == SIDE_B) {
		const struct sb_sip_addr *l = sb_sip_flow_local(&cp->tx, c->b_sock);

		for (unsigned i = 0; i < m->n_hdrs; i++) {
			struct sb_sip_via v;
			struct sb_str rest;
			uint32_t ip;

			if (m->hdrs[i].id != SB_HDR_VIA)
				continue;
			for (struct sb_str val = m->hdrs[i].value;
			     val.len && sb_sip_via_parse(val, &v, &rest) == 0; val = rest)
				if (sb_str_to_ipv4(v.host, &ip) && ip == l->ip &&
				    (v.port ? v.port : 5060) == l->port) {
					cp->cnt.loop_482++;
					sb_info("call %u: INVITE looped back to us: 482", c->idx);
					sb_cp_reply(cp, m, sock, src, 482, NULL, NULL);
					return true;
				}
		}
	}
	return false;
}

bool sb_dlg_on_ack(struct sb_cp *cp, const struct sb_sip_msg *m)
{
	int side;
	struct sb_call *c = find(cp, m, &side);
	struct sb_dlg_relay *r;

	if (c == NULL)
		return false;
	r = &c->relay;
	if (r->ack_st && r->ack_side == side && m->cseq == r->ack_cseq) {
		sb_stx_acked(r->ack_st);
		sb_stx_put(r->ack_st);
		r->ack_st = NULL;
		return true;
	}
	/* the caller's initial INVITE is call.c's; anything else is late */
	return side != SIDE_A || m->cseq != c->a_msg->cseq;
}

bool sb_dlg_on_cancel(struct sb_cp *cp, struct sb_stx *st, void *owner)
{
	struct sb_call *c = owner;
	struct sb_dlg_relay *r = &c->relay;

	(void)cp;
	if (st == c->a_st)
		return false;
	if (r->st == st && r->active) {
		/* 487 to the canceller; the other side's request is cancelled
		 * too, and a 2xx crossing it is still ACKed */
		sb_ctx_cancel(r->ct);
		relay_reply(c, 487, NULL, NULL, NULL);
		relay_done(c);
	}
	return true;
}

bool sb_dlg_on_no_ack(struct sb_cp *cp, struct sb_stx *st, void *owner)
{
	struct sb_call *c = owner;

	(void)cp;
	if (st == c->a_st)
		return false;
	if (c->relay.ack_st == st) {
		sb_warn("call %u: our 2xx to a re-INVITE was never ACKed", c->idx);
		sb_stx_put(st);
		c->relay.ack_st = NULL;
	}
	return true;
}

void dlg_free(struct sb_call *c)
{
	struct sb_dlg_relay *r = &c->relay;

	if (r->st && sb_stx_status(r->st) < 200)
		sb_stx_reply(r->st, 481, NULL, NULL, NULL, SB_STR_EMPTY);
	sb_stx_put(r->st);
	sb_stx_put(r->ack_st);
	sb_ctx_put(r->ct);
	memset(r, 0, sizeof(*r));
	for (int s = 0; s < 3; s++) {
		sb_timer_cancel(c->cp->loop, &c->dlg[s].t_se);
		sb_ctx_put(c->dlg[s].refresh_ct);
		sb_ctx_put(c->dlg[s].refresh_done);
		c->dlg[s].refresh_ct = c->dlg[s].refresh_done = NULL;
		free(c->dlg[s].route);
		free(c->dlg[s].lsdp);
		c->dlg[s].route = c->dlg[s].lsdp = NULL;
		c->dlg[s].lsdp_len = 0;
	}
}

/* ---- session timers (RFC 4028) ---- */

void dlg_invite_st_hdrs(struct sb_call *c, char *out, size_t cap)
{
	const struct sb_config *cfg = c->cp->cfg;
	uint32_t req = c->dlg[SIDE_B].se_req;

	/* the agent chooses the refresher (section 7.1); after its 422 both
	 * values are at least what it asked for (section 7.4) */
	if (cfg->session_expires_s)
		snprintf(out, cap, "Supported: timer\r\nSession-Expires: %u\r\nMin-SE: %u\r\n",
			 req > cfg->session_expires_s ? req : cfg->session_expires_s,
			 req > cfg->min_se_s ? req : cfg->min_se_s);
	else if (cap)
		out[0] = '\0';
}

bool dlg_agent_422(struct sb_call *c, const struct sb_sip_msg *m)
{
	struct sb_dlg *d = &c->dlg[SIDE_B];
	uint32_t min = sb_dlg_se_value(sb_dlg_hdr_named(m, "Min-SE", NULL), NULL);

	if (c->cp->cfg->session_expires_s == 0 || d->se_req || min == 0 || min > 86400)
		return false; /* once, and only for a usable Min-SE */
	d->se_req = min;
	sb_info("call %u: agent wants a session interval of at least %u s (422); "
		"INVITE again", c->idx, min);
	sb_ctx_put(c->b_inv); /* done: its 422 is ACKed */
	c->b_inv = NULL;
	c->b_provisional = false;
	return uac_invite_agent(c) == 0;
}

void dlg_answer_st_hdrs(struct sb_call *c, char *out, size_t cap)
{
	struct sb_dlg *d = dlg_get(c, SIDE_A);

	if (cap)
		out[0] = '\0';
	if (d && d->se_s)
		snprintf(out, cap, "Supported: timer\r\nSession-Expires: %u;refresher=%s\r\n%s",
			 d->se_s, d->we_refresh ? "uas" : "uac",
			 d->peer_timer ? "Require: timer\r\n" : "");
}

/* Ours: at half the interval.  Theirs: the interval minus min(32, SE/3)
 * (section 10). */
static void se_arm(struct sb_call *c, int s)
{
	struct sb_dlg *d = &c->dlg[s];
	uint64_t ms;

	if (!d->ready || d->se_s == 0 || c->state != CALL_UP)
		return;
	if (d->we_refresh)
		ms = (uint64_t)d->se_s * 500u;
	else
		ms = ((uint64_t)d->se_s - (d->se_s / 3 < 32 ? d->se_s / 3 : 32)) * 1000u;
	sb_timer_arm(c->cp->loop, &d->t_se, ms);
}

void dlg_call_up(struct sb_call *c)
{
	for (int s = 0; s < 2; s++)
		if (dlg_get(c, s))
			se_arm(c, s);
}

static void session_dead(struct sb_call *c, int s, const char *why)
{
	sb_info("call %u: session timer: %s on the %s side; hanging up both", c->idx, why,
		s == SIDE_A ? "caller" : "agent");
	call_stop_2xx(c);
	uac_bye_agent(c);
	uac_bye_caller(c);
	call_end(c, "session_timer", 200);
}

static void send_refresh(struct sb_call *c, int s);

static void on_refresh_response(void *arg, struct sb_ctx *ct, const struct sb_sip_msg *m,
				unsigned status)
{
	struct sb_call *c = arg;
	int s = ct == c->dlg[SIDE_A].refresh_ct || ct == c->dlg[SIDE_A].refresh_done ? SIDE_A
										       : SIDE_B;
	struct sb_dlg *d = &c->dlg[s];

	if (ct != d->refresh_ct && ct != d->refresh_done)
		return;
	if (m && status >= 200 && status < 300 && m->cseq_method == SB_SIP_INVITE)
		send_ack(c, s, m->cseq); /* every 2xx, retransmissions too */
	if ((m && status < 200) || ct != d->refresh_ct)
		return;
	d->refresh_ct = NULL;
	if (sb_ctx_request(ct)->method == SB_SIP_INVITE) {
		sb_ctx_put(d->refresh_done);
		d->refresh_done = ct;
	} else {
		sb_ctx_put(ct);
	}
	if (c->state != CALL_UP)
		return;
	if (m && status < 300) {
		se_arm(c, s);
		return;
	}
	if (m && (status == 405 || status == 501) && !d->no_update) {
		d->no_update = true; /* it does not do UPDATE: re-INVITE */
		send_refresh(c, s);
		return;
	}
	if (m == NULL || status == 408 || status == 481) {
		session_dead(c, s, m ? "refresh refused" : "refresh unanswered");
		return;
	}
	se_arm(c, s); /* 491 and the like: again next time */
}

static void send_refresh(struct sb_call *c, int s)
{
	struct sb_dlg *d = &c->dlg[s];
	char extra[80];
	int rc;

	if (c->relay.active) { /* an exchange in flight refreshes too */
		sb_timer_arm(c->cp->loop, &d->t_se, 1000);
		return;
	}
	snprintf(extra, sizeof(extra), "Session-Expires: %u;refresher=uac\r\n", d->se_s);
	if (!d->no_update)
		rc = dlg_send_req(c, s, "UPDATE", extra, NULL, 0, on_refresh_response,
				  &d->refresh_ct, NULL);
	else
		rc = dlg_send_req(c, s, "INVITE", extra, d->lsdp_len ? d->lsdp : NULL, d->lsdp_len,
				  on_refresh_response, &d->refresh_ct, NULL);
	if (rc < 0)
		se_arm(c, s);
}

static void se_fire(struct sb_call *c, int s)
{
	if (c->state != CALL_UP)
		return;
	if (c->dlg[s].we_refresh)
		send_refresh(c, s);
	else
		session_dead(c, s, "no refresh");
}

static void se_fire_a(struct sb_timer *t, void *arg)
{
	(void)t;
	se_fire(arg, SIDE_A);
}

static void se_fire_b(struct sb_timer *t, void *arg)
{
	(void)t;
	se_fire(arg, SIDE_B);
}

void sb_dlg_log_counters(const struct sb_cp *cp)
{
	const struct sb_cp_counters *n = &cp->cnt;

	sb_info("dialogs: %llu re-INVITEs, %llu UPDATEs, %llu LEG_MODs; %llu glare (491), "
		"%llu no dialog (481), %llu CSeq out of order (500), %llu Max-Forwards 0 (483), "
		"%llu loops (482); keep-alive: %llu OPTIONS, %llu contacts dropped; "
		"transfers: %llu REFERs accepted, %llu blind, %llu attended, %llu failed",
		(unsigned long long)n->reinvites, (unsigned long long)n->updates,
		(unsigned long long)n->leg_mods, (unsigned long long)n->glare_491,
		(unsigned long long)n->no_dialog_481, (unsigned long long)n->cseq_500,
		(unsigned long long)n->mf_483, (unsigned long long)n->loop_482,
		(unsigned long long)cp->reg.ka_sent, (unsigned long long)cp->reg.ka_dropped,
		(unsigned long long)n->refers, (unsigned long long)n->xfer_blind,
		(unsigned long long)n->xfer_attended, (unsigned long long)n->xfer_failed);
}
