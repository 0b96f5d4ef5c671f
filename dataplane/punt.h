/* SPDX-License-Identifier: MIT */
/*
 * punt.h — the bounded slow path (STYLE H9).  Whatever the fast path does
 * not handle but that deserves more than a drop (IPv6/ND later, ICMP other
 * than echo, IPv4 protocols other than UDP) is handed to the main lcore over
 * a per-worker SP/SC ring.  A full ring drops the packet and counts
 * PUNT_FULL: a worker never waits for the slow path.
 *
 * Per-worker rings keep the fast path free of shared atomics (one producer,
 * one consumer each).  In single-lcore mode (EAL -l with one lcore) there
 * is no main lcore to punt to: the worker has no punt ring and sb_punt()
 * drops with the fast path's reason, exactly as before the punt path
 * existed (the golden tests run that way).
 */
#ifndef SB_DP_PUNT_H
#define SB_DP_PUNT_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sb/dp_abi.h"

#include "worker.h"

#define SB_PUNT_SLOTS 1024u /* per worker; power of two */

/* Create the punt ring of worker id (SP/SC, on socket).  NULL + rte_errno. */
struct rte_ring *sb_punt_ring_create(unsigned id, unsigned slots, int socket);

/* Hand m (ownership taken) to the slow path; reason is what the fast path
 * would have dropped it for, kept in the mbuf for the handler.  Counts
 * w->st->punted, or drop[PUNT_FULL] when the ring is full, or
 * drop[reason] when this worker has no punt ring.  Never blocks.
 *
 * relay.c calls it where a packet leaves the fast path for a reason a slow
 * handler may care about: NOT_IPV4 (ARP excepted) and NOT_UDP. */
static inline void sb_punt(struct sb_worker *w, struct rte_mbuf *m, enum sb_drop reason)
{
	if (w->punt == NULL) {
		w->st->drop[reason]++;
		rte_pktmbuf_free(m);
		return;
	}
	m->hash.usr = (uint32_t)reason;
	if (unlikely(rte_ring_sp_enqueue(w->punt, m) != 0)) {
		w->st->drop[SB_DROP_PUNT_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	w->st->punted++;
}

/* Slow-path counters of the main lcore (it alone writes them). */
struct sb_punt_stats {
	uint64_t rx;                  /* punted packets taken off the rings */
	uint64_t unhandled;           /* freed: no slow handler for them yet */
	uint64_t by_reason[SB_DROP_MAX];
};

/* Main lcore: take up to max packets off every ring, handle or free each.
 * Returns how many were taken. */
unsigned sb_punt_drain(struct rte_ring *const *rings, unsigned n_rings, unsigned max,
		       struct sb_punt_stats *st);

#endif /* SB_DP_PUNT_H */
