/* SPDX-License-Identifier: MIT */
/*
 * relay.h — the fast path: classify a burst, rewrite what belongs to a leg
 * and queue it for transmission to the connected leg's peer.
 *
 * Uses: Ethernet/IPv4/UDP headers in the first segment, the worker's port
 * map, legs, neighbour table.  Sets: leg counters, worker counters.
 * Next: TX (worker txq) | ARP input | DROP (counted by SB_DROP_* reason).
 */
#ifndef SB_DP_RELAY_H
#define SB_DP_RELAY_H

#include <stdint.h>

#include <rte_mbuf.h>

struct sb_worker;

/* Consumes all n packets (queued for TX or freed). */
void sb_relay_burst(struct sb_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/* For dpmedia.c: rewrite an accepted RTP packet (rtp: its RTP header) of
 * leg l_idx for the connected leg (re-anchoring, payload map, L2-L4
 * addresses towards nh_mac); the caller queues it. */
void sb_relay_rtp_out(struct sb_worker *w, struct rte_mbuf *m, uint32_t l_idx, uint8_t *rtp,
		      const uint8_t *nh_mac, uint64_t now);

/* Incremental Internet checksum update (RFC 1624, eqn. 3) for one 16-bit
 * word changing from old to new; all values in network order. */
static inline uint16_t sb_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new_;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint16_t sb_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
	csum = sb_csum_update16(csum, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
	return sb_csum_update16(csum, (uint16_t)old, (uint16_t)new_);
}

#endif /* SB_DP_RELAY_H */
