/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "stats.h"

static void ip_str(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = {.s_addr = ip};

	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

static void write_worker(FILE *f, unsigned id, const struct sb_worker_stats *s)
{
	fprintf(f,
		"    {\"id\": %u, \"rx_pkts\": %" PRIu64 ", \"tx_pkts\": %" PRIu64
		", \"relayed\": %" PRIu64 ", \"arp_replies\": %" PRIu64
		", \"arp_requests\": %" PRIu64 ", \"cmds\": %" PRIu64
		", \"evts_dropped\": %" PRIu64 ", \"busy_cycles\": %" PRIu64
		", \"loops\": %" PRIu64 ", \"legs_active\": %" PRIu64 ",\n     \"punted\": %" PRIu64
		", \"tx_flushes\": %" PRIu64 ", \"cycles_per_pkt\": %" PRIu64
		", \"depth_dispatch\": %u, \"depth_cmd\": %u, \"depth_evt\": %u"
		", \"depth_punt\": %u,\n     \"drop\": {",
		id, s->rx_pkts, s->tx_pkts, s->relayed, s->arp_replies, s->arp_requests, s->cmds,
		s->evts_dropped, s->busy_cycles, s->loops, s->legs_active, s->punted, s->tx_flushes,
		s->rx_pkts != 0 ? s->busy_cycles / s->rx_pkts : 0, s->depth_dispatch, s->depth_cmd,
		s->depth_evt, s->depth_punt);
	for (unsigned r = 0; r < SB_DROP_N; r++)
		fprintf(f, "%s\"%s\": %" PRIu64, r ? ", " : "", sb_drop_name(r), s->drop[r]);
	fprintf(f, "}}");
}

static void write_leg(FILE *f, uint32_t idx, const struct sb_leg_stats *s)
{
	char ip[INET_ADDRSTRLEN];

	ip_str(s->peer_ip, ip, sizeof(ip));
	fprintf(f,
		"    {\"leg\": %" PRIu32 ", \"gen\": %" PRIu32 ", \"active\": %" PRIu32
		", \"local_port\": %u, \"peer\": \"%s:%u\", \"rx_pkts\": %" PRIu64
		", \"rx_bytes\": %" PRIu64 ", \"tx_pkts\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
		", \"rej_src\": %" PRIu64 ", \"drops\": %" PRIu64 ", \"last_rx_ns\": %" PRIu64 ",",
		idx, s->leg_gen, s->active, s->local_port, ip, s->peer_port, s->rx_pkts,
		s->rx_bytes, s->tx_pkts, s->tx_bytes, s->rej_src, s->drops, s->last_rx_ns);
	/* ABI 2: RFC 3550 receive statistics, RTCP, re-anchoring, timeouts */
	fprintf(f,
		"\n     \"ssrc\": %" PRIu32 ", \"ext_max_seq\": %" PRIu32 ", \"cycles\": %" PRIu32
		", \"base_seq\": %" PRIu32 ", \"expected\": %" PRIu32 ", \"received\": %" PRIu32
		", \"lost\": %" PRId32 ", \"fraction_lost\": %u, \"jitter\": %" PRIu32
		", \"clock_hz\": %" PRIu32 ", \"latch_state\": %u, \"rtcp_mux\": %u"
		", \"rtcp_peer_port\": %u,\n     \"rtcp_rx_pkts\": %" PRIu64 ", \"sr_rx\": %" PRIu32
		", \"rr_blocks_rx\": %" PRIu32 ", \"remote_fraction_lost\": %u"
		", \"remote_lost\": %" PRId32 ", \"remote_jitter\": %" PRIu32 ", \"rtt_us\": %" PRIu32
		", \"out_ssrc\": %" PRIu32 ", \"reanchors\": %" PRIu64 ", \"timeouts\": %" PRIu64 "}",
		s->ssrc, s->ext_max_seq, s->cycles, s->base_seq, s->expected, s->received, s->lost,
		s->fraction_lost, s->jitter, s->clock_hz, s->latch_state, s->rtcp_mux,
		s->rtcp_peer_port, s->rtcp_rx_pkts, s->sr_rx, s->rr_blocks_rx,
		s->remote_fraction_lost, s->remote_lost, s->remote_jitter, s->rtt_us, s->out_ssrc,
		s->reanchors, s->timeouts);
}

int sb_stats_write_json(const char *path, const struct sb_dp_shm *shm, uint16_t port_id)
{
	const struct sb_dp_shm_hdr *h = shm->hdr;
	struct rte_eth_stats ps;
	char tmp[4096];
	FILE *f;
	int first = 1, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	memset(&ps, 0, sizeof(ps));
	rte_eth_stats_get(port_id, &ps);
	fprintf(f, "{\n  \"generation\": %" PRIu64 ",\n", h->generation);
	fprintf(f,
		"  \"steer_mode\": %u, \"port_min\": %u, \"port_span\": %u, \"tsc_hz\": %" PRIu64
		",\n  \"disp_rx\": %" PRIu64 ", \"disp_ring_full\": %" PRIu64
		", \"punt_rx\": %" PRIu64 ", \"punt_unhandled\": %" PRIu64 ",\n",
		h->steer_mode, h->port_min, h->port_span, h->tsc_hz, h->disp_rx, h->disp_ring_full,
		h->punt_rx, h->punt_unhandled);
	fprintf(f,
		"  \"port\": {\"ipackets\": %" PRIu64 ", \"opackets\": %" PRIu64
		", \"imissed\": %" PRIu64 ", \"ierrors\": %" PRIu64 ", \"oerrors\": %" PRIu64
		", \"rx_nombuf\": %" PRIu64 "},\n",
		ps.ipackets, ps.opackets, ps.imissed, ps.ierrors, ps.oerrors, ps.rx_nombuf);
	fprintf(f, "  \"workers\": [\n");
	for (unsigned w = 0; w < h->n_workers; w++) {
		write_worker(f, w, sb_dp_shm_worker_stats(shm, w));
		fprintf(f, "%s\n", w + 1 < h->n_workers ? "," : "");
	}
	fprintf(f, "  ],\n  \"legs\": [\n");
	for (uint32_t i = 0; i < h->max_legs; i++) {
		const struct sb_leg_stats *s = sb_dp_shm_leg_stats(shm, i);

		if (s->local_port == 0) /* never added */
			continue;
		if (!first)
			fprintf(f, ",\n");
		write_leg(f, i, s);
		first = 0;
	}
	fprintf(f, "%s  ]\n}\n", first ? "" : "\n");
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		remove(tmp);
	return rc;
}
