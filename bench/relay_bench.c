/* SPDX-License-Identifier: MIT */
/*
 * relay_bench — packets per second per worker core through sb-dataplane's
 * full pipeline (classification, leg lookup, source check, rewrite,
 * incremental checksums, per-leg counters, TX), side by side in one run
 * with dpdk-testpmd --forward-mode=io on net_null (the machine's I/O
 * ceiling, ANCHORS "Packet I/O") and on net_ring (pure ring moves).
 *
 * Set-up: one ring ethdev (rte_eth_from_rings): its RX ring is fed by a
 * generator, its TX ring is drained by a sink.  The real worker (DIRECT
 * mode as in a one-worker sb-dataplane) has N legs = N/2 connected calls.
 * The sink turns every relayed packet into a new RTP packet for a random
 * leg (per-leg header template, per-leg sequence number with an
 * incremental UDP checksum) and feeds it back: a closed loop of W packets
 * in flight that touches every leg.  Peers are off-link (one next hop).
 *
 * Default (one core): generator, sink and worker share lcore 0; the
 * worker's iterations are the real loop body (sb_worker_poll(): commands,
 * RX burst, relay, timers, TX drain) and only the cycles inside them are
 * the worker's.  This is what "per worker core" means, and it is robust on
 * a box whose 2 vCPUs are shared: a two-thread pipeline stalls whenever
 * either thread is descheduled.  --two-cores runs sb_worker_loop() itself
 * on lcore 1 with the generator on lcore 0 instead (adds the cross-core
 * cache misses a NIC's DMA would cause; wall-clock rate).
 *
 *   throughput: W = 256 in flight (8 bursts); ns_per_packet = worker cycles /
 *               packets relayed; relay_mpps = 1000 / ns_per_packet (one
 *               core) or packets / wall time (--two-cores).  testpmd's
 *               rate is wall time of its one forwarding core: both
 *               include the same share of preemption on a shared box.
 *   latency:    W = 32 (one burst in flight, light load); the TSC is
 *               stamped in an mbuf dynfield when the generator enqueues
 *               and read when the sink dequeues the relayed packet:
 *               p50/p99 of what the pipeline adds (RX ring, worker,
 *               TX batching, TX ring).
 *
 * Legs: each takes an even local UDP port and the odd one above for its
 * RTCP, so one media address holds at most ~32k legs: above LEGS_PER_ADDR
 * the legs are spread over several consecutive media addresses (the
 * dataplane's --media-addrs, leg key = address + port); --legs
 * 10000,100000 by default.  Every figure is the median
 * of --reps runs, relay and testpmd interleaved.  Prints a table, then one
 * JSON object on the last line.  Exit 77 when not root / no EAL.
 *
 * Usage: relay_bench [--legs N[,N...]] [--reps R] [--secs S] [--two-cores]
 *                    [--testpmd PATH|none]
 * SB_BENCH_KEEP=1 keeps testpmd's output files (their paths go to stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "sb/dp_shm.h"

#include "cfg.h"
#include "legs.h"
#include "pktbuild.h"
#include "port.h"
#include "relay.h"
#include "worker.h"

extern char **environ;

#define MAX_LEG_SETS 4
#define GEN_MBUFS    8191u
#define RING_SLOTS   4096u
#define W_TPUT       256u  /* 8 bursts: mbufs stay cache-hot, as a NIC's LIFO mempool cache keeps them */
#define W_LAT        32u
#define PAYLOAD      160u
#define PORT_MIN     1024u
#define LEGS_PER_ADDR 32000u /* ports PORT_MIN .. PORT_MIN + 64000 */
#define LAT_SAMPLES  (1u << 20)

