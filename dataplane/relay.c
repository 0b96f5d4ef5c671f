/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "arp.h"
#include "dpmedia.h"
#include "legs.h"
#include "punt.h"
#include "rectap.h"
#include "relay.h"
#include "worker.h"

/* Byte order on the fast path: the compiler's builtins, which it can fold
 * and schedule (DPDK's rte_be_to_cpu_16() is an asm volatile xchg on x86:
 * ~15 instructions per packet here, measured with callgrind). */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
#define be16h(x) __builtin_bswap16(x)
#define be32h(x) __builtin_bswap32(x)
#else
#define be16h(x) ((uint16_t)(x))
#define be32h(x) ((uint32_t)(x))
#endif

/* The 16-bit header word holding TTL and protocol, for checksum updates. */
static inline uint16_t ttl_proto_word(const struct rte_ipv4_hdr *ip)
{
	uint16_t v;

	memcpy(&v, &ip->time_to_live, sizeof(v));
	return v;
}

/* What one burst shares: drops collected and freed in bulk at its end,
 * the burst's time (one TSC reading per burst: every packet of it gets the
 * same arrival time, so its conversions are done once), and the last
 * next-hop resolution (every off-link peer has the gateway as next hop:
 * one ARP table probe per burst instead of one per packet). */
struct drop_list {
	uint16_t n;
	uint8_t nh_valid;     /* nh/nh_mac hold a successful lookup at `now` */
	uint32_t relayed;     /* added to the worker counter at the end */
	uint32_t nh;          /* next hop of the cached lookup */
	uint8_t nh_mac[8];    /* its MAC, by value: the table may change under us */
	uint32_t now_ms;      /* now_ns / 1e6, mod 2^32 */
	uint64_t now_ns;      /* sb_tsc_to_ns(now) */
	uint64_t cu_mult;     /* relay_fast: the last leg clock's multiplier ... */
	uint32_t cu_units;    /* ... and now in its units (legs mostly share a clock) */
	struct rte_mbuf *m[SB_BURST];
};

static inline void drop(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			enum sb_drop why)
{
	w->st->drop[why]++;
	d->m[d->n++] = m;
}

/* One's complement folding without the fold loop: end-around carries
 * keep a sum's value mod 65535 and never turn a non-zero sum into 0, so
 * folding a 64-bit sum s of 16-bit words gives 0 for s == 0, else the
 * one value of 1..0xffff congruent to s mod 65535: (s - 1) % 65535 + 1.
 * The compiler makes the modulo by a constant a multiply and a shift
 * (~6 instructions instead of 5 dependent fold steps). */
static inline uint16_t csum_fold(uint64_t s)
{
	return s == 0 ? 0 : (uint16_t)((s - 1u) % 0xffffu + 1u);
}

/* IPv4 header checksum check of a 20-byte header (options were refused
 * before): the one's complement sum of a valid header is 0xffff, i.e. the
 * integer sum s of its 32-bit words is a non-zero multiple of 65535.  Same
 * verdict as rte_ipv4_cksum().  Divisibility by the odd 65535 without a
 * fold: s * 65535^-1 mod 2^64 is at most (2^64 - 1) / 65535 exactly for
 * the multiples (one multiply and a compare, Granlund-Montgomery). */
static inline bool ipv4_hdr20_ok(const struct rte_ipv4_hdr *ip)
{
	const uint8_t *p = (const uint8_t *)ip;
	uint32_t v0, v1, v2, v3, v4;
	uint64_t s;

	memcpy(&v0, p, 4);
	memcpy(&v1, p + 4, 4);
	memcpy(&v2, p + 8, 4);
	memcpy(&v3, p + 12, 4);
	memcpy(&v4, p + 16, 4);
	s = (uint64_t)v0 + v1 + v2 + v3 + v4;
	return s * 0xfffefffefffeffffull <= 0x1000100010001ull && s != 0;
}

/* Several RFC 1624 eqn. 3 updates at once: acc holds the sum of ~old + new
 * of every changed 32-bit word (as 64-bit integers); the result is what
 * the same sb_csum_update16/32() calls in a row give (one's complement
 * sums are associative and both fold to the same representative). */
static inline uint16_t csum_apply(uint16_t csum, uint64_t acc)
{
	return (uint16_t)~csum_fold((uint16_t)~csum + acc);
}

/* Echo reply to a ping of the media address, sent back to the L2 sender. */
static void icmp_echo(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
		      struct rte_ether_hdr *eth, struct rte_ipv4_hdr *ip, uint32_t ip_len)
{
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);
	uint32_t tmp;

	if (ip_len < sizeof(*ip) + sizeof(*ic) ||
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) + sizeof(*ic)) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		drop(w, d, m, SB_DROP_NOT_UDP);
		return;
	}
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = sb_csum_update16(ic->icmp_cksum,
					  be16h(RTE_IP_ICMP_ECHO_REQUEST << 8),
					  be16h(RTE_IP_ICMP_ECHO_REPLY << 8));
	tmp = ip->src_addr; /* swapping src and dst keeps the header checksum */
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	sb_worker_tx_push(w, m, SB_LEG_NONE, 0);
}

/* ---- payload types and clocks ---- */

/* pt as sent out of the connected leg: the map of the leg it came in on. */
static inline uint8_t leg_map_pt(const struct sb_leg *l, uint8_t pt)
{
	for (unsigned i = 0; i < l->n_pt; i++)
		if (l->pt_in[i] == pt)
			return l->pt_out[i];
	return pt;
}

/* RTP clock of pt received on leg l: the map entry's, the static type's,
 * else 8000 (the telephony default). */
static uint32_t leg_pt_clock(const struct sb_leg *l, const struct sb_leg_x *x, uint8_t pt)
{
	uint32_t c;

	for (unsigned i = 0; i < l->n_pt; i++)
		if (l->pt_in[i] == pt && x->pt_clock[i] != 0)
			return x->pt_clock[i];
	c = sb_rtp_static_clock(pt);
	return c != 0 ? c : 8000u;
}

