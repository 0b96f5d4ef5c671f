/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_flow.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dispatch.h"
#include "worker.h"

int sb_dispatch_rings_create(struct rte_ring **rings, unsigned n, int socket)
{
	char name[RTE_RING_NAMESIZE];

	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "sb_disp_%u", i);
		rings[i] = rte_ring_create(name, SB_DISPATCH_SLOTS, socket,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL) {
			int rc = -rte_errno;

			sb_dispatch_rings_free(rings, i);
			return rc;
		}
	}
	return 0;
}

void sb_dispatch_rings_free(struct rte_ring **rings, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = NULL;

		if (rings[i] == NULL)
			continue;
		while (rte_ring_sc_dequeue(rings[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[i]);
		rings[i] = NULL;
	}
}

static inline int is_arp_reply(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eth + 1);

	return rte_pktmbuf_data_len(m) >= sizeof(*eth) + sizeof(*a) &&
	       eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
	       a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
}

unsigned sb_dispatch_arp_fanout(struct rte_mbuf *const *pkts, unsigned n_pkts,
				struct rte_ring *const *rings, unsigned n, struct rte_mempool *pool)
{
	unsigned copies = 0;

	for (unsigned i = 0; i < n_pkts; i++) {
		if (likely(!is_arp_reply(pkts[i])))
			continue;
		for (unsigned r = 0; r < n; r++) {
			struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], pool, 0, UINT32_MAX);

			if (c == NULL)
				continue;
			if (rte_ring_sp_enqueue(rings[r], c) != 0) {
				rte_pktmbuf_free(c);
				continue;
			}
			copies++;
		}
	}
	return copies;
}

unsigned sb_dispatch_poll(struct sb_dispatch *d, uint64_t now)
{
	struct rte_mbuf *pkts[SB_BURST];
	struct rte_mbuf *per[SB_MAX_WORKERS][SB_BURST];
	uint16_t cnt[SB_MAX_WORKERS];
	uint16_t n;

	n = rte_eth_rx_burst(d->port_id, d->queue, pkts, SB_BURST);
	if (n == 0)
		return 0;
	d->rx += n;
	d->last_rx_tsc = now;
	memset(cnt, 0, sizeof(cnt[0]) * d->n_workers);
	for (uint16_t i = 0; i < n; i++) {
		unsigned w;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		w = sb_dispatch_owner(d, pkts[i]);
		if (unlikely(w == 0 && d->n_workers > 1 && is_arp_reply(pkts[i])))
			sb_dispatch_arp_fanout(&pkts[i], 1, &d->ring[1], d->n_workers - 1u, d->pool);
		per[w][cnt[w]++] = pkts[i];
	}
	for (unsigned w = 0; w < d->n_workers; w++) {
		unsigned q;

		if (cnt[w] == 0)
			continue;
		q = rte_ring_sp_enqueue_burst(d->ring[w], (void **)per[w], cnt[w], NULL);
		d->to_worker[w] += q;
		if (unlikely(q < cnt[w])) {
			d->ring_full += cnt[w] - q;
			rte_pktmbuf_free_bulk(&per[w][q], cnt[w] - q);
		}
	}
	return n;
}

/* ---- rte_flow steering ---- */

void sb_flow_unsteer(uint16_t port_id, struct rte_flow **flows, unsigned n)
{
	struct rte_flow_error err;

	for (unsigned i = 0; i < n; i++)
		if (flows[i] != NULL)
			rte_flow_destroy(port_id, flows[i], &err);
}

/* One rule: IPv4 / UDP dst port matching (port & mask) -> queue. */
static struct rte_flow *flow_one(uint16_t port_id, uint16_t port, uint16_t mask, uint16_t queue,
				 struct rte_flow_error *err)
{
	struct rte_flow_attr attr = {.ingress = 1};
	struct rte_flow_item_udp spec, msk;
	struct rte_flow_action_queue q = {.index = queue};
	struct rte_flow_item pattern[4];
	struct rte_flow_action actions[2];

	memset(&spec, 0, sizeof(spec));
	memset(&msk, 0, sizeof(msk));
	spec.hdr.dst_port = rte_cpu_to_be_16(port);
	msk.hdr.dst_port = rte_cpu_to_be_16(mask);
	memset(pattern, 0, sizeof(pattern));
	pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	pattern[1].type = RTE_FLOW_ITEM_TYPE_IPV4;
	pattern[2].type = RTE_FLOW_ITEM_TYPE_UDP;
	pattern[2].spec = &spec;
	pattern[2].mask = &msk;
	pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
	memset(actions, 0, sizeof(actions));
	actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
	actions[0].conf = &q;
	actions[1].type = RTE_FLOW_ACTION_TYPE_END;
	if (rte_flow_validate(port_id, &attr, pattern, actions, err) != 0)
		return NULL;
	return rte_flow_create(port_id, &attr, pattern, actions, err);
}

int sb_flow_steer(uint16_t port_id, unsigned n_workers, uint16_t port_min, uint16_t span,
		  struct rte_flow **flows, unsigned max_flows, char *why, size_t why_len)
{
	struct rte_flow_error err;
	unsigned nf = 0;

	for (unsigned w = 0; w < n_workers; w++) {
		uint32_t lo = (uint32_t)port_min + w * span, hi = lo + span; /* [lo, hi) */

		/* Cover [lo, hi) with aligned power-of-two blocks (as CIDR
		 * covers an address range): spec/mask is what every PMD with
		 * UDP matching accepts; range items ("last") are rarer. */
		while (lo < hi) {
			uint32_t size = lo == 0 ? 65536u : (lo & -lo);

			while (lo + size > hi)
				size >>= 1;
			if (nf == max_flows) {
				snprintf(why, why_len, "port ranges need more than %u rules", max_flows);
				sb_flow_unsteer(port_id, flows, nf);
				return -E2BIG;
			}
			memset(&err, 0, sizeof(err));
			flows[nf] = flow_one(port_id, (uint16_t)lo, (uint16_t)~(size - 1u),
					     (uint16_t)w, &err);
			if (flows[nf] == NULL) {
				snprintf(why, why_len, "%s (rte_flow error type %d)",
					 err.message != NULL ? err.message : rte_strerror(rte_errno),
					 (int)err.type);
				sb_flow_unsteer(port_id, flows, nf);
				return rte_errno != 0 ? -rte_errno : -ENOTSUP;
			}
			nf++;
			lo += size;
		}
	}
	return (int)nf;
}
