/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "sb/rtp.h"

/* ---- RFC 3550 A.1 ---- */

/* init_seq(): the source becomes valid at seq. */
static void src_init_seq(struct sb_rtp_src *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SB_RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void sb_rtp_src_init(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	src_init_seq(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = SB_RTP_MIN_SEQUENTIAL;
	s->flags = SB_RTP_SRC_F_ACTIVE;
}

int sb_rtp_src_update_seq(struct sb_rtp_src *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation != 0) {
		/* packets must be in sequence */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				src_init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = SB_RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	}
	if (udelta < SB_RTP_MAX_DROPOUT) {
		/* in order, with permissible gap */
		if (seq < s->max_seq)
			s->cycles += SB_RTP_SEQ_MOD; /* sequence number wrapped */
		s->max_seq = seq;
	} else if (udelta <= SB_RTP_SEQ_MOD - SB_RTP_MAX_MISORDER) {
		/* the sequence number made a very large jump */
		if (seq == s->bad_seq) {
			/* two sequential packets: assume the other side restarted
			 * without telling us, so just re-sync */
			src_init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1u) & (SB_RTP_SEQ_MOD - 1);
			return 0;
		}
	} else {
		/* duplicate or reordered packet */
	}
	s->received++;
	return 1;
}

/* ---- RFC 3550 A.8 (integer form, jitter kept x16) ---- */

void sb_rtp_src_update_jitter(struct sb_rtp_src *s, uint32_t arrival, uint32_t ts)
{
	uint32_t transit = arrival - ts;
	int32_t d;

	if (!(s->flags & SB_RTP_SRC_F_TRANSIT)) {
		s->transit = transit;
		s->flags |= SB_RTP_SRC_F_TRANSIT;
		return;
	}
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	/* |D| in unsigned arithmetic: -INT32_MIN would overflow (same bits) */
	s->jitter += (d < 0 ? 0u - (uint32_t)d : (uint32_t)d) - ((s->jitter + 8) >> 4);
}

int sb_rtp_src_packet(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq, uint32_t ts,
		      uint32_t arrival)
{
	int restarted = 0;

	if (!(s->flags & SB_RTP_SRC_F_ACTIVE) || ssrc != s->ssrc) {
		sb_rtp_src_init(s, ssrc, seq);
		restarted = 1;
	}
	sb_rtp_src_update_seq(s, seq);
	sb_rtp_src_update_jitter(s, arrival, ts);
	return restarted;
}

int32_t sb_rtp_src_lost(const struct sb_rtp_src *s)
{
	int64_t lost = (int64_t)sb_rtp_src_expected(s) - (int64_t)s->received;

	if (lost > 0x7fffff)
		return 0x7fffff;
	if (lost < -0x800000)
		return -0x800000;
	return (int32_t)lost;
}

/* A.3 */
uint8_t sb_rtp_src_fraction(struct sb_rtp_src *s)
{
	uint32_t expected = sb_rtp_src_expected(s);
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;

	s->expected_prior = expected;
	s->received_prior = s->received;
	if (expected_interval == 0 || lost_interval <= 0)
		return 0;
	return (uint8_t)(((uint64_t)lost_interval << 8) / expected_interval);
}

uint32_t sb_rtp_static_clock(uint8_t pt)
{
	switch (pt) {
	case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 13:
	case 15: case 18:
		return 8000; /* PCMU GSM G723 DVI4/8k LPC PCMA G722 QCELP CN G728 G729 */
	case 6:
		return 16000; /* DVI4/16k */
	case 16:
		return 11025;
	case 17:
		return 22050;
	case 10: case 11:
		return 44100; /* L16 */
	case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34:
		return 90000; /* MPA and video */
	default:
		return 0;
	}
}

/* ---- latching ---- */

void sb_latch_init(struct sb_latch *l, uint32_t sdp_ip, uint16_t sdp_port, bool may_latch,
		   uint32_t *peer_ip, uint16_t *peer_port)
{
	bool sdp_known = sdp_ip != 0 && sdp_port != 0;

	memset(l, 0, sizeof(*l));
	l->sdp_ip = sdp_known ? sdp_ip : 0;
	l->sdp_port = sdp_known ? sdp_port : 0;
	/* Without an SDP address there is nothing else to accept. */
	l->may_latch = may_latch || !sdp_known;
	l->state = SB_LATCH_IDLE;
	*peer_ip = l->sdp_ip;
	*peer_port = l->sdp_port;
}

int sb_latch_check(struct sb_latch *l, uint32_t *peer_ip, uint16_t *peer_port, uint32_t src_ip,
		   uint16_t src_port, uint32_t now_ms)
{
	bool is_peer = *peer_ip == src_ip && *peer_port == src_port;
	bool is_sdp = l->sdp_ip != 0 && l->sdp_ip == src_ip && l->sdp_port == src_port;

	if (l->state == SB_LATCH_LOCKED)
		return is_peer ? SB_LATCH_ACCEPT : SB_LATCH_REJECT;
	if (!l->may_latch) {
		/* strict to the SDP address: the first packet from it locks */
		if (!is_sdp)
			return SB_LATCH_REJECT;
		l->state = SB_LATCH_LOCKED;
		return SB_LATCH_ACCEPT;
	}
	if (l->state == SB_LATCH_IDLE) {
		l->state = SB_LATCH_LEARN;
		l->t0_ms = now_ms;
		l->n = 0;
	}
	if (l->n < 255)
		l->n++;
	if (l->n > SB_LATCH_PKTS || now_ms - l->t0_ms >= SB_LATCH_MS) {
		l->state = SB_LATCH_LOCKED; /* window over: keep what we have */
		return is_peer ? SB_LATCH_ACCEPT : SB_LATCH_REJECT;
	}
	if (is_sdp) {
		/* the negotiated address wins inside the window, and locks */
		l->state = SB_LATCH_LOCKED;
		l->learned = 0;
		if (is_peer)
			return SB_LATCH_ACCEPT;
		*peer_ip = src_ip;
		*peer_port = src_port;
		return SB_LATCH_NEW_PEER;
	}
	if (is_peer)
		return SB_LATCH_ACCEPT;
	if (l->learned)
		return SB_LATCH_REJECT; /* first learned source holds; only SDP overrides */
	*peer_ip = src_ip;
	*peer_port = src_port;
	l->learned = 1;
	return SB_LATCH_NEW_PEER;
}