/* The jitter clock follows the payload type; a division only when the
 * rate really changes (DTMF events usually share the codec's rate). */
static __rte_noinline void leg_rx_clock(struct sb_worker *w, uint32_t idx, uint8_t pt)
{
	struct sb_leg_x *x = &w->legs->x[idx];
	struct sb_leg *l = &w->legs->leg[idx];
	uint32_t hz = leg_pt_clock(l, x, pt);

	l->rx_clock_pt = pt;
	if (hz == x->rx_clock_hz)
		return;
	x->rx_clock_hz = hz;
	l->rx_clock_mult = sb_rtp_clock_mult(hz, w->clk.hz);
	w->legs->st[idx].clock_hz = hz;
	/* transit times in the old clock mean nothing in the new one */
	l->rx.flags &= (uint8_t)~SB_RTP_SRC_F_TRANSIT;
}

/* ---- source check (media security) ---- */

static __rte_noinline int leg_source_slow(struct sb_worker *w, uint32_t idx, struct sb_leg *l,
					  uint32_t src_ip, uint16_t src_port, uint64_t now)
{
	struct sb_leg_x *x = &w->legs->x[idx];
	uint32_t now_ms = (uint32_t)(now / (w->clk.hz / 1000u)); /* slow path only */
	int v = sb_latch_check(&x->latch, &l->peer_ip, &l->peer_port, src_ip, src_port, now_ms);

	l->locked = x->latch.state == SB_LATCH_LOCKED;
	w->legs->st[idx].latch_state = x->latch.state;
	if (v == SB_LATCH_NEW_PEER) {
		union sb_msg ev;

		sb_legs_peer_changed(w, idx);
		memset(&ev, 0, sizeof(ev));
		ev.peer.h.type = SB_EVT_PEER_LATCHED;
		ev.peer.h.len = sizeof(ev.peer);
		ev.peer.h.leg = idx;
		ev.peer.h.leg_gen = x->gen;
		ev.peer.peer_ip = src_ip;
		ev.peer.peer_port = src_port;
		sb_worker_evt_push(w, &ev); /* rare: at most a few per leg */
	}
	return v == SB_LATCH_REJECT ? -1 : 0;
}

/* 0 accept, -1 reject.  The common case is one compare: a locked peer. */
static inline int leg_check_source(struct sb_worker *w, uint32_t idx, struct sb_leg *l,
				   uint32_t src_ip, uint16_t src_port, uint64_t now)
{
	if (likely(l->locked && l->peer_ip == src_ip && l->peer_port == src_port))
		return 0;
	return leg_source_slow(w, idx, l, src_ip, src_port, now);
}

/* RTCP must come from the peer's address; its port is the derived RTCP
 * port, or (latching legs) learned from the first RTCP packet. */
static int leg_rtcp_source(struct sb_worker *w, uint32_t idx, struct sb_leg *l, uint32_t src_ip,
			   uint16_t src_port)
{
	if (l->peer_ip == 0 || src_ip != l->peer_ip)
		return -1;
	if (src_port == l->rtcp_port) {
		l->rtcp_locked = 1;
		return 0;
	}
	if (l->rtcp_locked || !(l->flags & SB_LEG_F_LATCH))
		return -1;
	l->rtcp_port = src_port; /* NAT: RTCP left from another port */
	l->rtcp_locked = 1;
	w->legs->st[idx].rtcp_peer_port = src_port;
	return 0;
}

/* ---- output: L2/L3/L4 rewrite ---- */

/* Rewrite one 16/32-bit word of the UDP payload, keeping the checksum. */
static inline void put16_csum(uint8_t *p, uint16_t v_host, uint16_t *csum)
{
	uint16_t o, n = be16h(v_host);

	memcpy(&o, p, 2);
	if (o == n)
		return;
	if (*csum != 0)
		*csum = sb_csum_update16(*csum, o, n);
	memcpy(p, &n, 2);
}

static inline void put32_csum(uint8_t *p, uint32_t v_host, uint16_t *csum)
{
	uint32_t o, n = be32h(v_host);

	memcpy(&o, p, 4);
	if (o == n)
		return;
	if (*csum != 0)
		*csum = sb_csum_update32(*csum, o, n);
	memcpy(p, &n, 4);
}

