/* SPDX-License-Identifier: MIT */
/*
 * clock.h — TSC to CLOCK_MONOTONIC nanoseconds without a system call per
 * packet: one (tsc, ns) pair taken at start and a 32.32 fixed-point
 * multiplier.  Drift against the kernel clock is a few ppm, good enough for
 * last_rx_ns and media timeouts.
 */
#ifndef SB_DP_CLOCK_H
#define SB_DP_CLOCK_H

#include <stdint.h>

struct sb_tsc_clock {
	uint64_t hz;      /* TSC ticks per second */
	uint64_t base_tsc;
	uint64_t base_ns; /* CLOCK_MONOTONIC at base_tsc */
	uint64_t mult;    /* ns per tick, 32.32 fixed point */
};

void sb_tsc_clock_init(struct sb_tsc_clock *c);

static inline uint64_t sb_tsc_to_ns(const struct sb_tsc_clock *c, uint64_t tsc)
{
	uint64_t d = tsc - c->base_tsc;

	return c->base_ns + (uint64_t)(((unsigned __int128)d * c->mult) >> 32);
}

static inline uint64_t sb_ms_to_tsc(const struct sb_tsc_clock *c, uint64_t ms)
{
	return ms * (c->hz / 1000u);
}

#endif /* SB_DP_CLOCK_H */
