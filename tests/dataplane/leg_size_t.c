/* SPDX-License-Identifier: MIT */
/*
 * leg_size_t — the per-leg state of the dataplane and what 100k legs cost:
 * the hot leg (one cache line), its cold part (statistics state, latching,
 * clocks, timeout) and its counters in the shared segment, plus the port
 * map (4 bytes per local port, two ports per leg unless rtcp-mux).
 * Fails when the hot leg outgrows a cache line or the whole grows past
 * 512 bytes, so growth is a decision, not an accident.
 */
#include <stdio.h>

#include "legs.h"
#include "test.h"

int main(void)
{
	size_t hot = sizeof(struct sb_leg), cold = sizeof(struct sb_leg_x);
	size_t st = sizeof(struct sb_leg_stats), map = 2 * sizeof(uint32_t);
	size_t per = SB_LEG_STATE_BYTES + map;
	double mib = 100000.0 * (double)per / (1024.0 * 1024.0);

	printf("per-leg state: struct sb_leg %zu + struct sb_leg_x %zu + struct sb_leg_stats %zu "
	       "(shm) + port map %zu = %zu bytes\n", hot, cold, st, map, per);
	printf("100000 legs: %.1f MiB (%zu bytes)\n", mib, per * 100000u);
	T_ASSERT_EQ_U64(hot, 64);
	T_ASSERT_EQ_U64(cold, 128);
	T_ASSERT_EQ_U64(st, 256);
	T_ASSERT(per <= 512);
	return 0;
}
