/* SPDX-License-Identifier: MIT */
/*
 * b2bua/early.c — answering the caller ourselves before any agent: the
 * SDP answer the IVR's 200 carries (ivr.c) and early media for queues
 * (`early_media: true`, config.h).
 *
 * Early media: carriers start billing at the 200, so a caller waiting in
 * such a queue must hear music on hold and announcements without one.
 *
 *   INVITE ─▶ 100 ─▶ LEG_ADD a, b ─▶ 183 + our answer (kept) ─▶ MOH loops
 *   agent 200 ─▶ ACK ─▶ LEG_MOD b + CONNECT ─▶ 200 + the 183's SDP again
 *   CANCEL while waiting ─▶ 200, 487 (abandon, as today); max_wait ─▶ 480
 *   + Reason (no dialog to BYE: the INVITE has no final answer yet)
 *
 * The 183 is sent unreliably (no 100rel, RFC 3262): its answer is only a
 * preview, so RFC 3261 13.2.1 wants the 2xx to carry the same answer; we
 * repeat it byte for byte (o= session id and version, codec, key).  The
 * agent is offered only the codec answered in the 183, so the bridge at
 * its answer lands on that codec (or transcodes to it, callmedia.c).
 * The 183 is sent once, not repeated: a lost one costs the caller the
 * music until the 200 (which still carries the SDP), and a periodic 1xx
 * would only matter to a proxy's timer C (3 min), which the 180 of a
 * queue without early media does not refresh either.
 *
 * Not for callers that Require 100rel: we cannot send a reliable 183, so
 * such a call is handled as before (180, our answer in the 200).  Nor for
 * a caller the IVR already answered (200): it just waits (ivr.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2bua/call_priv.h"
#include "log.h"
#include "sip/sdp_oa.h"

int call_answer_own(struct sb_call *c, struct sb_buf *sdp)
{
	struct sb_cp *cp = c->cp;
	struct sb_media *md = cp->media;
	struct sb_sdp_oa_cfg oa;
	struct sb_sdp_local l;
	struct sb_sdp_fail f = { 0, NULL };
	struct sb_sdp offer;
	int rc;

	memset(&l, 0, sizeof(l));
	l.addr.family = 4;
	l.addr.ip4 = sb_media_leg_ip(md, &c->leg[SIDE_A]);
	l.port = c->leg[SIDE_A].port;
	l.sess_id = sb_rand_next(&cp->rnd) >> 20;
	l.sess_ver = 1;
	call_oa_cfg(c, &oa);
	rc = sb_sdp_parse(c->a_msg->body.p, sb_str_end(c->a_msg->body), &offer, NULL);
	if (rc == 0)
		rc = sb_sdp_oa_answer(&oa, &offer, &l, &c->a_ans, sdp, &f);
	if (rc < 0 || !sb_buf_ok(sdp))
		return rc < 0 ? rc : -ENOSPC;
	sb_sdp_oa_leg_params(&c->a_ans, &c->leg[SIDE_A].sdp);
	c->leg[SIDE_A].sdp.peer_rtcp_port = c->a_neg.rtcp_mux ? 0 : c->a_neg.rtcp_port;
	if (c->a_ans.has_local_key)
		sb_sdp_oa_srtp_of(&c->leg[SIDE_A].sdp.tx, &c->a_ans.local_key);
	/* what the agent is offered later: the answered codec (+ DTMF) */
	c->a_neg.n_codecs = c->a_ans.n_codecs;
	memcpy(c->a_neg.codecs, c->a_ans.codecs, sizeof(c->a_neg.codecs[0]) * c->a_ans.n_codecs);
	return 0;
}

/* Does the INVITE say `Require: 100rel` (RFC 3262)? */
static bool requires_100rel(const struct sb_sip_msg *m)
{
	for (unsigned i = 0; i < m->n_hdrs; i++) {
		struct sb_str v = m->hdrs[i].value;

		if (m->hdrs[i].id != SB_HDR_REQUIRE)
			continue;
		while (v.len) {
			const char *comma = sb_str_chr(v, ',');
			struct sb_str tok = sb_str_trim(sb_str_mk(v.p, comma ? comma : sb_str_end(v)));

			if (sb_str_ieq(tok, "100rel"))
				return true;
			v = comma ? sb_str_mk(comma + 1, sb_str_end(v)) : SB_STR_EMPTY;
		}
	}
	return false;
}

int call_early_answer(struct sb_call *c)
{
	struct sb_cp *cp = c->cp;
	const struct sb_sip_addr *local = sb_sip_flow_local(&cp->tx, c->a_sock);
	const uint8_t *ip = (const uint8_t *)&local->ip;
	char sdp_mem[2048], contact[600];
	struct sb_buf sdp;
	int rc;

	if (c->a_final || c->a_early || c->a_msg == NULL || c->hotline < 0)
		return -EALREADY; /* answered by the IVR, or the 183 went already */
	if (requires_100rel(c->a_msg)) {
		sb_info("call %u: caller requires 100rel: no early media (180, then 200)", c->idx);
		return -ENOTSUP;
	}
	sb_buf_init(&sdp, sdp_mem, sizeof(sdp_mem));
	rc = call_answer_own(c, &sdp);
	if (rc == 0) {
		c->a_early = malloc(sdp.len);
		if (c->a_early == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		/* a_neg may be narrowed: harmless, the 200 answers afresh */
		sb_warn("call %u: no early media: %s", c->idx, strerror(-rc));
		return rc;
	}
	memcpy(c->a_early, sdp.p, sdp.len);
	c->a_early_len = sdp.len;
	/* an SRTP caller needs our key on its leg before any music; plain
	 * RTP is programmed by music on hold (callmedia.c) */
	if (c->a_ans.has_local_key && call_media_leg(c, SIDE_A) == 0)
		c->media_prog = true; /* the agent's answer programs both legs again */
	/* the early dialog's remote target: as the 200's Contact (call.c) */
	snprintf(contact, sizeof(contact), "Contact: <sip:%s@%u.%u.%u.%u:%u%s>\r\n",
		 cp->cfg->hotlines[c->hotline].number, ip[0], ip[1], ip[2], ip[3], local->port,
		 sb_sip_flow_is_stream(c->a_sock) ? ";transport=tcp" : "");
	call_reply(c, 183, contact, sb_str_mk(sdp.p, sdp.p + sdp.len));
	sb_info("call %u: early media (183) while waiting", c->idx);
	return 0;
}

void call_early_bridged(struct sb_call *c, const struct sb_sdp_crypto *key,
			struct sb_media_sdp *la)
{
	/* the bridge made a fresh key for the caller; it already has ours:
	 * from our 183, or from our 200 when the IVR answered it (ivr.c) */
	bool answered = c->a_final >= 200 && c->a_final < 300;

	if ((c->a_early == NULL && !answered) || key == NULL || !c->a_ans.has_local_key)
		return;
	c->a_ans.local_key = *key;
	sb_sdp_oa_srtp_of(&la->tx, key);
}
