/* SPDX-License-Identifier: MIT */
/*
 * leg_size_t — the per-leg state of the dataplane and what 100k legs cost:
 * the hot leg (two cache lines), its cold part (statistics state, latching,
 * clocks, timeout) and its counters in the shared segment, plus the port
 * map (4 bytes per local port, two ports per leg unless rtcp-mux).
 * Fails when the hot leg outgrows two cache lines or the whole grows past
 * 576 bytes, so growth is a decision, not an accident.  (ABI 3: the hot
 * leg is two lines, the receive state moved next to it with the pending
 * packet counters; command-only fields moved out to the cold part: 520
 * bytes, 49.6 MiB for 100k legs.)
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
	T_ASSERT_EQ_U64(hot, 128);
	T_ASSERT_EQ_U64(cold, 128);
	T_ASSERT_EQ_U64(st, 256);
	T_ASSERT(per <= 576);
	return 0;
}