static const struct rte_ether_addr DP_MAC = {{0x02, 0x5b, 0x00, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr GW_MAC = {{0x02, 0x5b, 0x00, 0x00, 0x00, 0xfe}};
#define MEDIA_IP RTE_BE32(0xcb00710a) /* 203.0.113.10 */
#define GW_IP    RTE_BE32(0xcb007101) /* 203.0.113.1 */
#define NETMASK  RTE_BE32(0xffffff00)

struct hdr_tmpl { /* Ethernet + IPv4 + UDP + RTP header of one leg's input */
	uint8_t b[14 + 20 + 8 + 12];
	uint16_t udp_csum; /* network order, for sequence number 0 */
};
#define HDR_LEN 42u /* Ethernet + IPv4 + UDP: what differs between legs */

struct bench {
	uint16_t port_id;
	struct sb_port port;
	struct rte_ring *rx, *tx; /* the ethdev's: generator -> worker -> sink */
	struct rte_mempool *pool;
	int ts_off; /* mbuf dynfield: generator TSC */
	_Atomic int stop;
	/* per run */
	uint32_t legs;
	uint32_t per_addr; /* legs per media address */
	struct hdr_tmpl *tmpl;
	uint16_t *seq;
	uint64_t rng;
	uint64_t *lat;
	uint32_t n_lat;
};

struct result {
	double mpps, ns_pkt, p50, p99;
	double cpu_ns_pkt; /* one core: worker share of this thread's CPU time / packet */
	uint64_t drops;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint32_t peer_ip(uint32_t leg)
{
	return rte_cpu_to_be_32(0xc6120000u + leg + 1u); /* 198.18.0.0/15, off-link */
}

static uint16_t peer_port(uint32_t leg)
{
	return (uint16_t)(30000u + (leg & 0x3ffu) * 2u);
}

/* Header of a packet from leg's peer to leg's local port, seq 0. */
static void tmpl_build(struct bench *b, uint32_t leg, struct rte_mbuf *scratch)
{
	struct hdr_tmpl *t = &b->tmpl[leg];

	sb_pkt_udp_rtp(scratch, &GW_MAC, &DP_MAC, peer_ip(leg),
		       rte_cpu_to_be_32(rte_be_to_cpu_32(MEDIA_IP) + leg / b->per_addr),
		       peer_port(leg), (uint16_t)(PORT_MIN + 2u * (leg % b->per_addr)), 0,
		       PAYLOAD - 12u);
	memcpy(t->b, rte_pktmbuf_mtod(scratch, void *), sizeof(t->b));
	memcpy(&t->udp_csum, t->b + 40, 2);
}

/* Turn m into the next packet of a random leg and stamp it. */
static inline void gen_one(struct bench *b, struct rte_mbuf *m, uint64_t now)
{
	uint32_t leg = (uint32_t)(((xorshift(&b->rng) & 0xffffffffu) * b->legs) >> 32);
	const struct hdr_tmpl *t = &b->tmpl[leg];
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t seq = rte_cpu_to_be_16(++b->seq[leg]);
	uint16_t c = sb_csum_update16(t->udp_csum, 0, seq);

	memcpy(p, t->b, HDR_LEN);
	memcpy(p + 40, &c, 2);
	memcpy(p + 44, &seq, 2);
	*RTE_MBUF_DYNFIELD(m, b->ts_off, uint64_t *) = now;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Closed loop with `window` packets in flight for `secs`; the worker runs
 * on lcore 1.  Latency samples are kept when lat is set. */
static int run_loop(struct bench *b, struct sb_worker *w, unsigned window, double secs,
		    int lat, int two_cores, struct result *r)
{
	uint64_t wcycles = 0, cpu0 = 0;
	struct rte_mbuf *m[64];
	uint64_t hz = rte_get_tsc_hz(), t0, t_end, relayed0, busy0, drops0 = 0, drops1 = 0;
	uint64_t warm_end, warm_pkts;
	unsigned lcore = rte_get_next_lcore((unsigned)-1, 1, 0);
	unsigned i;

	if (rte_pktmbuf_alloc_bulk(b->pool, (struct rte_mbuf **)m, 1) != 0)
		return -ENOMEM;
	rte_pktmbuf_free(m[0]);
	for (i = 0; i < window; i++) {
		struct rte_mbuf *x = rte_pktmbuf_alloc(b->pool);

		if (x == NULL)
			return -ENOMEM;
		sb_pkt_udp_rtp(x, &GW_MAC, &DP_MAC, peer_ip(0), MEDIA_IP, peer_port(0),
			       (uint16_t)PORT_MIN, 0, PAYLOAD - 12u);
		gen_one(b, x, rte_rdtsc());
		if (rte_ring_sp_enqueue(b->rx, x) != 0) {
			rte_pktmbuf_free(x);
			return -ENOSPC;
		}
	}
	atomic_store(&b->stop, 0);
	if (two_cores) {
		if (rte_eal_remote_launch(sb_worker_loop, w, lcore) != 0)
			return -EBUSY;
	} else {
		sb_worker_start(w, rte_rdtsc());
	}
	/* warm-up: caches, branch predictors, the TX timer, and the first
	 * packets of every leg (source latching, a new RTP source, the first
	 * stream out of the connected leg: slow paths taken once per leg,
	 * which at 100k legs would otherwise be a good part of a 1 s run):
	 * at least 0.2 s and 3 packets per leg on average (at most 10 s) */
	t_end = rte_rdtsc() + hz / 5u;
	warm_end = rte_rdtsc() + 10u * hz;
	warm_pkts = w->st->relayed + 3u * (uint64_t)b->legs;
	b->n_lat = 0;
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1) {
			t_end = rte_rdtsc() + (uint64_t)(secs * (double)hz);
			b->n_lat = 0;
		}
		t0 = rte_rdtsc();
		cpu0 = thread_cpu_ns();
		wcycles = 0;
		relayed0 = w->st->relayed;
		busy0 = w->st->busy_cycles;
		drops0 = 0;
		for (unsigned k = 0; k < SB_DROP_N; k++)
			drops0 += w->st->drop[k];
		for (;;) {
			uint64_t now = rte_rdtsc();
			unsigned n;

			if (now >= t_end &&
			    (phase == 1 || w->st->relayed >= warm_pkts || now >= warm_end))
				break;
			if (!two_cores) { /* one worker iteration, timed alone */
				uint64_t t1;

				sb_worker_poll(w, now);
				t1 = rte_rdtsc();
				wcycles += t1 - now;
				now = t1;
			}
			n = rte_ring_sc_dequeue_burst(b->tx, (void **)m, RTE_DIM(m), NULL);
			if (n == 0)
				continue;
			for (i = 0; i < n; i++) /* the worker wrote them last */
				rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
			for (i = 0; i < n; i++) {
				if (lat && b->n_lat < LAT_SAMPLES)
					b->lat[b->n_lat++] =
						now - *RTE_MBUF_DYNFIELD(m[i], b->ts_off, uint64_t *);
				gen_one(b, m[i], now);
			}
			while (rte_ring_sp_enqueue_bulk(b->rx, (void **)m, n, NULL) == 0)
				;
		}
		if (phase == 1) {
			uint64_t dt = rte_rdtsc() - t0;
			uint64_t pk = w->st->relayed - relayed0;

			if (two_cores) {
				r->mpps = (double)pk * (double)hz / (double)dt / 1e6;
				r->ns_pkt = pk ? (double)(w->st->busy_cycles - busy0) * 1e9 /
							 (double)hz / (double)pk
					       : 0;
			} else {
				r->ns_pkt = pk ? (double)wcycles * 1e9 / (double)hz / (double)pk : 0;
				r->mpps = r->ns_pkt > 0 ? 1e3 / r->ns_pkt : 0;
				/* Preemption hits worker and generator time alike:
				 * the worker's share of the CPU time we really got. */
				r->cpu_ns_pkt = pk ? (double)(thread_cpu_ns() - cpu0) *
							 ((double)wcycles / (double)dt) / (double)pk
						   : 0;
			}
		}
	}
	atomic_store(&b->stop, 1);
	if (two_cores)
		rte_eal_wait_lcore(lcore);
	else
		sb_worker_tx_flush(w);
	for (unsigned k = 0; k < SB_DROP_N; k++)
		drops1 += w->st->drop[k];
	r->drops = drops1 - drops0;
	/* collect the packets in flight */
	for (;;) {
		unsigned n = rte_ring_sc_dequeue_burst(b->tx, (void **)m, RTE_DIM(m), NULL);

		n += rte_ring_sc_dequeue_burst(b->rx, (void **)(m + n), RTE_DIM(m) - n, NULL);
		if (n == 0)
			break;
		rte_pktmbuf_free_bulk(m, n);
	}
	if (lat && b->n_lat > 0) {
		qsort(b->lat, b->n_lat, sizeof(b->lat[0]), cmp_u64);
		r->p50 = (double)b->lat[b->n_lat / 2] * 1e9 / (double)hz;
		r->p99 = (double)b->lat[(uint64_t)b->n_lat * 99u / 100u] * 1e9 / (double)hz;
	}
	return 0;
}

/* Everything a worker with `legs` legs needs; the legs are added through
 * sb_legs_apply(), the path ring commands and --preload take. */
struct setup {
	struct sb_dp_shm shm;
	struct sb_leg_tbl tbl;
	struct sb_worker *w;
};

static int setup_legs(struct bench *b, struct setup *s, uint32_t legs)
{
	struct sb_dp_shm_params sp;
	struct sb_worker_params wp;
	char inst[64];
	struct rte_mbuf *arp;
	uint32_t per_addr = legs < LEGS_PER_ADDR ? legs : LEGS_PER_ADDR;
	uint32_t n_addr = (legs + per_addr - 1u) / per_addr;
	int rc;

	memset(s, 0, sizeof(*s));
	b->per_addr = per_addr;
	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = legs;
	sp.cmd_slots = 64;
	sp.evt_slots = 64;
	sp.media_ip = MEDIA_IP;
	memcpy(sp.media_mac, DP_MAC.addr_bytes, 6);
	sp.port_min = PORT_MIN;
	sp.port_span = (uint16_t)(2u * per_addr);
	snprintf(inst, sizeof(inst), "dpb-relaybench-%d", (int)getpid());
	rc = sb_dp_shm_create(&s->shm, inst, &sp);
	if (rc < 0)
		return rc;
	if (sb_leg_tbl_init(&s->tbl, legs, sb_dp_shm_leg_stats(&s->shm, 0), 0) < 0)
		return -ENOMEM;
	memset(&wp, 0, sizeof(wp));
	wp.port_id = b->port_id;
	wp.poll_port = 1;
	wp.pool = b->port.pool;
	wp.mac = DP_MAC;
	wp.media_ip = MEDIA_IP;
	wp.netmask = NETMASK;
	wp.gateway = GW_IP;
	wp.port_base = PORT_MIN;
	wp.port_span = (uint16_t)(2u * per_addr);
	wp.n_addr = (uint16_t)n_addr;
	wp.arp_retry_ms = 100;
	wp.arp_ttl_s = 3600;
	wp.cmd = sb_dp_shm_cmd_ring(&s->shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&s->shm, 0);
	wp.st = sb_dp_shm_worker_stats(&s->shm, 0);
	wp.legs = &s->tbl;
	wp.stop = &b->stop;
	s->w = sb_worker_create(&wp);
	if (s->w == NULL)
		return -ENOMEM;
	for (uint32_t l = 0; l < legs; l++) {
		union sb_msg m;

		memset(&m, 0, sizeof(m));
		m.leg.h.type = SB_CMD_LEG_ADD;
		m.leg.h.len = sizeof(m.leg);
		m.leg.h.leg = l;
		m.leg.h.leg_gen = 1;
		m.leg.peer_ip = peer_ip(l);
		m.leg.peer_port = peer_port(l);
		m.leg.local_port = (uint16_t)(PORT_MIN + 2u * (l % per_addr)); /* +1: its RTCP */
		m.leg.local_addr = (uint8_t)(l / per_addr);
		rc = sb_legs_apply(s->w, &m);
		if (rc < 0) {
			fprintf(stderr, "relay_bench: leg %u: %s\n", l, strerror(-rc));
			return rc;
		}
	}
	for (uint32_t l = 0; l + 1 < legs; l += 2) {
		union sb_msg m;

		memset(&m, 0, sizeof(m));
		m.connect.h.type = SB_CMD_LEG_CONNECT;
		m.connect.h.len = sizeof(m.connect);
		m.connect.h.leg = l;
		m.connect.h.leg_gen = 1;
		m.connect.leg_b = l + 1;
		m.connect.leg_b_gen = 1;
		rc = sb_legs_apply(s->w, &m);
		if (rc < 0) {
			fprintf(stderr, "relay_bench: connect %u: %s\n", l, strerror(-rc));
			return rc;
		}
	}
	/* The gateway answers (before launch the main lcore may drive the
	 * worker, as --preload does); then drop what the worker queued. */
	arp = rte_pktmbuf_alloc(b->port.pool);
	if (arp == NULL)
		return -ENOMEM;
	sb_pkt_arp_reply(arp, &GW_MAC, GW_IP, &DP_MAC, MEDIA_IP);
	sb_relay_burst(s->w, &arp, 1, rte_rdtsc());
	sb_worker_tx_flush(s->w);
	{
		struct rte_mbuf *x[64];
		unsigned n;

		while ((n = rte_ring_sc_dequeue_burst(b->tx, (void **)x, 64, NULL)) != 0)
			rte_pktmbuf_free_bulk(x, n);
	}
	/* templates */
	b->legs = legs;
	b->tmpl = rte_malloc("tmpl", sizeof(*b->tmpl) * legs, 64);
	b->seq = rte_zmalloc("seq", sizeof(*b->seq) * legs, 64);
	if (b->tmpl == NULL || b->seq == NULL)
		return -ENOMEM;
	{
		struct rte_mbuf *x = rte_pktmbuf_alloc(b->pool);

		if (x == NULL)
			return -ENOMEM;
		for (uint32_t l = 0; l < legs; l++)
			tmpl_build(b, l, x);
		rte_pktmbuf_free(x);
	}
	return 0;
}

static void setup_free(struct bench *b, struct setup *s)
{
	sb_worker_free(s->w);
	sb_leg_tbl_free(&s->tbl);
	if (s->shm.hdr != NULL)
		sb_dp_shm_detach(&s->shm, 1);
	rte_free(b->tmpl);
	rte_free(b->seq);
	b->tmpl = NULL;
	b->seq = NULL;
}

/* ---- dpdk-testpmd, io forwarding, one forwarding core ---- */

/* Per-period forwarding rates in testpmd's output so far: "Rx-pps: N"
 * appears once per port per --stats-period; a period's rate is the sum of
 * both ports.  Periods before forwarding starts (0) are skipped. */
static int testpmd_rates(const char *path, double *rates, int max)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long p0 = -1;
	int nr = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && nr < max) {
		char *s = strstr(line, "Rx-pps:");
		long v;

		if (s == NULL)
			continue;
		v = strtol(s + 7, NULL, 10);
		if (p0 < 0) {
			p0 = v;
		} else {
			if (p0 + v > 0)
				rates[nr++] = (double)(p0 + v) / 1e6;
			p0 = -1;
		}
	}
	fclose(f);
	return nr;
}

