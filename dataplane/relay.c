/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "arp.h"
#include "legs.h"
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

/* Source check and latching for a packet accepted on leg idx.
 * Returns 0 to accept, -1 when the source is rejected (strict). */
static inline int leg_check_source(struct sb_worker *w, uint32_t idx, struct sb_leg *l,
				   uint32_t src_ip, uint16_t src_port)
{
	bool known = l->peer_ip != 0 && l->peer_port != 0;

	if (likely(known && l->peer_ip == src_ip && l->peer_port == src_port)) {
		l->latched = 1;
		return 0;
	}
	if (!known || ((l->flags & SB_LEG_F_LATCH) && !l->latched)) {
		union sb_msg ev;
		struct sb_leg_stats *s = &w->legs->st[idx];

		l->peer_ip = src_ip;
		l->peer_port = src_port;
		l->latched = 1;
		s->peer_ip = src_ip;
		s->peer_port = src_port;
		memset(&ev, 0, sizeof(ev));
		ev.peer.h.type = SB_EVT_PEER_LATCHED;
		ev.peer.h.len = sizeof(ev.peer);
		ev.peer.h.leg = idx;
		ev.peer.h.leg_gen = l->gen;
		ev.peer.peer_ip = src_ip;
		ev.peer.peer_port = src_port;
		sb_worker_evt_push(w, &ev); /* rare: once per leg and peer */
		return 0;
	}
	if (l->flags & SB_LEG_F_STRICT)
		return -1;
	return 0; /* not strict: accept from anywhere, keep the peer */
}

static inline void relay_one(struct sb_worker *w, struct drop_list *d, struct rte_mbuf *m,
			     uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t len = rte_pktmbuf_data_len(m);
	uint32_t ip_len, udp_len, idx, port_off, nh, payload;
	uint16_t dport;
	struct sb_leg *l, *t;
	struct sb_leg_stats *ls;
	const uint8_t *nh_mac;

	if (unlikely(len < sizeof(*eth))) {
		drop(w, d, m, SB_DROP_SHORT);
		return;
	}
	if (unlikely(eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
			sb_arp_input(w, m, now);
			return;
		}
		drop(w, d, m, SB_DROP_NOT_IPV4);
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
			drop(w, d, m, SB_DROP_NOT_UDP);
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

	/* ---- leg lookup: O(1) by destination port ---- */
	dport = rte_be_to_cpu_16(udp->dst_port);
	port_off = (uint32_t)dport - w->port_base;
	if (unlikely(port_off >= w->port_span || (idx = w->port_leg[port_off]) == SB_LEG_NONE)) {
		drop(w, d, m, SB_DROP_NO_LEG);
		return;
	}
	l = &w->legs->leg[idx];
	ls = &w->legs->st[idx];
	if (unlikely(leg_check_source(w, idx, l, ip->src_addr,
				      rte_be_to_cpu_16(udp->src_port)) < 0)) {
		ls->rej_src++;
		drop(w, d, m, SB_DROP_BAD_SRC);
		return;
	}
	payload = udp_len - sizeof(*udp);
	ls->rx_pkts++;
	ls->rx_bytes += payload;
	ls->last_rx_ns = sb_tsc_to_ns(&w->clk, now);

	/* ---- forward target ---- */
	if (unlikely(l->fwd == SB_LEG_NONE)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_NO_FWD);
		return;
	}
	t = &w->legs->leg[l->fwd];
	if (unlikely(t->peer_ip == 0 || t->peer_port == 0)) {
		ls->drops++; /* the other side has not latched yet */
		drop(w, d, m, SB_DROP_NO_FWD);
		return;
	}
	nh = sb_arp_nexthop(t->peer_ip, w->media_ip, w->netmask, w->gateway);
	nh_mac = sb_arp_lookup(w, nh, now);
	if (unlikely(nh_mac == NULL)) {
		ls->drops++;
		drop(w, d, m, SB_DROP_NO_ARP);
		return;
	}

	/* ---- rewrite: L2, then IPv4 + UDP with incremental checksums ---- */
	memcpy(&eth->dst_addr, nh_mac, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);

	uint32_t old_src = ip->src_addr, old_dst = ip->dst_addr;
	uint16_t old_ttl = ttl_proto_word(ip);
	uint16_t new_sport = rte_cpu_to_be_16(t->local_port);
	uint16_t new_dport = rte_cpu_to_be_16(t->peer_port);

	ip->src_addr = w->media_ip;
	ip->dst_addr = t->peer_ip;
	/* We terminate the flow and originate the copy: a datagram that
	 * reached us with its last hop leaves with a fresh TTL. */
	ip->time_to_live = ip->time_to_live > 1 ? ip->time_to_live - 1 : 64;
	ip->hdr_checksum = sb_csum_update32(ip->hdr_checksum, old_src, ip->src_addr);
	ip->hdr_checksum = sb_csum_update32(ip->hdr_checksum, old_dst, ip->dst_addr);
	ip->hdr_checksum = sb_csum_update16(ip->hdr_checksum, old_ttl,
					    ttl_proto_word(ip));
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
	w->st->relayed++;
	sb_worker_tx_push(w, m, l->fwd, payload);
}

void sb_relay_burst(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct drop_list d;

	d.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		relay_one(w, &d, pkts[i], now);
	}
	if (d.n != 0)
		rte_pktmbuf_free_bulk(d.m, d.n);
}
