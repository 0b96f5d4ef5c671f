/* SPDX-License-Identifier: MIT */
/*
 * arp.h — neighbour table of one worker and the ARP it speaks: answer
 * requests for the media address, learn senders of requests and replies in
 * our subnet, ask for unresolved next hops (at most one request per next hop
 * per retry interval), age entries out after the TTL.
 *
 * The table is a fixed open-addressed array (no allocation, no deletion):
 * a lookup probes at most SB_ARP_PROBE slots; an insert reuses the slot of
 * an expired entry or, when all probed slots are live, the oldest one.
 */
#ifndef SB_DP_ARP_H
#define SB_DP_ARP_H

#include <stdint.h>

#include <rte_mbuf.h>

#define SB_ARP_SLOTS 4096u /* power of two */
#define SB_ARP_PROBE 16u

struct sb_worker;

struct sb_neigh {
	uint32_t ip;       /* network order; 0 = empty slot */
	uint8_t mac[6];
	uint8_t resolved;  /* mac valid (until seen_tsc + ttl) */
	uint8_t pad;
	uint64_t seen_tsc; /* last time we learned the mac */
	uint64_t req_tsc;  /* last request sent; 0 = never */
};

struct sb_arp_tbl {
	uint64_t ttl_tsc;     /* entry lifetime */
	uint64_t refresh_tsc; /* re-ask a used entry older than this */
	uint64_t retry_tsc;   /* min gap between requests for one ip */
	struct sb_neigh e[SB_ARP_SLOTS];
};

/* Reset the table; times in TSC ticks. */
void sb_arp_init(struct sb_arp_tbl *t, uint64_t ttl_tsc, uint64_t retry_tsc);

/* Next hop for dst (network order): dst itself when on-link, else the
 * gateway; 0 when off-link and there is no gateway. */
static inline uint32_t sb_arp_nexthop(uint32_t dst, uint32_t media_ip, uint32_t netmask,
				      uint32_t gateway)
{
	return ((dst ^ media_ip) & netmask) == 0 ? dst : gateway;
}

/* MAC of next hop nh, or NULL when unknown or expired; then (rate-limited)
 * an ARP request for nh is queued for transmission.  A known entry close to
 * expiry is refreshed by a request while it keeps being used. */
const uint8_t *sb_arp_lookup(struct sb_worker *w, uint32_t nh, uint64_t now);

/* Ask for nh now unless asked within the retry interval (proactive
 * resolution: gateway at start, a leg's peer when it is added).  Only
 * worker 0 asks for the gateway (see arp.c). */
void sb_arp_solicit(struct sb_worker *w, uint32_t nh, uint64_t now);

/* Handle one ARP frame (takes m): reply for the media address, learn, or
 * drop with ARP_OTHER. */
void sb_arp_input(struct sb_worker *w, struct rte_mbuf *m, uint64_t now);

/* Periodic: keep the gateway resolved (worker 0 only, see arp.c). */
void sb_arp_timer(struct sb_worker *w, uint64_t now);

#endif /* SB_DP_ARP_H */
