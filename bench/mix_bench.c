/* SPDX-License-Identifier: MIT */
/*
 * mix_bench — conferences per core through media/mix.c, the SIMD variant
 * (the one sb_mix_s16() selects) against the plain C reference
 * sb_mix_s16_c() in the same run, on one core.
 *
 * One "conference frame" is what a worker does every 20 ms for a 3-party
 * conference of G.711 µ-law legs at 8 kHz: decode 3 x 160 bytes, mix-minus
 * (each hears the other two), encode 3 x 160.  A "supervised call" is the
 * same for caller + agent + supervisor in whisper mode (the agent hears
 * caller and supervisor, the caller only the agent, the supervisor both).
 * --confs conferences each have their own buffers (so the working set is
 * a worker's, not one hot frame); reps alternate reference and SIMD, and
 * each figure is the median of --reps.  Per core = 20 ms / time per frame.
 * Also the mix step alone (3 and 10 parties), where the SIMD gain is.
 *
 * Library-only JSON fields: conf3_per_core (= lib_confs_per_core) and
 * lib_supervised_per_core (SIMD), the same with _c (reference), simd_speedup
 * (mix step alone, 3 parties), conf3_speedup (whole frame), ns figures and
 * the variant name.  The SSE2 variant is timed too (a column) when the
 * selected one is AVX2.  The reference sums, per output sample, each party
 * heard; the SIMD ones add everyone once and subtract the listener, so
 * their gain is partly the algorithm (it grows with the party count).
 *
 * Through a worker (built with the dataplane, SB_BENCH_DP; issue 5): the
 * same two cases on a real worker, sb_worker_poll() (commands, RX burst
 * from the port, relay and HOOK(media-out) into each member's jitter
 * buffer, the media timer's 20 ms conference tick: decode/PLC, mix-minus,
 * encode, RTP/UDP/IPv4 built in a fresh mbuf, TX burst to the port) on a
 * ring ethdev (rte_eth_from_rings) whose RX ring this program fills and
 * whose TX ring it empties.  --worker-confs conferences of 3 PCMU legs
 * programmed over the command ring (LEG_ADD, LEG_MEDIA, CONF_JOIN TALK);
 * then the same legs switched to a supervised call (CONF_JOIN mode
 * change: the third member WHISPERs to the second).  Each 20 ms frame
 * feeds one packet per leg and advances the worker's clock 20 ms; only
 * the worker's calls are timed (building and freeing the test's packets
 * is not), and every frame must send one packet per leg (checked).  Per
 * core = 20 ms / worker time per conference frame.  The library figures
 * beside them (lib_*: the loop above, SIMD, over the same number of
 * conferences, alternating with the worker's reps) do codec + mix only,
 * so ratio_vs_lib (library time / worker time) is what the
 * packet path, jitter buffer, PLC and RTP around the mixer cost.  Both
 * are timed in thread CPU time (the 2 cores here are shared).
 *
 * Prints a table, then one JSON object on the last line: confs_per_core,
 * supervised_per_core (through the worker), lib_confs_per_core,
 * lib_supervised_per_core (SIMD library loop), ratio_vs_lib,
 * supervised_ratio_vs_lib, and the library-only fields above.
 *
 *   mix_bench [--confs N] [--frames F] [--reps R] [--worker-confs N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sb/g711.h"
#include "sb/mix.h"

#ifdef SB_BENCH_DP
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "sb/dp_shm.h"
#include "sb/rtp.h"

#include "arp.h"
#include "dpmedia.h"
#include "legs.h"
#include "pktbuild.h"
#include "port.h"
#include "worker.h"
#endif

enum { NS = 160, MAXP = 10 };

struct conf {
	struct sb_mix m;
	unsigned np;
	uint8_t rx[MAXP][NS];     /* µ-law in, per party */
	uint8_t tx[MAXP][NS];     /* µ-law out */
	int16_t lin[MAXP][NS];
	int16_t mixed[MAXP][NS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* this thread's CPU time: the cores here are shared, and time spent
	 * preempted is no one's cost (the worker figures use it too) */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng = 0x0123456789abcdefull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 40);
}

