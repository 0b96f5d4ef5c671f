/* SPDX-License-Identifier: MIT */
/*
 * dp_leg_timers — liveness, ARP ownership and several media addresses,
 * on real workers driven without threads (sb_relay_burst(), the sweep and
 * the ARP calls with chosen TSC times):
 *   1. RTCP keeps a leg alive (RFC 3550 6.3.5): a leg with a 100 ms media
 *      timeout that gets only RTCP after its last RTP packet sends no
 *      SB_EVT_MEDIA_TIMEOUT while RTCP comes, and one 100 ms after the last
 *      RTCP (idle_ms counted from it);
 *   2. LEG_CONNECT restarts the media-timeout clock: legs added, left alone
 *      longer than their timeout, then connected: no event right after the
 *      connect, one a timeout later;
 *   3. only worker 0 asks for the gateway (start-up solicit, periodic timer,
 *      refresh before expiry); worker 1 learns it from the same replies and
 *      asks only once its entry has expired;
 *   4. --media-addrs: two legs on the same port of two media addresses are
 *      told apart by the destination address, and a relayed packet leaves
 *      from the address of the leg it is sent on.
 * Exit 0 pass, 1 fail, 77 skip (EAL cannot initialise, e.g. not root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sb/dp_shm.h"
#include "sb/rtp.h"

#include "arp.h"
#include "legs.h"
#include "pktbuild.h"
#include "relay.h"
#include "test.h"
#include "worker.h"

#define PORT_MIN 30000u
#define SPAN     8u /* per worker */
#define N_ADDR   2u

static const struct rte_ether_addr DP_MAC = {{0x02, 0x5b, 0, 0, 0, 0x01}};
static const struct rte_ether_addr PEER_MAC = {{0x02, 0x5b, 0, 0, 0, 0x02}};
static const struct rte_ether_addr GW_MAC = {{0x02, 0x5b, 0, 0, 0, 0xfe}};
#define MEDIA_IP  RTE_BE32(0xcb00710a) /* 203.0.113.10, and .11 (N_ADDR) */
#define MEDIA_IP2 RTE_BE32(0xcb00710b)
#define PEER_A    RTE_BE32(0xcb007114) /* on-link peers */
#define PEER_B    RTE_BE32(0xcb007115)
#define GW_IP     RTE_BE32(0xcb007101)
#define NETMASK   RTE_BE32(0xffffff00)

static struct rte_mempool *pool;
static struct sb_leg_tbl tbl;
static uint64_t hz;
static struct sb_dp_shm shm;
static int shm_made;

/* A failed assertion exits: leave no segment or runtime directory behind. */
static void cleanup(void)
{
	char cmd[128];

	if (shm_made)
		sb_dp_shm_detach(&shm, 1);
	shm_made = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/dp-timers-%d", (int)getpid());
	if (system(cmd) != 0) { /* best effort */
	}
}

static void feed(struct sb_worker *w, struct rte_mbuf *m, uint64_t now)
{
	sb_relay_burst(w, &m, 1, now);
}

static struct rte_mbuf *rtp_pkt(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
				uint16_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &DP_MAC, src, dst, sport, dport, seq, 160) == 0);
	return m;
}

/* RTCP receiver report with one block (about somebody else's stream). */
static struct rte_mbuf *rtcp_pkt(uint32_t src, uint16_t sport, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_udp_hdr *udp;
	uint8_t *b;

	/* 12 + 20 bytes of UDP payload: the RR header and one report block */
	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &DP_MAC, src, MEDIA_IP, sport, dport, 0, 20) == 0);
	udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
				      sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
	b = (uint8_t *)(udp + 1);
	memset(b, 0, 32);
	b[0] = 0x81;
	b[1] = SB_RTCP_RR;
	b[3] = 7; /* 8 words - 1 */
	sb_put_be32(b + 4, 0x5eed5eedu);
	sb_put_be32(b + 8, 0x0badf00du); /* not our stream: read, not used */
	udp->dgram_cksum = 0;           /* sender did not checksum */
	return m;
}

static void cmd(struct sb_worker *w, union sb_msg *m)
{
	int rc = sb_legs_apply(w, m);

	if (rc != 0)
		fprintf(stderr, "command %u on leg %u: %d\n", m->h.type, m->h.leg, rc);
	T_ASSERT(rc == 0);
}

