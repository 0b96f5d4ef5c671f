/* SPDX-License-Identifier: MIT */
/*
 * sip/sdp_oa.h — RFC 3264 offer/answer for one audio stream, as an
 * endpoint and as a B2BUA that bridges two offer/answer exchanges.
 *
 * A struct sb_sdp_neg is one audio stream as one side described it (its
 * address, port, codecs with its payload-type numbers, direction, key).
 * Its sb_str fields are slices of that side's SDP body: keep the body.
 *
 * Endpoint:  sb_sdp_oa_answer(cfg, offer) writes the answer.
 *
 * B2BUA, side X offers, side Y answers (initial INVITE, re-INVITE, UPDATE;
 * X and Y are caller/agent either way round):
 *   sb_sdp_oa_accept(cfg, offer_x, &x)        what of X's offer we can carry
 *   sb_sdp_oa_relay_offer(&x, &oy)            our offer toward Y (plain RTP)
 *   sb_sdp_oa_write_offer(buf, &oy, &local_y) ... sent to Y
 *   sb_sdp_oa_match(&oy, answer_y, &y)        Y's answer against that offer
 *   sb_sdp_oa_bridge(&x, &y, &ax, &leg_x, &leg_y)   our answer to X, legs
 *   sb_sdp_oa_write_answer(buf, offer_x, &ax, &local_x) ... sent to X
 * Every step that fails returns -ENOTSUP with a Warning (RFC 3261 20.43)
 * code and text for the 488 to send: see struct sb_sdp_fail.
 */
#ifndef SB_SIP_SDP_OA_H
#define SB_SIP_SDP_OA_H

#include "media/backend.h"
#include "sip/sdp.h"

#define SB_SDP_NEG_MAX 6 /* codecs kept per stream (audio codecs, then DTMF) */

/* What we can serve, from configuration. */
struct sb_sdp_oa_cfg {
	uint8_t n_codecs;
	uint8_t codecs[SB_CODEC_N]; /* enum sb_codec, preference order; TEL_EVENT = DTMF allowed */
	uint32_t srtp_suites;       /* bit (1u << enum sb_srtp_suite); 0: RTP/SAVP is rejected */
};

/* PCMU, PCMA, opus, telephone-event; the three SDES suites. */
void sb_sdp_oa_cfg_default(struct sb_sdp_oa_cfg *cfg);

struct sb_sdp_codec {
	uint8_t pt;
	uint8_t codec;       /* enum sb_codec */
	uint8_t channels;
	uint32_t rate;
	struct sb_str enc;   /* as written by that side */
	struct sb_str fmtp;  /* passed through (opus useinbandfec/usedtx, events 0-16) */
};

struct sb_sdp_neg {
	int8_t m_idx;        /* m= line of that side's SDP; -1 none */
	uint8_t proto;       /* enum sb_sdp_proto */
	uint8_t dir;         /* enum sb_sdp_dir, as that side wrote it */
	bool rtcp_mux;
	uint16_t port, rtcp_port, ptime, maxptime;
	struct sb_sdp_addr addr;
	uint8_t n_codecs;    /* audio codecs first ([0] in use after an answer), then DTMF */
	struct sb_sdp_codec codecs[SB_SDP_NEG_MAX];
	bool has_key, has_local_key;
	struct sb_sdp_crypto key;       /* that side's SDES key (it protects with it) */
	struct sb_sdp_crypto local_key; /* ours toward that side (we protect with it) */
};

/* Where a 488 comes from: Warning code (304 media type not available,
 * 305 incompatible media format, 302 incompatible transport protocol,
 * 399 miscellaneous) and text for the Warning header. */
struct sb_sdp_fail {
	unsigned warn;
	const char *text;
};

/* Our side of the SDP: address, RTP port, o= numbers. */
struct sb_sdp_local {
	struct sb_sdp_addr addr;
	uint16_t port;
	uint64_t sess_id, sess_ver;
};

/* The first audio stream of offer that we can carry: RTP/AVP(F), or
 * RTP/SAVP(F) with an a=crypto of an allowed suite (the offerer's first
 * such line is taken); codecs we support, the offerer's numbers, in our
 * preference order.  0, or -ENOTSUP with *f. */
