/* SPDX-License-Identifier: MIT */
/*
 * dpm_harness.h — a real worker (sb_worker_create, real EAL mempool, the
 * real shm segment and its command/event rings) driven without threads
 * for the media tests: commands go through the worker's command ring and
 * sb_legs_cmd_poll() (the path control uses), packets through
 * sb_relay_burst() at chosen TSC times, the media timer through
 * sb_dpm_timer(), and what the worker queued for TX is taken from its TX
 * buffer.  Header-only: each test is one program.
 */
#ifndef SB_DPM_HARNESS_H
#define SB_DPM_HARNESS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "sb/dp_shm.h"
#include "sb/rtp.h"

#include "arp.h"
#include "dpm_priv.h"
#include "dpmedia.h"
#include "legs.h"
#include "pktbuild.h"
#include "relay.h"
#include "test.h"
#include "worker.h"

#define H_FN static __attribute__((unused))
#define H_PORT_MIN 30000u
#ifndef H_SPAN /* a benchmark may want more */
#define H_SPAN     64u
#endif
#ifndef H_MAX_LEGS
#define H_MAX_LEGS 32u
#endif
#define H_EVT_MAX  4096u

static const struct rte_ether_addr H_DP_MAC = {{0x02, 0x5b, 0, 0, 0, 0x01}};
static const struct rte_ether_addr H_PEER_MAC = {{0x02, 0x5b, 0, 0, 0, 0x02}};
#define H_MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define H_NETMASK  RTE_BE32(0xffffff00)
#define H_IP(n)    RTE_BE32(0xcb007100u + (n)) /* 203.0.113.n, on link */

struct h_pkt { /* one frame the worker queued */
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport;
	uint32_t leg;
	unsigned len;      /* UDP payload */
	uint8_t b[1500];   /* UDP payload */
};

static struct {
	struct rte_mempool *pool;
	struct sb_leg_tbl tbl;
	struct sb_dp_shm shm;
	int shm_made;
	struct sb_worker *w;
	struct sb_dpm_shared *sh;
	uint64_t hz;
	uint32_t req;
	char prefix[64];
	union sb_msg ev[H_EVT_MAX]; /* unsolicited events seen */
	unsigned n_ev;
} H;

H_FN void h_cleanup(void)
{
	char cmd[160];

	if (H.shm_made)
		sb_dp_shm_detach(&H.shm, 1);
	H.shm_made = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", H.prefix);
	if (system(cmd) != 0) { /* best effort */
	}
}

H_FN uint64_t h_ms(uint64_t n)
{
	return n * H.hz / 1000u;
}

/* Returns 0, or T_SKIP when EAL cannot start. */
H_FN int h_init(const char *name, uint32_t media_legs, int prompts)
{
	char pfx[96], inst[64];
	char *eal[] = {(char *)name, "-l", "0", "--no-huge", "-m", "256", "--no-pci",
		       "--no-telemetry", "--no-shconf", "--log-level=lib.eal:error", pfx, NULL};
	struct sb_dp_shm_params sp;
	struct sb_worker_params wp;
	static _Atomic int stop;

	snprintf(H.prefix, sizeof(H.prefix), "md-%s-%d", name, (int)getpid());
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", H.prefix);
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("SKIP: EAL: %s\n", rte_strerror(rte_errno));
		return T_SKIP;
	}
	atexit(h_cleanup);
	H.hz = rte_get_tsc_hz();
	H.pool = rte_pktmbuf_pool_create("md_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	T_ASSERT(H.pool != NULL);
	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = H_MAX_LEGS;
	sp.cmd_slots = 64;
	sp.evt_slots = 1024;
	sp.media_ip = H_MEDIA_IP;
	memcpy(sp.media_mac, H_DP_MAC.addr_bytes, 6);
	sp.port_min = H_PORT_MIN;
	sp.port_span = H_SPAN;
	snprintf(inst, sizeof(inst), "%s", H.prefix);
	T_ASSERT(sb_dp_shm_create(&H.shm, inst, &sp) == 0);
	H.shm_made = 1;
	T_ASSERT(sb_leg_tbl_init(&H.tbl, H_MAX_LEGS, sb_dp_shm_leg_stats(&H.shm, 0), 0) == 0);
	if (prompts) {
		H.sh = sb_dpm_shared_create(8, 1);
		T_ASSERT(H.sh != NULL);
	}
	memset(&wp, 0, sizeof(wp));
	wp.id = 0;
	wp.pool = H.pool;
	wp.mac = H_DP_MAC;
	wp.media_ip = H_MEDIA_IP;
	wp.n_addr = 1;
	wp.netmask = H_NETMASK;
	wp.port_base = H_PORT_MIN;
	wp.port_span = H_SPAN;
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 3600;
	wp.cmd = sb_dp_shm_cmd_ring(&H.shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&H.shm, 0);
	wp.st = sb_dp_shm_worker_stats(&H.shm, 0);
	wp.legs = &H.tbl;
	wp.stop = &stop;
	wp.media_legs = media_legs;
	wp.media_shared = H.sh;
	H.w = sb_worker_create(&wp);
	T_ASSERT(H.w != NULL);
	sb_worker_start(H.w, rte_rdtsc());
	return 0;
}