/* Addresses, ports, TTL and both checksums, incrementally. */
static inline void relay_out_l3(struct sb_worker *w, struct rte_ether_hdr *eth,
				struct rte_ipv4_hdr *ip, struct rte_udp_hdr *udp,
				const uint8_t *nh_mac, uint32_t dst_ip, uint8_t src_addr,
				uint16_t sport, uint16_t dport)
{
	uint32_t old_src = ip->src_addr, old_dst = ip->dst_addr;
	uint32_t new_src = be32h(w->media_ip_h + src_addr);
	uint16_t old_ttl = ttl_proto_word(ip), new_ttl;
	uint16_t new_sport = be16h(sport);
	uint16_t new_dport = be16h(dport);
	uint8_t tp[2];
	/* the address changes are common to both checksums */
	uint64_t addr = (uint64_t)(uint32_t)~old_src + new_src + (uint32_t)~old_dst + dst_ip;

	/* We terminate the flow and originate the copy: a datagram that
	 * reached us with its last hop leaves with a fresh TTL.  The new
	 * TTL/protocol word is built in a register: reading it back after a
	 * byte store would wait for the store buffer (store forwarding
	 * fails on the size mismatch). */
	tp[0] = ip->time_to_live > 1 ? (uint8_t)(ip->time_to_live - 1) : 64;
	tp[1] = ip->next_proto_id;
	memcpy(&new_ttl, tp, 2);
	memcpy(&eth->dst_addr, nh_mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	ip->src_addr = new_src;
	ip->dst_addr = dst_ip;
	ip->time_to_live = tp[0];
	ip->hdr_checksum = csum_apply(ip->hdr_checksum,
				      addr + (uint16_t)~old_ttl + new_ttl);
	if (udp->dgram_cksum != 0) { /* 0: sender did not checksum; keep it so */
		uint16_t c = csum_apply(udp->dgram_cksum,
					addr + (uint16_t)~udp->src_port + new_sport +
						(uint16_t)~udp->dst_port + new_dport);

		udp->dgram_cksum = c == 0 ? 0xffff : c;
	}
	udp->src_port = new_sport;
	udp->dst_port = new_dport;
}

/* Forward target of leg l: the connected leg with a known peer and a
 * resolved next hop.  Returns the next hop's MAC, or NULL after counting
 * the drop (NO_FWD or NO_ARP) on l. */
static inline const uint8_t *relay_target(struct sb_worker *w, struct drop_list *d,
					  struct rte_mbuf *m, const struct sb_leg *l,
					  uint32_t l_idx, uint16_t dport, uint64_t now)
{
	struct sb_leg_stats *ls = &w->legs->st[l_idx]; /* written on a drop only */

	const struct sb_leg *t;
	const uint8_t *nh_mac;
	uint32_t nh;

	if (unlikely(l->fwd == SB_LEG_NONE)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_NO_FWD);
		return NULL;
	}
	t = &w->legs->leg[l->fwd];
	if (unlikely(t->peer_ip == 0 || dport == 0)) {
		ls->drops++; /* the other side has not latched yet */
		drop(w, d, m, SB_DROP_NO_FWD);
		return NULL;
	}
	nh = sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway);
	if (likely(d->nh_valid && nh == d->nh))
		return d->nh_mac;
	nh_mac = sb_arp_lookup(w, nh, now);
	if (unlikely(nh_mac == NULL)) {
		/* a miss may have evicted a slot: forget the cached one */
		d->nh_valid = 0;
		ls->drops++;
		drop(w, d, m, SB_DROP_NO_ARP);
		return NULL;
	}
	/* A hit changes no entry (at most a rate-limited refresh request),
	 * so the same lookup at the same `now` gives the same MAC until an
	 * ARP frame or a command is handled (they reset nh_valid). */
	memcpy(d->nh_mac, nh_mac, RTE_ETHER_ADDR_LEN);
	d->nh = nh;
	d->nh_valid = 1;
	return d->nh_mac;
}

/* ---- RTP rewrite on the output leg t (re-anchoring, payload map) ---- */

/* A new source feeds t: continue its sequence at last_seq + 1 and advance
 * its timestamp by the wall time since the last packet in the payload's
 * clock (at least one frame, so timestamps never repeat). */
static __rte_noinline void rtp_reanchor(struct sb_worker *w, struct sb_leg *t, uint32_t t_idx,
					const struct sb_leg *l, uint32_t l_idx, uint32_t ssrc,
					uint16_t seq, uint32_t ts, uint8_t pt, uint64_t now)
{
	uint32_t clock = leg_pt_clock(l, &w->legs->x[l_idx], pt);
	uint64_t adv = (uint64_t)(((unsigned __int128)(now - t->last_out_tsc) * clock) / w->clk.hz);
	uint32_t step = t->ts_step != 0 ? t->ts_step : clock / 50u; /* 20 ms when unknown */

	if (adv < step)
		adv = step;
	t->seq_delta = (uint16_t)(t->last_seq + 1u - seq);
	t->ts_delta = t->last_ts + (uint32_t)adv - ts;
	t->src_ssrc = ssrc;
	t->out_state = SB_OUT_INIT;
	w->legs->st[t_idx].reanchors++;
}

static __rte_always_inline void rtp_rewrite(struct sb_worker *w, struct sb_leg *t,
					    const struct sb_leg *l, uint32_t l_idx, uint8_t *rtp,
					    struct rte_udp_hdr *udp, uint64_t now)
{
	uint32_t t_idx = l->fwd;
	uint32_t ssrc = sb_be32(rtp + 8), ts = sb_be32(rtp + 4);
	uint16_t seq = sb_be16(rtp + 2), nseq, csum = udp->dgram_cksum;
	uint8_t b1 = rtp[1], nb1 = (uint8_t)((b1 & 0x80) | leg_map_pt(l, b1 & 0x7f));
	uint32_t nts;
	bool anchor = false;

	if (unlikely(t->out_state != SB_OUT_INIT || ssrc != t->src_ssrc)) {
		if (!(t->out_state & SB_OUT_INIT)) { /* first stream out of t: pass it as is */
			t->out_ssrc = ssrc;
			t->src_ssrc = ssrc;
			t->seq_delta = 0;
			t->ts_delta = 0;
			t->ts_step = 0;
			t->last_seq = (uint16_t)(seq - 1u);
			t->last_ts = ts;
			t->out_state = SB_OUT_INIT;
			w->legs->st[t_idx].out_ssrc = ssrc;
		} else {
			rtp_reanchor(w, t, t_idx, l, l_idx, ssrc, seq, ts, b1 & 0x7f, now);
			nb1 |= 0x80; /* marker: the far end's jitter buffer re-syncs */
			anchor = true;
		}
	}
	nseq = (uint16_t)(seq + t->seq_delta);
	nts = ts + t->ts_delta;
	if ((int16_t)(nseq - t->last_seq) > 0) {
		uint32_t dt = nts - t->last_ts;

		if (nseq == (uint16_t)(t->last_seq + 1u) && !anchor && dt != 0 && dt <= 0xffff)
			t->ts_step = (uint16_t)dt;
		t->last_seq = nseq;
		t->last_ts = nts;
	}
	t->last_out_tsc = now;
	if (unlikely(nb1 != b1)) {
		uint16_t o, n;

		memcpy(&o, rtp, 2);
		rtp[1] = nb1;
		memcpy(&n, rtp, 2);
		if (csum != 0)
			csum = sb_csum_update16(csum, o, n);
	}
	if (unlikely(t->seq_delta != 0 || t->ts_delta != 0 || ssrc != t->out_ssrc)) {
		put16_csum(rtp + 2, nseq, &csum);
		put32_csum(rtp + 4, nts, &csum);
		put32_csum(rtp + 8, t->out_ssrc, &csum);
	}
	if (csum != udp->dgram_cksum)
		udp->dgram_cksum = csum == 0 ? 0xffff : csum;
}

