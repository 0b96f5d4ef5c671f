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
#include "legs.h"
#include "punt.h"
#include "relay.h"
#include "worker.h"

/* The 16-bit header word holding TTL and protocol, for checksum updates. */
static inline uint16_t ttl_proto_word(const struct rte_ipv4_hdr *ip)
{
	uint16_t v;

	memcpy(&v, &ip->time_to_live, sizeof(v));
	return v;
}

/* Drops collected over one burst and freed in bulk at its end. */
struct drop_list {
	uint16_t n;
	struct rte_mbuf *m[SB_BURST];
};

static inline void drop(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			enum sb_drop why)
{
	w->st->drop[why]++;
	d->m[d->n++] = m;
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
					  rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REQUEST << 8),
					  rte_cpu_to_be_16(RTE_IP_ICMP_ECHO_REPLY << 8));
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
	uint32_t hz = leg_pt_clock(&w->legs->leg[idx], x, pt);

	x->rx_clock_pt = pt;
	if (hz == x->rx_clock_hz)
		return;
	x->rx_clock_hz = hz;
	x->rx_clock_mult = sb_rtp_clock_mult(hz, w->clk.hz);
	w->legs->st[idx].clock_hz = hz;
	/* transit times in the old clock mean nothing in the new one */
	x->rx.flags &= (uint8_t)~SB_RTP_SRC_F_TRANSIT;
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
		ev.peer.h.leg_gen = l->gen;
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
	uint16_t o, n = rte_cpu_to_be_16(v_host);

	memcpy(&o, p, 2);
	if (o == n)
		return;
	if (*csum != 0)
		*csum = sb_csum_update16(*csum, o, n);
	memcpy(p, &n, 2);
}

