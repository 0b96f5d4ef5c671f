/* SPDX-License-Identifier: MIT */
/*
 * sb-dataplane — DPDK media relay.  main: arguments, EAL, port, shared
 * segment, worker launch, then the main lcore's loop (dispatcher in
 * dispatch mode, punt handler, heartbeat, --exit-idle-ms), orderly stop.
 *
 * Lcores: with EAL -l giving one lcore, the one worker runs on it and does
 * everything (direct mode, no punt ring: drops instead).  With more, the
 * first is the main lcore and each following lcore runs one worker
 * (--workers N takes the first N of them); see dispatch.h for the modes.
 *
 * Exit status: 0 clean stop, 1 runtime failure (EAL, port, memory),
 * 2 bad arguments or a bad --preload file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "sb/dp_shm.h"

#include "arp.h"
#include "cfg.h"
#include "dispatch.h"
#include "dpmedia.h"
#include "legs.h"
#include "port.h"
#include "preload.h"
#include "punt.h"
#include "rectap.h"
#include "stats.h"
#include "telemetry.h"
#include "worker.h"

#define CMD_SLOTS 1024u
#define EVT_SLOTS 4096u

static _Atomic int stop_flag; /* the one global: signal handlers need it */

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* --preload syntax pass before EAL: nothing to apply yet. */
static int preload_check(void *ctx, unsigned line, const union sb_msg *cmd, char *why,
			 size_t why_len)
{
	(void)ctx;
	(void)line;
	(void)cmd;
	(void)why;
	(void)why_len;
	return 0;
}

/* Everything the main lcore owns. */
struct dp_main {
	struct sb_dp_cfg cfg;
	struct sb_dp_shm shm;
	struct sb_port port;
	struct sb_leg_tbl legs;
	unsigned n_workers;
	uint16_t span; /* ports per worker */
	int single;    /* one lcore: the worker runs on the main lcore */
	enum sb_dp_steer steer;
	struct sb_worker *w[SB_MAX_WORKERS];
	unsigned lcore[SB_MAX_WORKERS];
	struct rte_ring *in[SB_MAX_WORKERS];   /* dispatch rings (ARP copies in flow mode) */
	struct rte_ring *punt[SB_MAX_WORKERS];
	struct rte_flow *flows[SB_FLOW_MAX];
	unsigned n_flows;
	struct sb_dispatch disp;
	struct sb_punt_stats punt_st;
	struct sb_dp_telemetry tel;
	struct sb_dprec *rec; /* recorder (--rec-dir); NULL = recording off */
	struct sb_dpm_shared *media_sh; /* prompt store and its loader thread (dpmedia.h) */
};

/* --preload callback: apply through the same path as ring commands, on
 * the worker that owns the leg's local port (or the leg). */
static int preload_apply(void *ctx, unsigned line, const union sb_msg *cmd, char *why,
			 size_t why_len)
{
	struct dp_main *dm = ctx;
	struct sb_worker *w = dm->w[0];
	union sb_msg m = *cmd;
	int rc;

	(void)line;
	if (m.h.type == SB_CMD_LEG_ADD) {
		uint32_t off = (uint32_t)m.leg.local_port - dm->cfg.port_min;

		if (m.leg.local_port >= dm->cfg.port_min && off / dm->span < dm->n_workers)
			w = dm->w[off / dm->span];
		m.leg.worker = w->id;
	} else if (m.h.leg < w->legs->max && w->legs->x[m.h.leg].active) {
		w = dm->w[w->legs->x[m.h.leg].worker];
	}
	if (m.h.type == SB_CMD_LEG_CONNECT) {
		if (m.h.leg < w->legs->max)
			m.connect.h.leg_gen = w->legs->x[m.h.leg].gen;
		if (m.connect.leg_b < w->legs->max)
			m.connect.leg_b_gen = w->legs->x[m.connect.leg_b].gen;
	}
	rc = sb_legs_apply(w, &m);
	switch (rc) {
	case 0:
		w->st->cmds++;
		break;
	case -ERANGE:
		snprintf(why, why_len, "local port %u outside the workers' range %u..%u",
			 m.leg.local_port, dm->cfg.port_min,
			 dm->cfg.port_min + dm->span * dm->n_workers - 1u);
		break;
	case -EEXIST:
		snprintf(why, why_len, "leg %u or local port %u already in use", m.h.leg,
			 m.leg.local_port);
		break;
	case -ENOENT:
		snprintf(why, why_len, "connect: leg %u or %u was not added before", m.h.leg,
			 m.connect.leg_b);
		break;
	default:
		break;
	}
	return rc;
}