/* ---- RTCP ---- */

/* What the peer of leg idx reports about the stream we send it. */
static void rtcp_read_reports(struct sb_worker *w, uint32_t idx, const uint8_t *b,
			      const struct sb_rtcp_pkt *p, int n, uint64_t now)
{
	const struct sb_leg *l = &w->legs->leg[idx];
	struct sb_leg_x *x = &w->legs->x[idx];
	struct sb_leg_stats *ls = &w->legs->st[idx];

	for (int i = 0; i < n; i++) {
		if (p[i].pt != SB_RTCP_SR && p[i].pt != SB_RTCP_RR)
			continue;
		if (p[i].pt == SB_RTCP_SR)
			ls->sr_rx++;
		for (unsigned k = 0; k < p[i].count; k++) {
			struct sb_rtcp_rb rb;

			sb_rtcp_rb_read(b + p[i].off + sb_rtcp_rb_off(&p[i], k), &rb);
			if (!(l->out_state & SB_OUT_INIT) || rb.ssrc != l->out_ssrc)
				continue;
			ls->rr_blocks_rx++;
			ls->remote_fraction_lost = rb.fraction;
			ls->remote_lost = rb.cum_lost;
			ls->remote_jitter = rb.jitter;
			ls->remote_report_ns = sb_tsc_to_ns(&w->clk, now);
			if (rb.lsr != 0 && rb.lsr == x->sr_lsr) {
				/* our arrival time in the clock of the SR we relayed:
				 * its NTP stamp plus the time since we sent it */
				uint32_t el = (uint32_t)(((unsigned __int128)(now - x->sr_tsc) << 16) /
							 w->clk.hz);
				int64_t rtt = sb_rtcp_rtt_q16(rb.lsr + el, rb.lsr, rb.dlsr);

				if (rtt >= 0) { /* 0 means unknown: a measured RTT is >= 1 us */
					uint64_t us = ((uint64_t)rtt * 1000000u) >> 16;

					ls->rtt_us = us != 0 ? (uint32_t)us : 1u;
				}
			}
		}
	}
}

/* RTCP from l's peer goes to t's peer: the sender's SSRC (and SR RTP
 * timestamp) as t's output shows it, report blocks about our stream to
 * l's peer back to the SSRC and sequence numbers t's peer sent. */
static void rtcp_rewrite(struct sb_worker *w, struct sb_leg *t, uint32_t t_idx,
			 const struct sb_leg *l, uint8_t *b, const struct sb_rtcp_pkt *p, int n,
			 struct rte_udp_hdr *udp, uint64_t now)
{
	bool snd = (t->out_state & SB_OUT_INIT) && t->src_ssrc != t->out_ssrc;
	bool blk = (l->out_state & SB_OUT_INIT) && (l->src_ssrc != l->out_ssrc || l->seq_delta != 0);
	uint16_t csum = udp->dgram_cksum;

	for (int i = 0; i < n; i++) {
		uint8_t *pk = b + p[i].off;
		uint16_t offs[32];
		unsigned ns = 0;

		switch (p[i].pt) {
		case SB_RTCP_SR:
			if (sb_be32(pk + 4) == t->src_ssrc && (t->out_state & SB_OUT_INIT))
				put32_csum(pk + 16, sb_be32(pk + 16) + t->ts_delta, &csum);
			/* for the RTT when t's peer answers with LSR */
			w->legs->x[t_idx].sr_lsr = (sb_be32(pk + 8) << 16) | (sb_be32(pk + 12) >> 16);
			w->legs->x[t_idx].sr_tsc = now;
			/* fall through */
		case SB_RTCP_RR:
			offs[ns++] = 4;
			for (unsigned k = 0; blk && k < p[i].count; k++) {
				uint8_t *rb = pk + sb_rtcp_rb_off(&p[i], k);

				if (sb_be32(rb) != l->out_ssrc)
					continue;
				put32_csum(rb, l->src_ssrc, &csum);
				put32_csum(rb + 8, (sb_be32(rb + 8) & 0xffff0000u) |
					   (uint16_t)(sb_be32(rb + 8) - l->seq_delta), &csum);
			}
			break;
		case SB_RTCP_RTPFB:
		case SB_RTCP_PSFB:
			if (blk && p[i].len >= 12 && sb_be32(pk + 8) == l->out_ssrc)
				put32_csum(pk + 8, l->src_ssrc, &csum);
			/* fall through */
		case SB_RTCP_APP:
		case SB_RTCP_XR:
			offs[ns++] = 4;
			break;
		case SB_RTCP_SDES:
		case SB_RTCP_BYE:
			ns = sb_rtcp_sender_ssrcs(pk, &p[i], offs, 32);
			break;
		default:
			break;
		}
		for (unsigned k = 0; snd && k < ns; k++)
			if (sb_be32(pk + offs[k]) == t->src_ssrc)
				put32_csum(pk + offs[k], t->out_ssrc, &csum);
	}
	if (csum != udp->dgram_cksum)
		udp->dgram_cksum = csum == 0 ? 0xffff : csum;
}