static struct conf *confs_make(unsigned n, unsigned np, int supervised)
{
	struct conf *c = aligned_alloc(64, ((sizeof(*c) + 63) & ~(size_t)63) * n);

	if (c == NULL) {
		perror("mix_bench: aligned_alloc");
		exit(1);
	}
	for (unsigned k = 0; k < n; k++) {
		sb_mix_init(&c[k].m);
		c[k].np = np;
		if (supervised) {
			sb_mix_supervise(&c[k].m, 0, 1, 2, SB_MIX_SUP_WHISPER);
		} else {
			for (unsigned i = 0; i < np; i++)
				sb_mix_set(&c[k].m, i, SB_MIX_TALK, 0);
		}
		for (unsigned i = 0; i < np; i++)
			for (unsigned s = 0; s < NS; s++)
				c[k].rx[i][s] = rnd8();
	}
	return c;
}

/* ns per conference frame; codec: decode + mix + encode, else mix only */
static double run(struct conf *c, unsigned n, unsigned frames, sb_mix_fn *fn, int codec)
{
	uint64_t t0 = now_ns();
	unsigned sink = 0;

	for (unsigned f = 0; f < frames; f++) {
		for (unsigned k = 0; k < n; k++) {
			struct conf *x = &c[k];
			const int16_t *in[MAXP];
			int16_t *out[MAXP];

			for (unsigned i = 0; i < x->np; i++) {
				if (codec)
					sb_g711_ulaw_decode(x->lin[i], x->rx[i], NS);
				in[i] = x->lin[i];
				out[i] = x->mixed[i];
			}
			fn(&x->m, in, out, NS);
			if (codec)
				for (unsigned i = 0; i < x->np; i++)
					sb_g711_ulaw_encode(x->tx[i], x->mixed[i], NS);
			sink += (unsigned)x->mixed[f % x->np][k % NS];
		}
	}
	__asm__ volatile("" : : "r"(sink));
	return (double)(now_ns() - t0) / ((double)frames * n);
}

#ifdef SB_BENCH_DP
/* ---- the same through a worker on a ring port ---- */

#define W_PORT_MIN 20000u
#define W_MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define W_PEER_IP  RTE_BE32(0xcb007114) /* 203.0.113.20: every leg's peer, on link */
#define W_NETMASK  RTE_BE32(0xffffff00)
#define W_MAX_CONFS 300u

static const struct rte_ether_addr W_PEER_MAC = {{0x02, 0x5b, 0, 0, 0, 0x02}};

static struct {
	struct sb_dp_shm shm;
	int shm_made;
	struct sb_leg_tbl tbl;
	struct sb_port port;
	struct rte_mempool *gen;   /* the peers' packets */
	struct rte_ring *rx, *tx;  /* the ring port's */
	struct sb_worker *w;
	_Atomic int stop;
	uint64_t now, hz;
	uint32_t req, nconf, nlegs;
	uint16_t seq;
	uint8_t pl[NS];
	char prefix[64];
} W;

static void w_cleanup(void)
{
	char cmd[160];

	if (W.shm_made)
		sb_dp_shm_detach(&W.shm, 1);
	W.shm_made = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", W.prefix);
	if (system(cmd) != 0) { /* best effort */
	}
}

/* Free what the worker sent; returns how many UDP frames that was. */
static unsigned w_drain(void)
{
	struct rte_mbuf *m[64];
	unsigned n, udp = 0;

	while ((n = rte_ring_dequeue_burst(W.tx, (void **)m, 64, NULL)) != 0) {
		for (unsigned i = 0; i < n; i++)
			udp += rte_pktmbuf_mtod(m[i], const uint8_t *)[12] == 0x08 &&
			       rte_pktmbuf_mtod(m[i], const uint8_t *)[13] == 0x00;
		rte_pktmbuf_free_bulk(m, n);
	}
	return udp;
}

