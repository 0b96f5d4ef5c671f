/* SPDX-License-Identifier: MIT */
/* media_alloc_t — leg indexes and ports: even ports inside each worker's
 * range with room for RTCP, FIFO reuse, generation bump, exhaustion; with
 * several media addresses, every (address, port) pair exactly once. */
#include <errno.h>
#include <string.h>

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

	/* legs that outlive a restart keep index and port: never handed out
	 * again, the rest in FIFO order (also across the ring's wrap) */
	{
		static uint8_t used_idx[8], used_port[65536];
		uint32_t seen_idx[8];
		unsigned n_got = 0;

		T_ASSERT(sb_media_alloc_init(&a, 8, 1, 40000, 16) == 0);
		/* rotate the FIFOs so head is not 0 */
		for (int i = 0; i < 3; i++) {
			T_ASSERT(sb_media_alloc_get(&a, 0, &idx, &gen, &port, &w) == 0);
			sb_media_alloc_put(&a, idx, 0, port);
		}
		used_idx[2] = used_idx[5] = 1;
		used_port[40004] = used_port[40010] = 1;
		sb_media_alloc_exclude(&a, used_idx, used_port);
		while (sb_media_alloc_get(&a, 0, &idx, &gen, &port, &w) == 0) {
			T_ASSERT(idx != 2 && idx != 5 && port != 40004 && port != 40010);
			T_ASSERT(n_got < 8);
			seen_idx[n_got++] = idx;
		}
		T_ASSERT(n_got == 6); /* 8 ports 40000..40014, minus 2 */
		T_ASSERT(seen_idx[0] == 3 && seen_idx[1] == 4 && seen_idx[2] == 6); /* FIFO */
		sb_media_alloc_fini(&a);
	}

	/* several media addresses (--media-addrs): a worker holds its range
	 * once per address, address 0 first; more legs than one address holds,
	 * each (address, port) pair once; put/exclude keep the address */
	{
		static uint8_t seen[3 * 65536], used_idx[64], used_slot[3 * 65536];
		unsigned n_got = 0, per_addr[3] = { 0 }, last_addr = 0;
		uint8_t ad;

		T_ASSERT(sb_media_alloc_init_addrs(&a, 64, 2, 0, 20000, 10) == -EINVAL);
		T_ASSERT(sb_media_alloc_init_addrs(&a, 64, 2, 257, 20000, 10) == -EINVAL);
		T_ASSERT(sb_media_alloc_init_addrs(&a, 64, 2, 3, 20000, 10) == 0);
		/* worker 0 owns 20000..20009: 20000..20008, 5 ports per address */
		while (sb_media_alloc_get_addr(&a, 0, &idx, &gen, &ad, &port, &w) == 0) {
			T_ASSERT(ad < 3 && w == 0 && port % 2 == 0 && port >= 20000 && port <= 20008);
			T_ASSERT(!seen[SB_MEDIA_SLOT(ad, port)]);
			T_ASSERT(ad >= last_addr); /* address-major */
			seen[SB_MEDIA_SLOT(ad, port)] = 1;
			last_addr = ad;
			per_addr[ad]++;
			n_got++;
		}
		T_ASSERT(n_got == 15 && per_addr[0] == 5 && per_addr[1] == 5 && per_addr[2] == 5);
		/* worker 1 (20010..20019): its own ports, on address 0 first */
		T_ASSERT(sb_media_alloc_get_addr(&a, -1, &idx, &gen, &ad, &port, &w) == 0);
		T_ASSERT(w == 1 && ad == 0 && port == 20010);
		/* a freed pair comes back with its address */
		sb_media_alloc_put_addr(&a, 3, 0, 2, 20004);
		T_ASSERT(sb_media_alloc_get_addr(&a, 0, &idx, &gen, &ad, &port, &w) == 0);
		T_ASSERT(ad == 2 && port == 20004 && w == 0);
		sb_media_alloc_fini(&a);

		/* exclude by (address, port): the same port stays free elsewhere */
		T_ASSERT(sb_media_alloc_init_addrs(&a, 64, 1, 3, 20000, 10) == 0);
		used_slot[SB_MEDIA_SLOT(1, 20002)] = 1;
		used_idx[0] = 1;
		sb_media_alloc_exclude(&a, used_idx, used_slot);
		memset(per_addr, 0, sizeof(per_addr));
		n_got = 0;
		while (sb_media_alloc_get_addr(&a, 0, &idx, &gen, &ad, &port, &w) == 0) {
			T_ASSERT(!(ad == 1 && port == 20002) && idx != 0);
			per_addr[ad]++;
			n_got++;
		}
		T_ASSERT(n_got == 14 && per_addr[0] == 5 && per_addr[1] == 4 && per_addr[2] == 5);
		sb_media_alloc_fini(&a);
	}
	return 0;
}
