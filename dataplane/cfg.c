/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

enum {
	OPT_INSTANCE = 256, OPT_MEDIA_IP, OPT_PREFIX_LEN, OPT_GATEWAY, OPT_MAX_LEGS,
	OPT_PORT_MIN, OPT_PORT_SPAN, OPT_IDLE_US, OPT_PRELOAD, OPT_EXIT_IDLE_MS,
	OPT_STATS_JSON, OPT_ARP_RETRY_MS, OPT_ARP_TTL_S, OPT_WORKERS, OPT_TX_DRAIN_US,
	OPT_NO_FLOW, OPT_MEDIA_ADDRS, OPT_HELP,
	OPT_REC_DIR, OPT_REC_RING, OPT_REC_MAX, OPT_REC_SEGMENT_S, OPT_REC_DIRECT,
	OPT_MEDIA_LEGS, OPT_CONFS, OPT_PROMPTS,
};

static const struct option long_opts[] = {
	{"instance", required_argument, NULL, OPT_INSTANCE},
	{"media-ip", required_argument, NULL, OPT_MEDIA_IP},
	{"prefix-len", required_argument, NULL, OPT_PREFIX_LEN},
	{"gateway", required_argument, NULL, OPT_GATEWAY},
	{"max-legs", required_argument, NULL, OPT_MAX_LEGS},
	{"port-min", required_argument, NULL, OPT_PORT_MIN},
	{"port-span", required_argument, NULL, OPT_PORT_SPAN},
	{"idle-us", required_argument, NULL, OPT_IDLE_US},
	{"preload", required_argument, NULL, OPT_PRELOAD},
	{"exit-idle-ms", required_argument, NULL, OPT_EXIT_IDLE_MS},
	{"stats-json", required_argument, NULL, OPT_STATS_JSON},
	{"arp-retry-ms", required_argument, NULL, OPT_ARP_RETRY_MS},
	{"arp-ttl-s", required_argument, NULL, OPT_ARP_TTL_S},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"tx-drain-us", required_argument, NULL, OPT_TX_DRAIN_US},
	{"no-flow", no_argument, NULL, OPT_NO_FLOW},
	{"media-addrs", required_argument, NULL, OPT_MEDIA_ADDRS},
	{"media-legs", required_argument, NULL, OPT_MEDIA_LEGS},
	{"confs", required_argument, NULL, OPT_CONFS},
	{"prompts", required_argument, NULL, OPT_PROMPTS},
	{"help", no_argument, NULL, OPT_HELP},
	{"rec-dir", required_argument, NULL, OPT_REC_DIR},
	{"rec-ring", required_argument, NULL, OPT_REC_RING},
	{"rec-max", required_argument, NULL, OPT_REC_MAX},
	{"rec-segment-s", required_argument, NULL, OPT_REC_SEGMENT_S},
	{"rec-direct", no_argument, NULL, OPT_REC_DIRECT},
	{NULL, 0, NULL, 0},
};

void sb_dp_cfg_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL args] -- --instance NAME --media-ip A.B.C.D --prefix-len N\n"
		"         [--gateway A.B.C.D] [--max-legs N (65536)] [--port-min P (20000)]\n"
		"         [--port-span S (10000)] [--idle-us N (0 = poll)] [--preload FILE]\n"
		"         [--exit-idle-ms N] [--stats-json FILE] [--arp-retry-ms N (100)]\n"
		"         [--arp-ttl-s N (300)] [--workers N (one per lcore after the first)]\n"
		"         [--tx-drain-us N (100)] [--no-flow (dispatch even if rte_flow works)]\n"
		"         [--media-addrs N (1)]\n"
		"         [--media-legs N per worker (256)] [--confs N per worker (16)] [--prompts N (64)]\n"
		"         [--rec-dir DIR (recording off without)] [--rec-ring N frames/worker (4096)]\n"
		"         [--rec-max N recordings/worker (256)] [--rec-segment-s N (60)] [--rec-direct]\n"
		"  --port-span is the whole range, split evenly between the workers.\n"
		"  --media-addrs: the media addresses are --media-ip and the N - 1 after it\n"
		"  (same subnet); each holds the whole port range, so legs = N x ports.\n",
		prog);
}

/* Decimal only, whole string, within [lo, hi]. */
static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

#define BAD(...) do { snprintf(why, why_len, __VA_ARGS__); return -EINVAL; } while (0)