H_FN void h_fini(void)
{
	for (uint16_t i = 0; i < H.w->tx.n; i++)
		rte_pktmbuf_free(H.w->tx.m[i]);
	H.w->tx.n = 0;
	sb_worker_free(H.w);
	sb_dpm_shared_free(H.sh);
	sb_leg_tbl_free(&H.tbl);
	sb_dp_shm_detach(&H.shm, 1);
	H.shm_made = 0;
	rte_mempool_free(H.pool);
	rte_eal_cleanup();
}

/* Every event waiting: results are returned through *res when their
 * req_id matches, the rest logged in H.ev. */
H_FN void h_drain_events(uint32_t req, int *got, int32_t *status)
{
	union sb_msg e;

	while (sb_ring_dequeue_burst(H.w->evt, &e, 1) == 1) {
		if (e.h.type == SB_EVT_RESULT && got != NULL && e.h.req_id == req) {
			*got = 1;
			*status = e.result.status;
			continue;
		}
		if (e.h.type != SB_EVT_RESULT && H.n_ev < H_EVT_MAX)
			H.ev[H.n_ev++] = e;
	}
}

/* One command through the worker's ring; returns its result status. */
H_FN int32_t h_cmd(union sb_msg *m)
{
	int got = 0;
	int32_t status = 1;

	m->h.req_id = ++H.req;
	if (m->h.len == 0)
		m->h.len = sb_cmd_size[m->h.type];
	T_ASSERT(sb_ring_enqueue_bulk(H.w->cmd, m, 1) == 1);
	T_ASSERT(sb_legs_cmd_poll(H.w) == 1);
	h_drain_events(m->h.req_id, &got, &status);
	if (!got) { /* answered later (PROMPT_LOAD): the timer posts it */
		for (int i = 0; i < 5000 && !got; i++) {
			usleep(1000);
			/* at the timer's own next due time: no generator moves */
			sb_dpm_timer(H.w, H.w->media->next_tick_tsc);
			h_drain_events(m->h.req_id, &got, &status);
		}
	}
	T_ASSERT(got);
	return status;
}

H_FN void h_leg_add(uint32_t idx, uint32_t peer_ip, uint16_t peer_port, uint16_t local_port,
		      uint32_t flags)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.leg.h.type = SB_CMD_LEG_ADD;
	m.leg.h.leg = idx;
	m.leg.h.leg_gen = 1;
	m.leg.peer_ip = peer_ip;
	m.leg.peer_port = peer_port;
	m.leg.local_port = local_port;
	m.leg.flags = flags;
	m.leg.worker = 0;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

H_FN void h_leg_del(uint32_t idx)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.h.type = SB_CMD_LEG_DEL;
	m.h.leg = idx;
	m.h.leg_gen = 1;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

H_FN void h_connect(uint32_t a, uint32_t b)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.connect.h.type = SB_CMD_LEG_CONNECT;
	m.connect.h.leg = a;
	m.connect.h.leg_gen = 1;
	m.connect.leg_b = b;
	m.connect.leg_b_gen = 1;
	T_ASSERT_EQ_U64(h_cmd(&m), 0);
}

H_FN void h_media_init(union sb_msg *m, uint32_t idx)
{
	memset(m, 0, sizeof(*m));
	m->media.h.type = SB_CMD_LEG_MEDIA;
	m->media.h.leg = idx;
	m->media.h.leg_gen = 1;
}

