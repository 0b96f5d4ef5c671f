/* SPDX-License-Identifier: MIT */
/*
 * dp_leg_publish — the freshness contract of the RFC 3550 receive figures
 * in the shared segment (struct sb_leg_stats ssrc .. jitter, sb/dp_abi.h):
 * the worker keeps them in its own leg state and publishes them lazily.
 * A real worker (no threads: this test drives sb_relay_burst() and the
 * timer itself) receives RTP on one leg; asserts:
 *   - a new source is published at once (ssrc, rx_pkts);
 *   - after every packet the published figures and rx_pkts (ABI 3: lazy
 *     too) lag the worker's by at most SB_RX_PUBLISH_EVERY - 1 packets,
 *     and are exact (rx_pkts included) every SB_RX_PUBLISH_EVERY packets;
 *   - one timer sweep over the leg's port makes them exact;
 *   - LEG_DEL leaves them final (hand-computed: 43 received of 43 expected).
 * Exit 0 pass, 1 fail, 77 skip (EAL cannot initialise, e.g. not root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sb/dp_shm.h"

#include "legs.h"
#include "pktbuild.h"
#include "relay.h"
#include "test.h"
#include "worker.h"

#define PORT_MIN 30000u
#define SPAN     8u
#define SSRC     0xd5d5d5d5u /* sb_pkt_udp_rtp() fills the RTP header with 0xd5 */

static const struct rte_ether_addr DP_MAC = {{0x02, 0x5b, 0, 0, 0, 0x01}};
static const struct rte_ether_addr PEER_MAC = {{0x02, 0x5b, 0, 0, 0, 0x02}};
#define MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define PEER_IP  RTE_BE32(0xcb007114) /* 203.0.113.20 */
#define NETMASK  RTE_BE32(0xffffff00)

static void send_seq(struct sb_worker *w, struct rte_mempool *pool, uint16_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	T_ASSERT(m != NULL);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &DP_MAC, PEER_IP, MEDIA_IP, 40000, PORT_MIN, seq,
				160) == 0);
	/* no connected leg: counted, then dropped NO_FWD (and freed) */
	sb_relay_burst(w, &m, 1, rte_rdtsc());
}

static void assert_exact(const struct sb_leg_stats *s, const struct sb_rtp_src *rx)
{
	T_ASSERT_EQ_U64(s->ssrc, rx->ssrc);
	T_ASSERT_EQ_U64(s->received, rx->received);
	T_ASSERT_EQ_U64(s->ext_max_seq, sb_rtp_src_ext_max(rx));
	T_ASSERT_EQ_U64(s->expected, sb_rtp_src_expected(rx));
	T_ASSERT_EQ_U64(s->jitter, sb_rtp_src_jitter(rx));
}

