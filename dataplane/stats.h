/* SPDX-License-Identifier: MIT */
/*
 * stats.h — final counters as JSON (--stats-json), for tests and benchmarks.
 * Off the fast path: called after the workers stopped.
 */
#ifndef SB_DP_STATS_H
#define SB_DP_STATS_H

#include <stdint.h>

#include "sb/dp_shm.h"

/* Writes workers, port counters and every leg that was ever added.
 * Returns 0 or -errno. */
int sb_stats_write_json(const char *path, const struct sb_dp_shm *shm, uint16_t port_id);

#endif /* SB_DP_STATS_H */