int sb_sdp_oa_accept(const struct sb_sdp_oa_cfg *cfg, const struct sb_sdp *offer,
		     struct sb_sdp_neg *x, struct sb_sdp_fail *f);

/* Our offer toward the other side from what X offered: the same codecs,
 * numbers, ptime, rtcp-mux and direction, over plain RTP/AVP (the far
 * side gets no key; the media layer protects on X's leg only). */
void sb_sdp_oa_relay_offer(const struct sb_sdp_neg *x, struct sb_sdp_neg *offer);

/* Check an answer against the offer we sent (RFC 3264 section 6/7): the
 * same m= line, same transport, port > 0, codecs among those offered
 * (numbers may differ: matched by codec), kept in the answerer's order.
 * 0, or -ENOTSUP with *f. */
int sb_sdp_oa_match(const struct sb_sdp_neg *offer, const struct sb_sdp *answer,
		    struct sb_sdp_neg *y, struct sb_sdp_fail *f);

/* Our answer to X from Y's answer: Y's first audio codec under X's number,
 * with telephone-event when both have it at that clock; the direction
 * composed from both (hold passes through); X's rtcp-mux accepted; for
 * RTP/SAVP a fresh key (getrandom) of X's suite and tag.  Fills the media
 * parameters of X's leg and Y's leg (payload-type maps both ways, RTCP,
 * keys).  leg_x/leg_y may be NULL.  0, -ENOTSUP with *f (no codec in
 * common, which cannot happen when Y answered the relayed offer
 * correctly) or -EIO (no randomness). */
int sb_sdp_oa_bridge(const struct sb_sdp_neg *x, const struct sb_sdp_neg *y,
		     struct sb_sdp_neg *ax, struct sb_media_sdp *leg_x,
		     struct sb_media_sdp *leg_y, struct sb_sdp_fail *f);

/* Media parameters of a leg before any answer: the offerer's codecs with
 * their clocks (identity map, up to SB_MEDIA_MAX_PT), its RTCP port and
 * rtcp-mux (we accept mux whenever offered). */
void sb_sdp_oa_leg_params(const struct sb_sdp_neg *x, struct sb_media_sdp *leg);

/* Endpoint answer: accept, pick our most preferred codec (+ DTMF at its
 * clock), answer the direction (sendonly -> recvonly, recvonly ->
 * sendonly, inactive -> inactive), ptime of the offer, rtcp-mux when
 * offered, a fresh key for SAVP.  ans describes our answer; the written
 * SDP answers every m= line of offer (others with port 0). */
int sb_sdp_oa_answer(const struct sb_sdp_oa_cfg *cfg, const struct sb_sdp *offer,
		     const struct sb_sdp_local *local, struct sb_sdp_neg *ans, struct sb_buf *out,
		     struct sb_sdp_fail *f);

/* Writers (sb_buf never overflows: check sb_buf_ok()). */
void sb_sdp_oa_write_offer(struct sb_buf *b, const struct sb_sdp_neg *o,
			   const struct sb_sdp_local *local);
/* Answer every m= line of offer: ours (ans->m_idx) with ans, the rest
 * rejected with port 0 and their formats echoed (RFC 3264 section 6). */
void sb_sdp_oa_write_answer(struct sb_buf *b, const struct sb_sdp *offer,
			    const struct sb_sdp_neg *ans, const struct sb_sdp_local *local);

/* The direction an answerer uses for an offered one (endpoint rule). */
enum sb_sdp_dir sb_sdp_oa_answer_dir(enum sb_sdp_dir offered);

/* Fill a fresh SDES key of suite with tag (getrandom).  0 or -EIO. */
int sb_sdp_oa_new_key(struct sb_sdp_crypto *k, enum sb_srtp_suite suite, uint32_t tag);

/* The direction of our answer to X when X's stream is bridged to Y's
 * (B2BUA rule: X sends only if X may send and Y receives, and the other
 * way round; hold passes through).  x_dir, y_dir: enum sb_sdp_dir. */
enum sb_sdp_dir sb_sdp_oa_bridge_dir(unsigned x_dir, unsigned y_dir);

/* A leg's SRTP parameters from an SDES key (key truncated to fit). */
void sb_sdp_oa_srtp_of(struct sb_media_srtp *d, const struct sb_sdp_crypto *k);

#endif
