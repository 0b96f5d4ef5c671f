/* SPDX-License-Identifier: MIT */
/*
 * dp_media_ring — media end to end on the real worker loop: sb_worker_loop
 * on lcore 1 polling a ring ethdev (rte_eth_from_rings), programmed the
 * way control programs it (messages on its command ring in the shared
 * segment, SB_EVT_RESULT and media events on its event ring), with the
 * prompt loader thread of sb-dataplane (struct sb_dpm_shared) and the
 * worker's own timer in real time:
 *   1. SRTP (AES_CM_128_HMAC_SHA1_80) from A's peer, protected by libsrtp,
 *      leaves B as the plain packets; forged packets in between are
 *      dropped (worker drop reason SRTP); RTP from B's peer leaves A as
 *      SRTP that libsrtp unprotects;
 *   2. an RFC 4733 digit inside the SRTP stream: one SB_EVT_DTMF;
 *   3. PROMPT_LOAD (file read by the loader thread) and PROMPT_PLAY on
 *      the SRTP leg: 10 prompt frames, SRTP protected (libsrtp unprotects
 *      them to the file's G.711 frames), 20 ms apart, then
 *      SB_EVT_PROMPT_DONE.
 * Exit 0 pass, 1 fail, 77 skip (not root, or EAL cannot initialise).
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

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
#include "sb/g711.h"
#include "sb/rtp.h"
#include "sb/wav.h"

#include "dpmedia.h"
#include "legs.h"
#include "pktbuild.h"
#include "port.h"
#include "test.h"
#include "worker.h"

#define PORT_MIN 20000u
#define SPAN     100u
#define PORT_A   20010u
#define PORT_B   20012u

static const struct rte_ether_addr PEER_MAC = {{0x02, 0, 0, 0, 0, 0x01}};
#define MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define NETMASK  RTE_BE32(0xffffff00)
#define PA       RTE_BE32(0xcb007114)
#define PB       RTE_BE32(0xcb007115)

static struct sb_dp_shm shm;
static uint32_t req = 1;
static union sb_msg evlog[256];
static unsigned n_ev;
static struct rte_mempool *mp;
static struct rte_ring *rx, *tx;
static struct sb_port port;

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

static void poll_events(uint32_t want, int *got, int32_t *status)
{
	union sb_msg ev;

	while (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&shm, 0), &ev, 1) == 1) {
		if (ev.h.type == SB_EVT_RESULT && got != NULL && ev.h.req_id == want) {
			*got = 1;
			*status = ev.result.status;
		} else if (ev.h.type != SB_EVT_RESULT && n_ev < 256) {
			evlog[n_ev++] = ev;
		}
	}
}

static int32_t command(union sb_msg *m)
{
	int got = 0;
	int32_t status = 0;

	m->h.req_id = req++;
	m->h.len = sb_cmd_size[m->h.type];
	T_ASSERT(sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&shm, 0), m, 1) == 1);
	for (int i = 0; i < 3000 && !got; i++) {
		poll_events(m->h.req_id, &got, &status);
		if (!got)
			sleep_ms(1);
	}
	T_ASSERT(got);
	return status;
}

static void send_udp(uint32_t src, uint16_t sport, uint16_t dport, const uint8_t *pl, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	T_ASSERT(m != NULL && len >= 12);
	T_ASSERT(sb_pkt_udp_rtp(m, &PEER_MAC, &port.mac, src, MEDIA_IP, sport, dport, 0,
				(uint16_t)(len - 12)) == 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)(ip + 1);
	memcpy(udp + 1, pl, len);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	while (rte_ring_enqueue(rx, m) != 0)
		sleep_ms(1);
}

/* Next UDP frame the worker sent (ARP skipped), within ms; its payload. */
static int recv_udp(uint32_t *dst, uint8_t *b, unsigned ms)
{
	for (unsigned i = 0; i <= ms; i++) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_dequeue(tx, (void **)&m) == 0) {
			const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
			int len;

			if (p[12] == 0x08 && p[13] == 0x06) { /* our ARP */
				rte_pktmbuf_free(m);
				continue;
			}
			T_ASSERT_EQ_U64(rte_ipv4_cksum(ip), 0);
			len = rte_be_to_cpu_16(u->dgram_len) - 8;
			*dst = ip->dst_addr;
			memcpy(b, u + 1, (size_t)len);
			{
				uint16_t c = u->dgram_cksum;

				u->dgram_cksum = 0;
				T_ASSERT(c == 0 || rte_ipv4_udptcp_cksum(ip, u) == c);
			}
			rte_pktmbuf_free(m);
			return len;
		}
		sleep_ms(1);
	}
	return -1;
}

