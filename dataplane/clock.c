/* SPDX-License-Identifier: MIT */
#include <rte_cycles.h>

#include "sb/dp_shm.h"

#include "clock.h"

void sb_tsc_clock_init(struct sb_tsc_clock *c)
{
	c->hz = rte_get_tsc_hz();
	/* Take the pair back to back; the ns read sits between two TSC reads
	 * and is matched with their midpoint. */
	uint64_t t0 = rte_rdtsc();
	c->base_ns = sb_now_ns();
	uint64_t t1 = rte_rdtsc();
	c->base_tsc = t0 + (t1 - t0) / 2;
	c->mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / c->hz);
}