/* ---- the main lcore's loop (multi-lcore modes) ---- */

static uint64_t last_rx_any(const struct dp_main *dm)
{
	uint64_t t = dm->disp.last_rx_tsc;

	for (unsigned i = 0; i < dm->n_workers; i++) {
		uint64_t v = atomic_load_explicit(&dm->w[i]->last_rx_tsc, memory_order_relaxed);

		if ((int64_t)(v - t) > 0)
			t = v;
	}
	return t;
}

static void main_loop(struct dp_main *dm)
{
	struct sb_dp_shm_hdr *h = dm->shm.hdr;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t slow_period = hz / 1000u; /* punt drain, heartbeat, exit-idle: every 1 ms */
	uint64_t exit_idle = dm->cfg.exit_idle_ms * (hz / 1000u);
	uint64_t now = rte_rdtsc(), next_slow = now, next_beat = now;
	int dispatching = dm->steer == SB_DP_STEER_DISPATCH;

	dm->disp.last_rx_tsc = now;
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		unsigned n = 0;

		now = rte_rdtsc();
		if (dispatching) {
			n = sb_dispatch_poll(&dm->disp, now);
			h->disp_rx = dm->disp.rx;
			h->disp_ring_full = dm->disp.ring_full;
		}
		if (now >= next_slow) {
			next_slow = now + slow_period;
			sb_punt_drain(dm->punt, dm->n_workers, 4096, &dm->punt_st);
			h->punt_rx = dm->punt_st.rx;
			h->punt_unhandled = dm->punt_st.unhandled;
			if (now >= next_beat) {
				atomic_store_explicit(&h->heartbeat_ns, sb_now_ns(),
						      memory_order_relaxed);
				next_beat = now + hz / 10u;
			}
			if (exit_idle != 0 && now - last_rx_any(dm) > exit_idle)
				break;
		}
		if (n != 0)
			continue;
		if (!dispatching)
			sleep_ms(1); /* nothing else to do here between slow ticks */
		else if (dm->cfg.idle_us != 0)
			rte_delay_us_sleep(dm->cfg.idle_us);
	}
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

/* ---- setup ---- */

/* Workers and queues: DIRECT for one worker; FLOW when the port has a
 * queue per worker and takes the rte_flow rules; DISPATCH otherwise. */
static int ports_and_steering(struct dp_main *dm)
{
	uint16_t max_rx = 0, max_tx = 0;
	uint16_t n = (uint16_t)dm->n_workers;
	char why[256];
	int rc;

	rc = sb_port_max_queues(0, &max_rx, &max_tx);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: port 0: %s\n", strerror(-rc));
		return rc;
	}
	if (n == 1) {
		dm->steer = SB_DP_STEER_DIRECT;
		return sb_port_up(&dm->port, 0, 1, 1);
	}
	if (!dm->cfg.no_flow && max_rx >= n && max_tx >= n) {
		rc = sb_port_up(&dm->port, 0, n, n);
		if (rc < 0)
			return rc;
		rc = sb_flow_steer(dm->port.id, n, dm->cfg.port_min, dm->span, dm->flows,
				   SB_FLOW_MAX, why, sizeof(why));
		if (rc >= 0) {
			dm->n_flows = (unsigned)rc;
			dm->steer = SB_DP_STEER_FLOW;
			printf("sb-dataplane: steering: rte_flow, %u rules, one RX queue per worker\n",
			       dm->n_flows);
			return 0;
		}
		printf("sb-dataplane: steering: rte_flow refused (%s); dispatching from the main lcore\n",
		       why);
		rc = sb_port_requeue(&dm->port, 1, n);
		if (rc < 0)
			return rc;
	} else {
		printf("sb-dataplane: steering: %s; dispatching from the main lcore\n",
		       dm->cfg.no_flow ? "--no-flow" : "port has too few RX queues for rte_flow");
		rc = sb_port_up(&dm->port, 0, 1, n);
		if (rc < 0)
			return rc;
	}
	dm->steer = SB_DP_STEER_DISPATCH;
	return 0;
}