static void leg_add(struct sb_worker *w, uint32_t idx, uint32_t peer, uint16_t peer_port,
		    uint16_t local_port, uint8_t addr, uint32_t timeout_ms)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.leg = idx;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = peer;
	m.leg.peer_port = peer_port;
	m.leg.local_port = local_port;
	m.leg.local_addr = addr;
	m.leg.worker = w->id;
	m.leg.timeout_ms = timeout_ms;
	cmd(w, &m);
}

static void connect_legs(struct sb_worker *w, uint32_t a, uint32_t b)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.connect.h.type = SB_CMD_LEG_CONNECT;
	m.connect.h.len = sizeof(m.connect);
	m.connect.h.leg = a;
	m.connect.h.leg_gen = 1;
	m.connect.leg_b = b;
	m.connect.leg_b_gen = 1;
	cmd(w, &m);
}

static void leg_del(struct sb_worker *w, uint32_t idx)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = SB_CMD_LEG_DEL;
	m.h.len = sizeof(m.h);
	m.h.leg = idx;
	m.h.leg_gen = 1;
	cmd(w, &m);
}

/* One whole sweep at `now`; returns the timeout events for leg idx (others
 * are discarded) and the idle_ms of the last one. */
static unsigned sweep(struct sb_worker *w, uint64_t now, uint32_t idx, uint32_t *idle_ms)
{
	union sb_msg ev[16];
	unsigned n, hits = 0;

	for (uint32_t k = 0; k <= w->n_slots / SB_SWEEP_SLOTS; k++) {
		tbl.sweep[w->id].next_tsc = 0;
		sb_legs_timer(w, now);
	}
	while ((n = sb_ring_dequeue_burst(w->evt, ev, 16)) != 0)
		for (unsigned i = 0; i < n; i++)
			if (ev[i].h.type == SB_EVT_MEDIA_TIMEOUT && ev[i].h.leg == idx) {
				hits++;
				*idle_ms = ev[i].timeout.idle_ms;
			}
	return hits;
}

static void drain_tx(struct sb_worker *w)
{
	if (w->tx.n != 0)
		rte_pktmbuf_free_bulk(w->tx.m, w->tx.n);
	w->tx.n = 0;
}

static uint64_t ms(uint64_t n)
{
	return n * hz / 1000u;
}

static void test_rtcp_keepalive(struct sb_worker *w)
{
	uint64_t t0 = rte_rdtsc();
	uint32_t idle = 0;

	leg_add(w, 0, PEER_A, 5000, PORT_MIN, 0, 100);
	leg_add(w, 1, PEER_B, 5002, PORT_MIN + 2, 0, 0);
	connect_legs(w, 0, 1);
	feed(w, rtp_pkt(PEER_A, 5000, MEDIA_IP, PORT_MIN, 1), t0 + ms(10));
	T_ASSERT_EQ_U64(sweep(w, t0 + ms(50), 0, &idle), 0);
	/* RTP stops; RTCP (peer port + 1 to our port + 1) every 80 ms */
	for (unsigned k = 1; k <= 3; k++) {
		feed(w, rtcp_pkt(PEER_A, 5001, PORT_MIN + 1), t0 + ms(10 + 80 * k));
		T_ASSERT_EQ_U64(sweep(w, t0 + ms(10 + 80 * k + 60), 0, &idle), 0);
	}
	T_ASSERT_EQ_U64(tbl.st[0].rtcp_rx_pkts, 3);
	/* then silence: one event, idle counted from the last RTCP (t0 + 250) */
	T_ASSERT_EQ_U64(sweep(w, t0 + ms(400), 0, &idle), 1);
	T_ASSERT(idle >= 140 && idle <= 160);
	T_ASSERT_EQ_U64(sweep(w, t0 + ms(500), 0, &idle), 0); /* once per silence */
	T_ASSERT_EQ_U64(tbl.st[0].timeouts, 1);
	drain_tx(w);
	leg_del(w, 0);
	leg_del(w, 1);
}

static void test_connect_restarts(struct sb_worker *w)
{
	uint64_t tc;
	uint32_t idle = 0;

	leg_add(w, 2, PEER_A, 5010, PORT_MIN + 4, 0, 100);
	leg_add(w, 3, PEER_B, 5012, PORT_MIN + 6, 0, 100);
	rte_delay_us_sleep(150 * 1000); /* parked longer than the timeout */
	connect_legs(w, 2, 3);
	tc = rte_rdtsc();
	T_ASSERT_EQ_U64(sweep(w, tc + ms(50), 2, &idle), 0);
	T_ASSERT_EQ_U64(sweep(w, tc + ms(150), 2, &idle), 1);
	T_ASSERT(idle >= 145 && idle <= 170);
	leg_del(w, 2);
	leg_del(w, 3);
}

