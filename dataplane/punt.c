/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "punt.h"

struct rte_ring *sb_punt_ring_create(unsigned id, unsigned slots, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "sb_punt_%u", id);
	return rte_ring_create(name, slots, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

unsigned sb_punt_drain(struct rte_ring *const *rings, unsigned n_rings, unsigned max,
		       struct sb_punt_stats *st)
{
	struct rte_mbuf *m[32];
	unsigned total = 0;

	for (unsigned r = 0; r < n_rings; r++) {
		unsigned got;

		if (rings[r] == NULL)
			continue;
		do {
			got = rte_ring_sc_dequeue_burst(rings[r], (void **)m, RTE_DIM(m), NULL);
			for (unsigned i = 0; i < got; i++) {
				uint32_t why = m[i]->hash.usr;

				st->by_reason[why < SB_DROP_MAX ? why : SB_DROP_MAX - 1]++;
			}
			/* No slow handler exists yet (ICMP errors, IPv6 ND come
			 * here later): count and free. */
			st->rx += got;
			st->unhandled += got;
			if (got != 0)
				rte_pktmbuf_free_bulk(m, got);
			total += got;
		} while (got == RTE_DIM(m) && total < max);
	}
	return total;
}
