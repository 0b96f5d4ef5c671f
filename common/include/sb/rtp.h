/* SPDX-License-Identifier: MIT */
/*
 * sb/rtp.h — RTP/RTCP maths and parsing, plain C (no DPDK) so that unit
 * tests and fuzzers build it alone and the kernel relay could share it.
 *
 *  - receive statistics of one RTP source as RFC 3550 A.1 (sequence
 *    validation with probation, extended highest sequence, cycles,
 *    expected, cumulative lost), A.3 (fraction lost over an interval) and
 *    A.8 (interarrival jitter in timestamp units);
 *  - TSC (or any tick) to RTP clock conversion without a division per packet;
 *  - the latching rule of a leg (which sources may send media to it);
 *  - a bounds-checked walk of compound RTCP packets (untrusted input:
 *    fuzzed by tests/fuzz/fuzz_rtcp.c) and round-trip time from LSR/DLSR
 *    (RFC 3550 6.4.1).
 *
 * Multi-byte wire fields are big-endian; functions here take and return
 * host-order values unless a name says otherwise.
 */
#ifndef SB_RTP_H
#define SB_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_RTP_HDR_LEN  12u
#define SB_RTCP_HDR_LEN 8u
#define SB_RTP_VERSION  2u

/* RTCP packet types (RFC 3550, 4585, 3611). */
enum {
	SB_RTCP_SR = 200,
	SB_RTCP_RR = 201,
	SB_RTCP_SDES = 202,
	SB_RTCP_BYE = 203,
	SB_RTCP_APP = 204,
	SB_RTCP_RTPFB = 205,
	SB_RTCP_PSFB = 206,
	SB_RTCP_XR = 207,
};

static inline uint16_t sb_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t sb_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void sb_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void sb_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 5761 section 4: with RTP and RTCP on one port, a second byte of
 * 192..223 (RTCP packet types 64..95 seen through the RTP M|PT byte) is
 * RTCP; RTP payload types never use 64..95 for that reason. */
static inline bool sb_rtp_mux_is_rtcp(uint8_t byte1)
{
	return byte1 >= 192 && byte1 <= 223;
}

/* ---- receive statistics (RFC 3550 A.1, A.3, A.8) ---- */

#define SB_RTP_MIN_SEQUENTIAL 2u    /* packets in sequence before a source is valid */
#define SB_RTP_MAX_DROPOUT    3000u /* larger forward jump: a restart, needs 2 in a row */
#define SB_RTP_MAX_MISORDER   100u  /* larger backward jump: also a restart */
#define SB_RTP_SEQ_MOD        (1u << 16)

#define SB_RTP_SRC_F_ACTIVE  1u /* a source is being tracked */
#define SB_RTP_SRC_F_TRANSIT 2u /* transit holds a value (jitter needs two packets) */

/* One RTP source as a receiver sees it.  Zero-initialised = no source yet. */
struct sb_rtp_src {
	uint32_t ssrc;
	uint16_t max_seq;        /* highest sequence number seen */
	uint8_t probation;       /* packets still needed before the source is valid */
	uint8_t flags;           /* SB_RTP_SRC_F_* */
	uint32_t cycles;         /* sequence wraps, shifted: a multiple of 65536 */
	uint32_t base_seq;       /* first valid sequence number */
	uint32_t bad_seq;        /* last 'bad' sequence + 1 (restart detection) */
	uint32_t received;       /* valid packets received */
	uint32_t expected_prior; /* at the last interval (A.3) */
	uint32_t received_prior;
	uint32_t transit;        /* relative transit time of the previous packet */
	uint32_t jitter;         /* interarrival jitter, timestamp units x 16 */
};

/* Start tracking a new source from its first packet (A.1 init + probation). */
void sb_rtp_src_init(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq);

/* A.1 update_seq(): returns 1 when the packet counts (valid source, not a
 * restart in progress), 0 while on probation or after a large jump. */
int sb_rtp_src_update_seq(struct sb_rtp_src *s, uint16_t seq);

/* A.8: arrival and ts in the same clock (RTP timestamp units, mod 2^32).
 * The first call only records the transit time. */
void sb_rtp_src_update_jitter(struct sb_rtp_src *s, uint32_t arrival, uint32_t ts);

/* One received packet: a new SSRC (or the first packet) restarts the
 * source; then sequence and jitter.  Returns 1 if the source restarted. */
int sb_rtp_src_packet(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq, uint32_t ts,
		      uint32_t arrival);

static inline uint32_t sb_rtp_src_ext_max(const struct sb_rtp_src *s)
{
	return s->cycles + s->max_seq;
}