static void test_arp_owner(struct sb_worker *w0, struct sb_worker *w1)
{
	uint64_t t0 = rte_rdtsc();
	struct rte_mbuf *m;

	w0->st->arp_requests = 0;
	w1->st->arp_requests = 0;
	sb_arp_solicit(w1, GW_IP, t0);
	sb_arp_timer(w1, t0);
	T_ASSERT_EQ_U64(w1->st->arp_requests, 0);
	sb_arp_solicit(w0, GW_IP, t0);
	T_ASSERT_EQ_U64(w0->st->arp_requests, 1);
	/* the reply reaches both (fan-out) */
	m = rte_pktmbuf_alloc(pool);
	T_ASSERT(m != NULL && sb_pkt_arp_reply(m, &GW_MAC, GW_IP, &DP_MAC, MEDIA_IP) == 0);
	feed(w0, m, t0 + ms(1));
	m = rte_pktmbuf_alloc(pool);
	T_ASSERT(m != NULL && sb_pkt_arp_reply(m, &GW_MAC, GW_IP, &DP_MAC, MEDIA_IP) == 0);
	feed(w1, m, t0 + ms(1));
	T_ASSERT(sb_arp_lookup(w1, GW_IP, t0 + ms(2)) != NULL);
	/* refresh window (ttl 1 s, refresh after 0.8 s): worker 0 only */
	T_ASSERT(sb_arp_lookup(w1, GW_IP, t0 + ms(900)) != NULL);
	sb_arp_timer(w1, t0 + ms(900));
	T_ASSERT_EQ_U64(w1->st->arp_requests, 0);
	T_ASSERT(sb_arp_lookup(w0, GW_IP, t0 + ms(900)) != NULL);
	T_ASSERT_EQ_U64(w0->st->arp_requests, 2);
	/* expired on worker 1 (its copy of the reply was lost): it asks */
	T_ASSERT(sb_arp_lookup(w1, GW_IP, t0 + ms(1100)) == NULL);
	T_ASSERT_EQ_U64(w1->st->arp_requests, 1);
	drain_tx(w0);
	drain_tx(w1);
}

static void test_media_addrs(struct sb_worker *w)
{
	uint64_t t0 = rte_rdtsc();
	struct rte_mbuf *m;
	const struct rte_ipv4_hdr *ip;

	/* the peers' MACs */
	m = rte_pktmbuf_alloc(pool);
	T_ASSERT(m != NULL && sb_pkt_arp_reply(m, &PEER_MAC, PEER_A, &DP_MAC, MEDIA_IP) == 0);
	feed(w, m, t0);
	m = rte_pktmbuf_alloc(pool);
	T_ASSERT(m != NULL && sb_pkt_arp_reply(m, &PEER_MAC, PEER_B, &DP_MAC, MEDIA_IP2) == 0);
	feed(w, m, t0);
	drain_tx(w);
	/* same port on both addresses; a second port on address 1 */
	leg_add(w, 4, PEER_A, 6000, PORT_MIN, 0, 0);
	leg_add(w, 5, PEER_B, 6002, PORT_MIN, 1, 0);
	leg_add(w, 6, PEER_A, 6004, PORT_MIN + 2, 1, 0);
	connect_legs(w, 4, 6);
	drain_tx(w);
	/* to address 1, port PORT_MIN: leg 5 (not connected: counted, NO_FWD) */
	feed(w, rtp_pkt(PEER_B, 6002, MEDIA_IP2, PORT_MIN, 1), t0 + ms(1));
	T_ASSERT_EQ_U64(w->tx.n, 0);
	/* to address 0, port PORT_MIN: leg 4, relayed out of leg 6 (address 1) */
	feed(w, rtp_pkt(PEER_A, 6000, MEDIA_IP, PORT_MIN, 1), t0 + ms(1));
	T_ASSERT_EQ_U64(w->tx.n, 1);
	ip = rte_pktmbuf_mtod_offset(w->tx.m[0], const struct rte_ipv4_hdr *,
				     sizeof(struct rte_ether_hdr));
	T_ASSERT_EQ_U64(ip->src_addr, MEDIA_IP2);
	T_ASSERT_EQ_U64(ip->dst_addr, PEER_A);
	{
		struct rte_ipv4_hdr c = *ip;

		c.hdr_checksum = 0;
		T_ASSERT_EQ_U64(ip->hdr_checksum, rte_ipv4_cksum(&c));
	}
	/* to an address past the last one: NOT_MINE */
	feed(w, rtp_pkt(PEER_A, 6000, RTE_BE32(0xcb00710c), PORT_MIN, 2), t0 + ms(2));
	T_ASSERT_EQ_U64(w->st->drop[SB_DROP_NOT_MINE], 1);
	drain_tx(w);
	leg_del(w, 4);
	leg_del(w, 5);
	leg_del(w, 6);
	T_ASSERT_EQ_U64(tbl.st[4].rx_pkts, 1);
	T_ASSERT_EQ_U64(tbl.st[5].rx_pkts, 1);
	T_ASSERT_EQ_U64(tbl.st[5].drops, 1);
	/* a local address past --media-addrs is refused */
	{
		union sb_msg mm;

		memset(&mm, 0, sizeof(mm));
		mm.leg.h.type = SB_CMD_LEG_ADD;
		mm.leg.h.len = sizeof(mm.leg);
		mm.leg.h.leg = 7;
		mm.leg.h.leg_gen = 1;
		mm.leg.local_port = PORT_MIN;
		mm.leg.local_addr = N_ADDR;
		mm.leg.worker = w->id;
		T_ASSERT(sb_legs_apply(w, &mm) == -ERANGE);
	}
}