static __rte_noinline void relay_rtcp(struct sb_worker *w, struct drop_list *d,
				      struct rte_mbuf *m, struct rte_ether_hdr *eth,
				      struct rte_ipv4_hdr *ip, struct rte_udp_hdr *udp,
				      uint32_t idx, uint32_t payload, uint64_t now)
{
	struct sb_leg *l = &w->legs->leg[idx], *t;
	struct sb_leg_stats *ls = &w->legs->st[idx];
	struct sb_rtcp_pkt p[SB_RTCP_MAX_PKTS];
	uint8_t *b = (uint8_t *)(udp + 1);
	const uint8_t *nh_mac;
	int n, xc;

	if (leg_rtcp_source(w, idx, l, ip->src_addr, be16h(udp->src_port)) < 0) {
		ls->rej_src++;
		drop(w, d, m, SB_DROP_BAD_SRC);
		return;
	}
	n = sb_rtcp_walk(b, payload, p, SB_RTCP_MAX_PKTS);
	if (n < 0) {
		ls->drops++;
		drop(w, d, m, SB_DROP_BAD_RTP);
		return;
	}
	ls->rx_pkts++;
	ls->rx_bytes += payload;
	ls->rtcp_rx_pkts++;
	ls->rtcp_last_ns = sb_tsc_to_ns(&w->clk, now);
	rtcp_read_reports(w, idx, b, p, n, now);

	nh_mac = relay_target(w, d, m, l, idx,
			      l->fwd != SB_LEG_NONE ? w->legs->leg[l->fwd].rtcp_port : 0, now);
	if (nh_mac == NULL)
		return;
	t = &w->legs->leg[l->fwd];
	/* HOOK(media-out), RTCP across a transcoder: rewritten for the stream
	 * we send on t (dpmedia.c), not the sender's */
	xc = unlikely(t->flags & SB_LEGI_MEDIA) ? sb_dpm_rtcp_xcode(w, idx, l->fwd, b, p, n, now) : 0;
	if (unlikely(xc < 0)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_MEDIA);
		return;
	}
	if (xc == 0)
		rtcp_rewrite(w, t, l->fwd, l, b, p, n, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip, t->addr,
		     (uint16_t)(t->local_port + ((t->flags & SB_LEG_F_RTCP_MUX) ? 0 : 1)),
		     t->rtcp_port);
	if (xc > 0) { /* fields rewritten in bulk: the checksum in full (a packet every few s) */
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	}
	/* HOOK(media-out), RTCP: SRTCP protect towards a media leg */
	if (unlikely(t->flags & SB_LEGI_MEDIA) &&
	    (payload = sb_dpm_rtcp_out(w, m, l->fwd, b, payload)) == 0)
		return;
	d->relayed++;
	sb_relay_count_tx(w, t, l->fwd, payload);
	sb_worker_tx_push(w, m, l->fwd, payload);
}