static int workers_create(struct dp_main *dm)
{
	struct sb_worker_params wp;
	unsigned lc = (unsigned)-1;
	int rc;

	dm->media_sh = sb_dpm_shared_create(dm->cfg.prompts, dm->n_workers);
	if (dm->media_sh == NULL) {
		fprintf(stderr, "sb-dataplane: prompt store: %s\n", strerror(errno));
		return -ENOMEM;
	}
	if (!dm->single) {
		for (unsigned i = 0; i < dm->n_workers; i++) {
			dm->punt[i] = sb_punt_ring_create(i, SB_PUNT_SLOTS, dm->port.socket);
			if (dm->punt[i] == NULL) {
				fprintf(stderr, "sb-dataplane: punt ring: %s\n", rte_strerror(rte_errno));
				return -ENOMEM;
			}
		}
	}
	if (dm->steer != SB_DP_STEER_DIRECT) {
		rc = sb_dispatch_rings_create(dm->in, dm->n_workers, dm->port.socket);
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: dispatch rings: %s\n", strerror(-rc));
			return rc;
		}
	}
	for (unsigned i = 0; i < dm->n_workers; i++) {
		memset(&wp, 0, sizeof(wp));
		wp.id = (uint16_t)i;
		wp.port_id = dm->port.id;
		wp.queue = (uint16_t)i;
		wp.rx_queue = dm->steer == SB_DP_STEER_FLOW ? (uint16_t)i : 0;
		wp.poll_port = dm->steer != SB_DP_STEER_DISPATCH;
		wp.in = dm->steer == SB_DP_STEER_DIRECT ? NULL : dm->in[i];
		wp.punt = dm->punt[i];
		if (dm->steer == SB_DP_STEER_FLOW && i == 0) {
			wp.fanout = &dm->in[1];
			wp.n_fanout = (uint16_t)(dm->n_workers - 1u);
		}
		wp.tx_drain_us = dm->cfg.tx_drain_us;
		wp.pool = dm->port.pool;
		wp.mac = dm->port.mac;
		wp.media_ip = dm->cfg.media_ip;
		wp.n_addr = (uint16_t)dm->cfg.media_addrs;
		wp.netmask = dm->cfg.netmask;
		wp.gateway = dm->cfg.gateway;
		wp.port_base = (uint16_t)(dm->cfg.port_min + i * dm->span);
		wp.port_span = dm->span;
		wp.idle_us = dm->cfg.idle_us;
		wp.exit_idle_ms = dm->single ? dm->cfg.exit_idle_ms : 0; /* else main decides */
		wp.arp_retry_ms = dm->cfg.arp_retry_ms;
		wp.arp_ttl_s = dm->cfg.arp_ttl_s;
		wp.cmd = sb_dp_shm_cmd_ring(&dm->shm, i);
		wp.evt = sb_dp_shm_evt_ring(&dm->shm, i);
		wp.st = sb_dp_shm_worker_stats(&dm->shm, i);
		wp.legs = &dm->legs;
		wp.stop = &stop_flag;
		wp.heartbeat = dm->single ? &dm->shm.hdr->heartbeat_ns : NULL;
		wp.media_legs = dm->cfg.media_legs;
		wp.media_confs = dm->cfg.confs;
		wp.media_shared = dm->media_sh;
		dm->w[i] = sb_worker_create(&wp);
		if (dm->w[i] == NULL)
			return -ENOMEM;
		if (dm->single) {
			dm->lcore[i] = rte_lcore_id();
		} else {
			lc = rte_get_next_lcore(lc, 1, 0);
			dm->lcore[i] = lc;
		}
	}
	memset(&dm->disp, 0, sizeof(dm->disp));
	dm->disp.port_id = dm->port.id;
	dm->disp.queue = 0;
	dm->disp.n_workers = (uint16_t)dm->n_workers;
	dm->disp.port_min = dm->cfg.port_min;
	dm->disp.span = dm->span;
	dm->disp.pool = dm->port.pool;
	for (unsigned i = 0; i < dm->n_workers; i++)
		dm->disp.ring[i] = dm->in[i];
	return 0;
}

