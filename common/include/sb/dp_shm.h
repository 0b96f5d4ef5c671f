/* SPDX-License-Identifier: MIT */
/*
 * sb/dp_shm.h — create (dataplane) and attach (control) the shared segment
 * /dev/shm/switchboard.<instance> described in sb/dp_abi.h.
 */
#ifndef SB_DP_SHM_H
#define SB_DP_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "sb/dp_abi.h"

struct sb_dp_shm {
	struct sb_dp_shm_hdr *hdr; /* NULL when not mapped */
	size_t size;
	char name[64];             /* "/switchboard.<instance>" */
};

struct sb_dp_shm_params {
	uint32_t n_workers; /* 1..SB_MAX_WORKERS */
	uint32_t max_legs;  /* >= 2 */
	uint32_t cmd_slots; /* power of two */
	uint32_t evt_slots; /* power of two */
	uint32_t media_ip;  /* network order */
	uint8_t media_mac[6];
	uint16_t port_min;
	uint16_t port_span;
};

/* Dataplane: unlink any old segment of that instance, create and map a new
 * one, initialise rings and counters, pick a new generation.  The state is
 * left SB_DP_INIT: call sb_dp_shm_set_ready() once workers run.
 * Returns 0, -EINVAL (bad params or instance name) or -errno from shm/mmap. */
int sb_dp_shm_create(struct sb_dp_shm *s, const char *instance,
		     const struct sb_dp_shm_params *p);

/* Control: map an existing segment and check magic, ABI and every size.
 * Returns 0, -ENOENT (no segment), -EAGAIN (being created, or not READY),
 * -EPROTO (ABI or layout mismatch: the message says which) or -errno. */
int sb_dp_shm_attach(struct sb_dp_shm *s, const char *instance,
		     char *why, size_t why_len);

/* Unmap (both sides).  Dataplane callers also pass unlink=1 on clean exit. */
void sb_dp_shm_detach(struct sb_dp_shm *s, int unlink_it);

void sb_dp_shm_set_state(struct sb_dp_shm *s, enum sb_dp_state st);

struct sb_ring *sb_dp_shm_cmd_ring(const struct sb_dp_shm *s, unsigned worker);
struct sb_ring *sb_dp_shm_evt_ring(const struct sb_dp_shm *s, unsigned worker);
struct sb_worker_stats *sb_dp_shm_worker_stats(const struct sb_dp_shm *s, unsigned worker);
struct sb_leg_stats *sb_dp_shm_leg_stats(const struct sb_dp_shm *s, uint32_t leg);

/* Which worker owns a local UDP port; -1 when outside every worker's range. */
int sb_dp_port_worker(const struct sb_dp_shm_hdr *h, uint16_t port);

/* CLOCK_MONOTONIC in ns. */
uint64_t sb_now_ns(void);

#endif /* SB_DP_SHM_H */