int main(int argc, char **argv)
{
	char prefix[64], inst[64];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci",
		       "--no-telemetry", "--no-shconf", "--log-level=lib.eal:error", prefix, NULL};
	struct sb_dp_shm_params sp;
	struct sb_worker *w[2];
	_Atomic int stop = 0;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=dp-timers-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("SKIP: EAL: %s\n", rte_strerror(rte_errno));
		return T_SKIP;
	}
	hz = rte_get_tsc_hz();
	pool = rte_pktmbuf_pool_create("timers_pool", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_ASSERT(pool != NULL);

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 2;
	sp.max_legs = 16;
	sp.cmd_slots = 16;
	sp.evt_slots = 64;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, DP_MAC.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = SPAN;
	snprintf(inst, sizeof(inst), "dp-timers-t-%d", (int)getpid());
	atexit(cleanup);
	T_ASSERT(sb_dp_shm_create(&shm, inst, &sp) == 0);
	shm_made = 1;
	T_ASSERT(sb_leg_tbl_init(&tbl, 16, sb_dp_shm_leg_stats(&shm, 0), 0) == 0);
	for (uint16_t i = 0; i < 2; i++) {
		struct sb_worker_params wp;

		memset(&wp, 0, sizeof(wp));
		wp.id = i;
		wp.pool = pool;
		wp.mac = DP_MAC;
		wp.media_ip = MEDIA_IP;
		wp.n_addr = N_ADDR;
		wp.netmask = NETMASK;
		wp.gateway = GW_IP;
		wp.port_base = (uint16_t)(PORT_MIN + i * SPAN);
		wp.port_span = SPAN;
		wp.arp_retry_ms = 100;
		wp.arp_ttl_s = 1;
		wp.cmd = sb_dp_shm_cmd_ring(&shm, i);
		wp.evt = sb_dp_shm_evt_ring(&shm, i);
		wp.st = sb_dp_shm_worker_stats(&shm, i);
		wp.legs = &tbl;
		wp.stop = &stop;
		w[i] = sb_worker_create(&wp);
		T_ASSERT(w[i] != NULL);
		sb_worker_start(w[i], rte_rdtsc());
	}

	test_arp_owner(w[0], w[1]);
	test_media_addrs(w[0]);
	test_rtcp_keepalive(w[0]);
	test_connect_restarts(w[0]);

	for (unsigned i = 0; i < 2; i++) {
		drain_tx(w[i]);
		sb_worker_free(w[i]);
	}
	sb_leg_tbl_free(&tbl);
	sb_dp_shm_detach(&shm, 1);
	shm_made = 0;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	printf("dp_leg_timers: ok\n");
	return 0;
}
