/* SPDX-License-Identifier: MIT */
/*
 * pktbuild.h — build Ethernet/IPv4/UDP/RTP and ARP frames into an mbuf,
 * with full (not incremental) checksums.  For tests and benchmarks that
 * feed in-memory ports; never used on the fast path.
 */
#ifndef SB_DP_PKTBUILD_H
#define SB_DP_PKTBUILD_H

#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

/* UDP datagram with an RTP header (V=2, PT 8, given seq) and payload_len
 * bytes after it.  Addresses network order, ports host order.
 * Returns 0 or -1 when the mbuf has no room. */
static inline int sb_pkt_udp_rtp(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
				 const struct rte_ether_addr *dst_mac, uint32_t src_ip,
				 uint32_t dst_ip, uint16_t sport, uint16_t dport, uint16_t seq,
				 uint16_t payload_len)
{
	uint16_t rtp_len = 12 + payload_len;
	uint16_t len = (uint16_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
				  sizeof(struct rte_udp_hdr) + rtp_len);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *rtp;

	rte_pktmbuf_reset(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	if (eth == NULL)
		return -1;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	rtp = (uint8_t *)(udp + 1);
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src_ip;
	ip->dst_addr = dst_ip;
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + rtp_len));
	udp->dgram_cksum = 0;
	memset(rtp, 0xd5, rtp_len); /* G.711 A-law silence */
	rtp[0] = 0x80;
	rtp[1] = 8;
	rtp[2] = (uint8_t)(seq >> 8);
	rtp[3] = (uint8_t)seq;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return 0;
}

/* ARP reply "ip is at mac" to (dst_mac, dst_ip). */
static inline int sb_pkt_arp_reply(struct rte_mbuf *m, const struct rte_ether_addr *mac,
				   uint32_t ip, const struct rte_ether_addr *dst_mac,
				   uint32_t dst_ip)
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	rte_pktmbuf_reset(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*a));
	if (eth == NULL)
		return -1;
	a = (struct rte_arp_hdr *)(eth + 1);
	rte_ether_addr_copy(dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = ip;
	rte_ether_addr_copy(dst_mac, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = dst_ip;
	return 0;
}

#endif /* SB_DP_PKTBUILD_H */
