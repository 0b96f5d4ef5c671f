/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "telemetry.h"

/* rte_telemetry_register_cmd() (DPDK 22.11) passes no user argument to
 * callbacks, so the context has to be reachable from here; it is set once
 * at start and cleared before the segment goes away. */
static const struct sb_dp_telemetry *_Atomic tel_ctx;

static const char *steer_name(uint32_t mode)
{
	switch (mode) {
	case SB_DP_STEER_DIRECT:
		return "direct";
	case SB_DP_STEER_DISPATCH:
		return "dispatch";
	case SB_DP_STEER_FLOW:
		return "flow";
	default:
		return "?";
	}
}

static uint64_t drops_total(const struct sb_worker_stats *s)
{
	uint64_t t = 0;

	for (unsigned r = 0; r < SB_DROP_N; r++)
		t += s->drop[r];
	return t;
}

static uint64_t cycles_per_pkt(const struct sb_worker_stats *s)
{
	return s->rx_pkts != 0 ? s->busy_cycles / s->rx_pkts : 0;
}

static void worker_summary(struct rte_tel_data *d, const struct sb_worker_stats *s)
{
	rte_tel_data_add_dict_u64(d, "rx_pkts", s->rx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_pkts", s->tx_pkts);
	rte_tel_data_add_dict_u64(d, "relayed", s->relayed);
	rte_tel_data_add_dict_u64(d, "punted", s->punted);
	rte_tel_data_add_dict_u64(d, "drops", drops_total(s));
	rte_tel_data_add_dict_u64(d, "legs_active", s->legs_active);
	rte_tel_data_add_dict_u64(d, "busy_cycles", s->busy_cycles);
	rte_tel_data_add_dict_u64(d, "cycles_per_pkt", cycles_per_pkt(s));
	rte_tel_data_add_dict_u64(d, "depth_dispatch", s->depth_dispatch);
	rte_tel_data_add_dict_u64(d, "depth_cmd", s->depth_cmd);
	rte_tel_data_add_dict_u64(d, "depth_evt", s->depth_evt);
	rte_tel_data_add_dict_u64(d, "depth_punt", s->depth_punt);
}

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sb_dp_telemetry *c = atomic_load(&tel_ctx);
	const struct sb_dp_shm_hdr *h;

	(void)cmd;
	(void)params;
	if (c == NULL)
		return -ENODEV;
	h = c->shm->hdr;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", h->generation);
	rte_tel_data_add_dict_u64(d, "n_workers", h->n_workers);
	rte_tel_data_add_dict_string(d, "steer_mode", steer_name(h->steer_mode));
	rte_tel_data_add_dict_u64(d, "port_min", h->port_min);
	rte_tel_data_add_dict_u64(d, "port_span", h->port_span);
	rte_tel_data_add_dict_u64(d, "tsc_hz", h->tsc_hz);
	rte_tel_data_add_dict_u64(d, "disp_rx", h->disp_rx);
	rte_tel_data_add_dict_u64(d, "disp_ring_full", h->disp_ring_full);
	rte_tel_data_add_dict_u64(d, "punt_rx", h->punt_rx);
	for (unsigned w = 0; w < h->n_workers; w++) {
		struct rte_tel_data *wd = rte_tel_data_alloc();
		char name[24];

		if (wd == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(wd);
		worker_summary(wd, sb_dp_shm_worker_stats(c->shm, w));
		snprintf(name, sizeof(name), "worker%u", w);
		rte_tel_data_add_dict_container(d, name, wd, 0); /* d takes wd */
	}
	return 0;
}

static int tel_worker(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sb_dp_telemetry *c = atomic_load(&tel_ctx);
	const struct sb_worker_stats *s;
	char *end;
	unsigned long id;

	(void)cmd;
	if (c == NULL)
		return -ENODEV;
	if (params == NULL || *params < '0' || *params > '9')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id >= c->shm->hdr->n_workers)
		return -EINVAL;
	s = sb_dp_shm_worker_stats(c->shm, (unsigned)id);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "id", id);
	worker_summary(d, s);
	rte_tel_data_add_dict_u64(d, "arp_replies", s->arp_replies);
	rte_tel_data_add_dict_u64(d, "arp_requests", s->arp_requests);
	rte_tel_data_add_dict_u64(d, "cmds", s->cmds);
	rte_tel_data_add_dict_u64(d, "evts_dropped", s->evts_dropped);
	rte_tel_data_add_dict_u64(d, "loops", s->loops);
	rte_tel_data_add_dict_u64(d, "tx_flushes", s->tx_flushes);
	for (unsigned r = 0; r < SB_DROP_N; r++) {
		char name[40];

		snprintf(name, sizeof(name), "drop_%s", sb_drop_name(r));
		rte_tel_data_add_dict_u64(d, name, s->drop[r]);
	}
	return 0;
}