/* An Ethernet/IPv4/UDP frame to us carrying pl (RTP or RTCP bytes). */
H_FN struct rte_mbuf *h_udp(uint32_t src_ip, uint16_t sport, uint16_t dport,
			      const uint8_t *pl, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(H.pool);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	T_ASSERT(m != NULL && len >= 8);
	T_ASSERT(sb_pkt_udp_rtp(m, &H_PEER_MAC, &H_DP_MAC, src_ip, H_MEDIA_IP, sport, dport, 0,
				(uint16_t)(len >= 12 ? len - 12 : 0)) == 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	if (len < 12) { /* short RTCP */
		T_ASSERT(rte_pktmbuf_trim(m, (uint16_t)(12 - len)) == 0);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	memcpy(udp + 1, pl, len);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

/* Learn peer's MAC (an ARP reply through the relay, as on the wire). */
H_FN void h_arp(uint32_t peer_ip, uint64_t now)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(H.pool);

	sb_arp_solicit(H.w, peer_ip, now);
	T_ASSERT(m != NULL && sb_pkt_arp_reply(m, &H_PEER_MAC, peer_ip, &H_DP_MAC, H_MEDIA_IP) == 0);
	sb_relay_burst(H.w, &m, 1, now);
	T_ASSERT(sb_arp_lookup(H.w, peer_ip, now) != NULL);
	for (uint16_t i = 0; i < H.w->tx.n; i++) /* our ARP request */
		rte_pktmbuf_free(H.w->tx.m[i]);
	H.w->tx.n = 0;
}

/* Take what the worker queued (frames checked: IPv4 and UDP checksums,
 * lengths); returns how many were stored in out (max n). */
H_FN unsigned h_take(struct h_pkt *out, unsigned n)
{
	unsigned k = 0;

	for (uint16_t i = 0; i < H.w->tx.n; i++) {
		struct rte_mbuf *m = H.w->tx.m[i];
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		unsigned ulen = rte_be_to_cpu_16(udp->dgram_len);

		if (rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type !=
		    rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) { /* our ARP requests */
			rte_pktmbuf_free(m);
			continue;
		}

		T_ASSERT(rte_raw_cksum(ip, 20) == 0xffff);
		T_ASSERT(rte_be_to_cpu_16(ip->total_length) == 20 + ulen);
		T_ASSERT(rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr) + 20 + ulen);
		if (udp->dgram_cksum != 0) {
			uint16_t c = udp->dgram_cksum, v;

			udp->dgram_cksum = 0;
			v = rte_ipv4_udptcp_cksum(ip, udp);
			udp->dgram_cksum = c;
			T_ASSERT(c == v);
		}
		if (k < n) {
			out[k].src_ip = ip->src_addr;
			out[k].dst_ip = ip->dst_addr;
			out[k].sport = rte_be_to_cpu_16(udp->src_port);
			out[k].dport = rte_be_to_cpu_16(udp->dst_port);
			out[k].leg = H.w->tx.leg[i];
			out[k].len = ulen - 8;
			T_ASSERT(out[k].len <= sizeof(out[k].b));
			memcpy(out[k].b, udp + 1, out[k].len);
			k++;
		}
		rte_pktmbuf_free(m);
	}
	H.w->tx.n = 0;
	return k;
}

H_FN void h_feed(struct rte_mbuf *m, uint64_t now)
{
	sb_relay_burst(H.w, &m, 1, now);
}

H_FN unsigned h_count_ev(uint16_t type, uint32_t leg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < H.n_ev; i++)
		if (H.ev[i].h.type == type && (leg == SB_LEG_NONE || H.ev[i].h.leg == leg))
			n++;
	return n;
}

/* A plain RTP packet: pt, seq, ts, ssrc, payload len bytes of fill. */
H_FN unsigned h_rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
		      const uint8_t *pl, unsigned len)
{
	b[0] = 0x80;
	b[1] = pt;
	sb_put_be16(b + 2, seq);
	sb_put_be32(b + 4, ts);
	sb_put_be32(b + 8, ssrc);
	memcpy(b + 12, pl, len);
	return 12 + len;
}

#endif