/* One command through the worker's ring and loop; its result status. */
static int32_t w_cmd(union sb_msg *m)
{
	union sb_msg e;

	m->h.req_id = ++W.req;
	m->h.len = sb_cmd_size[m->h.type];
	if (sb_ring_enqueue_bulk(sb_dp_shm_cmd_ring(&W.shm, 0), m, 1) != 1)
		return -ENOSPC;
	for (unsigned i = 0; i < 100; i++) {
		sb_worker_poll(W.w, W.now);
		while (sb_ring_dequeue_burst(sb_dp_shm_evt_ring(&W.shm, 0), &e, 1) == 1)
			if (e.h.type == SB_EVT_RESULT && e.h.req_id == m->h.req_id)
				return e.result.status;
	}
	return -ETIMEDOUT;
}

static int w_join(uint32_t leg, uint32_t conf, uint32_t mode, uint32_t target)
{
	union sb_msg m;

	memset(&m, 0, sizeof(m));
	m.conf.h.type = SB_CMD_CONF_JOIN;
	m.conf.h.leg = leg;
	m.conf.h.leg_gen = 1;
	m.conf.conf = conf;
	m.conf.mode = mode;
	m.conf.target = target;
	m.conf.target_gen = 1;
	return w_cmd(&m);
}

/* EAL, ring port, segment, worker; nconf 3-party conferences.  0, or -1
 * when the worker part cannot run here (then it is left out). */
