/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "arp.h"
#include "worker.h"

void sb_arp_init(struct sb_arp_tbl *t, uint64_t ttl_tsc, uint64_t retry_tsc)
{
	memset(t->e, 0, sizeof(t->e));
	t->ttl_tsc = ttl_tsc;
	t->refresh_tsc = ttl_tsc - ttl_tsc / 5;
	t->retry_tsc = retry_tsc;
}

static inline uint32_t neigh_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> (32 - 12); /* 12 = log2(SB_ARP_SLOTS) */
}
_Static_assert(SB_ARP_SLOTS == 1u << 12, "neigh_hash shift");

static struct sb_neigh *neigh_find(struct sb_arp_tbl *t, uint32_t ip)
{
	uint32_t h = neigh_hash(ip);

	for (uint32_t i = 0; i < SB_ARP_PROBE; i++) {
		struct sb_neigh *e = &t->e[(h + i) & (SB_ARP_SLOTS - 1)];

		if (e->ip == ip)
			return e;
		if (e->ip == 0)
			return NULL;
	}
	return NULL;
}

static bool neigh_is_live(const struct sb_arp_tbl *t, const struct sb_neigh *e, uint64_t now)
{
	return (e->resolved && now - e->seen_tsc < t->ttl_tsc) ||
	       (e->req_tsc != 0 && now - e->req_tsc < t->retry_tsc);
}

/* Find or make the entry for ip.  Never fails.  Chains are never broken
 * (a slot, once used, never becomes empty again), so a new entry may take
 * the first expired slot of its chain, else the first empty one, else the
 * oldest live one (eviction). */
static struct sb_neigh *neigh_get(struct sb_arp_tbl *t, uint32_t ip, uint64_t now)
{
	uint32_t h = neigh_hash(ip);
	struct sb_neigh *expired = NULL, *oldest = NULL, *e = NULL;
	uint64_t oldest_age = 0;

	for (uint32_t i = 0; i < SB_ARP_PROBE; i++) {
		e = &t->e[(h + i) & (SB_ARP_SLOTS - 1)];
		if (e->ip == ip)
			return e;
		if (e->ip == 0)
			break;
		if (!neigh_is_live(t, e, now)) {
			if (expired == NULL)
				expired = e;
			continue;
		}
		uint64_t last = e->seen_tsc > e->req_tsc ? e->seen_tsc : e->req_tsc;
		if (oldest == NULL || now - last > oldest_age) {
			oldest = e;
			oldest_age = now - last;
		}
		e = NULL;
	}
	if (expired != NULL)
		e = expired;
	else if (e == NULL || e->ip != 0)
		e = oldest;
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	return e;
}

static void arp_fill(struct rte_arp_hdr *a, uint16_t op)
{
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
}

static void arp_send_request(struct sb_worker *w, struct sb_neigh *e, uint64_t now)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	e->req_tsc = now;
	if (m == NULL)
		return; /* pool empty: the next packet or timer tries again */
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*a));
	a = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp_fill(a, RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&w->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = w->media_ip;
	memset(&a->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	a->arp_data.arp_tip = e->ip;
	w->st->arp_requests++;
	sb_worker_tx_push(w, m, SB_LEG_NONE, 0);
}

/* The gateway is every worker's next hop for off-link peers: asking for
 * it from each worker would multiply the broadcasts by the worker count.
 * Worker 0 owns it: the request at start and the refresh before the entry
 * ages out; the replies reach every worker (the dispatcher, or worker 0 in
 * flow mode, fans ARP replies out), so the others learn it without asking.
 * They still ask once their entry has expired or was never learned (a
 * lost fan-out copy, or worker 0 down): a miss must not stall forever.
 * A leg's on-link peer is asked by the worker that owns the leg. */
static inline bool neigh_refresh_owner(const struct sb_worker *w, const struct sb_neigh *e)
{
	return w->id == 0 || e->ip != w->gateway;
}

static void neigh_maybe_ask(struct sb_worker *w, struct sb_neigh *e, uint64_t now)
{
	if (e->req_tsc == 0 || now - e->req_tsc >= w->arp.retry_tsc)
		arp_send_request(w, e, now);
}

const uint8_t *sb_arp_lookup(struct sb_worker *w, uint32_t nh, uint64_t now)
{
	struct sb_arp_tbl *t = &w->arp;
	struct sb_neigh *e;

	if (nh == 0)
		return NULL;
	e = neigh_find(t, nh);
	if (likely(e != NULL && e->resolved)) {
		uint64_t age = now - e->seen_tsc;

		if (likely(age < t->refresh_tsc))
			return e->mac;
		if (age < t->ttl_tsc) {
			if (neigh_refresh_owner(w, e))
				neigh_maybe_ask(w, e, now); /* refresh, keep using it */
			return e->mac;
		}
		e->resolved = 0; /* aged out */
	}
	if (e == NULL)
		e = neigh_get(t, nh, now);
	neigh_maybe_ask(w, e, now);
	return NULL;
}

void sb_arp_solicit(struct sb_worker *w, uint32_t nh, uint64_t now)
{
	struct sb_neigh *e;

	if (nh == 0 || nh == w->media_ip || (nh == w->gateway && w->id != 0))
		return;
	e = neigh_get(&w->arp, nh, now);
	neigh_maybe_ask(w, e, now);
}

static void neigh_learn(struct sb_worker *w, uint32_t ip, const struct rte_ether_addr *mac,
			uint64_t now)
{
	struct sb_neigh *e;

	if (ip == 0 || rte_be_to_cpu_32(ip) - w->media_ip_h < w->n_addr ||
	    ((ip ^ w->media_ip) & w->netmask) != 0 ||
	    !rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return;
	e = neigh_get(&w->arp, ip, now);
	memcpy(e->mac, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	e->resolved = 1;
	e->seen_tsc = now;
}

void sb_arp_input(struct sb_worker *w, struct rte_mbuf *m, uint64_t now)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	uint32_t tip;
	uint16_t op;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*a)) {
		w->st->drop[SB_DROP_SHORT]++;
		goto out_free;
	}
	if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)
		goto out_other;
	op = rte_be_to_cpu_16(a->arp_opcode);
	if (op == RTE_ARP_OP_REPLY) {
		neigh_learn(w, a->arp_data.arp_sip, &a->arp_data.arp_sha, now);
		rte_pktmbuf_free(m); /* consumed: not a drop */
		return;
	}
	if (op != RTE_ARP_OP_REQUEST)
		goto out_other;
	neigh_learn(w, a->arp_data.arp_sip, &a->arp_data.arp_sha, now);
	if (rte_be_to_cpu_32(a->arp_data.arp_tip) - w->media_ip_h >= w->n_addr)
		goto out_other; /* not one of our media addresses */

	/* Turn the request into the reply in place (keeps any padding). */
	tip = a->arp_data.arp_tip;
	rte_ether_addr_copy(&a->arp_data.arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(&w->mac, &eth->src_addr);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_data.arp_sha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = a->arp_data.arp_sip;
	rte_ether_addr_copy(&w->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = tip;
	w->st->arp_replies++;
	sb_worker_tx_push(w, m, SB_LEG_NONE, 0);
	return;

out_other:
	w->st->drop[SB_DROP_ARP_OTHER]++;
out_free:
	rte_pktmbuf_free(m);
}

void sb_arp_timer(struct sb_worker *w, uint64_t now)
{
	if (w->gateway != 0 && w->id == 0) /* the refresh owner, see neigh_refresh_owner() */
		(void)sb_arp_lookup(w, w->gateway, now);
}