/* ---- RTCP ---- */

/* SDES chunks: SSRC, items (type, len, data) until a zero type, then pad
 * to 32 bits.  Returns 0 when count chunks fit in body[0, len). */
static int sdes_walk(const uint8_t *body, size_t len, unsigned count, uint16_t *offs,
		     unsigned max, unsigned *n_offs, unsigned base)
{
	size_t o = 0;

	for (unsigned c = 0; c < count; c++) {
		if (o + 4 > len)
			return -EBADMSG;
		if (offs != NULL && *n_offs < max)
			offs[(*n_offs)++] = (uint16_t)(base + o);
		o += 4;
		for (;;) {
			if (o >= len)
				return -EBADMSG;
			if (body[o] == 0) { /* end of items: skip to the next word */
				o = (o + 4) & ~(size_t)3;
				break;
			}
			if (o + 2 > len || o + 2 + body[o + 1] > len)
				return -EBADMSG;
			o += 2 + body[o + 1];
		}
		if (o > len)
			return -EBADMSG;
	}
	return 0;
}

int sb_rtcp_walk(const uint8_t *buf, size_t len, struct sb_rtcp_pkt *out, unsigned max)
{
	size_t off = 0;
	unsigned n = 0;

	if (len < 4 || len > UINT16_MAX || (len & 3) != 0)
		return -EBADMSG;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen, body;
		unsigned count, pt;

		if (len - off < 4 || (p[0] >> 6) != SB_RTP_VERSION)
			return -EBADMSG;
		pt = p[1];
		count = p[0] & 0x1f;
		if (pt < 192 || pt > 223)
			return -EBADMSG;
		plen = ((size_t)sb_be16(p + 2) + 1) * 4;
		if (plen > len - off)
			return -EBADMSG;
		if (p[0] & 0x20) { /* padding: only on the last packet */
			unsigned pad;

			if (off + plen != len)
				return -EBADMSG;
			pad = p[plen - 1];
			if (pad == 0 || pad > plen - 4)
				return -EBADMSG;
			plen -= pad;
		}
		body = plen - 4;
		switch (pt) {
		case SB_RTCP_SR:
			if (body < 24 + (size_t)count * SB_RTCP_RB_LEN)
				return -EBADMSG;
			break;
		case SB_RTCP_RR:
			if (body < 4 + (size_t)count * SB_RTCP_RB_LEN)
				return -EBADMSG;
			break;
		case SB_RTCP_BYE:
			if (body < (size_t)count * 4)
				return -EBADMSG;
			break;
		case SB_RTCP_SDES:
			if (sdes_walk(p + 4, body, count, NULL, 0, NULL, 4) < 0)
				return -EBADMSG;
			break;
		case SB_RTCP_APP: case SB_RTCP_RTPFB: case SB_RTCP_PSFB: case SB_RTCP_XR:
			if (body < 4) /* sender SSRC at least */
				return -EBADMSG;
			break;
		default:
			break;
		}
		if (n == max)
			return -E2BIG;
		out[n].pt = (uint8_t)pt;
		out[n].count = (uint8_t)count;
		out[n].off = (uint16_t)off;
		out[n].len = (uint16_t)plen;
		n++;
		off += ((size_t)sb_be16(p + 2) + 1) * 4;
	}
	return (int)n;
}

void sb_rtcp_rb_read(const uint8_t *b, struct sb_rtcp_rb *rb)
{
	uint32_t w = sb_be32(b + 4);

	rb->ssrc = sb_be32(b);
	rb->fraction = (uint8_t)(w >> 24);
	rb->cum_lost = (int32_t)(w << 8) >> 8; /* sign-extend 24 bits */
	rb->ext_seq = sb_be32(b + 8);
	rb->jitter = sb_be32(b + 12);
	rb->lsr = sb_be32(b + 16);
	rb->dlsr = sb_be32(b + 20);
}

unsigned sb_rtcp_sender_ssrcs(const uint8_t *pkt, const struct sb_rtcp_pkt *p, uint16_t *offs,
			      unsigned max)
{
	unsigned n = 0;

	if (p->pt == SB_RTCP_BYE) {
		for (unsigned i = 0; i < p->count && n < max; i++)
			if (4u + 4u * i + 4u <= p->len)
				offs[n++] = (uint16_t)(4 + 4 * i);
	} else if (p->pt == SB_RTCP_SDES) {
		if (sdes_walk(pkt + 4, (size_t)p->len - 4, p->count, offs, max, &n, 4) < 0)
			return 0;
	}
	return n;
}

int64_t sb_rtcp_rtt_q16(uint32_t arrival, uint32_t lsr, uint32_t dlsr)
{
	uint32_t rtt;

	if (lsr == 0)
		return -1;
	rtt = arrival - lsr - dlsr;
	if ((int32_t)rtt < 0)
		return -1;
	return rtt;
}
