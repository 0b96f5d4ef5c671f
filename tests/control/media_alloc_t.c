/* SPDX-License-Identifier: MIT */
/* media_alloc_t — leg indexes and ports: even ports inside each worker's
 * range with room for RTCP, FIFO reuse, generation bump, exhaustion. */
#include "media/alloc.h"
#include "test.h"

int main(void)
{
	struct sb_media_alloc a;
	uint32_t idx, gen, first_idx;
	uint16_t port, w, first_port;
	int n = 0;

	T_ASSERT(sb_media_alloc_init(&a, 100, 2, 20001, 10) == 0);
	/* worker 0 owns 20001..20010: even ports with p+1 inside: 20002..20008 */
	T_ASSERT(sb_media_alloc_get(&a, 0, &idx, &gen, &port, &w) == 0);
	T_ASSERT(port == 20002 && w == 0 && gen == 1);
	first_idx = idx;
	first_port = port;
	while (sb_media_alloc_get(&a, 0, &idx, &gen, &port, &w) == 0) {
		T_ASSERT(port % 2 == 0 && port >= 20002 && port + 1 <= 20010 && w == 0);
		n++;
	}
	T_ASSERT(n == 3); /* 20004, 20006, 20008 */
	/* worker 1 owns 20011..20020 */
	T_ASSERT(sb_media_alloc_get(&a, -1, &idx, &gen, &port, &w) == 0);
	T_ASSERT(w == 1 && port == 20012);
	/* FIFO: a freed port comes back only after the others */
	sb_media_alloc_put(&a, first_idx, 0, first_port);
	T_ASSERT(sb_media_alloc_get(&a, 0, &idx, &gen, &port, &w) == 0 && port == first_port);
	T_ASSERT(sb_media_alloc_get(&a, 5, &idx, &gen, &port, &w) < 0);
	sb_media_alloc_fini(&a);

	/* the leg index generation grows at each reuse */
	T_ASSERT(sb_media_alloc_init(&a, 1, 1, 30000, 100) == 0);
	T_ASSERT(sb_media_alloc_get(&a, -1, &idx, &gen, &port, &w) == 0 && idx == 0 && gen == 1);
	T_ASSERT(sb_media_alloc_get(&a, -1, &idx, &gen, &port, &w) < 0);
	sb_media_alloc_put(&a, 0, 0, port);
	T_ASSERT(sb_media_alloc_get(&a, -1, &idx, &gen, &port, &w) == 0 && idx == 0 && gen == 2);
	sb_media_alloc_fini(&a);
	return 0;
}