static inline void put32_csum(uint8_t *p, uint32_t v_host, uint16_t *csum)
{
	uint32_t o, n = rte_cpu_to_be_32(v_host);

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
				const uint8_t *nh_mac, uint32_t dst_ip, uint16_t sport,
				uint16_t dport)
{
	uint32_t old_src = ip->src_addr, old_dst = ip->dst_addr;
	uint16_t old_ttl = ttl_proto_word(ip);
	uint16_t new_sport = rte_cpu_to_be_16(sport);
	uint16_t new_dport = rte_cpu_to_be_16(dport);

	memcpy(&eth->dst_addr, nh_mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	ip->src_addr = w->media_ip;
	ip->dst_addr = dst_ip;
	/* We terminate the flow and originate the copy: a datagram that
	 * reached us with its last hop leaves with a fresh TTL. */
	ip->time_to_live = ip->time_to_live > 1 ? ip->time_to_live - 1 : 64;
	ip->hdr_checksum = sb_csum_update32(ip->hdr_checksum, old_src, ip->src_addr);
	ip->hdr_checksum = sb_csum_update32(ip->hdr_checksum, old_dst, ip->dst_addr);
	ip->hdr_checksum = sb_csum_update16(ip->hdr_checksum, old_ttl, ttl_proto_word(ip));
	if (udp->dgram_cksum != 0) { /* 0: sender did not checksum; keep it so */
		uint16_t c = udp->dgram_cksum;

		c = sb_csum_update32(c, old_src, ip->src_addr);
		c = sb_csum_update32(c, old_dst, ip->dst_addr);
		c = sb_csum_update16(c, udp->src_port, new_sport);
		c = sb_csum_update16(c, udp->dst_port, new_dport);
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
					  struct sb_leg_stats *ls, uint16_t dport, uint64_t now)
{
	const struct sb_leg *t;
	const uint8_t *nh_mac;

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
	nh_mac = sb_arp_lookup(w, sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway),
			       now);
	if (unlikely(nh_mac == NULL)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_NO_ARP);
		return NULL;
	}
	return nh_mac;
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

static inline void rtp_rewrite(struct sb_worker *w, struct sb_leg *t, const struct sb_leg *l,
			       uint32_t l_idx, uint8_t *rtp, struct rte_udp_hdr *udp, uint64_t now)
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
	int n;

	if (leg_rtcp_source(w, idx, l, ip->src_addr, rte_be_to_cpu_16(udp->src_port)) < 0) {
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

	nh_mac = relay_target(w, d, m, l, ls,
			      l->fwd != SB_LEG_NONE ? w->legs->leg[l->fwd].rtcp_port : 0, now);
	if (nh_mac == NULL)
		return;
	t = &w->legs->leg[l->fwd];
	rtcp_rewrite(w, t, l->fwd, l, b, p, n, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip,
		     (uint16_t)(t->local_port + ((t->flags & SB_LEG_F_RTCP_MUX) ? 0 : 1)),
		     t->rtcp_port);
	w->st->relayed++;
	sb_worker_tx_push(w, m, l->fwd, payload);
}

static inline void relay_one(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			     uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t ip_len, udp_len, idx, port_off, payload;
	uint16_t dport;
	struct sb_leg *l, *t;
	struct sb_leg_x *x;
	struct sb_leg_stats *ls;
	const uint8_t *nh_mac;
	uint8_t *rtp;

	if (unlikely(len < sizeof(*eth))) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	if (unlikely(eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
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
	if (unlikely((ip->version_ihl >> 4) != 4 || (ip->version_ihl & 0xf) < 5)) {
		drop(w, d, m, SB_DROP_BAD_IP);
		return;
	}
	if (unlikely((ip->version_ihl & 0xf) != 5)) {
		drop(w, d, m, SB_DROP_IP_OPTS);
		return;
	}
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(ip_len < sizeof(*ip) || rte_ipv4_cksum(ip) != 0)) {
		drop(w, d, m, SB_DROP_BAD_IP);
		return;
	}
	if (unlikely(ip_len > len - sizeof(*eth))) {
		drop(w, d, m, SB_DROP_SHORT); /* truncated datagram */
		return;
	}
	if (unlikely(ip->dst_addr != w->media_ip)) {
		drop(w, d, m, SB_DROP_NOT_MINE);
		return;
	}
	if (unlikely((ip->fragment_offset &
		      rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
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
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(udp_len < sizeof(*udp) || udp_len > ip_len - sizeof(*ip))) {
		drop(w, d, m, SB_DROP_BAD_IP);
		return;
	}

	/* ---- leg lookup: O(1) by destination port (RTP or RTCP) ---- */
	dport = rte_be_to_cpu_16(udp->dst_port);
	port_off = (uint32_t)dport - w->port_base;
	if (unlikely(port_off >= w->port_span || (idx = w->port_leg[port_off]) == SB_LEG_NONE)) {
		drop(w, d, m, SB_DROP_NO_LEG);
		return;
	}
	payload = udp_len - sizeof(*udp);
	rtp = (uint8_t *)(udp + 1);
	ls = &w->legs->st[idx & ~SB_PORT_RTCP];
	if (unlikely(payload < SB_RTCP_HDR_LEN || (rtp[0] >> 6) != SB_RTP_VERSION)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_BAD_RTP);
		return;
	}
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
		ls->drops++;
		drop(w, d, m, SB_DROP_BAD_RTP);
		return;
	}
	if (unlikely(leg_check_source(w, idx, l, ip->src_addr,
				      rte_be_to_cpu_16(udp->src_port), now) < 0)) {
		ls->rej_src++;
		drop(w, d, m, SB_DROP_BAD_SRC);
		return;
	}
	ls->rx_pkts++;
	ls->rx_bytes += payload;
	ls->last_rx_ns = sb_tsc_to_ns(&w->clk, now);

	/* ---- receive statistics (RFC 3550 A.1, A.8), published as we go ---- */
	x = &w->legs->x[idx];
	if (unlikely((rtp[1] & 0x7f) != x->rx_clock_pt))
		leg_rx_clock(w, idx, rtp[1] & 0x7f);
	sb_rtp_src_packet(&x->rx, sb_be32(rtp + 8), sb_be16(rtp + 2), sb_be32(rtp + 4),
			  sb_rtp_clock_units(now, x->rx_clock_mult));
	ls->ssrc = x->rx.ssrc;
	ls->ext_max_seq = sb_rtp_src_ext_max(&x->rx);
	ls->cycles = x->rx.cycles >> 16;
	ls->base_seq = x->rx.base_seq;
	ls->received = x->rx.received;
	ls->expected = sb_rtp_src_expected(&x->rx);
	ls->lost = sb_rtp_src_lost(&x->rx);
	ls->jitter = sb_rtp_src_jitter(&x->rx);

	/* ---- forward ---- */
	nh_mac = relay_target(w, d, m, l, ls,
			      l->fwd != SB_LEG_NONE ? w->legs->leg[l->fwd].peer_port : 0, now);
	if (nh_mac == NULL)
		return;
	t = &w->legs->leg[l->fwd];
	rtp_rewrite(w, t, l, idx, rtp, udp, now);
	relay_out_l3(w, eth, ip, udp, nh_mac, t->peer_ip, t->local_port, t->peer_port);
	w->st->relayed++;
	sb_worker_tx_push(w, m, l->fwd, payload);
}

void sb_relay_burst(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct drop_list d;

	d.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (unlikely(w->legs->script[w->id] != NULL)) { /* --preload "at N" */
			if (sb_legs_script_run(w))
				now = rte_rdtsc();
			if (w->legs->script_mem[w->id] != NULL)
				w->legs->script_mem[w->id]->seen++;
		}
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		relay_one(w, &d, pkts[i], now);
	}
	if (d.n != 0)
		rte_pktmbuf_free_bulk(d.m, d.n);
}