/* Run testpmd for secs on vdev kind ("net_null" or "net_ring"); return the
 * median per-second forwarding rate (sum of both ports' Rx-pps) in Mpps,
 * or a negative value when it could not run. */
static double testpmd_mpps(const char *bin, const char *kind, double secs)
{
	char prefix[64], v0[32], v1[32], out[] = "/tmp/sbdpb-testpmd-XXXXXX";
	char *argv[24];
	int argc = 0, fd, status;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	double rates[64];
	int nr = 0, want = (int)secs + 1; /* +1: the first period is partial */
	char line[512];

	fd = mkstemp(out);
	if (fd < 0 || strcmp(bin, "none") == 0) {
		if (fd >= 0) {
			close(fd);
			unlink(out);
		}
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbdpb-tpmd-%d", (int)getpid());
	snprintf(v0, sizeof(v0), "--vdev=%s0", kind);
	snprintf(v1, sizeof(v1), "--vdev=%s1", kind);
	argv[argc++] = (char *)bin;
	argv[argc++] = "-l";
	argv[argc++] = "0-1";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "256";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = prefix;
	argv[argc++] = v0;
	argv[argc++] = v1;
	argv[argc++] = "--";
	argv[argc++] = "--forward-mode=io";
	argv[argc++] = "--auto-start";
	argv[argc++] = "--total-num-mbufs=8192"; /* fits -m 256 (ANCHORS: 16384 in 512) */
	argv[argc++] = "--stats-period=1";
	if (strcmp(kind, "net_ring") == 0)
		argv[argc++] = "--tx-first"; /* rings start empty */
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fd);
		unlink(out);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	/* Start-up (pool set-up without hugepages) takes seconds on a busy
	 * box: wait for `want` forwarding periods, at most 30 s. */
	for (int i = 0; i < 300 && testpmd_rates(out, rates, (int)RTE_DIM(rates)) < want; i++) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 100000000};

		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (pid > 0) {
		kill(pid, SIGINT);
		waitpid(pid, &status, 0);
	}
	close(fd);
	snprintf(line, sizeof(line), "/var/run/dpdk/sbdpb-tpmd-%d", (int)getpid());
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", line);
		if (system(cmd) != 0) { /* best effort */
		}
	}
	nr = testpmd_rates(out, rates, (int)RTE_DIM(rates));
	if (getenv("SB_BENCH_KEEP") == NULL)
		unlink(out);
	else
		fprintf(stderr, "testpmd output: %s\n", out);
	if (nr == 0)
		return -1;
	/* drop the first period (start-up), median of the rest */
	if (nr > 1) {
		memmove(rates, rates + 1, sizeof(rates[0]) * (size_t)(nr - 1));
		nr--;
	}
	for (int i = 1; i < nr; i++)
		for (int j = i; j > 0 && rates[j] < rates[j - 1]; j--) {
			double t = rates[j];

			rates[j] = rates[j - 1];
			rates[j - 1] = t;
		}
	return rates[nr / 2];
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n ? v[n / 2] : 0;
}

