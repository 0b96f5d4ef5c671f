/* SPDX-License-Identifier: MIT */
/*
 * sbctl — look into a running dataplane through its shm segment.
 *
 *   sbctl --instance NAME stats     one JSON object: segment, workers, active legs
 *   sbctl --instance NAME leg IDX   one leg's counters (active or not)
 *
 * Read-only: sbctl never touches the rings (control is their only producer
 * and consumer).  Exit 1 when the segment is missing or not ready, 2 on
 * usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb/dp_shm.h"

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *ip_str(uint32_t ip_be)
{
	const uint8_t *o = (const uint8_t *)&ip_be;
	char s[16];

	snprintf(s, sizeof(s), "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
	return json_string(s);
}

static json_t *leg_json(uint32_t idx, const volatile struct sb_leg_stats *l)
{
	const uint8_t *o;
	uint32_t ip = l->peer_ip;
	char peer[32];

	o = (const uint8_t *)&ip;
	snprintf(peer, sizeof(peer), "%u.%u.%u.%u:%u", o[0], o[1], o[2], o[3], l->peer_port);
	json_t *j = json_pack("{s:I, s:b, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
			      "idx", (json_int_t)idx, "active", l->active != 0,
			      "leg_gen", (json_int_t)l->leg_gen,
			      "local_port", (json_int_t)l->local_port,
			      "peer", peer, "rx_pkts", u64(l->rx_pkts), "tx_pkts", u64(l->tx_pkts),
			      "rx_bytes", u64(l->rx_bytes), "tx_bytes", u64(l->tx_bytes),
			      "rej_src", u64(l->rej_src), "drops", u64(l->drops));

	/* RFC 3550 receive statistics and what the peer reports (ABI 2) */
	json_object_set_new(j, "rtp", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
		"ssrc", (json_int_t)l->ssrc, "ext_max_seq", (json_int_t)l->ext_max_seq,
		"expected", (json_int_t)l->expected, "received", (json_int_t)l->received,
		"lost", (json_int_t)l->lost, "fraction_lost", (json_int_t)l->fraction_lost,
		"jitter", (json_int_t)l->jitter, "clock_hz", (json_int_t)l->clock_hz,
		"remote_fraction_lost", (json_int_t)l->remote_fraction_lost,
		"remote_lost", (json_int_t)l->remote_lost, "remote_jitter", (json_int_t)l->remote_jitter,
		"rtt_us", (json_int_t)l->rtt_us, "latch_state", (json_int_t)l->latch_state,
		"rtcp_rx_pkts", u64(l->rtcp_rx_pkts), "reanchors", u64(l->reanchors),
		"timeouts", u64(l->timeouts)));
	return j;
}

static const char *state_name(uint32_t st)
{
	switch (st) {
	case SB_DP_INIT: return "init";
	case SB_DP_READY: return "ready";
	case SB_DP_STOPPED: return "stopped";
	default: return "?";
	}
}

static json_t *stats_json(const struct sb_dp_shm *s, const char *instance)
{
	const struct sb_dp_shm_hdr *h = s->hdr;
	uint64_t now = sb_now_ns(), hb = h->heartbeat_ns;
	json_t *root, *workers = json_array(), *legs = json_array();
	char mac[24], gen[24];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", h->media_mac[0],
		 h->media_mac[1], h->media_mac[2], h->media_mac[3], h->media_mac[4],
		 h->media_mac[5]);
	snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)h->generation);
	for (unsigned w = 0; w < h->n_workers; w++) {
		const struct sb_worker_stats *ws = sb_dp_shm_worker_stats(s, w);
		json_t *drops = json_object();

		for (unsigned d = 0; d < SB_DROP_N; d++)
			if (ws->drop[d])
				json_object_set_new(drops, sb_drop_name(d), u64(ws->drop[d]));
		json_array_append_new(workers,
			json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				  "id", (json_int_t)w,
				  "port_min", (json_int_t)(h->port_min + w * h->port_span),
				  "port_max", (json_int_t)(h->port_min + (w + 1) * h->port_span - 1),
				  "rx", u64(ws->rx_pkts), "tx", u64(ws->tx_pkts),
				  "relayed", u64(ws->relayed), "arp_replies", u64(ws->arp_replies),
				  "arp_requests", u64(ws->arp_requests), "cmds", u64(ws->cmds),
				  "evts_dropped", u64(ws->evts_dropped),
				  "legs_active", u64(ws->legs_active), "drops", drops));
	}
	for (uint32_t i = 0; i < h->max_legs; i++) {
		const struct sb_leg_stats *l = sb_dp_shm_leg_stats(s, i);
		if (l->active)
			json_array_append_new(legs, leg_json(i, l));
	}
	root = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:o, s:s, s:I, s:I}, s:I, s:o, s:o}",
			 "instance", instance, "generation", gen,
			 "state", state_name(h->state), "dp_pid", (json_int_t)h->dp_pid,
			 "heartbeat_age_ms", (json_int_t)(now > hb ? (now - hb) / 1000000 : 0),
			 "media", "ip", ip_str(h->media_ip), "mac", mac,
			 "port_min", (json_int_t)h->port_min,
			 "port_max", (json_int_t)(h->port_min + h->n_workers * h->port_span - 1),
			 "max_legs", (json_int_t)h->max_legs, "workers", workers, "legs", legs);
	return root;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sbctl --instance NAME stats\n"
		   "       sbctl --instance NAME leg IDX\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instance", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *instance = NULL;
	struct sb_dp_shm s;
	char why[256];
	json_t *out;
	int o, rc;

	while ((o = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (o) {
		case 'i': instance = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (instance == NULL || optind >= argc) {
		usage(stderr);
		return 2;
	}
	rc = sb_dp_shm_attach(&s, instance, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "sbctl: cannot attach to dataplane '%s': %s\n", instance, why);
		return 1;
	}
	if (strcmp(argv[optind], "stats") == 0 && optind + 1 == argc) {
		out = stats_json(&s, instance);
	} else if (strcmp(argv[optind], "leg") == 0 && optind + 2 == argc) {
		char *end;
		unsigned long idx = strtoul(argv[optind + 1], &end, 10);

		if (*argv[optind + 1] == '\0' || *end || idx >= s.hdr->max_legs) {
			fprintf(stderr, "sbctl: leg index must be 0..%u\n", s.hdr->max_legs - 1);
			sb_dp_shm_detach(&s, 0);
			return 2;
		}
		out = leg_json((uint32_t)idx, sb_dp_shm_leg_stats(&s, (uint32_t)idx));
	} else {
		usage(stderr);
		sb_dp_shm_detach(&s, 0);
		return 2;
	}
	sb_dp_shm_detach(&s, 0);
	if (out == NULL) {
		fprintf(stderr, "sbctl: cannot build JSON\n");
		return 1;
	}
	json_dumpf(out, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(out);
	return 0;
}
