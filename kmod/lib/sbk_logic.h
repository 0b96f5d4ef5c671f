/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * the pure logic of sb_relay.ko, in plain C with no kernel
 * API, so the module and the user-space unit tests (tests/kmod/logic_t.c)
 * compile the very same code (rtpengine's extmap_filter.inc.c habit):
 *   - classification of an IPv4/UDP header (what the fast path handles),
 *   - the hash of a key (local address, local port),
 *   - the source check and latching rule of a leg, on one 64-bit word that
 *     the module swaps with cmpxchg (no lock per packet),
 *   - RFC 1624 incremental checksum updates, full and pseudo-header only
 *     (CHECKSUM_PARTIAL),
 *   - RTP header check and sequence tracking (RFC 3550 A.1, simplified:
 *     no probation, cumulative loss across SSRC changes).
 *
 * Wire values (addresses, ports, checksums) are kept in network order in
 * sbk_be32/sbk_be16/sbk_sum16; one's complement sums do not depend on byte
 * order (RFC 1071), so the arithmetic works on them as stored.
 */
#ifndef SBK_LOGIC_H
#define SBK_LOGIC_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef __be32 sbk_be32;
typedef __be16 sbk_be16;
typedef __sum16 sbk_sum16;
#define SBK_FORCE __force
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint32_t sbk_be32;
typedef uint16_t sbk_be16;
typedef uint16_t sbk_sum16;
#define SBK_FORCE
#endif

/* ---- IPv4 + UDP classification ---- */

enum sbk_pkt {
	SBK_PKT_OK = 0,  /* plain IPv4/UDP: fast-path candidate */
	SBK_PKT_SHORT,   /* fewer than 28 bytes, or IP total length too short */
	SBK_PKT_NOT_UDP, /* not IPv4 or not UDP */
	SBK_PKT_IP_OPTS, /* IHL > 5 */
	SBK_PKT_FRAG,    /* MF set or fragment offset != 0 */
	SBK_PKT_BAD_LEN, /* UDP length inconsistent with the IP total length */
};

#define SBK_IP4_HLEN  20u
#define SBK_UDP_HLEN  8u
#define SBK_RTP_HLEN  12u

static inline uint16_t sbk_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t sbk_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* p: the IPv4 header; avail: bytes readable at p (the linear part);
 * ip_len_out: total length from the header.  Reads at most 28 bytes.
 */
static inline enum sbk_pkt sbk_classify(const uint8_t *p, uint32_t avail, uint32_t *ip_len_out)
{
	uint32_t ip_len, udp_len;

	if (avail < SBK_IP4_HLEN)
		return SBK_PKT_SHORT;
	if ((p[0] >> 4) != 4 || p[9] != 17 /* IPPROTO_UDP */)
		return SBK_PKT_NOT_UDP;
	if ((p[0] & 0xf) != 5)
		return (p[0] & 0xf) < 5 ? SBK_PKT_SHORT : SBK_PKT_IP_OPTS;
	if ((sbk_rd16(p + 6) & 0x3fff) != 0)
		return SBK_PKT_FRAG;
	ip_len = sbk_rd16(p + 2);
	if (ip_len < SBK_IP4_HLEN + SBK_UDP_HLEN || avail < SBK_IP4_HLEN + SBK_UDP_HLEN)
		return SBK_PKT_SHORT;
	udp_len = sbk_rd16(p + SBK_IP4_HLEN + 4);
	if (udp_len < SBK_UDP_HLEN || udp_len != ip_len - SBK_IP4_HLEN)
		return SBK_PKT_BAD_LEN;
	*ip_len_out = ip_len;
	return SBK_PKT_OK;
}

/* ---- key hash ---- */

/* (local address, local port) plus a per-namespace/boot seed to a 32-bit
 * hash; the table uses the top bits.  A 64-bit multiply-xorshift mix: one
 * multiply per round, no table.
 */
static inline uint32_t sbk_key_hash(sbk_be32 ip, sbk_be16 port, uint32_t seed)
{
	uint64_t x = ((uint64_t)(SBK_FORCE uint32_t)ip << 32) |
		     ((uint64_t)(SBK_FORCE uint16_t)port << 16) | (seed & 0xffffu);

	x ^= (uint64_t)seed << 32;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* ---- peer word and latching ---- */

/* A leg's peer in one 64-bit word so that the fast path reads it with one
 * load and latches it with one compare-and-swap: bits 0-31 address and
 * 32-47 port exactly as stored (network order), bit 48 = latched.
 */
#define SBK_PEER_LATCHED (1ull << 48)

static inline uint64_t sbk_peer_make(sbk_be32 ip, sbk_be16 port, bool latched)
{
	return (uint64_t)(SBK_FORCE uint32_t)ip | ((uint64_t)(SBK_FORCE uint16_t)port << 32) |
	       (latched ? SBK_PEER_LATCHED : 0);
}

static inline sbk_be32 sbk_peer_ip(uint64_t w)
{
	return (SBK_FORCE sbk_be32)(uint32_t)w;
}

static inline sbk_be16 sbk_peer_port(uint64_t w)
{
	return (SBK_FORCE sbk_be16)(uint16_t)(w >> 32);
}

static inline bool sbk_peer_is_known(uint64_t w)
{
	return (uint32_t)w != 0 && (uint16_t)(w >> 32) != 0;
}

static inline bool sbk_peer_is_latched(uint64_t w)
{
	return (w & SBK_PEER_LATCHED) != 0;
}

enum sbk_src {
	SBK_SRC_OK = 0, /* accept, nothing to change */
	SBK_SRC_SET,    /* accept, and store *next (learnt or confirmed peer) */
	SBK_SRC_REJECT, /* strict: drop and count */
};

#define SBK_F_LATCH  (1u << 0) /* = SB_RELAY_F_LATCH */
#define SBK_F_STRICT (1u << 1) /* = SB_RELAY_F_STRICT */

/* The dataplane's rule (dataplane/relay.c leg_check_source):
 *  - from the known peer: accept; the first such packet locks (latches) it;
 *  - peer unknown, or LATCH and not yet latched: learn this source and lock;
 *  - otherwise another source: STRICT rejects it, else accept and keep the peer.
 */
static inline enum sbk_src sbk_src_check(uint64_t peer, uint32_t flags, sbk_be32 sip,
					 sbk_be16 sport, uint64_t *next)
{
	uint64_t from = sbk_peer_make(sip, sport, true);
	bool known = sbk_peer_is_known(peer);

	if (known && (peer | SBK_PEER_LATCHED) == from) {
		if (sbk_peer_is_latched(peer))
			return SBK_SRC_OK;
		*next = from;
		return SBK_SRC_SET;
	}
	if (!known || ((flags & SBK_F_LATCH) && !sbk_peer_is_latched(peer))) {
		*next = from;
		return SBK_SRC_SET;
	}
	return (flags & SBK_F_STRICT) ? SBK_SRC_REJECT : SBK_SRC_OK;
}

/* ---- incremental checksums (RFC 1624 eq. 3) ---- */

static inline uint32_t sbk_csum_fold32(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/* A complemented checksum (IP header, UDP with the final value) after a
 * 32-bit field changed from 'from' to 'to'.
 */
static inline sbk_sum16 sbk_csum_replace4(sbk_sum16 check, sbk_be32 from, sbk_be32 to)
{
	uint32_t f = ~(SBK_FORCE uint32_t)from, t = (SBK_FORCE uint32_t)to;
	uint32_t s = (uint16_t)~(SBK_FORCE uint16_t)check;

	s += (f & 0xffff) + (f >> 16) + (t & 0xffff) + (t >> 16);
	return (SBK_FORCE sbk_sum16)(uint16_t)~sbk_csum_fold32(s);
}

static inline sbk_sum16 sbk_csum_replace2(sbk_sum16 check, sbk_be16 from, sbk_be16 to)
{
	uint32_t s = (uint16_t)~(SBK_FORCE uint16_t)check;

	s += (uint16_t)~(SBK_FORCE uint16_t)from + (SBK_FORCE uint16_t)to;
	return (SBK_FORCE sbk_sum16)(uint16_t)~sbk_csum_fold32(s);
}

/* CHECKSUM_PARTIAL: the UDP check field holds the pseudo-header sum, not
 * complemented, and the device (or skb_checksum_help) adds the payload and
 * complements.  Only pseudo-header fields (the addresses) are folded in;
 * ports are payload of that final sum and must NOT be.
 */
static inline sbk_sum16 sbk_csum_pseudo_replace4(sbk_sum16 partial, sbk_be32 from, sbk_be32 to)
{
	sbk_sum16 c = (SBK_FORCE sbk_sum16)(uint16_t)~(SBK_FORCE uint16_t)partial;

	c = sbk_csum_replace4(c, from, to);
	return (SBK_FORCE sbk_sum16)(uint16_t)~(SBK_FORCE uint16_t)c;
}

/* UDP over IPv4: a computed 0 is sent as 0xffff (0 means "no checksum"). */
static inline sbk_sum16 sbk_udp_csum_mangle0(sbk_sum16 c)
{
	return (SBK_FORCE uint16_t)c == 0 ? (SBK_FORCE sbk_sum16)(uint16_t)0xffff : c;
}

/* ---- RTP ---- */

/* Is this UDP payload RTP (v2, not RTCP multiplexed on the port, RFC 5761)?
 * On success *seq and *ssrc are host order.
 */
static inline bool sbk_rtp_parse(const uint8_t *p, uint32_t len, uint16_t *seq, uint32_t *ssrc)
{
	if (len < SBK_RTP_HLEN || (p[0] >> 6) != 2)
		return false;
	if (p[1] >= 192 && p[1] <= 223)
		return false; /* RTCP SR/RR/SDES/BYE/APP/FB/XR */
	*seq = sbk_rd16(p + 2);
	*ssrc = sbk_rd32(p + 8);
	return true;
}

#define SBK_RTP_MAX_DROPOUT  3000u
#define SBK_RTP_MAX_MISORDER 100u

/* Receive state of one leg's RTP; written by the CPU that handles the
 * packet (one flow is steered to one CPU in practice; a race only blurs
 * the loss estimate, never memory safety).
 */
struct sbk_rtp_seq {
	uint32_t ssrc;
	uint32_t cycles;     /* wraps of max_seq, times 65536 */
	uint32_t received;   /* since base */
	uint16_t base_seq;
	uint16_t max_seq;
	uint64_t lost_prev;  /* loss of earlier SSRCs or sequences */
	uint8_t init;
	uint8_t pad[7];
};

/* Loss of the current sequence: expected - received (RFC 3550 A.3), never < 0. */
static inline uint64_t sbk_rtp_lost_current(const struct sbk_rtp_seq *s)
{
	int64_t expected, lost;

	if (!s->init)
		return 0;
	expected = (int64_t)s->cycles + s->max_seq - s->base_seq + 1;
	lost = expected - (int64_t)s->received;
	return lost > 0 ? (uint64_t)lost : 0;
}

static inline uint64_t sbk_rtp_lost(const struct sbk_rtp_seq *s)
{
	return s->lost_prev + sbk_rtp_lost_current(s);
}

static inline void sbk_rtp_restart(struct sbk_rtp_seq *s, uint16_t seq, uint32_t ssrc)
{
	s->lost_prev += sbk_rtp_lost_current(s);
	s->ssrc = ssrc;
	s->base_seq = seq;
	s->max_seq = seq;
	s->cycles = 0;
	s->received = 1;
	s->init = 1;
}

/* One RTP packet with sequence number seq from ssrc. */
static inline void sbk_rtp_update(struct sbk_rtp_seq *s, uint16_t seq, uint32_t ssrc)
{
	uint16_t udelta;

	if (!s->init || s->ssrc != ssrc) {
		sbk_rtp_restart(s, seq, ssrc);
		return;
	}
	udelta = (uint16_t)(seq - s->max_seq);
	if (udelta < SBK_RTP_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += 1u << 16; /* wrapped */
		s->max_seq = seq;
	} else if (udelta <= (1u << 16) - SBK_RTP_MAX_MISORDER) {
		sbk_rtp_restart(s, seq, ssrc); /* the sender jumped: a new sequence */
		return;
	}
	/* else: duplicate or reordered within the window: counted as received */
	s->received++;
}

#endif