static inline void relay_one(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			     uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t ip_len, udp_len, idx, port_off, payload, addr;
	uint16_t dport;
	struct sb_leg *l, *t;
	const uint8_t *nh_mac;
	uint8_t *rtp;

	if (unlikely(len < sizeof(*eth))) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	if (unlikely(eth->ether_type != be16h(RTE_ETHER_TYPE_IPV4))) {
		if (eth->ether_type == be16h(RTE_ETHER_TYPE_ARP)) {
			d->nh_valid = 0; /* may learn a new MAC */
			sb_arp_input(w, m, now);
			return;
		}
		sb_punt(w, m, SB_DROP_NOT_IPV4); /* slow path (IPv6/ND later) */
		return;
	}
	if (unlikely(len < sizeof(*eth) + sizeof(*ip))) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	if (unlikely(ip->version_ihl != 0x45)) { /* one compare for the usual header */
		drop(w, d, m, (ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5 ?
				      SB_DROP_BAD_IP : SB_DROP_IP_OPTS);
		return;
	}
	ip_len = be16h(ip->total_length);
	if (unlikely(ip_len < sizeof(*ip) || !ipv4_hdr20_ok(ip))) {
		drop(w, d, m, SB_DROP_BAD_IP);
		return;
	}
	if (unlikely(ip_len > len - sizeof(*eth))) {
		drop(w, d, m, SB_DROP_SHORT); /* truncated datagram */
		return;
	}
	addr = be32h(ip->dst_addr) - w->media_ip_h; /* which media address */
	if (unlikely(addr >= w->n_addr)) {
		drop(w, d, m, SB_DROP_NOT_MINE);
		return;
	}
	if (unlikely((ip->fragment_offset &
		      be16h(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
		drop(w, d, m, SB_DROP_FRAG);
		return;
	}
	if (unlikely(ip->next_proto_id != IPPROTO_UDP)) {
		if (ip->next_proto_id == IPPROTO_ICMP)
			icmp_echo(w, d, m, eth, ip, ip_len);
		else
			sb_punt(w, m, SB_DROP_NOT_UDP); /* slow path */
		return;
	}
	if (unlikely(ip_len < sizeof(*ip) + sizeof(*udp))) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp_len = be16h(udp->dgram_len);
	if (unlikely(udp_len < sizeof(*udp) || udp_len > ip_len - sizeof(*ip))) {
		drop(w, d, m, SB_DROP_BAD_IP);
		return;
	}

	/* ---- leg lookup: O(1) by destination port (RTP or RTCP) ---- */
	dport = be16h(udp->dst_port);
	port_off = (uint32_t)dport - w->port_base;
	if (unlikely(port_off >= w->port_span ||
		     (idx = w->port_leg[addr * w->port_span + port_off]) == SB_LEG_NONE)) {
		drop(w, d, m, SB_DROP_NO_LEG);
		return;
	}
	payload = udp_len - sizeof(*udp);
	rtp = (uint8_t *)(udp + 1);
	if (unlikely(payload < SB_RTCP_HDR_LEN || (rtp[0] >> 6) != SB_RTP_VERSION)) {
		w->legs->st[idx & ~SB_PORT_RTCP].drops++;
		drop(w, d, m, SB_DROP_BAD_RTP);
		return;
	}
	/* HOOK(media): SRTP, codecs, DTMF, prompts, conferences (dpmedia.h);
	 * before the source check: an SRTP tag is verified before latching */
	if (unlikely(w->legs->leg[idx & ~SB_PORT_RTCP].flags & SB_LEGI_MEDIA) &&
	    sb_dpm_rx(w, m, idx, rtp, &payload, now) != 0)
		return; /* consumed (refused and counted); else unprotected in place */
	if (unlikely(idx & SB_PORT_RTCP)) {
		relay_rtcp(w, d, m, eth, ip, udp, idx & ~SB_PORT_RTCP, payload, now);
		return;
	}
	l = &w->legs->leg[idx];
	if (unlikely((l->flags & SB_LEG_F_RTCP_MUX) && sb_rtp_mux_is_rtcp(rtp[1]))) {
		relay_rtcp(w, d, m, eth, ip, udp, idx, payload, now);
		return;
	}
	if (unlikely(payload < SB_RTP_HDR_LEN)) {
		w->legs->st[idx].drops++;
		drop(w, d, m, SB_DROP_BAD_RTP);
		return;
	}
	if (unlikely(leg_check_source(w, idx, l, ip->src_addr,
				      be16h(udp->src_port), now) < 0)) {
		w->legs->st[idx].rej_src++;
		drop(w, d, m, SB_DROP_BAD_SRC);
		return;
	}

	/* ---- counters and receive statistics (RFC 3550 A.1, A.8) ----
	 * kept in the leg's own line, added to the segment every
	 * SB_RX_PUBLISH_EVERY packets (legs.h) and at once on a new source */
	l->rx_bytes_pend += payload;
	l->last_rx_ms = d->now_ms;
	if (unlikely((rtp[1] & 0x7f) != l->rx_clock_pt))
		leg_rx_clock(w, idx, rtp[1] & 0x7f);
	if (unlikely((sb_rtp_src_packet_fast(&l->rx, sb_be32(rtp + 8), sb_be16(rtp + 2),
					     sb_be32(rtp + 4),
					     sb_rtp_clock_units(now, l->rx_clock_mult)) |
		      (++l->rx_pend >= SB_RX_PUBLISH_EVERY)) != 0))
		sb_legs_publish(w, idx, d->now_ns);

	/* HOOK(rec): a copy of the accepted payload for the recorder (rectap.h) */
	if (unlikely(l->flags & SB_LEGI_REC))
		sb_dprec_tap(w, idx, rtp, payload, now);

	/* HOOK(media-out): a media leg's packets (DTMF, conference, transcoding)
	 * and packets to a media leg (SRTP protect, prompt playing) (dpmedia.h) */
	if (unlikely((l->flags & SB_LEGI_MEDIA) ||
		     (l->fwd != SB_LEG_NONE && (w->legs->leg[l->fwd].flags & SB_LEGI_MEDIA)))) {
		sb_dpm_fwd(w, m, idx, rtp, payload, now);
		return;
	}

	/* ---- forward ---- */
	nh_mac = relay_target(w, d, m, l, idx,
			      l->fwd != SB_LEG_NONE ? w->legs->leg[l->fwd].peer_port : 0, now);
	if (nh_mac == NULL)
		return;
	t = &w->legs->leg[l->fwd];
	rtp_rewrite(w, t, l, idx, rtp, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip, t->addr, t->local_port, t->peer_port);
	d->relayed++;
	sb_relay_count_tx(w, t, l->fwd, payload);
	sb_worker_tx_push(w, m, l->fwd, payload);
}

/* ---- the burst: classify every packet once, then relay in order ----
 *
 * VPP/l3fwd style, in two passes over the burst:
 *
 * 1. classify (burst_classify): the headers of every packet are read once
 *    and the common case -- plain IPv4 (no options, not a fragment) UDP
 *    to one of our addresses and ports, an RTP version 2 header, a valid
 *    header checksum -- is recognised with a few combined compares (one
 *    32-bit compare of ethertype + version/IHL, one of fragment bits +
 *    protocol, one unsigned range test each for lengths, address and
 *    port).  Its port-map slot and payload length are kept and the slot
 *    is prefetched.  Anything else is marked FP_SLOW.
 * 2. relay, in arrival order: a packet marked FP_SLOW, an RTCP port, or a
 *    leg that is not in the steady state (any SB_LEGI_* flag, a target
 *    with SB_LEGI_MEDIA, source not locked or not matching, no forward
 *    target with a known peer, rtcp-mux RTCP) goes through relay_one(),
 *    which repeats every check in its order (exact drop reasons, latching,
 *    RTCP, and the HOOK branches: media and recorded legs never take the
 *    fast path, so the hooks keep their one place there); nothing was
 *    changed before that decision, so the result is byte for byte what
 *    relay_one() alone would do.  The steady state (relay_fast) does only
 *    what relay_one() does after its checks, and passes an unchanged
 *    stream without rtp_rewrite()'s branches (rtp_pass_steady).
 *    relay_bench, 10k legs, callgrind, steady state: 459 -> 377
 *    instructions per packet in sb_relay_burst() (per-packet parse twice
 *    -> once, rtp_rewrite() inlined and bypassed when nothing changes, one
 *    clock conversion per burst and rate, the header check without a
 *    fold, the burst's next hop reused without relay_target()'s checks).
 *
 * Prefetch, software-pipelined (STYLE H8): a packet needs its port map
 * slot, then its leg (both lines: ABI 3 keeps the receive state and
 * counters in the leg's second line), then the connected leg (line 0, its
 * tx counters included): three dependent loads that miss at 10k legs.
 * Pass 1 prefetches every slot (a 32-line burst fits the miss buffers;
 * the map is small), pass 2 the legs of i + PF_LEG and the connected legs
 * of i + PF_FWD while packet i is relayed, so each miss overlaps the
 * relaying of the packets before it.  (Issuing every leg prefetch of the
 * burst up front stalls on the CPU's miss buffers: relay_bench, 10k legs,
 * ~130-140 ns/packet then against ~115-120 ns pipelined, with the
 * per-packet parse; distances 1/2/3 .. 4/8/12 within the noise of
 * 2/4/6.)  Only hints: a stale one costs nothing, and the map slot is read
 * again when the packet is relayed (an "at N" script may change it). */
#define PF_FWD 2u
#define PF_LEG 4u
#define FP_SLOW UINT32_MAX

static inline void prefetch_w(const void *p)
{
	__builtin_prefetch(p, 1, 3); /* rte_prefetch0_write() is experimental in 22.11 */
}

/* Pass 1 for one packet: its port_leg[] slot if it is the common case
 * (*payload set), else FP_SLOW.  Reads only the packet and the worker's
 * constant geometry. */
static inline uint32_t burst_classify(const struct sb_worker *w, const struct rte_mbuf *m,
				      uint16_t *payload)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t h0, h1, ip_len, udp_len, a, off;

	if (unlikely(len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp) + SB_RTP_HDR_LEN))
		return FP_SLOW;
	memcpy(&h0, p + 12, 4); /* ethertype, version/IHL (TOS masked) */
	memcpy(&h1, p + 20, 4); /* flags/fragment offset (DF masked), TTL, protocol */
	if (unlikely(((h0 & be32h(0xffffff00u)) ^ be32h(0x08004500u)) |
		     ((h1 & be32h(0x3fff00ffu)) ^ be32h(IPPROTO_UDP))))
		return FP_SLOW;
	ip_len = be16h(ip->total_length);
	udp_len = be16h(udp->dgram_len);
	a = be32h(ip->dst_addr) - w->media_ip_h;
	off = (uint32_t)be16h(udp->dst_port) - w->port_base;
	/* udp_len >= 8 + 12 and ip_len >= udp_len + 20 (so >= 40): the
	 * UDP, RTP and IP length checks of relay_one() all pass */
	if (unlikely(ip_len > len - RTE_ETHER_HDR_LEN ||
		     udp_len < sizeof(*udp) + SB_RTP_HDR_LEN || udp_len + sizeof(*ip) > ip_len ||
		     a >= w->n_addr || off >= w->port_span ||
		     (p[RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp)] >> 6) != SB_RTP_VERSION ||
		     !ipv4_hdr20_ok(ip)))
		return FP_SLOW;
	*payload = (uint16_t)(udp_len - sizeof(*udp));
	return a * w->port_span + off;
}

static inline void pf_leg(const struct sb_worker *w, uint32_t slot, uint32_t *idx)
{
	const struct sb_leg_tbl *t = w->legs;
	uint32_t i;

	*idx = FP_SLOW;
	if (slot == FP_SLOW)
		return;
	i = w->port_leg[slot] & ~SB_PORT_RTCP; /* SB_LEG_NONE fails the bound too */
	if (i >= t->max)
		return;
	*idx = i;
	/* both lines, counters included (the segment's lines are written
	 * every SB_RX_PUBLISH_EVERY packets only) */
	prefetch_w(&t->leg[i]);
	prefetch_w(&t->leg[i].rx);
}

static inline void pf_fwd(const struct sb_worker *w, uint32_t idx)
{
	const struct sb_leg_tbl *t = w->legs;
	const struct sb_leg *l;
	uint32_t fwd;

	if (idx == FP_SLOW)
		return;
	l = &t->leg[idx];
	if (unlikely(l->rx_pend >= SB_RX_PUBLISH_EVERY - 1u)) {
		/* this packet publishes the leg's receive figures: the two
		 * lines of the segment it writes (random, cold at 100k legs) */
		prefetch_w(&t->st[idx]);
		prefetch_w((const uint8_t *)&t->st[idx] + RTE_CACHE_LINE_SIZE);
	}
	if ((fwd = l->fwd) >= t->max)
		return;
	prefetch_w(&t->leg[fwd]); /* rewrite state and tx counters */
}

/* rtp_rewrite() of a packet that leaves as it came (the stream t sends is
 * the one it receives: same SSRC, no offsets, no payload map): only the
 * output state moves.  Returns 0, having changed nothing, for anything
 * else (rtp_rewrite() then). */
static inline int rtp_pass_steady(struct sb_leg *t, const struct sb_leg *l, const uint8_t *rtp,
				  uint64_t now)
{
	uint32_t ssrc = sb_be32(rtp + 8), ts, dt;
	uint64_t out_src; /* out_ssrc and src_ssrc, one load */
	uint16_t seq;

	_Static_assert(offsetof(struct sb_leg, src_ssrc) == offsetof(struct sb_leg, out_ssrc) + 4,
		       "out_ssrc, src_ssrc adjacent");
	memcpy(&out_src, &t->out_ssrc, sizeof(out_src));
	if (unlikely(out_src != ((uint64_t)ssrc << 32 | ssrc) || t->out_state != SB_OUT_INIT ||
		     (t->seq_delta | t->ts_delta | l->n_pt) != 0))
		return 0;
	seq = sb_be16(rtp + 2);
	ts = sb_be32(rtp + 4);
	if ((int16_t)(seq - t->last_seq) > 0) {
		dt = ts - t->last_ts;
		if (seq == (uint16_t)(t->last_seq + 1u) && dt != 0 && dt <= 0xffff)
			t->ts_step = (uint16_t)dt;
		t->last_seq = seq;
		t->last_ts = ts;
	}
	t->last_out_tsc = now;
	return 1;
}

/* Pass 2, the steady state of an RTP packet classified by pass 1 on leg
 * idx: what relay_one() does once its checks passed.  Returns false,
 * having changed nothing, when relay_one() must take the packet. */
static inline bool relay_fast(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			      uint32_t idx, uint32_t payload, uint64_t now)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *rtp = (uint8_t *)(udp + 1);
	struct sb_leg *l = &w->legs->leg[idx], *t;
	const uint8_t *nh_mac;

	/* relay_one()'s order: HOOK(media) flag, rtcp-mux RTCP, locked
	 * source (the latching slow path may change the leg: relay_one()),
	 * HOOK(rec) flag, forward target (a target that drops, or a media
	 * target, goes to relay_one() as well) */
	if (unlikely((l->flags & SB_LEGI_MASK) || !l->locked || l->peer_ip != ip->src_addr ||
		     l->peer_port != be16h(udp->src_port) || l->fwd == SB_LEG_NONE ||
		     ((l->flags & SB_LEG_F_RTCP_MUX) && sb_rtp_mux_is_rtcp(rtp[1]))))
		return false;
	t = &w->legs->leg[l->fwd];
	if (unlikely(t->peer_ip == 0 || t->peer_port == 0 || (t->flags & SB_LEGI_MEDIA)))
		return false;

	/* ---- counters and receive statistics: as relay_one() ---- */
	l->rx_bytes_pend += payload;
	l->last_rx_ms = d->now_ms;
	if (unlikely((rtp[1] & 0x7f) != l->rx_clock_pt))
		leg_rx_clock(w, idx, rtp[1] & 0x7f);
	if (unlikely(l->rx_clock_mult != d->cu_mult)) { /* one 128-bit multiply per clock rate */
		d->cu_mult = l->rx_clock_mult;
		d->cu_units = sb_rtp_clock_units(now, d->cu_mult);
	}
	if (unlikely((sb_rtp_src_packet_fast(&l->rx, sb_be32(rtp + 8), sb_be16(rtp + 2),
					     sb_be32(rtp + 4), d->cu_units) |
		      (++l->rx_pend >= SB_RX_PUBLISH_EVERY)) != 0))
		sb_legs_publish(w, idx, d->now_ns);

	/* ---- forward: the next hop of the burst's last lookup, else
	 * relay_target() (its drop checks passed above) ---- */
	if (likely(d->nh_valid &&
		   sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway) == d->nh))
		nh_mac = d->nh_mac;
	else if ((nh_mac = relay_target(w, d, m, l, idx, t->peer_port, now)) == NULL)
		return true; /* NO_ARP, counted */
	if (unlikely(!rtp_pass_steady(t, l, rtp, now)))
		rtp_rewrite(w, t, l, idx, rtp, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip, t->addr, t->local_port, t->peer_port);
	d->relayed++;
	sb_relay_count_tx(w, t, l->fwd, payload);
	sb_worker_tx_push(w, m, l->fwd, payload);
	return true;
}