int sb_dp_cfg_parse(struct sb_dp_cfg *c, int argc, char **argv, char *why, size_t why_len)
{
	uint32_t v;
	int opt;
	int have_ip = 0, have_prefix = 0;

	memset(c, 0, sizeof(*c));
	c->max_legs = 65536;
	c->port_min = 20000;
	c->port_span = 10000;
	c->arp_retry_ms = 100;
	c->arp_ttl_s = 300;
	c->tx_drain_us = 100;
	c->media_addrs = 1;
	c->media_legs = 256; /* SB_DPM_DEF_* (dpmedia.h) */
	c->confs = 16;
	c->prompts = 64;
	c->rec_ring = 4096;
	c->rec_max = 256;
	c->rec_segment_s = 60;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_INSTANCE:
			c->instance = optarg;
			break;
		case OPT_MEDIA_IP:
			if (parse_ip(optarg, &c->media_ip) < 0 || c->media_ip == 0)
				BAD("--media-ip: '%s' is not an IPv4 address", optarg);
			have_ip = 1;
			break;
		case OPT_PREFIX_LEN:
			if (parse_u32(optarg, 1, 32, &c->prefix_len) < 0)
				BAD("--prefix-len: '%s' is not in 1..32", optarg);
			have_prefix = 1;
			break;
		case OPT_GATEWAY:
			if (parse_ip(optarg, &c->gateway) < 0 || c->gateway == 0)
				BAD("--gateway: '%s' is not an IPv4 address", optarg);
			break;
		case OPT_MAX_LEGS:
			if (parse_u32(optarg, 2, 1u << 24, &c->max_legs) < 0)
				BAD("--max-legs: '%s' is not in 2..16777216", optarg);
			break;
		case OPT_PORT_MIN:
			if (parse_u32(optarg, 1, 65535, &v) < 0)
				BAD("--port-min: '%s' is not in 1..65535", optarg);
			c->port_min = (uint16_t)v;
			break;
		case OPT_PORT_SPAN:
			if (parse_u32(optarg, 1, 65535, &v) < 0)
				BAD("--port-span: '%s' is not in 1..65535", optarg);
			c->port_span = (uint16_t)v;
			break;
		case OPT_IDLE_US:
			if (parse_u32(optarg, 0, 1000000, &c->idle_us) < 0)
				BAD("--idle-us: '%s' is not in 0..1000000", optarg);
			break;
		case OPT_PRELOAD:
			c->preload = optarg;
			break;
		case OPT_EXIT_IDLE_MS:
			if (parse_u32(optarg, 0, 86400000, &c->exit_idle_ms) < 0)
				BAD("--exit-idle-ms: '%s' is not in 0..86400000", optarg);
			break;
		case OPT_STATS_JSON:
			c->stats_json = optarg;
			break;
		case OPT_ARP_RETRY_MS:
			if (parse_u32(optarg, 1, 3600000, &c->arp_retry_ms) < 0)
				BAD("--arp-retry-ms: '%s' is not in 1..3600000", optarg);
			break;
		case OPT_ARP_TTL_S:
			if (parse_u32(optarg, 1, 86400, &c->arp_ttl_s) < 0)
				BAD("--arp-ttl-s: '%s' is not in 1..86400", optarg);
			break;
		case OPT_WORKERS:
			if (parse_u32(optarg, 1, 16, &c->workers) < 0)
				BAD("--workers: '%s' is not in 1..16", optarg);
			break;
		case OPT_TX_DRAIN_US:
			if (parse_u32(optarg, 1, 100000, &c->tx_drain_us) < 0)
				BAD("--tx-drain-us: '%s' is not in 1..100000", optarg);
			break;
		case OPT_NO_FLOW:
			c->no_flow = 1;
			break;
		case OPT_MEDIA_ADDRS:
			if (parse_u32(optarg, 1, SB_DP_MEDIA_ADDRS_MAX, &c->media_addrs) < 0)
				BAD("--media-addrs: '%s' is not in 1..%u", optarg,
				    SB_DP_MEDIA_ADDRS_MAX);
			break;
		case OPT_MEDIA_LEGS:
			if (parse_u32(optarg, 1, 1u << 20, &c->media_legs) < 0)
				BAD("--media-legs: '%s' is not in 1..%u", optarg, 1u << 20);
			break;
		case OPT_CONFS:
			if (parse_u32(optarg, 1, 1u << 16, &c->confs) < 0)
				BAD("--confs: '%s' is not in 1..%u", optarg, 1u << 16);
			break;
		case OPT_PROMPTS:
			if (parse_u32(optarg, 1, 1u << 16, &c->prompts) < 0)
				BAD("--prompts: '%s' is not in 1..%u", optarg, 1u << 16);
			break;
		case OPT_REC_DIR:
			c->rec_dir = optarg;
			break;
		case OPT_REC_RING:
			if (parse_u32(optarg, 2, 1u << 20, &c->rec_ring) < 0 ||
			    (c->rec_ring & (c->rec_ring - 1)) != 0)
				BAD("--rec-ring: '%s' is not a power of two in 2..1048576", optarg);
			break;
		case OPT_REC_MAX:
			if (parse_u32(optarg, 1, 65536, &c->rec_max) < 0)
				BAD("--rec-max: '%s' is not in 1..65536", optarg);
			break;
		case OPT_REC_SEGMENT_S:
			if (parse_u32(optarg, 1, 3600, &c->rec_segment_s) < 0)
				BAD("--rec-segment-s: '%s' is not in 1..3600", optarg);
			break;
		case OPT_REC_DIRECT:
			c->rec_direct = 1;
			break;
		case OPT_HELP:
			sb_dp_cfg_usage(argv[0]);
			return 1;
		case ':':
			BAD("option %s needs a value", argv[optind - 1]);
		default:
			BAD("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		BAD("unexpected argument '%s'", argv[optind]);
	if (c->instance == NULL)
		BAD("--instance is required");
	if (!have_ip)
		BAD("--media-ip is required");
	if (!have_prefix)
		BAD("--prefix-len is required");
	if ((uint32_t)c->port_min + c->port_span > 65536u)
		BAD("--port-min %u + --port-span %u goes past 65535", c->port_min, c->port_span);
	c->netmask = htonl(c->prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> c->prefix_len));
	if (c->gateway != 0 && (c->gateway & c->netmask) != (c->media_ip & c->netmask))
		BAD("--gateway is not inside the media subnet (/%u)", c->prefix_len);
	if (((ntohl(c->media_ip) + c->media_addrs - 1u) ^ ntohl(c->media_ip)) & ntohl(c->netmask))
		BAD("--media-addrs %u: the last address leaves the media subnet (/%u)",
		    c->media_addrs, c->prefix_len);
	if (c->gateway != 0 && ntohl(c->gateway) - ntohl(c->media_ip) < c->media_addrs)
		BAD("--gateway is one of the media addresses");
	return 0;
}
