/* SPDX-License-Identifier: MIT */
/*
 * dp_dispatch — the pieces around the workers, on real DPDK objects
 * (EAL without hugepages, mempool, rte_rings, a ring ethdev):
 *   1. punt path: a full punt ring drops and counts PUNT_FULL and never
 *      blocks; the main lcore's drain takes every punt and counts it by
 *      reason; without a punt ring (single lcore) the fast path's reason is
 *      counted; no mbuf leaks;
 *   2. dispatcher classification: owner by UDP destination port range,
 *      worker 0 for everything else (ARP, fragments, ports nobody owns);
 *   3. sb_dispatch_poll() on a ring ethdev: each packet lands on its owner's
 *      ring, an ARP reply also reaches every other worker (a copy);
 *   4. rte_flow steering on a PMD without rte_flow fails cleanly with a
 *      reason (the caller then dispatches).
 * Exit 0 pass, 1 fail, 77 skip (not root, or EAL cannot initialise).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dispatch.h"
#include "pktbuild.h"
#include "port.h"
#include "punt.h"
#include "test.h"
#include "worker.h"

static const struct rte_ether_addr MAC_A = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct rte_ether_addr MAC_B = {{0x02, 0, 0, 0, 0, 0x0b}};
#define IP_PEER  RTE_BE32(0xc000020a) /* 192.0.2.10 */
#define IP_MEDIA RTE_BE32(0xcb00710a) /* 203.0.113.10 */

static struct rte_mbuf *udp_to(struct rte_mempool *mp, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &MAC_A, &MAC_B, IP_PEER, IP_MEDIA, 5000, dport, 1, 160) == 0);
	return m;
}

static void test_punt(struct rte_mempool *mp)
{
	static struct sb_worker w; /* sb_punt() reads only punt and st */
	struct sb_worker_stats st;
	struct sb_punt_stats ps;
	struct rte_ring *r = sb_punt_ring_create(0, 8, 0); /* 7 usable slots */

	T_ASSERT(r != NULL);
	memset(&st, 0, sizeof(st));
	memset(&ps, 0, sizeof(ps));
	w.punt = r;
	w.st = &st;
	for (int i = 0; i < 10; i++)
		sb_punt(&w, udp_to(mp, 20000), i < 6 ? SB_DROP_NOT_UDP : SB_DROP_NOT_IPV4);
	T_ASSERT_EQ_U64(st.punted, 7);
	T_ASSERT_EQ_U64(st.drop[SB_DROP_PUNT_FULL], 3);
	T_ASSERT_EQ_U64(st.drop[SB_DROP_NOT_UDP], 0);
	T_ASSERT_EQ_U64(rte_mempool_in_use_count(mp), 7);
	T_ASSERT_EQ_U64(sb_punt_drain(&r, 1, 1024, &ps), 7);
	T_ASSERT_EQ_U64(ps.rx, 7);
	T_ASSERT_EQ_U64(ps.unhandled, 7);
	T_ASSERT_EQ_U64(ps.by_reason[SB_DROP_NOT_UDP], 6);
	T_ASSERT_EQ_U64(ps.by_reason[SB_DROP_NOT_IPV4], 1);
	T_ASSERT_EQ_U64(rte_mempool_in_use_count(mp), 0);
	T_ASSERT_EQ_U64(rte_ring_count(r), 0);

	/* single lcore: no ring, the reason is counted as a drop */
	w.punt = NULL;
	sb_punt(&w, udp_to(mp, 20000), SB_DROP_NOT_IPV4);
	T_ASSERT_EQ_U64(st.drop[SB_DROP_NOT_IPV4], 1);
	T_ASSERT_EQ_U64(st.punted, 7);
	T_ASSERT_EQ_U64(rte_mempool_in_use_count(mp), 0);
	rte_ring_free(r);
	printf("punt: 7 queued, 3 PUNT_FULL, drain by reason, no-ring drop: ok\n");
}

static void test_owner(struct rte_mempool *mp)
{
	struct sb_dispatch d;
	struct rte_mbuf *m;
	struct {
		uint16_t port;
		unsigned owner;
	} cases[] = {{20000, 0}, {20099, 0}, {20100, 1}, {20150, 1}, {20299, 2},
		     {20300, 0}, {19999, 0}, {0, 0},     {65535, 0}};

	memset(&d, 0, sizeof(d));
	d.n_workers = 3;
	d.port_min = 20000;
	d.span = 100;
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		m = udp_to(mp, cases[i].port);
		if (sb_dispatch_owner(&d, m) != cases[i].owner) {
			fprintf(stderr, "port %u: owner %u, want %u\n", cases[i].port,
				sb_dispatch_owner(&d, m), cases[i].owner);
			T_ASSERT(0);
		}
		rte_pktmbuf_free(m);
	}
	/* a fragment of a datagram to worker 1's port: worker 0 (fast path
	 * counts FRAG there) */
	m = udp_to(mp, 20150);
	rte_pktmbuf_mtod(m, uint8_t *)[20] = 0x20; /* MF */
	T_ASSERT_EQ_U64(sb_dispatch_owner(&d, m), 0);
	rte_pktmbuf_free(m);
	/* IP options: worker 0 */
	m = udp_to(mp, 20150);
	rte_pktmbuf_mtod(m, uint8_t *)[14] = 0x46;
	T_ASSERT_EQ_U64(sb_dispatch_owner(&d, m), 0);
	rte_pktmbuf_free(m);
	/* ARP: worker 0 */
	m = rte_pktmbuf_alloc(mp);
	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_arp_reply(m, &MAC_A, IP_PEER, &MAC_B, IP_MEDIA) == 0);
	T_ASSERT_EQ_U64(sb_dispatch_owner(&d, m), 0);
	rte_pktmbuf_free(m);
	/* runt */
	m = udp_to(mp, 20150);
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - 40);
	T_ASSERT_EQ_U64(sb_dispatch_owner(&d, m), 0);
	rte_pktmbuf_free(m);
	printf("owner: port ranges, fragments, options, ARP, runts: ok\n");
}

