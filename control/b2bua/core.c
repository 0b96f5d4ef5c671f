/* SPDX-License-Identifier: MIT */
/*
 * b2bua/core.c — first stop of every message: parse, reject what is
 * malformed (400 with the reason, or drop and count when no response can be
 * formed), drop scanners and banned sources (b2bua/overload.c), hand the
 * rest to the transaction layer; then, as its
 * transaction user, answer OPTIONS and unsupported methods and route the
 * rest to the registrar and the calls; requests with a To tag go to the
 * dialog layer (b2bua/dialog.c), INVITEs without one are checked for
 * Max-Forwards, loops and Session-Expires there first.
 */
#include <string.h>

#include "b2bua/call.h"
#include "b2bua/cp.h"
#include "b2bua/dialog.h"
#include "log.h"
#include "sip/hdr.h"

#define ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, REGISTER\r\n"

void sb_cp_send(struct sb_cp *cp, unsigned sock, const struct sb_sip_addr *dst,
		const char *buf, uint32_t len)
{
	char a[32];
	int rc = sb_sip_tx_send(&cp->tx, sock, dst, buf, len);

	if (rc < 0) {
		sb_sip_addr_fmt(dst, a, sizeof(a));
		sb_warn("sip: send to %s failed: %s", a, strerror(-rc));
	}
}

void sb_cp_reply(struct sb_cp *cp, const struct sb_sip_msg *req, unsigned sock,
		 const struct sb_sip_addr *src, unsigned code, const char *reason,
		 const char *extra_hdrs)
{
	char mem[SB_SIP_MAX_MSG], tag[SB_SIP_TOKEN_LEN + 1];
	struct sb_sip_addr dst;
	struct sb_buf b;

	if (cp->cur_st && req == sb_stx_request(cp->cur_st)) {
		sb_stx_reply(cp->cur_st, code, reason, extra_hdrs, NULL, SB_STR_EMPTY);
		return;
	}

	sb_rand_token(&cp->rnd, tag, SB_SIP_TOKEN_LEN);
	sb_buf_init(&b, mem, sizeof(mem));
	sb_sip_write_response(&b, req, src, code, reason, code > 100 ? tag : NULL, extra_hdrs,
			      NULL, SB_STR_EMPTY);
	if (!sb_buf_ok(&b)) {
		sb_warn("sip: %u response does not fit in %u bytes", code, SB_SIP_MAX_MSG);
		return;
	}
	sb_sip_response_dest(req, src, &dst);
	sb_cp_send(cp, sock, &dst, b.p, b.len);
}

/* Can a 400 (or 505) be formed?  A request line and a usable top Via are
 * the minimum. */
static bool can_reject(const struct sb_sip_msg *m)
{
	struct sb_sip_via via;

	return m->is_request && m->method_name.len && m->method != SB_SIP_ACK &&
	       sb_sip_via_parse(sb_sip_msg_hdr(m, SB_HDR_VIA), &via, NULL) == 0;
}

void sb_cp_on_datagram(struct sb_cp *cp, unsigned sock, const struct sb_sip_addr *src,
		       const char *buf, uint32_t len)
{
	struct sb_sip_msg m;
	char a[32];

	cp->cnt.rx_msgs++;
	/* keep-alive CRLFs (RFC 5626) */
	if (len <= 4 && (len == 0 || buf[0] == '\r' || buf[0] == '\n'))
		return;
	if (sb_sip_msg_parse(&m, buf, buf + len) < 0) {
		sb_sip_addr_fmt(src, a, sizeof(a));
		if (can_reject(&m)) {
			cp->cnt.rx_rejected++;
			sb_info("sip: malformed request from %s: %s", a, m.why);
			sb_cp_reply(cp, &m, sock, src, m.why_code, m.why, NULL);
		} else {
			cp->cnt.rx_dropped++;
			sb_info("sip: dropped malformed message from %s: %s", a, m.why);
		}
		return;
	}
	/* scanners and banned sources: dropped before they cost a transaction */
	if (!sb_ovl_admit(cp, &m, src))
		return;
	/* matching, retransmissions, CANCEL, ACK of non-2xx: sip/txn.c */
	sb_txl_on_msg(cp->txl, &m, sock, src);
}