static int w_setup(const char *argv0, unsigned nconf)
{
	char pfx[96];
	char *eal[] = {(char *)argv0, "-l", "0", "--no-huge", "-m", "512", "--no-pci",
		       "--no-telemetry", "--log-level=lib.eal:error", pfx, NULL};
	struct sb_dp_shm_params sp;
	struct sb_worker_params wp;
	struct rte_mbuf *arp;
	int id;

	snprintf(W.prefix, sizeof(W.prefix), "mixb-dpm-%d", (int)getpid());
	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", W.prefix);
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		return -1;
	atexit(w_cleanup);
	W.nconf = nconf;
	W.nlegs = 3 * nconf;
	W.hz = rte_get_tsc_hz();
	W.gen = rte_pktmbuf_pool_create("mixb_gen", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	W.rx = rte_ring_create("mixb_rx", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	W.tx = rte_ring_create("mixb_tx", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (W.gen == NULL || W.rx == NULL || W.tx == NULL)
		return -1;
	id = rte_eth_from_rings("mixb_ring0", &W.rx, 1, &W.tx, 1, 0);
	if (id < 0 || sb_port_up(&W.port, (uint16_t)id, 1, 1) < 0)
		return -1;
	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = W.nlegs;
	sp.cmd_slots = 64;
	sp.evt_slots = 1024;
	sp.media_ip = W_MEDIA_IP;
	memcpy(sp.media_mac, W.port.mac.addr_bytes, 6);
	sp.port_min = W_PORT_MIN;
	sp.port_span = (uint16_t)(2 * W.nlegs);
	if (sb_dp_shm_create(&W.shm, W.prefix, &sp) != 0)
		return -1;
	W.shm_made = 1;
	if (sb_leg_tbl_init(&W.tbl, W.nlegs, sb_dp_shm_leg_stats(&W.shm, 0), 0) != 0)
		return -1;
	memset(&wp, 0, sizeof(wp));
	wp.port_id = (uint16_t)id;
	wp.poll_port = 1;
	wp.pool = W.port.pool;
	wp.mac = W.port.mac;
	wp.media_ip = W_MEDIA_IP;
	wp.netmask = W_NETMASK;
	wp.port_base = W_PORT_MIN;
	wp.port_span = (uint16_t)(2 * W.nlegs);
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 3600;
	wp.cmd = sb_dp_shm_cmd_ring(&W.shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&W.shm, 0);
	wp.st = sb_dp_shm_worker_stats(&W.shm, 0);
	wp.legs = &W.tbl;
	wp.stop = &W.stop;
	wp.media_legs = W.nlegs;
	wp.media_confs = nconf;
	W.w = sb_worker_create(&wp);
	if (W.w == NULL)
		return -1;
	W.now = rte_rdtsc();
	sb_worker_start(W.w, W.now);
	for (uint32_t l = 0; l < W.nlegs; l++) {
		union sb_msg m;

		memset(&m, 0, sizeof(m));
		m.leg.h.type = SB_CMD_LEG_ADD;
		m.leg.h.leg = l;
		m.leg.h.leg_gen = 1;
		m.leg.peer_ip = W_PEER_IP;
		m.leg.peer_port = (uint16_t)(10000 + l);
		m.leg.local_port = (uint16_t)(W_PORT_MIN + 2 * l);
		if (w_cmd(&m) != 0)
			return -1;
		memset(&m, 0, sizeof(m));
		m.media.h.type = SB_CMD_LEG_MEDIA;
		m.media.h.leg = l;
		m.media.h.leg_gen = 1;
		m.media.codec = SB_DP_CODEC_PCMU;
		m.media.clock_hz = 8000;
		m.media.channels = 1;
		m.media.opus_complexity = 0xff;
		if (w_cmd(&m) != 0 || w_join(l, l / 3, SB_CONF_TALK, 0) != 0)
			return -1;
	}
	/* the peers' MAC, as the wire would teach it */
	arp = rte_pktmbuf_alloc(W.gen);
	if (arp == NULL || sb_pkt_arp_reply(arp, &W_PEER_MAC, W_PEER_IP, &W.port.mac, W_MEDIA_IP) != 0)
		return -1;
	sb_arp_solicit(W.w, W_PEER_IP, W.now);
	if (rte_ring_enqueue(W.rx, arp) != 0)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		sb_worker_poll(W.w, W.now);
	w_drain();
	for (unsigned s = 0; s < NS; s++)
		W.pl[s] = rnd8();
	return 0;
}

/* Switch every conference to a supervised call: member 0 the caller,
 * member 1 the agent (both TALK), member 2 WHISPERs to the agent. */
static int w_supervise(void)
{
	for (uint32_t c = 0; c < W.nconf; c++)
		if (w_join(3 * c + 2, c, SB_CONF_WHISPER, 3 * c + 1) != 0)
			return -1;
	return 0;
}

/* ns of worker CPU per conference frame over frames frames; -1 if a frame
 * did not send one packet per leg. */
static double w_run(unsigned frames)
{
	uint64_t t = 0;

	for (unsigned f = 0; f < frames; f++) {
		uint64_t t0;
		unsigned sent;

		for (uint32_t l = 0; l < W.nlegs; l++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(W.gen);
			struct rte_ipv4_hdr *ip;
			struct rte_udp_hdr *udp;
			uint8_t *rtp;

			if (m == NULL || sb_pkt_udp_rtp(m, &W_PEER_MAC, &W.port.mac, W_PEER_IP,
							W_MEDIA_IP, (uint16_t)(10000 + l),
							(uint16_t)(W_PORT_MIN + 2 * l), 0, NS) != 0)
				return -1;
			ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			udp = (struct rte_udp_hdr *)(ip + 1);
			rtp = (uint8_t *)(udp + 1);
			rtp[0] = 0x80;
			rtp[1] = 0;
			sb_put_be16(rtp + 2, W.seq);
			sb_put_be32(rtp + 4, (uint32_t)W.seq * NS);
			sb_put_be32(rtp + 8, 0x5b000000u + l);
			memcpy(rtp + 12, W.pl, NS);
			udp->dgram_cksum = 0; /* none: legal over IPv4 and what a NIC leaves */
			if (rte_ring_enqueue(W.rx, m) != 0)
				return -1;
		}
		W.seq++;
		W.now += W.hz / 50;
		t0 = now_ns();
		do
			sb_worker_poll(W.w, W.now); /* the real loop body: RX, relay, timers, TX */
		while (rte_ring_count(W.rx) != 0);
		sb_worker_tx_flush(W.w);
		t += now_ns() - t0;
		sent = w_drain();
		if (f > 3 && sent != W.nlegs) {
			fprintf(stderr, "mix_bench: the worker sent %u packets for %u legs\n", sent,
				W.nlegs);
			return -1;
		}
	}
	return (double)t / ((double)frames * W.nconf);
}

static void w_fini(void)
{
	w_drain();
	sb_worker_free(W.w);
	sb_leg_tbl_free(&W.tbl);
	sb_port_down(&W.port);
	sb_dp_shm_detach(&W.shm, 1);
	W.shm_made = 0;
	rte_eal_cleanup();
}
#endif

struct row {
	const char *name;
	unsigned np;
	int supervised, codec;
	double c_ns, simd_ns, sse2_ns;
};

int main(int argc, char **argv)
{
	unsigned nconf = 1000, frames = 100, reps = 5, wconf = 100;
	double w_conf_ns = 0, w_sup_ns = 0, l_conf_ns = 0, l_sup_ns = 0;
	int on_worker = 0;
	struct row rows[] = {
		{ "3-party conference (decode+mix+encode)", 3, 0, 1, 0, 0 },
		{ "supervised call, whisper (decode+mix+encode)", 3, 1, 1, 0, 0 },
		{ "mix step only, 3 parties", 3, 0, 0, 0, 0 },
		{ "mix step only, 10 parties", 10, 0, 0, 0, 0 },
	};
	const unsigned nrows = sizeof(rows) / sizeof(rows[0]);
	double *tc, *ts, *t2;
	sb_mix_fn *sse2 = NULL;
	const struct sb_mix_impl *im;
	unsigned nim;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--confs") && i + 1 < argc)
			nconf = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
			frames = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--worker-confs") && i + 1 < argc)
			wconf = (unsigned)strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: mix_bench [--confs N] [--frames F] [--reps R] "
				"[--worker-confs N (0 = skip, at most 300)]\n");
			return 2;
		}
	}
	if (wconf > 300) {
		fprintf(stderr, "mix_bench: --worker-confs at most 300 (one frame fits the rings)\n");
		return 2;
	}
	if (nconf == 0 || frames == 0 || reps == 0) {
		fprintf(stderr, "mix_bench: --confs, --frames and --reps must be > 0\n");
		return 2;
	}
	tc = calloc(reps, sizeof(double));
	ts = calloc(reps, sizeof(double));
	t2 = calloc(reps, sizeof(double));
	im = sb_mix_impls(&nim);
	for (unsigned i = 0; i < nim; i++)
		if (!strcmp(im[i].name, "sse2") && im[i].supported)
			sse2 = im[i].fn;
	if (tc == NULL || ts == NULL || t2 == NULL) {
		perror("mix_bench: calloc");
		return 1;
	}
	printf("mix_bench: %u conferences x %u frames of 20 ms (160 samples, 8 kHz), "
	       "median of %u reps; SIMD variant: %s\n", nconf, frames, reps, sb_mix_impl_name());
	printf("%-46s %12s %12s %8s %14s %14s %10s\n", "", "C ns/frame", "SIMD ns", "x",
	       "C per core", "SIMD per core", "SSE2 ns");
	printf("(worker rows: library SIMD loop | worker; x = ratio_vs_lib; same confs)\n");
	for (unsigned r = 0; r < nrows; r++) {
		struct conf *c = confs_make(nconf, rows[r].np, rows[r].supervised);

		run(c, nconf, frames / 4 + 1, sb_mix_s16, rows[r].codec);   /* warm */
		for (unsigned k = 0; k < reps; k++) {
			tc[k] = run(c, nconf, frames, sb_mix_s16_c, rows[r].codec);
			ts[k] = run(c, nconf, frames, sb_mix_s16, rows[r].codec);
			t2[k] = sse2 ? run(c, nconf, frames, sse2, rows[r].codec) : 0;
		}
		rows[r].sse2_ns = median(t2, reps);
		rows[r].c_ns = median(tc, reps);
		rows[r].simd_ns = median(ts, reps);
		printf("%-46s %12.1f %12.1f %8.2f %14.0f %14.0f %10.1f\n", rows[r].name,
		       rows[r].c_ns, rows[r].simd_ns, rows[r].c_ns / rows[r].simd_ns,
		       20e6 / rows[r].c_ns, 20e6 / rows[r].simd_ns, rows[r].sse2_ns);
		free(c);
	}
#ifdef SB_BENCH_DP
	if (wconf != 0 && w_setup(argv[0], wconf) == 0) {
		double *wc = calloc(reps, sizeof(double)), *wl = calloc(reps, sizeof(double));

		if (wc == NULL || wl == NULL || w_run(frames / 4 + 5) < 0)
			return 1;
		for (unsigned k = 0; k < reps; k++) {
			/* the library loop again beside each worker rep: one run, same state */
			struct conf *c = confs_make(wconf, 3, 0);

			wl[k] = run(c, wconf, frames, sb_mix_s16, 1);
			free(c);
			wc[k] = w_run(frames);
			if (wc[k] < 0)
				return 1;
		}
		w_conf_ns = median(wc, reps);
		l_conf_ns = median(wl, reps);
		printf("%-46s %12.1f %12.1f %8.3f %14.0f %14.0f\n",
		       "worker vs library: 3-party conference", l_conf_ns, w_conf_ns,
		       l_conf_ns / w_conf_ns, 20e6 / l_conf_ns, 20e6 / w_conf_ns);
		if (w_supervise() != 0 || w_run(frames / 4 + 5) < 0)
			return 1;
		for (unsigned k = 0; k < reps; k++) {
			struct conf *c = confs_make(wconf, 3, 1);

			wl[k] = run(c, wconf, frames, sb_mix_s16, 1);
			free(c);
			wc[k] = w_run(frames);
			if (wc[k] < 0)
				return 1;
		}
		w_sup_ns = median(wc, reps);
		l_sup_ns = median(wl, reps);
		printf("%-46s %12.1f %12.1f %8.3f %14.0f %14.0f\n",
		       "worker vs library: supervised call, whisper", l_sup_ns, w_sup_ns,
		       l_sup_ns / w_sup_ns, 20e6 / l_sup_ns, 20e6 / w_sup_ns);
		free(wc);
		free(wl);
		w_fini();
		on_worker = 1;
	} else if (wconf != 0) {
		printf("(no EAL: the worker figures are left out)\n");
	}
#endif
	if (on_worker)
		printf("{\"on_worker\": true, \"worker_confs\": %u, \"confs_per_core\": %.0f, "
		       "\"lib_confs_per_core\": %.0f, \"ratio_vs_lib\": %.3f, "
		       "\"supervised_per_core\": %.0f, \"lib_supervised_per_core\": %.0f, "
		       "\"supervised_ratio_vs_lib\": %.3f, \"worker_conf3_ns\": %.1f, "
		       "\"worker_supervised_ns\": %.1f, ",
		       wconf, 20e6 / w_conf_ns, 20e6 / l_conf_ns, l_conf_ns / w_conf_ns,
		       20e6 / w_sup_ns, 20e6 / l_sup_ns, l_sup_ns / w_sup_ns, w_conf_ns, w_sup_ns);
	else
		printf("{\"on_worker\": false, \"lib_confs_per_core\": %.0f, "
		       "\"lib_supervised_per_core\": %.0f, ",
		       20e6 / rows[0].simd_ns, 20e6 / rows[1].simd_ns);
	printf("\"conf3_per_core\": %.0f, \"conf3_per_core_c\": %.0f, "
	       "\"supervised_per_core_c\": %.0f, "
	       "\"simd_speedup\": %.2f, \"conf3_speedup\": %.2f, \"mix10_speedup\": %.2f, "
	       "\"conf3_ns\": %.1f, \"conf3_ns_c\": %.1f, \"mix3_ns\": %.1f, \"mix3_ns_c\": %.1f, "
	       "\"mix3_ns_sse2\": %.1f, \"simd\": \"%s\"}\n",
	       20e6 / rows[0].simd_ns, 20e6 / rows[0].c_ns,
	       20e6 / rows[1].c_ns, rows[2].c_ns / rows[2].simd_ns, rows[0].c_ns / rows[0].simd_ns,
	       rows[3].c_ns / rows[3].simd_ns, rows[0].simd_ns, rows[0].c_ns, rows[2].simd_ns,
	       rows[2].c_ns, rows[2].sse2_ns, sb_mix_impl_name());
	free(tc);
	free(ts);
	free(t2);
	return 0;
}