static void test_poll_and_flow(struct rte_mempool *mp)
{
	struct rte_ring *rx = rte_ring_create("t_rx", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *tx = rte_ring_create("t_tx", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct sb_dispatch d;
	struct sb_port port;
	struct rte_flow *flows[SB_FLOW_MAX];
	struct rte_mbuf *m = NULL, *arp;
	char why[256] = "";
	int id, rc;
	unsigned want[3] = {2 + 1, 5 + 1, 3 + 1}; /* + the ARP reply or its copy */

	T_ASSERT(rx != NULL && tx != NULL);
	id = rte_eth_from_rings("t_ring0", &rx, 1, &tx, 1, 0);
	T_ASSERT(id >= 0);
	T_ASSERT(sb_port_up(&port, (uint16_t)id, 1, 1) == 0);
	memset(&d, 0, sizeof(d));
	d.port_id = (uint16_t)id;
	d.n_workers = 3;
	d.port_min = 20000;
	d.span = 100;
	d.pool = mp;
	T_ASSERT(sb_dispatch_rings_create(d.ring, 3, 0) == 0);
	for (int i = 0; i < 5; i++)
		T_ASSERT(rte_ring_enqueue(rx, udp_to(mp, 20150)) == 0);
	for (int i = 0; i < 3; i++)
		T_ASSERT(rte_ring_enqueue(rx, udp_to(mp, 20250)) == 0);
	for (int i = 0; i < 2; i++)
		T_ASSERT(rte_ring_enqueue(rx, udp_to(mp, 20010)) == 0);
	arp = rte_pktmbuf_alloc(mp);
	T_ASSERT(arp != NULL);
	T_ASSERT(sb_pkt_arp_reply(arp, &MAC_A, IP_PEER, &MAC_B, IP_MEDIA) == 0);
	T_ASSERT(rte_ring_enqueue(rx, arp) == 0);

	T_ASSERT_EQ_U64(sb_dispatch_poll(&d, 1), 11);
	T_ASSERT_EQ_U64(d.rx, 11);
	T_ASSERT_EQ_U64(d.ring_full, 0);
	for (unsigned w = 0; w < 3; w++) {
		unsigned n = rte_ring_count(d.ring[w]), arps = 0;

		T_ASSERT_EQ_U64(n, want[w]);
		T_ASSERT_EQ_U64(d.to_worker[w], want[w] - (w == 0 ? 0 : 1)); /* copies not counted */
		while (rte_ring_dequeue(d.ring[w], (void **)&m) == 0) {
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

			if (p[12] == 0x08 && p[13] == 0x06) {
				T_ASSERT_EQ_U64(rte_pktmbuf_data_len(m), 42);
				arps++;
			} else {
				uint16_t dport = (uint16_t)(p[36] << 8 | p[37]);

				T_ASSERT_EQ_U64((dport - 20000u) / 100u, w);
			}
			rte_pktmbuf_free(m);
		}
		T_ASSERT_EQ_U64(arps, 1);
	}
	T_ASSERT_EQ_U64(rte_mempool_in_use_count(mp), 0);
	printf("dispatch: 11 packets to their owners, ARP reply to all 3 workers: ok\n");

	rc = sb_flow_steer((uint16_t)id, 3, 20000, 100, flows, SB_FLOW_MAX, why, sizeof(why));
	T_ASSERT(rc < 0);
	T_ASSERT(why[0] != '\0');
	printf("flow: ring PMD refuses rte_flow (%d: %s): ok, caller dispatches\n", rc, why);

	sb_dispatch_rings_free(d.ring, 3);
	sb_port_down(&port);
	rte_ring_free(rx);
	rte_ring_free(tx);
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci", "--no-telemetry",
		       "--log-level=lib.eal:error", prefix, NULL};
	struct rte_mempool *mp;

	(void)argc;
	if (geteuid() != 0) {
		printf("SKIP: needs root for DPDK\n");
		return T_SKIP;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbdpb-dispatch-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("SKIP: EAL cannot initialise\n");
		return T_SKIP;
	}
	mp = rte_pktmbuf_pool_create("t_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_ASSERT(mp != NULL);
	test_punt(mp);
	test_owner(mp);
	test_poll_and_flow(mp);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/sbdpb-dispatch-%d", (int)getpid());
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("PASS\n");
	return 0;
}
