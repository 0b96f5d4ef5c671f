/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h — getting each packet to the worker that owns its UDP port.
 *
 * Worker w owns local ports [port_min + w*span, port_min + (w+1)*span)
 * (sb_dp_port_worker() in common/ computes the same), and every leg on
 * them, so no per-packet state is shared between cores.  Three modes
 * (enum sb_dp_steer, published in the segment header):
 *
 *  DIRECT    one worker: it polls the port's only RX queue itself.
 *  FLOW      a multi-queue port accepted rte_flow rules "UDP dst port in
 *            worker w's range -> RX queue w": every worker polls its own
 *            queue; everything else (ARP, ICMP, other ports) lands on
 *            queue 0, so worker 0 is the designated worker for it.
 *  DISPATCH  otherwise: the main lcore receives from queue 0 and passes
 *            each packet over an SP/SC rte_ring to its owner.  IPv4/UDP
 *            (no fragment, no options) with a destination port in some
 *            worker's range goes to that worker; everything else (ARP,
 *            ICMP, fragments, ports nobody owns) goes to worker 0, which
 *            answers ARP/ICMP and counts the drops with their reason.
 *
 * Neighbours: every worker keeps its own ARP table.  An ARP reply reaches
 * worker 0 (the designated worker); a copy goes to every other worker's in
 * ring so that a worker that asked for a next hop learns the answer (the
 * dispatcher makes the copies in DISPATCH mode, worker 0 in FLOW mode).
 * Requests are not copied: only worker 0 answers for the media address.
 *
 * Each worker transmits on its own TX queue (queue w) in every mode.
 */
#ifndef SB_DP_DISPATCH_H
#define SB_DP_DISPATCH_H

#include <stdint.h>

#include <rte_flow.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sb/dp_abi.h"

#define SB_DISPATCH_SLOTS 1024u /* per-worker ring; power of two */
#define SB_FLOW_MAX       64u   /* rules per port (prefix blocks of all ranges) */

struct sb_dispatch {
	uint16_t port_id;
	uint16_t queue;
	uint16_t n_workers;
	uint16_t port_min;
	uint16_t span;                         /* ports per worker */
	struct rte_ring *ring[SB_MAX_WORKERS]; /* SP (this lcore) / SC (worker) */
	struct rte_mempool *pool;              /* for ARP copies */
	uint64_t last_rx_tsc;
	uint64_t rx;          /* packets received */
	uint64_t ring_full;   /* dropped: owner's ring full */
	uint64_t to_worker[SB_MAX_WORKERS];
};

/* Owner of a packet: its worker, or 0 for anything not IPv4/UDP to a
 * port some worker owns.  Reads the Ethernet/IPv4/UDP headers only. */
static inline unsigned sb_dispatch_owner(const struct sb_dispatch *d, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off;

	if (unlikely(rte_pktmbuf_data_len(m) < 14 + 20 + 8))
		return 0;
	if (p[12] != 0x08 || p[13] != 0x00 || p[14] != 0x45 || p[23] != 17 ||
	    (p[20] & 0x3f) != 0 || p[21] != 0) /* IPv4, no options, UDP, no fragment */
		return 0;
	off = ((uint32_t)p[36] << 8 | p[37]) - d->port_min;
	if (off >= (uint32_t)d->span * d->n_workers)
		return 0;
	return off / d->span;
}

/* Create one in ring per worker (SP/SC, SB_DISPATCH_SLOTS).  Returns 0 or
 * -rte_errno; on failure nothing stays allocated. */
int sb_dispatch_rings_create(struct rte_ring **rings, unsigned n, int socket);
void sb_dispatch_rings_free(struct rte_ring **rings, unsigned n);

/* One RX burst from (port_id, queue), each packet to its owner's ring.
 * Returns how many were received. */
unsigned sb_dispatch_poll(struct sb_dispatch *d, uint64_t now);

/* For every ARP reply in pkts, put a copy in each of the n rings (the
 * other workers' in rings).  Copies are allocated from pool; a copy that
 * cannot be made or queued is simply not made (ARP is retried).
 * Returns how many copies were queued. */
unsigned sb_dispatch_arp_fanout(struct rte_mbuf *const *pkts, unsigned n_pkts,
				struct rte_ring *const *rings, unsigned n, struct rte_mempool *pool);

/* Try to steer each worker's port range to RX queue w with rte_flow (UDP
 * destination port prefix blocks covering [port_min + w*span, +span)).
 * On any refusal every rule made so far is destroyed and -ENOTSUP (or the
 * PMD's error) is returned with the PMD's message in why; the caller then
 * uses DISPATCH mode.  Returns the number of rules on success.
 *
 * Which PMDs can do it: mlx5 (and mlx4) accept UDP dst port spec/mask to
 * QUEUE; ice (E810) and i40e (X710, flow director) accept it with full or
 * prefix masks depending on firmware/profile; ixgbe only with exact ports
 * (fdir, too few rules for ranges); net_tap has no rte_flow in this DPDK
 * build; af_packet, af_xdp, pcap, ring and null have no rte_flow at all, so
 * every test on this machine runs DISPATCH. */
int sb_flow_steer(uint16_t port_id, unsigned n_workers, uint16_t port_min, uint16_t span,
		  struct rte_flow **flows, unsigned max_flows, char *why, size_t why_len);
void sb_flow_unsteer(uint16_t port_id, struct rte_flow **flows, unsigned n);

#endif /* SB_DP_DISPATCH_H */