static int tel_legs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sb_dp_telemetry *c = atomic_load(&tel_ctx);
	uint64_t active = 0, rx = 0, rxb = 0, tx = 0, txb = 0, rej = 0, drops = 0;

	(void)cmd;
	(void)params;
	if (c == NULL)
		return -ENODEV;
	/* O(max_legs) on the telemetry thread: fine for a human or a poller at
	 * seconds; per-leg detail stays in the segment (sbctl). */
	for (uint32_t i = 0; i < c->shm->hdr->max_legs; i++) {
		const struct sb_leg_stats *s = sb_dp_shm_leg_stats(c->shm, i);

		if (s->local_port == 0)
			continue;
		active += s->active;
		rx += s->rx_pkts;
		rxb += s->rx_bytes;
		tx += s->tx_pkts;
		txb += s->tx_bytes;
		rej += s->rej_src;
		drops += s->drops;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "max_legs", c->shm->hdr->max_legs);
	rte_tel_data_add_dict_u64(d, "active", active);
	rte_tel_data_add_dict_u64(d, "rx_pkts", rx);
	rte_tel_data_add_dict_u64(d, "rx_bytes", rxb);
	rte_tel_data_add_dict_u64(d, "tx_pkts", tx);
	rte_tel_data_add_dict_u64(d, "tx_bytes", txb);
	rte_tel_data_add_dict_u64(d, "rej_src", rej);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	return 0;
}

static int tel_punt(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sb_dp_telemetry *c = atomic_load(&tel_ctx);

	(void)cmd;
	(void)params;
	if (c == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", c->punt != NULL);
	if (c->punt == NULL)
		return 0;
	rte_tel_data_add_dict_u64(d, "rx", c->punt->rx);
	rte_tel_data_add_dict_u64(d, "unhandled", c->punt->unhandled);
	for (unsigned r = 0; r < SB_DROP_N; r++) {
		char name[40];

		if (c->punt->by_reason[r] == 0)
			continue;
		snprintf(name, sizeof(name), "reason_%s", sb_drop_name(r));
		rte_tel_data_add_dict_u64(d, name, c->punt->by_reason[r]);
	}
	return 0;
}

int sb_dp_telemetry_register(const struct sb_dp_telemetry *ctx)
{
	static int registered;
	int rc = 0;

	atomic_store(&tel_ctx, ctx);
	if (registered)
		return 0;
	rc |= rte_telemetry_register_cmd("/sb/workers", tel_workers,
					 "Steering mode, dispatcher and per-worker summary");
	rc |= rte_telemetry_register_cmd("/sb/worker", tel_worker,
					 "One worker's counters and drops by reason. Parameters: int worker id");
	rc |= rte_telemetry_register_cmd("/sb/legs", tel_legs, "Totals over all legs");
	rc |= rte_telemetry_register_cmd("/sb/punt", tel_punt, "Slow path: punted packets by reason");
	registered = 1;
	return rc != 0 ? -EINVAL : 0;
}

void sb_dp_telemetry_unregister(void)
{
	atomic_store(&tel_ctx, NULL);
}