static srtp_t lib_session(uint8_t *key, int inbound)
{
	srtp_policy_t pol;
	srtp_t s;

	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtp_default(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	T_ASSERT(srtp_create(&s, &pol) == srtp_err_status_ok);
	return s;
}

static unsigned rtp(uint8_t *b, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
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

int main(int argc, char **argv)
{
	char prefix[64], inst[64], path[96];
	char *eal[] = {argv[0], "--lcores", "0@0,1@1", "--no-huge", "-m", "256", "--no-pci",
		       "--no-telemetry", "--log-level=lib.eal:error", prefix, NULL};
	static _Atomic int stop;
	struct sb_dp_shm_params sp;
	struct sb_leg_tbl tbl;
	struct sb_worker_params wp;
	struct sb_worker *w;
	struct sb_dpm_shared *sh;
	uint8_t k_peer[30], k_ours[30], b[1600], pl[160];
	srtp_t peer_out, peer_in;
	union sb_msg m;
	uint32_t dst;
	int id, len;
	unsigned dtmf = 0, done = 0;
	static int16_t pcm[1600];
	static uint8_t wav[44 + sizeof(pcm)], expect[10][160];

	(void)argc;
	if (geteuid() != 0) {
		printf("SKIP: needs root for DPDK\n");
		return T_SKIP;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=md-mring-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		printf("SKIP: EAL cannot initialise\n");
		return T_SKIP;
	}
	T_ASSERT(srtp_init() == srtp_err_status_ok);
	mp = rte_pktmbuf_pool_create("m_gen", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rx = rte_ring_create("m_rx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	tx = rte_ring_create("m_tx", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	T_ASSERT(mp != NULL && rx != NULL && tx != NULL);
	id = rte_eth_from_rings("m_ring0", &rx, 1, &tx, 1, 0);
	T_ASSERT(id >= 0);
	T_ASSERT(sb_port_up(&port, (uint16_t)id, 1, 1) == 0);

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = 16;
	sp.cmd_slots = 64;
	sp.evt_slots = 256;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, port.mac.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = SPAN;
	snprintf(inst, sizeof(inst), "md-mring-%d", (int)getpid());
	T_ASSERT(sb_dp_shm_create(&shm, inst, &sp) == 0);
	T_ASSERT(sb_leg_tbl_init(&tbl, 16, sb_dp_shm_leg_stats(&shm, 0), 0) == 0);
	sh = sb_dpm_shared_create(4, 1);
	T_ASSERT(sh != NULL);
	memset(&wp, 0, sizeof(wp));
	wp.port_id = (uint16_t)id;
	wp.poll_port = 1;
	wp.pool = port.pool;
	wp.mac = port.mac;
	wp.media_ip = MEDIA_IP;
	wp.netmask = NETMASK;
	wp.port_base = PORT_MIN;
	wp.port_span = SPAN;
	wp.idle_us = 20;
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 300;
	wp.cmd = sb_dp_shm_cmd_ring(&shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&shm, 0);
	wp.st = sb_dp_shm_worker_stats(&shm, 0);
	wp.legs = &tbl;
	wp.stop = &stop;
	wp.media_legs = 4;
	wp.media_shared = sh;
	w = sb_worker_create(&wp);
	T_ASSERT(w != NULL);
	T_ASSERT(rte_eal_remote_launch(sb_worker_loop, w, rte_get_next_lcore(-1, 1, 0)) == 0);

	for (unsigned i = 0; i < 30; i++) {
		k_peer[i] = (uint8_t)(i * 7 + 1);
		k_ours[i] = (uint8_t)(i * 13 + 5);
	}
	peer_out = lib_session(k_peer, 0);
	peer_in = lib_session(k_ours, 1);
	for (uint32_t l = 0; l < 2; l++) {
		memset(&m, 0, sizeof(m));
		m.leg.h.type = SB_CMD_LEG_ADD;
		m.leg.h.leg = l;
		m.leg.h.leg_gen = 1;
		m.leg.peer_ip = l == 0 ? PA : PB;
		m.leg.peer_port = l == 0 ? 4000 : 5000;
		m.leg.local_port = l == 0 ? PORT_A : PORT_B;
		T_ASSERT_EQ_U64(command(&m), 0);
	}
	memset(&m, 0, sizeof(m));
	m.connect.h.type = SB_CMD_LEG_CONNECT;
	m.connect.h.leg = 0;
	m.connect.h.leg_gen = 1;
	m.connect.leg_b = 1;
	m.connect.leg_b_gen = 1;
	T_ASSERT_EQ_U64(command(&m), 0);
	memset(&m, 0, sizeof(m));
	m.media.h.type = SB_CMD_LEG_MEDIA;
	m.media.h.leg = 0;
	m.media.h.leg_gen = 1;
	m.media.srtp_rx = m.media.srtp_tx = SB_DP_SRTP_AES_CM_128_HMAC_SHA1_80;
	m.media.rx_key_len = m.media.tx_key_len = 30;
	memcpy(m.media.rx_key, k_peer, 30);
	memcpy(m.media.tx_key, k_ours, 30);
	m.media.codec = SB_DP_CODEC_PCMU;
	m.media.dtmf_pt = 101;
	m.media.dtmf_clock_hz = 8000;
	m.media.flags = SB_MEDIA_DTMF_4733;
	T_ASSERT_EQ_U64(command(&m), 0);
	for (uint32_t ip = 0; ip < 2; ip++) { /* the peers answer our ARP */
		struct rte_mbuf *a = rte_pktmbuf_alloc(mp);

		T_ASSERT(a != NULL && sb_pkt_arp_reply(a, &PEER_MAC, ip ? PB : PA, &port.mac, MEDIA_IP) == 0);
		T_ASSERT(rte_ring_enqueue(rx, a) == 0);
	}
	sleep_ms(50);

	/* 1: SRTP in -> RTP out, with forgeries; RTP in -> SRTP out */
	for (unsigned i = 0; i < 20; i++) {
		uint8_t plain[200];
		int plen;

		memset(pl, (int)(i + 1), sizeof(pl));
		plen = (int)rtp(plain, 0, (uint16_t)(100 + i), 160 * i, 0x1111, pl, 160);
		memcpy(b, plain, (size_t)plen);
		len = plen;
		T_ASSERT(srtp_protect(peer_out, b, &len) == srtp_err_status_ok);
		b[len - 1] ^= 0x55;
		send_udp(PA, 4000, PORT_A, b, (unsigned)len); /* forged */
		b[len - 1] ^= 0x55;
		send_udp(PA, 4000, PORT_A, b, (unsigned)len);
		T_ASSERT_EQ_U64(recv_udp(&dst, b, 500), plen);
		T_ASSERT(dst == PB && memcmp(b, plain, (size_t)plen) == 0);

		plen = (int)rtp(plain, 0, (uint16_t)(700 + i), 160 * i, 0x2222, pl, 160);
		send_udp(PB, 5000, PORT_B, plain, (unsigned)plen);
		len = recv_udp(&dst, b, 500);
		T_ASSERT(dst == PA && len == plen + 10);
		T_ASSERT(srtp_unprotect(peer_in, b, &len) == srtp_err_status_ok);
		T_ASSERT(len == plen && memcmp(b, plain, (size_t)plen) == 0);
	}
	printf("SRTP <-> RTP through the worker loop: 20 + 20 packets, 20 forgeries dropped\n");

	/* 2: a digit inside the SRTP stream (marker, update, 3 ends) */
	for (unsigned i = 0; i < 5; i++) {
		uint8_t ev[4] = {9, (uint8_t)((i >= 2 ? 0x80 : 0) | 10), 0x03, 0x20};

		len = (int)rtp(b, (uint8_t)((i == 0 ? 0x80 : 0) | 101), (uint16_t)(120 + i), 3200,
			       0x1111, ev, 4);
		T_ASSERT(srtp_protect(peer_out, b, &len) == srtp_err_status_ok);
		send_udp(PA, 4000, PORT_A, b, (unsigned)len);
		T_ASSERT(recv_udp(&dst, b, 500) > 0); /* relayed too (no STRIP) */
	}

	/* 3: a prompt from the loader thread to the SRTP leg */
	for (unsigned i = 0; i < 1600; i++)
		pcm[i] = (int16_t)lrint(3000.0 * sin(2 * M_PI * 600.0 * i / 8000.0) * (1 + i / 400));
	for (unsigned k = 0; k < 10; k++)
		sb_g711_ulaw_encode(expect[k], &pcm[k * 160], 160);
	len = (int)sb_wav_write(wav, sizeof(wav), SB_WAV_PCM16, 8000, pcm, 1600);
	snprintf(path, sizeof(path), "/tmp/md-mring-%d.wav", (int)getpid());
	{
		FILE *f = fopen(path, "wb");

		T_ASSERT(f != NULL && fwrite(wav, 1, (size_t)len, f) == (size_t)len && fclose(f) == 0);
	}
	memset(&m, 0, sizeof(m));
	m.prompt_load.h.type = SB_CMD_PROMPT_LOAD;
	m.prompt_load.h.leg = SB_LEG_NONE;
	m.prompt_load.prompt = 2;
	snprintf(m.prompt_load.path, sizeof(m.prompt_load.path), "%s", path);
	T_ASSERT_EQ_U64(command(&m), 0);
	unlink(path);
	memset(&m, 0, sizeof(m));
	m.prompt.h.type = SB_CMD_PROMPT_PLAY;
	m.prompt.h.leg = 0;
	m.prompt.h.leg_gen = 1;
	m.prompt.prompt = 2;
	T_ASSERT_EQ_U64(command(&m), 0);
	for (unsigned k = 0; k < 10; k++) {
		len = recv_udp(&dst, b, 500);
		T_ASSERT(len > 0 && dst == PA);
		T_ASSERT(srtp_unprotect(peer_in, b, &len) == srtp_err_status_ok);
		T_ASSERT(len == 172 && memcmp(b + 12, expect[k], 160) == 0);
	}
	for (int i = 0; i < 1000 && done == 0; i++) {
		poll_events(0, NULL, NULL);
		for (unsigned e = 0; e < n_ev; e++)
			done += evlog[e].h.type == SB_EVT_PROMPT_DONE;
		if (done == 0)
			sleep_ms(1);
	}
	atomic_store(&stop, 1);
	rte_eal_mp_wait_lcore();
	poll_events(0, NULL, NULL);
	done = 0;
	for (unsigned e = 0; e < n_ev; e++) {
		if (evlog[e].h.type == SB_EVT_DTMF) {
			T_ASSERT_EQ_U64(evlog[e].dtmf_evt.digit, '9');
			T_ASSERT_EQ_U64(evlog[e].dtmf_evt.duration_ms, 100);
			dtmf++;
		}
		if (evlog[e].h.type == SB_EVT_PROMPT_DONE) {
			T_ASSERT_EQ_U64(evlog[e].prompt_evt.reason, SB_PROMPT_END_DONE);
			T_ASSERT_EQ_U64(evlog[e].prompt_evt.frames, 10);
			done++;
		}
	}
	T_ASSERT_EQ_U64(dtmf, 1);
	T_ASSERT_EQ_U64(done, 1);
	T_ASSERT_EQ_U64(sb_dp_shm_worker_stats(&shm, 0)->drop[SB_DROP_SRTP], 20);
	T_ASSERT_EQ_U64(sb_dp_shm_leg_stats(&shm, 0)->srtp_drops, 20);
	printf("digit event, prompt of 10 SRTP frames and its done event\n");

	sb_worker_free(w);
	sb_dpm_shared_free(sh);
	sb_leg_tbl_free(&tbl);
	sb_dp_shm_detach(&shm, 1);
	srtp_dealloc(peer_out);
	srtp_dealloc(peer_in);
	srtp_shutdown();
	rte_eal_cleanup();
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/md-mring-%d", (int)getpid());
		if (system(cmd) != 0) { /* best effort */
		}
	}
	printf("dp_media_ring: ok\n");
	return 0;
}
