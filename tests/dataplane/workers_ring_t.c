/* SPDX-License-Identifier: MIT */
/*
 * dp_workers_ring — two real worker threads (sb_worker_loop on lcores 1
 * and 2) behind the dispatcher, on a ring ethdev (rte_eth_from_rings: one
 * RX ring fed by this test, one TX ring per worker queue).  Legs are added
 * the way control adds them: LEG_ADD / LEG_CONNECT messages on each
 * worker's command ring in the shared segment, answered by SB_EVT_RESULT on
 * its event ring.  Calls are placed on both workers; RTP for all of them
 * is interleaved on the one RX queue.  Asserts:
 *   - a LEG_ADD sent to the wrong worker for its port is refused (-ERANGE);
 *   - every relayed packet leaves on the TX queue (ring) of the worker that
 *     owns its legs, with valid checksums, and nothing else does;
 *   - per worker: relayed = its legs' packets, no drops; per leg rx = tx;
 *     totals match what was sent.
 * Exit 0 pass, 1 fail, 77 skip (not root, or EAL cannot initialise).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "sb/dp_shm.h"

#include "dispatch.h"
#include "legs.h"
#include "pktbuild.h"
#include "port.h"
#include "test.h"
#include "worker.h"

#define N_WORKERS 2u
#define PORT_MIN  20000u
#define SPAN      100u  /* per worker */
#define CALLS     3u    /* per worker */
#define PKTS      40u   /* per direction per call */

static const struct rte_ether_addr PEER_MAC = {{0x02, 0, 0, 0, 0, 0x01}};
#define MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define NETMASK  RTE_BE32(0xffffff00)

static struct sb_dp_shm shm;
static uint32_t req = 1;

static uint32_t peer_ip(uint32_t leg)
{
	return rte_cpu_to_be_32(0xcb007100u + 20u + leg); /* 203.0.113.20+leg, on-link */
}

static uint16_t local_port(uint32_t leg)
{
	unsigned w = leg / (2 * CALLS), k = leg % (2 * CALLS);

	return (uint16_t)(PORT_MIN + w * SPAN + 10u + 2u * k);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* Send one command to worker w the way control does; return its status. */
static int command(unsigned w, union sb_msg *m)
{
	union sb_msg ev;

	m->h.req_id = req++;
	T_ASSERT(sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&shm, w), m, 1) == 1);
	for (int i = 0; i < 2000; i++) {
		while (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&shm, w), &ev, 1) == 1)
			if (ev.h.type == SB_EVT_RESULT && ev.h.req_id == m->h.req_id)
				return ev.result.status;
		sleep_ms(1);
	}
	fprintf(stderr, "worker %u: no answer to request %u\n", w, m->h.req_id);
	T_ASSERT(0);
	return -ETIMEDOUT;
}

static int leg_add(unsigned w, uint32_t leg, uint16_t port)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.leg = leg;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = peer_ip(leg);
	m.leg.peer_port = 7000;
	m.leg.local_port = port;
	m.leg.worker = w;
	return command(w, &m);
}