void sb_cp_on_msg(void *arg, uint32_t flow, const struct sb_sip_addr *src, const char *buf,
		  uint32_t len)
{
	sb_cp_on_datagram(arg, flow, src, buf, len);
}

/* A new request in its own server transaction (never a retransmission,
 * never ACK or CANCEL).  Handlers answer with sb_cp_reply(), which goes
 * through cp->cur_st; a handler that answers later holds the transaction. */
static void tu_request(void *arg, struct sb_stx *st, const struct sb_sip_msg *m)
{
	struct sb_cp *cp = arg;
	unsigned sock = sb_stx_flow(st);
	const struct sb_sip_addr *src = sb_stx_src(st);

	cp->cur_st = st;
	/* inside a dialog (To tag): matched by Call-ID and tags, b2bua/dialog.c */
	if (m->method != SB_SIP_REGISTER && sb_sip_tag(sb_sip_msg_hdr(m, SB_HDR_TO)).len) {
		if (m->method == SB_SIP_INVITE || m->method == SB_SIP_UPDATE) {
			/* they change state: digest for agents first */
			if (sb_registrar_authorize(cp, m, sock, src))
				sb_dlg_on_request(cp, st, m);
		} else {
			sb_dlg_on_request(cp, st, m);
		}
		cp->cur_st = NULL;
		return;
	}
	switch (m->method) {
	case SB_SIP_REGISTER:
		sb_registrar_on_register(cp, m, sock, src);
		break;
	case SB_SIP_INVITE:
		/* overload (503) first: shedding must be cheaper than digest */
		if (sb_ovl_reject_invite(cp, m, sock, src))
			break;
		/* from a registered agent's address: digest first */
		if (sb_registrar_authorize(cp, m, sock, src) &&
		    !sb_dlg_check_initial(cp, m, sock, src))
			sb_call_on_invite(cp, m, sock, src);
		break;
	case SB_SIP_BYE:
		sb_call_on_bye(cp, m, sock, src);
		break;
	case SB_SIP_OPTIONS:
		sb_cp_reply(cp, m, sock, src, 200, NULL,
			    cp->cfg->session_expires_s ?
			    ALLOW_HDR "Accept: application/sdp\r\nSupported: timer\r\n" :
			    ALLOW_HDR "Accept: application/sdp\r\nSupported: \r\n");
		break;
	default:
		sb_cp_reply(cp, m, sock, src, 501, NULL, ALLOW_HDR);
		break;
	}
	cp->cur_st = NULL;
}

static void tu_ack(void *arg, const struct sb_sip_msg *m, uint32_t flow,
		   const struct sb_sip_addr *src)
{
	if (!sb_dlg_on_ack(arg, m))
		sb_call_on_ack(arg, m, flow, src);
}

static void tu_stray_response(void *arg, const struct sb_sip_msg *m, uint32_t flow,
			      const struct sb_sip_addr *src)
{
	sb_call_on_response(arg, m, flow, src);
}

static void tu_cancel(void *arg, struct sb_stx *st, void *owner)
{
	if (!sb_dlg_on_cancel(arg, st, owner))
		sb_call_on_cancel(arg, st, owner);
}

static void tu_no_ack(void *arg, struct sb_stx *st, void *owner)
{
	if (!sb_dlg_on_no_ack(arg, st, owner))
		sb_call_on_no_ack(arg, st, owner);
}

const struct sb_txl_tu sb_cp_tu = {
	.on_request = tu_request,
	.on_ack = tu_ack,
	.on_stray_response = tu_stray_response,
	.on_cancel = tu_cancel,
	.on_no_ack = tu_no_ack,
};