static void workers_free(struct dp_main *dm)
{
	for (unsigned i = 0; i < dm->n_workers; i++) {
		sb_worker_free(dm->w[i]);
		dm->w[i] = NULL;
	}
	sb_dpm_shared_free(dm->media_sh); /* after the workers: their players are gone */
	dm->media_sh = NULL;
	sb_dispatch_rings_free(dm->in, dm->n_workers);
	for (unsigned i = 0; i < dm->n_workers; i++) {
		struct rte_mbuf *m = NULL;

		if (dm->punt[i] == NULL)
			continue;
		while (rte_ring_sc_dequeue(dm->punt[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(dm->punt[i]);
		dm->punt[i] = NULL;
	}
}

static const char *steer_name(enum sb_dp_steer s)
{
	return s == SB_DP_STEER_FLOW ? "flow" : s == SB_DP_STEER_DISPATCH ? "dispatch" : "direct";
}

int main(int argc, char **argv)
{
	static struct dp_main dm; /* large (rings, flows): not on the stack */
	struct sb_dp_shm_params sp;
	char why[512];
	char ipbuf[INET_ADDRSTRLEN], gwbuf[INET_ADDRSTRLEN];
	unsigned n_lcores;
	int sep = -1, rc, status = 1;

	/* App arguments first: a usage error needs neither root nor EAL. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	}
	if (sep < 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				sb_dp_cfg_usage(argv[0]);
				return 0;
			}
		}
		fprintf(stderr, "sb-dataplane: missing '--' before the application arguments\n");
		sb_dp_cfg_usage(argv[0]);
		return 2;
	}
	{
		char *saved = argv[sep];

		argv[sep] = argv[0]; /* getopt wants a program name first */
		rc = sb_dp_cfg_parse(&dm.cfg, argc - sep, argv + sep, why, sizeof(why));
		argv[sep] = saved;
	}
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: %s\n", why);
		sb_dp_cfg_usage(argv[0]);
		return 2;
	}

	if (dm.cfg.preload != NULL) {
		rc = sb_preload_file(dm.cfg.preload, dm.cfg.max_legs, preload_check, NULL, why,
				     sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: %s\n", why);
			return 2;
		}
	}

	rc = rte_eal_init(sep, argv);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: cannot initialise DPDK EAL: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	n_lcores = rte_lcore_count();
	dm.single = n_lcores == 1;
	dm.n_workers = dm.cfg.workers != 0 ? dm.cfg.workers : dm.single ? 1 : n_lcores - 1;
	if (dm.n_workers > SB_MAX_WORKERS ||
	    (dm.single ? dm.n_workers > 1 : dm.n_workers > n_lcores - 1)) {
		fprintf(stderr,
			"sb-dataplane: --workers %u needs %u lcores (the main one + one per worker); "
			"EAL gave %u\n",
			dm.n_workers, dm.n_workers + 1, n_lcores);
		status = 2;
		goto out_eal;
	}
	dm.span = (uint16_t)(dm.cfg.port_span / dm.n_workers);
	if (dm.span < 2) {
		fprintf(stderr, "sb-dataplane: --port-span %u is too small for %u workers\n",
			dm.cfg.port_span, dm.n_workers);
		status = 2;
		goto out_eal;
	}

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "sb-dataplane: no ethdev port (give one with --vdev)\n");
		goto out_eal;
	}
	if (ports_and_steering(&dm) < 0)
		goto out_port;

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = dm.n_workers;
	sp.max_legs = dm.cfg.max_legs;
	sp.cmd_slots = CMD_SLOTS;
	sp.evt_slots = EVT_SLOTS;
	sp.media_ip = dm.cfg.media_ip;
	memcpy(sp.media_mac, dm.port.mac.addr_bytes, 6);
	sp.port_min = dm.cfg.port_min;
	sp.port_span = dm.span; /* per worker: sb_dp_port_worker() */
	rc = sb_dp_shm_create(&dm.shm, dm.cfg.instance, &sp);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: shared segment for instance '%s': %s\n",
			dm.cfg.instance, strerror(-rc));
		goto out_port;
	}
	dm.shm.hdr->tsc_hz = rte_get_tsc_hz();
	dm.shm.hdr->n_media_addrs = (uint16_t)dm.cfg.media_addrs;
	dm.shm.hdr->steer_mode = dm.steer;
	if (sb_leg_tbl_init(&dm.legs, dm.cfg.max_legs, sb_dp_shm_leg_stats(&dm.shm, 0),
			    dm.port.socket) < 0) {
		fprintf(stderr, "sb-dataplane: leg table (%u legs): out of memory\n",
			dm.cfg.max_legs);
		goto out_shm;
	}
	if (workers_create(&dm) < 0)
		goto out_workers;
	if (dm.cfg.rec_dir != NULL) {
		struct sb_dprec_cfg rcfg = {
			.dir = dm.cfg.rec_dir, .n_workers = dm.n_workers, .max_legs = dm.cfg.max_legs,
			.ring_slots = dm.cfg.rec_ring, .max_recs = dm.cfg.rec_max,
			.segment_s = dm.cfg.rec_segment_s, .o_direct = dm.cfg.rec_direct,
		};

		dm.rec = sb_dprec_create(&rcfg, why, sizeof(why));
		if (dm.rec == NULL) {
			fprintf(stderr, "sb-dataplane: %s\n", why);
			status = 2;
			goto out_workers;
		}
		for (unsigned i = 0; i < dm.n_workers; i++)
			sb_dprec_attach(dm.rec, dm.w[i]);
		/* recovery pass of a crash's .part files, then the loop: a
		 * thread of its own, never a worker lcore */
		rc = sb_dprec_start(dm.rec);
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: recorder thread: %s\n", strerror(-rc));
			goto out_workers;
		}
		printf("sb-dataplane: recording to %s (ring %u frames/worker, %u recordings/worker)\n",
		       dm.cfg.rec_dir, dm.cfg.rec_ring, dm.cfg.rec_max);
	}

	/* Proactive resolution: the gateway first, then each preloaded peer. */
	for (unsigned i = 0; i < dm.n_workers; i++)
		sb_arp_solicit(dm.w[i], dm.cfg.gateway, rte_rdtsc());
	if (dm.cfg.preload != NULL) {
		rc = sb_preload_file(dm.cfg.preload, dm.cfg.max_legs, preload_apply, &dm, why,
				     sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: %s\n", why);
			status = 2;
			goto out_workers;
		}
	}
	dm.tel.shm = &dm.shm;
	dm.tel.punt = dm.single ? NULL : &dm.punt_st;
	if (sb_dp_telemetry_register(&dm.tel) < 0)
		fprintf(stderr, "sb-dataplane: telemetry commands not registered\n");

	inet_ntop(AF_INET, &dm.cfg.media_ip, ipbuf, sizeof(ipbuf));
	if (dm.cfg.gateway != 0)
		inet_ntop(AF_INET, &dm.cfg.gateway, gwbuf, sizeof(gwbuf));
	else
		snprintf(gwbuf, sizeof(gwbuf), "none");
	printf("sb-dataplane: instance %s port %s mac " RTE_ETHER_ADDR_PRT_FMT
	       " media %s/%u gateway %s ports %u..%u %u worker(s), %s mode\n",
	       dm.cfg.instance, dm.port.name, RTE_ETHER_ADDR_BYTES(&dm.port.mac), ipbuf,
	       dm.cfg.prefix_len, gwbuf, dm.cfg.port_min,
	       dm.cfg.port_min + dm.span * dm.n_workers - 1u, dm.n_workers, steer_name(dm.steer));
	if (dm.cfg.media_addrs > 1)
		printf("sb-dataplane: %u media addresses from %s, each with every port\n",
		       dm.cfg.media_addrs, ipbuf);
	for (unsigned i = 0; i < dm.n_workers; i++)
		printf("sb-dataplane: worker %u on lcore %u: ports %u..%u, tx queue %u\n", i,
		       dm.lcore[i], dm.w[i]->port_base, dm.w[i]->port_base + dm.span - 1u, i);
	fflush(stdout);

	if (dm.single) {
		sb_dp_shm_set_state(&dm.shm, SB_DP_READY);
		sb_worker_loop(dm.w[0]);
	} else {
		for (unsigned i = 0; i < dm.n_workers; i++) {
			rc = rte_eal_remote_launch(sb_worker_loop, dm.w[i], dm.lcore[i]);
			if (rc < 0) {
				fprintf(stderr, "sb-dataplane: launch on lcore %u: %s\n",
					dm.lcore[i], strerror(-rc));
				atomic_store(&stop_flag, 1);
				rte_eal_mp_wait_lcore();
				goto out_workers;
			}
		}
		sb_dp_shm_set_state(&dm.shm, SB_DP_READY);
		main_loop(&dm);
		rte_eal_mp_wait_lcore();
		/* Whatever was punted last. */
		sb_punt_drain(dm.punt, dm.n_workers, UINT32_MAX, &dm.punt_st);
		dm.shm.hdr->punt_rx = dm.punt_st.rx;
		dm.shm.hdr->punt_unhandled = dm.punt_st.unhandled;
	}
	status = 0;
	/* open recordings closed and renamed; DONE events on the rings */
	sb_dprec_destroy(dm.rec, dm.w, dm.n_workers, 3000);
	dm.rec = NULL;

	if (dm.cfg.stats_json != NULL) {
		rc = sb_stats_write_json(dm.cfg.stats_json, &dm.shm, dm.port.id);
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: %s: %s\n", dm.cfg.stats_json, strerror(-rc));
			status = 1;
		}
	}

out_workers:
	sb_dprec_destroy(dm.rec, dm.w, dm.n_workers, 3000);
	sb_dp_telemetry_unregister();
	workers_free(&dm);
	sb_leg_tbl_free(&dm.legs);
out_shm:
	sb_dp_shm_detach(&dm.shm, 1); /* state STOPPED, then unlinked */
out_port:
	sb_flow_unsteer(dm.port.id, dm.flows, dm.n_flows);
	sb_port_down(&dm.port);
out_eal:
	rte_eal_cleanup();
	return status;
}