int main(int argc, char **argv)
{
	char prefix[64], inst[64];
	char *eal[] = {argv[0], "--lcores", "0@0,1@1,2@1", "--no-huge", "-m", "256", "--no-pci",
		       "--no-telemetry", "--log-level=lib.eal:error", prefix, NULL};
	static _Atomic int stop;
	struct rte_ring *rx, *tx[N_WORKERS];
	struct rte_ring *in[N_WORKERS];
	struct sb_port port;
	struct sb_dp_shm_params sp;
	struct sb_leg_tbl tbl;
	struct sb_worker *w[N_WORKERS];
	struct sb_dispatch d;
	struct rte_mempool *mp;
	uint64_t got[N_WORKERS] = {0, 0};
	unsigned lcore = (unsigned)-1;
	int id;

	(void)argc;
	if (geteuid() != 0) {
		printf("SKIP: needs root for DPDK\n");
		return T_SKIP;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbdpb-wring-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("SKIP: EAL cannot initialise\n");
		return T_SKIP;
	}
	T_ASSERT(rte_lcore_count() == 1 + N_WORKERS);
	mp = rte_pktmbuf_pool_create("t_gen", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx = rte_ring_create("t_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx[0] = rte_ring_create("t_tx0", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx[1] = rte_ring_create("t_tx1", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	T_ASSERT(mp != NULL && rx != NULL && tx[0] != NULL && tx[1] != NULL);
	id = rte_eth_from_rings("t_wring0", &rx, 1, tx, N_WORKERS, 0);
	T_ASSERT(id >= 0);
	/* dispatch mode, as sb-dataplane on a one-RX-queue port */
	T_ASSERT(sb_port_up(&port, (uint16_t)id, 1, N_WORKERS) == 0);

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = N_WORKERS;
	sp.max_legs = 64;
	sp.cmd_slots = 64;
	sp.evt_slots = 64;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, port.mac.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = SPAN;
	snprintf(inst, sizeof(inst), "dpb-wring-%d", (int)getpid());
	T_ASSERT(sb_dp_shm_create(&shm, inst, &sp) == 0);
	T_ASSERT(sb_leg_tbl_init(&tbl, 64, sb_dp_shm_leg_stats(&shm, 0), 0) == 0);
	T_ASSERT(sb_dispatch_rings_create(in, N_WORKERS, 0) == 0);
	memset(&d, 0, sizeof(d));
	d.port_id = (uint16_t)id;
	d.n_workers = N_WORKERS;
	d.port_min = PORT_MIN;
	d.span = SPAN;
	d.pool = port.pool;
	for (unsigned i = 0; i < N_WORKERS; i++) {
		struct sb_worker_params wp;

		memset(&wp, 0, sizeof(wp));
		wp.id = (uint16_t)i;
		wp.port_id = (uint16_t)id;
		wp.queue = (uint16_t)i;
		wp.in = in[i];
		wp.pool = port.pool;
		wp.mac = port.mac;
		wp.media_ip = MEDIA_IP;
		wp.netmask = NETMASK;
		wp.port_base = (uint16_t)(PORT_MIN + i * SPAN);
		wp.port_span = SPAN;
		wp.idle_us = 20; /* 3 lcores on 2 CPUs */
		wp.arp_retry_ms = 100;
		wp.arp_ttl_s = 300;
		wp.cmd = sb_dp_shm_cmd_ring(&shm, i);
		wp.evt = sb_dp_shm_evt_ring(&shm, i);
		wp.st = sb_dp_shm_worker_stats(&shm, i);
		wp.legs = &tbl;
		wp.stop = &stop;
		w[i] = sb_worker_create(&wp);
		T_ASSERT(w[i] != NULL);
		d.ring[i] = in[i];
		lcore = rte_get_next_lcore(lcore, 1, 0);
		T_ASSERT(rte_eal_remote_launch(sb_worker_loop, w[i], lcore) == 0);
	}
	sb_dp_shm_set_state(&shm, SB_DP_READY);

	/* Legs through the command rings; worker 1's port refused by worker 0. */
	T_ASSERT_EQ_U64(-leg_add(0, 63, (uint16_t)(PORT_MIN + SPAN + 50)), ERANGE);
	for (uint32_t leg = 0; leg < N_WORKERS * 2 * CALLS; leg++) {
		unsigned owner = leg / (2 * CALLS);

		T_ASSERT_EQ_U64(sb_dp_port_worker(shm.hdr, local_port(leg)), owner);
		T_ASSERT_EQ_U64(leg_add(owner, leg, local_port(leg)), 0);
		if (leg % 2 == 1) {
			union sb_msg m;

			memset(&m, 0, sizeof(m));
			m.connect.h.type = SB_CMD_LEG_CONNECT;
			m.connect.h.len = sizeof(m.connect);
			m.connect.h.leg = leg - 1;
			m.connect.h.leg_gen = 1;
			m.connect.leg_b = leg;
			m.connect.leg_b_gen = 1;
			T_ASSERT_EQ_U64(command(owner, &m), 0);
		}
	}
	/* Peers are on-link: their ARP replies reach worker 0 and, through
	 * the dispatcher's copies, worker 1. */
	for (uint32_t leg = 0; leg < N_WORKERS * 2 * CALLS; leg++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		T_ASSERT(m != NULL);
		T_ASSERT(sb_pkt_arp_reply(m, &PEER_MAC, peer_ip(leg), &port.mac, MEDIA_IP) == 0);
		T_ASSERT(rte_ring_enqueue(rx, m) == 0);
	}
	while (rte_ring_count(rx) != 0)
		sb_dispatch_poll(&d, rte_rdtsc());
	sleep_ms(50);

	/* RTP, all legs interleaved on the one RX queue. */
	for (uint32_t seq = 1; seq <= PKTS; seq++) {
		for (uint32_t leg = 0; leg < N_WORKERS * 2 * CALLS; leg++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

			T_ASSERT(m != NULL);
			T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &port.mac, peer_ip(leg), MEDIA_IP, 7000,
					       local_port(leg), (uint16_t)seq, 160) == 0);
			while (rte_ring_enqueue(rx, m) != 0)
				sb_dispatch_poll(&d, rte_rdtsc());
		}
		sb_dispatch_poll(&d, rte_rdtsc());
	}
	for (int i = 0; i < 1000 && rte_ring_count(rx) != 0; i++)
		sb_dispatch_poll(&d, rte_rdtsc());

	/* Collect each worker's TX queue until everything came out. */
	for (int i = 0; i < 2000; i++) {
		for (unsigned q = 0; q < N_WORKERS; q++) {
			struct rte_mbuf *m = NULL;

			while (rte_ring_dequeue(tx[q], (void **)&m) == 0) {
				struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
					m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
				const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

				if (p[12] == 0x08 && p[13] == 0x06) { /* our own ARP */
					rte_pktmbuf_free(m);
					continue;
				}
				uint16_t sport = (uint16_t)(p[34] << 8 | p[35]);

				T_ASSERT_EQ_U64(sb_dp_port_worker(shm.hdr, sport), q);
				T_ASSERT(ip->src_addr == MEDIA_IP);
				T_ASSERT_EQ_U64(rte_ipv4_cksum(ip), 0);
				{ /* full UDP checksum, computed afresh */
					struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
					uint16_t c = u->dgram_cksum;

					u->dgram_cksum = 0;
					T_ASSERT_EQ_U64(rte_ipv4_udptcp_cksum(ip, u), c);
				}
				got[q]++;
				rte_pktmbuf_free(m);
			}
		}
		if (got[0] + got[1] >= (uint64_t)N_WORKERS * 2 * CALLS * PKTS)
			break;
		sleep_ms(1);
	}
	atomic_store(&stop, 1);
	rte_eal_mp_wait_lcore();

	for (unsigned q = 0; q < N_WORKERS; q++) {
		const struct sb_worker_stats *st = sb_dp_shm_worker_stats(&shm, q);
		uint64_t drops = 0;

		for (unsigned r = 0; r < SB_DROP_N; r++)
			drops += st->drop[r];
		printf("worker %u: sent %llu on its queue, relayed %llu, drops %llu, rx %llu "
		       "(cycles/pkt %llu)\n",
		       q, (unsigned long long)got[q], (unsigned long long)st->relayed,
		       (unsigned long long)drops, (unsigned long long)st->rx_pkts,
		       (unsigned long long)(st->rx_pkts ? st->busy_cycles / st->rx_pkts : 0));
		T_ASSERT_EQ_U64(got[q], 2 * CALLS * PKTS);
		T_ASSERT_EQ_U64(st->relayed, 2 * CALLS * PKTS);
		T_ASSERT_EQ_U64(drops, 0);
		T_ASSERT_EQ_U64(st->legs_active, 2 * CALLS);
	}
	for (uint32_t leg = 0; leg < N_WORKERS * 2 * CALLS; leg++) {
		const struct sb_leg_stats *ls = sb_dp_shm_leg_stats(&shm, leg);

		T_ASSERT_EQ_U64(ls->rx_pkts, PKTS);
		T_ASSERT_EQ_U64(ls->tx_pkts, PKTS);
	}
	T_ASSERT_EQ_U64(d.ring_full, 0);
	T_ASSERT_EQ_U64(d.to_worker[0], 2 * CALLS * PKTS + 2 * CALLS * N_WORKERS);
	T_ASSERT_EQ_U64(d.to_worker[1], 2 * CALLS * PKTS);

	for (unsigned i = 0; i < N_WORKERS; i++)
		sb_worker_free(w[i]);
	sb_dispatch_rings_free(in, N_WORKERS);
	sb_leg_tbl_free(&tbl);
	sb_dp_shm_detach(&shm, 1);
	sb_port_down(&port);
	rte_eal_cleanup();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/sbdpb-wring-%d", (int)getpid());
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("PASS: %u workers each relayed only their own %u legs on their own TX queue\n",
	       N_WORKERS, 2 * CALLS);
	return 0;
}
