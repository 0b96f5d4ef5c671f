/* SPDX-License-Identifier: MIT */
/*
 * sb-dataplane — DPDK media relay.  main: arguments, EAL, port, shared
 * segment, worker launch, heartbeat, orderly stop.
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
#include "legs.h"
#include "port.h"
#include "preload.h"
#include "stats.h"
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

/* --preload callback: apply through the same path as ring commands. */
static int preload_apply(void *ctx, unsigned line, const union sb_msg *cmd, char *why,
			 size_t why_len)
{
	struct sb_worker *w = ctx;
	union sb_msg m = *cmd;
	int rc;

	(void)line;
	if (m.h.type == SB_CMD_LEG_CONNECT) {
		if (m.h.leg < w->legs->max)
			m.connect.h.leg_gen = w->legs->leg[m.h.leg].gen;
		if (m.connect.leg_b < w->legs->max)
			m.connect.leg_b_gen = w->legs->leg[m.connect.leg_b].gen;
	}
	rc = sb_legs_apply(w, &m);
	switch (rc) {
	case 0:
		w->st->cmds++;
		break;
	case -ERANGE:
		snprintf(why, why_len, "local port %u outside this worker's range %u..%u",
			 m.leg.local_port, w->port_base, w->port_base + w->port_span - 1u);
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

static void heartbeat_loop(struct sb_dp_shm *shm)
{
	uint64_t next = 0;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		uint64_t now = sb_now_ns();

		if (now >= next) {
			atomic_store_explicit(&shm->hdr->heartbeat_ns, now, memory_order_relaxed);
			next = now + 100000000u;
		}
		sleep_ms(10);
	}
}

int main(int argc, char **argv)
{
	struct sb_dp_cfg cfg;
	struct sb_dp_shm shm;
	struct sb_dp_shm_params sp;
	struct sb_port port;
	struct sb_leg_tbl legs;
	struct sb_worker_params wp;
	struct sb_worker *w;
	char why[512];
	char ipbuf[INET_ADDRSTRLEN], gwbuf[INET_ADDRSTRLEN];
	unsigned wlcore;
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
		rc = sb_dp_cfg_parse(&cfg, argc - sep, argv + sep, why, sizeof(why));
		argv[sep] = saved;
	}
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: %s\n", why);
		sb_dp_cfg_usage(argv[0]);
		return 2;
	}

	if (cfg.preload != NULL) {
		rc = sb_preload_file(cfg.preload, cfg.max_legs, preload_check, NULL, why,
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

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "sb-dataplane: no ethdev port (give one with --vdev)\n");
		goto out_eal;
	}
	if (sb_port_up(&port, 0, 1) < 0)
		goto out_eal;

	memset(&sp, 0, sizeof(sp));
	sp.n_workers = 1;
	sp.max_legs = cfg.max_legs;
	sp.cmd_slots = CMD_SLOTS;
	sp.evt_slots = EVT_SLOTS;
	sp.media_ip = cfg.media_ip;
	memcpy(sp.media_mac, port.mac.addr_bytes, 6);
	sp.port_min = cfg.port_min;
	sp.port_span = cfg.port_span;
	rc = sb_dp_shm_create(&shm, cfg.instance, &sp);
	if (rc < 0) {
		fprintf(stderr, "sb-dataplane: shared segment for instance '%s': %s\n",
			cfg.instance, strerror(-rc));
		goto out_port;
	}
	if (sb_leg_tbl_init(&legs, cfg.max_legs, sb_dp_shm_leg_stats(&shm, 0), port.socket) < 0) {
		fprintf(stderr, "sb-dataplane: leg table (%u legs): out of memory\n", cfg.max_legs);
		goto out_shm;
	}

	wlcore = rte_get_next_lcore((unsigned)-1, 1, 0);
	memset(&wp, 0, sizeof(wp));
	wp.id = 0;
	wp.port_id = port.id;
	wp.queue = 0;
	wp.pool = port.pool;
	wp.mac = port.mac;
	wp.media_ip = cfg.media_ip;
	wp.netmask = cfg.netmask;
	wp.gateway = cfg.gateway;
	wp.port_base = cfg.port_min;
	wp.port_span = cfg.port_span;
	wp.idle_us = cfg.idle_us;
	wp.exit_idle_ms = cfg.exit_idle_ms;
	wp.arp_retry_ms = cfg.arp_retry_ms;
	wp.arp_ttl_s = cfg.arp_ttl_s;
	wp.cmd = sb_dp_shm_cmd_ring(&shm, 0);
	wp.evt = sb_dp_shm_evt_ring(&shm, 0);
	wp.st = sb_dp_shm_worker_stats(&shm, 0);
	wp.legs = &legs;
	wp.stop = &stop_flag;
	wp.heartbeat = wlcore >= RTE_MAX_LCORE ? &shm.hdr->heartbeat_ns : NULL;
	w = sb_worker_create(&wp);
	if (w == NULL)
		goto out_legs;

	/* Proactive resolution: the gateway first, then each preloaded peer. */
	sb_arp_solicit(w, cfg.gateway, rte_rdtsc());
	if (cfg.preload != NULL) {
		rc = sb_preload_file(cfg.preload, cfg.max_legs, preload_apply, w, why, sizeof(why));
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: %s\n", why);
			status = 2;
			goto out_worker;
		}
	}

	inet_ntop(AF_INET, &cfg.media_ip, ipbuf, sizeof(ipbuf));
	if (cfg.gateway != 0)
		inet_ntop(AF_INET, &cfg.gateway, gwbuf, sizeof(gwbuf));
	else
		snprintf(gwbuf, sizeof(gwbuf), "none");
	printf("sb-dataplane: instance %s port %s mac " RTE_ETHER_ADDR_PRT_FMT
	       " media %s/%u gateway %s ports %u..%u worker lcore %u\n",
	       cfg.instance, port.name, RTE_ETHER_ADDR_BYTES(&port.mac), ipbuf, cfg.prefix_len,
	       gwbuf, cfg.port_min, cfg.port_min + cfg.port_span - 1u,
	       wlcore < RTE_MAX_LCORE ? wlcore : rte_lcore_id());
	fflush(stdout);

	if (wlcore < RTE_MAX_LCORE) {
		rc = rte_eal_remote_launch(sb_worker_loop, w, wlcore);
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: launch on lcore %u: %s\n", wlcore,
				strerror(-rc));
			goto out_worker;
		}
		sb_dp_shm_set_state(&shm, SB_DP_READY);
		heartbeat_loop(&shm);
		rte_eal_mp_wait_lcore();
	} else {
		sb_dp_shm_set_state(&shm, SB_DP_READY);
		sb_worker_loop(w);
	}
	status = 0;

	if (cfg.stats_json != NULL) {
		rc = sb_stats_write_json(cfg.stats_json, &shm, port.id);
		if (rc < 0) {
			fprintf(stderr, "sb-dataplane: %s: %s\n", cfg.stats_json, strerror(-rc));
			status = 1;
		}
	}

out_worker:
	sb_worker_free(w);
out_legs:
	sb_leg_tbl_free(&legs);
out_shm:
	sb_dp_shm_detach(&shm, 1); /* state STOPPED, then unlinked */
out_port:
	sb_port_down(&port);
out_eal:
	rte_eal_cleanup();
	return status;
}
