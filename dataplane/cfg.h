/* SPDX-License-Identifier: MIT */
/*
 * cfg.h — sb-dataplane command line (the part after EAL's "--").
 * Plain C, no DPDK: parsed before rte_eal_init() so that a usage error
 * never needs root or hugepages.
 */
#ifndef SB_DP_CFG_H
#define SB_DP_CFG_H

#include <stddef.h>
#include <stdint.h>

struct sb_dp_cfg {
	const char *instance;   /* shm segment /dev/shm/switchboard.<instance> */
	uint32_t media_ip;      /* network order */
	uint32_t prefix_len;    /* 1..32 */
	uint32_t netmask;       /* network order, from prefix_len */
	uint32_t gateway;       /* network order; 0 = none (on-link peers only) */
	uint32_t max_legs;      /* leg indexes 0..max_legs-1 */
	uint16_t port_min;      /* first local UDP port */
	uint16_t port_span;     /* all workers' ports; each owns port_span / workers */
	uint32_t idle_us;       /* sleep when an iteration received nothing; 0 = poll */
	uint32_t exit_idle_ms;  /* exit after that long without RX; 0 = never */
	uint32_t arp_retry_ms;  /* min gap between ARP requests for one next hop */
	uint32_t arp_ttl_s;     /* neighbour entries age out after this */
	const char *preload;    /* legs file applied before RX starts; NULL = none */
	const char *stats_json; /* written at exit; NULL = none */
	uint32_t workers;       /* 0 = one per EAL lcore after the first (at least 1) */
	uint32_t tx_drain_us;   /* TX buffer drain period */
	uint32_t no_flow;       /* 1: never try rte_flow steering */
	uint32_t media_addrs;   /* media_ip and the media_addrs - 1 after it (1..SB_DP_MEDIA_ADDRS_MAX) */
	const char *rec_dir;    /* recordings (issue 7); NULL = recording off (-ENOTSUP) */
	uint32_t rec_ring;      /* record ring frames per worker (power of two) */
	uint32_t rec_max;       /* recordings open at once per worker */
	uint32_t rec_segment_s; /* default durability segment */
	uint32_t rec_direct;    /* 1: O_DIRECT recording files */
	uint32_t media_legs;    /* media contexts per worker (SRTP, DTMF, prompts) */
	uint32_t confs;         /* conferences per worker */
	uint32_t prompts;       /* prompt ids 0..prompts-1, shared by the workers */
};

/* Media addresses per dataplane (sb_leg.addr is 8 bits). */
#define SB_DP_MEDIA_ADDRS_MAX 64u

/* Parse app arguments (argv[0] is the program name, as for getopt).
 * Returns 0, 1 when --help was asked (usage printed), or -EINVAL with a
 * message in why. */
int sb_dp_cfg_parse(struct sb_dp_cfg *c, int argc, char **argv, char *why, size_t why_len);

void sb_dp_cfg_usage(const char *prog);

#endif /* SB_DP_CFG_H */