/* Packets expected since base_seq (0 while on probation). */
static inline uint32_t sb_rtp_src_expected(const struct sb_rtp_src *s)
{
	if (s->probation != 0 || s->received == 0)
		return 0;
	return sb_rtp_src_ext_max(s) - s->base_seq + 1;
}

/* Cumulative lost, clamped to the 24-bit signed field of a report block
 * (negative with duplicates). */
int32_t sb_rtp_src_lost(const struct sb_rtp_src *s);

/* A.3: fraction lost since the previous call, in 1/256 (8-bit fixed
 * point as in a report block); advances the interval. */
uint8_t sb_rtp_src_fraction(struct sb_rtp_src *s);

static inline uint32_t sb_rtp_src_jitter(const struct sb_rtp_src *s)
{
	return s->jitter >> 4;
}

/* sb_rtp_src_packet() for a fast path: the steady state (same SSRC,
 * source valid, transit known, in order or a small gap) inline, anything
 * else through the full A.1 code.  Same results as sb_rtp_src_packet()
 * for every input (tests/unit/rtp_stats_t.c checks both). */
static inline int sb_rtp_src_packet_fast(struct sb_rtp_src *s, uint32_t ssrc, uint16_t seq,
					 uint32_t ts, uint32_t arrival)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	uint32_t transit;
	int32_t d;

	if (__builtin_expect(ssrc != s->ssrc || s->probation != 0 ||
				     (s->flags & (SB_RTP_SRC_F_ACTIVE | SB_RTP_SRC_F_TRANSIT)) !=
					     (SB_RTP_SRC_F_ACTIVE | SB_RTP_SRC_F_TRANSIT) ||
				     udelta >= SB_RTP_MAX_DROPOUT,
			     0))
		return sb_rtp_src_packet(s, ssrc, seq, ts, arrival);
	/* A.1 update_seq(), first branch */
	if (seq < s->max_seq)
		s->cycles += SB_RTP_SEQ_MOD;
	s->max_seq = seq;
	s->received++;
	/* A.8, as sb_rtp_src_update_jitter() */
	transit = arrival - ts;
	d = (int32_t)(transit - s->transit);
	s->transit = transit;
	s->jitter += (d < 0 ? 0u - (uint32_t)d : (uint32_t)d) - ((s->jitter + 8) >> 4);
	return 0;
}

/* sb_rtp_src_lost(), inline. */
static inline int32_t sb_rtp_src_lost_fast(const struct sb_rtp_src *s)
{
	int64_t lost = (int64_t)sb_rtp_src_expected(s) - (int64_t)s->received;

	if (lost > 0x7fffff)
		return 0x7fffff;
	if (lost < -0x800000)
		return -0x800000;
	return (int32_t)lost;
}

/* ---- clocks ---- */

#define SB_RTP_CLOCK_SHIFT 48u

/* 16.48 fixed-point RTP clock units per tick of a tick_hz counter (TSC),
 * rounded up so that whole seconds convert exactly.  One division, done
 * when the clock rate changes, never per packet. */
static inline uint64_t sb_rtp_clock_mult(uint32_t clock_hz, uint64_t tick_hz)
{
	if (tick_hz == 0)
		return 0;
	return (uint64_t)((((unsigned __int128)clock_hz << SB_RTP_CLOCK_SHIFT) + tick_hz - 1) /
			  tick_hz);
}

/* ticks in RTP clock units, mod 2^32 (only differences matter). */
static inline uint32_t sb_rtp_clock_units(uint64_t ticks, uint64_t mult)
{
	return (uint32_t)(((unsigned __int128)ticks * mult) >> SB_RTP_CLOCK_SHIFT);
}

/* Clock rate of a static payload type (RFC 3551 table 4/5), 0 when the
 * type is dynamic or unassigned. */
uint32_t sb_rtp_static_clock(uint8_t pt);

/* ---- source latching (media security) ---- */

/* Also in sb/dp_abi.h (the contract control reads); the same tokens, so
 * including both is fine, and a change to one breaks the build of the other. */
#define SB_LATCH_PKTS 5u    /* the peer may be learned from this many first packets */
#define SB_LATCH_MS   3000u /* ... within this time of the first packet */

enum sb_latch_state {
	SB_LATCH_IDLE = 0,  /* no packet yet */
	SB_LATCH_LEARN = 1, /* inside the window */
	SB_LATCH_LOCKED = 2 /* peer fixed: every other source is rejected */
};