void sb_relay_burst(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct drop_list d;
	uint32_t slot[SB_BURST], idx[SB_BURST];
	uint16_t payload[SB_BURST];
	bool scripted = w->legs->script[w->id] != NULL; /* only goes NULL in a burst */
	uint16_t i;

	if (unlikely(n > SB_BURST)) { /* the worker's bursts are at most SB_BURST */
		for (i = 0; i < n; i += SB_BURST)
			sb_relay_burst(w, pkts + i, (uint16_t)RTE_MIN(SB_BURST, n - i), now);
		return;
	}
	d.n = 0;
	d.nh_valid = 0;
	d.relayed = 0;
	d.now_ns = sb_tsc_to_ns(&w->clk, now);
	d.now_ms = (uint32_t)(d.now_ns / 1000000u);
	d.cu_mult = 0; /* 0 units at any time */
	d.cu_units = 0;
	for (i = 0; i < n; i++) {
		slot[i] = burst_classify(w, pkts[i], &payload[i]);
		if (slot[i] != FP_SLOW)
			rte_prefetch0(&w->port_leg[slot[i]]);
	}
	for (i = 0; i < n && i < PF_LEG; i++)
		pf_leg(w, slot[i], &idx[i]);
	for (i = 0; i < n && i < PF_FWD; i++)
		pf_fwd(w, idx[i]);
	for (i = 0; i < n; i++) {
		uint32_t k;

		if (i + PF_LEG < n)
			pf_leg(w, slot[i + PF_LEG], &idx[i + PF_LEG]);
		if (i + PF_FWD < n)
			pf_fwd(w, idx[i + PF_FWD]);
		if (unlikely(scripted) && w->legs->script[w->id] != NULL) { /* --preload "at N" */
			if (sb_legs_script_run(w)) {
				now = rte_rdtsc();
				d.now_ns = sb_tsc_to_ns(&w->clk, now);
				d.now_ms = (uint32_t)(d.now_ns / 1000000u);
				d.cu_mult = 0;
				d.cu_units = 0;
			}
			d.nh_valid = 0; /* commands may touch the ARP table */
			if (w->legs->script_mem[w->id] != NULL)
				w->legs->script_mem[w->id]->seen++;
		}
		/* the slot again, not idx[i]: a command may have changed it */
		if (likely(slot[i] != FP_SLOW) && (k = w->port_leg[slot[i]]) < w->legs->max &&
		    relay_fast(w, &d, pkts[i], k, payload[i], now))
			continue;
		relay_one(w, &d, pkts[i], now);
	}
	w->st->relayed += d.relayed;
	if (d.n != 0)
		rte_pktmbuf_free_bulk(d.m, d.n);
}

/* For dpmedia.c (relay.h): what relay_one() does to an accepted RTP packet
 * of leg l_idx before it leaves on the connected leg (re-anchoring, payload
 * map, addresses and checksums), without queueing it. */
void sb_relay_rtp_out(struct sb_worker *w, struct rte_mbuf *m, uint32_t l_idx, uint8_t *rtp,
		      const uint8_t *nh_mac, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	const struct sb_leg *l = &w->legs->leg[l_idx];
	struct sb_leg *t = &w->legs->leg[l->fwd];

	rtp_rewrite(w, t, l, l_idx, rtp, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip, t->addr, t->local_port, t->peer_port);
}