int main(int argc, char **argv)
{
	char prefix[64], inst[64], cmd[128];
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "128", "--no-pci",
		       "--no-telemetry", "--no-shconf", "--log-level=lib.eal:error", prefix, NULL};
	struct sb_dp_shm_params sp;
	struct sb_worker_params wp;
	struct sb_dp_shm shm;
	struct sb_leg_tbl tbl;
	struct sb_worker *w;
	struct rte_mempool *pool;
	struct sb_leg_stats *s;
	const struct sb_rtp_src *rx;
	_Atomic int stop = 0;
	union sb_msg m;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=dp-publish-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("SKIP: EAL: %s\n", rte_strerror(rte_errno));
		return T_SKIP;
	}
	pool = rte_pktmbuf_pool_create("pub_pool", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_ASSERT(pool != NULL);

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = 4;
	sp.cmd_slots = 16;
	sp.evt_slots = 64;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, DP_MAC.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = SPAN;
	snprintf(inst, sizeof(inst), "dp-publish-t-%d", (int)getpid());
	T_ASSERT(sb_dp_shm_create(&shm, inst, &sp) == 0);
	T_ASSERT(sb_leg_tbl_init(&tbl, 4, sb_dp_shm_leg_stats(&shm, 0), 0) == 0);
	memset(&wp, 0, sizeof(wp));
	wp.pool = pool;
	wp.mac = DP_MAC;
	wp.media_ip = MEDIA_IP;
	wp.netmask = NETMASK;
	wp.port_base = PORT_MIN;
	wp.port_span = SPAN;
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 60;
	wp.cmd = sb_dp_shm_cmd_ring(&shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&shm, 0);
	wp.st = sb_dp_shm_worker_stats(&shm, 0);
	wp.legs = &tbl;
	wp.stop = &stop;
	w = sb_worker_create(&wp);
	T_ASSERT(w != NULL);
	sb_worker_start(w, rte_rdtsc());

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.len = sizeof(m.leg);
	m.leg.h.leg = 0;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = PEER_IP;
	m.leg.peer_port = 40000;
	m.leg.local_port = PORT_MIN;
	T_ASSERT(sb_legs_apply(w, &m) == 0);
	s = &tbl.st[0];
	rx = &tbl.leg[0].rx;

	/* first packet: a new source, published at once (on probation) */
	send_seq(w, pool, 1000);
	T_ASSERT_EQ_U64(s->rx_pkts, 1);
	T_ASSERT_EQ_U64(s->ssrc, SSRC);
	T_ASSERT_EQ_U64(s->received, 0);
	/* 1001..1040: bounded lag, exact every 16 (packets 17 and 33) */
	for (uint16_t q = 1001; q <= 1040; q++) {
		uint64_t sent = q - 999u;

		send_seq(w, pool, q);
		T_ASSERT(s->rx_pkts <= sent && sent - s->rx_pkts <= SB_RX_PUBLISH_EVERY - 1);
		T_ASSERT(rx->received - s->received <= SB_RX_PUBLISH_EVERY - 1);
		T_ASSERT(sb_rtp_src_ext_max(rx) - s->ext_max_seq <= SB_RX_PUBLISH_EVERY - 1);
		if (sent % SB_RX_PUBLISH_EVERY == 1) {
			T_ASSERT_EQ_U64(s->rx_pkts, sent);
			T_ASSERT(s->last_rx_ns != 0);
			assert_exact(s, rx);
		}
	}
	T_ASSERT_EQ_U64(s->rx_pkts, 33);
	/* 1000 is probation; 1001 starts the count: 40 received, max 1040 */
	T_ASSERT_EQ_U64(rx->received, 40);
	T_ASSERT(s->received != 40); /* 41 packets: last published at packet 33 */

	/* one sweep over the port range publishes */
	sb_legs_timer(w, rte_rdtsc() + rte_get_tsc_hz());
	assert_exact(s, rx);
	T_ASSERT_EQ_U64(s->rx_pkts, 41);
	T_ASSERT_EQ_U64(s->received, 40);
	T_ASSERT_EQ_U64(s->ext_max_seq, 1040);
	T_ASSERT_EQ_U64(s->expected, 40);
	T_ASSERT_EQ_U64(s->lost, 0);

	/* three more, then LEG_DEL: final figures */
	for (uint16_t q = 1041; q <= 1043; q++)
		send_seq(w, pool, q);
	T_ASSERT_EQ_U64(s->received, 40); /* lagging again */
	memset(&m, 0, sizeof(m));
	m.h.type = SB_CMD_LEG_DEL;
	m.h.len = sizeof(m.h);
	m.h.leg = 0;
	m.h.leg_gen = 1;
	T_ASSERT(sb_legs_apply(w, &m) == 0);
	T_ASSERT_EQ_U64(s->active, 0);
	T_ASSERT_EQ_U64(s->received, 43);
	T_ASSERT_EQ_U64(s->ext_max_seq, 1043);
	T_ASSERT_EQ_U64(s->expected, 43);
	T_ASSERT_EQ_U64(s->rx_pkts, 44);

	sb_worker_free(w);
	sb_leg_tbl_free(&tbl);
	sb_dp_shm_detach(&shm, 1);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/dp-publish-%d", (int)getpid());
	if (system(cmd) != 0) { /* best effort */
	}
	printf("dp_leg_publish: ok\n");
	return 0;
}