struct sb_latch {
	uint32_t sdp_ip;   /* negotiated peer (network order), 0 = none */
	uint16_t sdp_port; /* 0 = none */
	uint8_t state;     /* enum sb_latch_state */
	uint8_t n;         /* packets seen in the window (accepted or not) */
	uint8_t learned;   /* the current peer came from traffic, not from SDP */
	uint8_t may_latch; /* leg allows learning (NAT); forced on without SDP peer */
	uint16_t pad;
	uint32_t t0_ms;    /* arrival of the first packet */
};

enum sb_latch_verdict {
	SB_LATCH_REJECT = -1, /* drop: not the peer (BAD_SRC) */
	SB_LATCH_ACCEPT = 0,  /* the current peer */
	SB_LATCH_NEW_PEER = 1 /* accepted and *peer_ip/port changed: tell control */
};

/* Reset for a new (or modified) leg; the peer starts as the SDP address. */
void sb_latch_init(struct sb_latch *l, uint32_t sdp_ip, uint16_t sdp_port, bool may_latch,
		   uint32_t *peer_ip, uint16_t *peer_port);

/* Decide on a packet from src_ip:src_port at now_ms (any monotonic ms;
 * wrap-safe).  The rule:
 *   - a leg that may not latch and has an SDP peer accepts only that peer;
 *   - otherwise the first SB_LATCH_PKTS packets within SB_LATCH_MS of the
 *     first one form a learning window: a packet from the SDP address
 *     latches it at once and locks; else the first other source is taken
 *     (tentatively) and other sources are rejected;
 *   - when the window ends the peer locks; from then on only it is accepted.
 * Updates *peer_ip and *peer_port when the peer changes. */
int sb_latch_check(struct sb_latch *l, uint32_t *peer_ip, uint16_t *peer_port, uint32_t src_ip,
		   uint16_t src_port, uint32_t now_ms);

/* ---- RTCP ---- */

#define SB_RTCP_MAX_PKTS 16u /* sub-packets per compound we handle */
#define SB_RTCP_RB_LEN   24u

/* One packet of a compound, as found by sb_rtcp_walk(). */
struct sb_rtcp_pkt {
	uint8_t pt;    /* packet type (192..223) */
	uint8_t count; /* RC/SC/FMT field */
	uint16_t off;  /* byte offset of its header in the compound */
	uint16_t len;  /* bytes, header included, padding excluded */
};

/* A report block (SR or RR). */
struct sb_rtcp_rb {
	uint32_t ssrc;     /* the source this block reports on */
	uint8_t fraction;  /* lost since the previous report, 1/256 */
	int32_t cum_lost;  /* 24-bit signed */
	uint32_t ext_seq;  /* extended highest sequence received */
	uint32_t jitter;   /* timestamp units */
	uint32_t lsr;      /* middle 32 bits of the NTP time of the last SR, 0 = none */
	uint32_t dlsr;     /* delay since that SR, 1/65536 s */
};

/* Walk the compound packet buf[0, len): every packet must carry version 2,
 * a type in 192..223 and a length that fits; the lengths must add up to
 * len exactly; only the last packet may be padded (and its pad count must
 * fit); SR/RR report blocks, BYE sources and SDES chunks must fit inside
 * their packet.  Fills out[0..max) and returns the number of packets, or
 * -EBADMSG (malformed), -E2BIG (more than max packets).  Reads nothing
 * outside buf. */
int sb_rtcp_walk(const uint8_t *buf, size_t len, struct sb_rtcp_pkt *out, unsigned max);

/* Offset (from the packet header) of report block i of an SR/RR packet. */
static inline unsigned sb_rtcp_rb_off(const struct sb_rtcp_pkt *p, unsigned i)
{
	return (p->pt == SB_RTCP_SR ? 28u : 8u) + i * SB_RTCP_RB_LEN;
}

/* Decode 24 bytes at b. */
void sb_rtcp_rb_read(const uint8_t *b, struct sb_rtcp_rb *rb);

/* Offsets (from the packet header) of every SSRC/CSRC that identifies a
 * *sender* in an SDES (each chunk) or BYE packet; returns how many were
 * stored (at most max).  The packet must come from sb_rtcp_walk(). */
unsigned sb_rtcp_sender_ssrcs(const uint8_t *pkt, const struct sb_rtcp_pkt *p, uint16_t *offs,
			      unsigned max);

/* Round-trip time (RFC 3550 6.4.1): arrival A of a report block, its LSR
 * and DLSR, all in 1/65536 s (NTP middle 32 bits).  Returns A - LSR - DLSR
 * in 1/65536 s, or -1 when there is no SR yet (LSR 0) or the result would
 * be negative (clocks or a stale block). */
int64_t sb_rtcp_rtt_q16(uint32_t arrival, uint32_t lsr, uint32_t dlsr);

#endif /* SB_RTP_H */