int main(int argc, char **argv)
{
	static struct bench b;
	uint32_t leg_sets[MAX_LEG_SETS] = {10000, 100000};
	int n_sets = 2, reps = 3, two_cores = 0;
	double secs = 1.5;
	const char *testpmd = "/usr/bin/dpdk-testpmd";
	char prefix[64];
	char *eal[16];
	int ne = 0;
	struct rte_ring *rxr, *txr;
	static const struct rte_mbuf_dynfield ts_desc = {
		.name = "sb_bench_tsc", .size = sizeof(uint64_t), .align = __alignof__(uint64_t)};
	struct {
		uint32_t legs;
		double mpps, ns, cpu, ratio, p50, p99, tp_null, tp_ring;
		uint64_t drops;
	} res[MAX_LEG_SETS];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--legs") == 0 && i + 1 < argc) {
			char *s = argv[++i];

			n_sets = 0;
			while (*s && n_sets < MAX_LEG_SETS) {
				unsigned long v = strtoul(s, &s, 10);

				if (v < 2 || v > LEGS_PER_ADDR * SB_DP_MEDIA_ADDRS_MAX) {
					fprintf(stderr, "relay_bench: --legs: each in 2..%u\n",
						LEGS_PER_ADDR * SB_DP_MEDIA_ADDRS_MAX);
					return 2;
				}
				leg_sets[n_sets++] = (uint32_t)v & ~1u;
				if (*s == ',')
					s++;
			}
		} else if (strcmp(argv[i], "--two-cores") == 0) {
			two_cores = 1;
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc) {
			secs = atof(argv[++i]);
		} else if (strcmp(argv[i], "--testpmd") == 0 && i + 1 < argc) { /* "none": skip */
			testpmd = argv[++i];
		} else {
			fprintf(stderr,
				"usage: relay_bench [--legs N[,N..]] [--reps R] [--secs S] [--two-cores]\n"
				"                   [--testpmd PATH|none]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 15 || secs <= 0 || secs > 10) {
		fprintf(stderr, "relay_bench: --reps 1..15, --secs (0, 10]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: needs root for DPDK\n");
		return 77;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=sbdpb-relaybench-%d", (int)getpid());
	eal[ne++] = argv[0];
	eal[ne++] = "-l";
	eal[ne++] = "0-1";
	eal[ne++] = "--no-huge";
	eal[ne++] = "-m";
	eal[ne++] = "512";
	eal[ne++] = "--no-pci";
	eal[ne++] = "--no-telemetry";
	eal[ne++] = "--log-level=lib.eal:error";
	eal[ne++] = prefix;
	eal[ne] = NULL;
	if (rte_eal_init(ne, eal) < 0) {
		printf("SKIP: EAL: %s\n", rte_strerror(rte_errno));
		return 77;
	}
	b.ts_off = rte_mbuf_dynfield_register(&ts_desc);
	b.pool = rte_pktmbuf_pool_create("sbb_gen", GEN_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	rxr = rte_ring_create("sbb_rx", RING_SLOTS, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr = rte_ring_create("sbb_tx", RING_SLOTS, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (b.ts_off < 0 || b.pool == NULL || rxr == NULL || txr == NULL) {
		fprintf(stderr, "relay_bench: set-up: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	b.rx = rxr;
	b.tx = txr;
	{
		int id = rte_eth_from_rings("sbb_ring0", &rxr, 1, &txr, 1, 0);

		if (id < 0) {
			fprintf(stderr, "relay_bench: rte_eth_from_rings: %s\n",
				rte_strerror(rte_errno));
			return 1;
		}
		b.port_id = (uint16_t)id;
	}
	if (sb_port_up(&b.port, b.port_id, 1, 1) < 0)
		return 1;
	b.rng = 0x9e3779b97f4a7c15ull;
	b.lat = malloc(sizeof(*b.lat) * LAT_SAMPLES);
	if (b.lat == NULL)
		return 1;

	printf("relay_bench: 1 worker core (%s); %u-byte RTP payloads; %d reps x %.1f s\n",
	       two_cores ? "worker loop on lcore 1, generator+sink on lcore 0"
			 : "worker iterations timed alone, generator+sink on the same lcore",
	       PAYLOAD - 12u, reps, secs);
	for (int s = 0; s < n_sets; s++) {
		struct setup st;
		double mpps[15], ns[15], cpu[15], p50[15], p99[15], tpn[15], tpr[15], ratio[15];
		uint64_t drops = 0;
		int rc = setup_legs(&b, &st, leg_sets[s]);

		if (rc < 0) {
			fprintf(stderr, "relay_bench: %u legs: %s\n", leg_sets[s], strerror(-rc));
			setup_free(&b, &st); /* unlinks the segment */
			return 1;
		}
		for (int r = 0; r < reps; r++) {
			struct result rt, rl;

			memset(&rt, 0, sizeof(rt));
			memset(&rl, 0, sizeof(rl));
			if (run_loop(&b, st.w, W_TPUT, secs, 0, two_cores, &rt) < 0 ||
			    run_loop(&b, st.w, W_LAT, secs / 2, 1, two_cores, &rl) < 0) {
				fprintf(stderr, "relay_bench: run failed\n");
				setup_free(&b, &st);
				return 1;
			}
			mpps[r] = rt.mpps;
			ns[r] = rt.ns_pkt;
			cpu[r] = rt.cpu_ns_pkt;
			p50[r] = rl.p50;
			p99[r] = rl.p99;
			drops += rt.drops + rl.drops;
			tpn[r] = testpmd_mpps(testpmd, "net_null", secs + 1);
			/* net_ring is only for scale: once */
			tpr[r] = s == 0 && r == 0 ? testpmd_mpps(testpmd, "net_ring", secs) : -1;
			ratio[r] = tpn[r] > 0 ? rt.mpps / tpn[r] : 0; /* taken in one run */
			printf("  legs %6u rep %d: relay %6.2f Mpps (%5.1f ns/pkt, %5.1f ns CPU), latency "
			       "p50 %6.0f ns p99 %6.0f ns | testpmd io net_null %6.2f Mpps%s",
			       leg_sets[s], r, rt.mpps, rt.ns_pkt, rt.cpu_ns_pkt, rl.p50, rl.p99, tpn[r],
			       s == 0 && r == 0 ? "" : "\n");
			if (s == 0 && r == 0)
				printf(", net_ring %6.2f Mpps\n", tpr[r]);
			fflush(stdout);
		}
		res[s].legs = leg_sets[s];
		res[s].mpps = median(mpps, reps);
		res[s].ns = median(ns, reps);
		res[s].cpu = median(cpu, reps);
		res[s].ratio = median(ratio, reps);
		res[s].p50 = median(p50, reps);
		res[s].p99 = median(p99, reps);
		res[s].tp_null = median(tpn, reps);
		res[s].tp_ring = s == 0 ? tpr[0] : res[0].tp_ring;
		res[s].drops = drops;
		setup_free(&b, &st);
	}

	printf("\n%8s %11s %13s %7s %10s %10s %11s %11s %13s %6s\n", "legs", "relay_Mpps",
	       "testpmd_Mpps", "ratio", "ns/packet", "ns_CPU", "lat_p50_ns", "lat_p99_ns",
	       "testpmd_ring", "drops");
	for (int s = 0; s < n_sets; s++)
		printf("%8u %11.2f %13.2f %7.3f %10.1f %10.1f %11.0f %11.0f %13.2f %6" PRIu64 "\n",
		       res[s].legs, res[s].mpps, res[s].tp_null, res[s].ratio, res[s].ns, res[s].cpu,
		       res[s].p50, res[s].p99, res[s].tp_ring, res[s].drops);
	printf("medians of %d reps; ratio = median of per-rep relay/testpmd ratios.  testpmd: io "
	       "forwarding, 1 forwarding core, net_null = the reference; net_ring loopback moves "
	       "pointers only, shown for scale.  ns/packet: wall time inside the worker (includes "
	       "preemption on a shared box, as testpmd's rate does); ns_CPU: the worker's share "
	       "of the CPU time the thread really got.\n", reps);

	/* Headline: the largest leg count (the harder case); all sets listed. */
	{
		int h = n_sets - 1;

		printf("{\"bench\": \"relay\", \"mode\": \"%s\", \"legs\": %u, \"relay_mpps\": %.3f, "
		       "\"testpmd_mpps\": %.3f, \"ratio_vs_testpmd\": %.3f, \"ns_per_packet\": %.1f, "
		       "\"ns_per_packet_cpu\": %.1f, \"latency_p50_ns\": %.0f, \"latency_p99_ns\": %.0f, "
		       "\"testpmd_ring_mpps\": %.3f, \"drops\": %" PRIu64 ", \"reps\": %d, \"by_legs\": [",
		       two_cores ? "two_cores" : "one_core", res[h].legs, res[h].mpps, res[h].tp_null,
		       res[h].ratio, res[h].ns, res[h].cpu, res[h].p50, res[h].p99, res[h].tp_ring,
		       res[h].drops, reps);
		for (int s = 0; s < n_sets; s++)
			printf("%s{\"legs\": %u, \"relay_mpps\": %.3f, \"testpmd_mpps\": %.3f, "
			       "\"ratio_vs_testpmd\": %.3f, \"ns_per_packet\": %.1f, "
			       "\"ns_per_packet_cpu\": %.1f, \"latency_p50_ns\": %.0f, "
			       "\"latency_p99_ns\": %.0f}",
			       s ? ", " : "", res[s].legs, res[s].mpps, res[s].tp_null, res[s].ratio,
			       res[s].ns, res[s].cpu, res[s].p50, res[s].p99);
		printf("]}\n");
	}
	free(b.lat);
	sb_port_down(&b.port);
	rte_eal_cleanup();
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/sbdpb-relaybench-%d", (int)getpid());
		if (system(cmd) != 0) { /* best effort */
		}
	}
	return 0;
}
