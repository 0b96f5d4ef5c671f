/* SPDX-License-Identifier: MIT */
/* ring_t — single-process checks of the SP/SC shm ring: shape validation,
 * bulk all-or-nothing, burst partial, wrap-around of the free-running
 * indexes, FIFO order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb/ring.h"
#include "test.h"

struct msg {
	uint64_t seq;
	uint64_t check;
};

static struct sb_ring *ring_new(uint32_t slots)
{
	size_t sz = sb_ring_memsize(slots, sizeof(struct msg));
	struct sb_ring *r = aligned_alloc(SB_CACHE_LINE, sz);

	T_ASSERT(r != NULL);
	T_ASSERT(sb_ring_init(r, slots, sizeof(struct msg)) == 0);
	return r;
}

static void test_shapes(void)
{
	T_ASSERT(sb_ring_memsize(0, 8) == 0);
	T_ASSERT(sb_ring_memsize(1, 8) == 0);
	T_ASSERT(sb_ring_memsize(3, 8) == 0);
	T_ASSERT(sb_ring_memsize(4, 0) == 0);
	T_ASSERT(sb_ring_memsize(4, 12) == 0);
	T_ASSERT(sb_ring_memsize(4, 16) >= sizeof(struct sb_ring) + 64);
	T_ASSERT(sb_ring_memsize(4, 16) % SB_CACHE_LINE == 0);

	struct sb_ring *r = ring_new(8);
	T_ASSERT(sb_ring_check(r, 8, sizeof(struct msg)) == 0);
	T_ASSERT(sb_ring_check(r, 16, sizeof(struct msg)) == -EPROTO);
	T_ASSERT(sb_ring_check(r, 8, 8) == -EPROTO);
	T_ASSERT(sb_ring_init(r, 6, 16) == -EINVAL);
	free(r);
}

static void test_bulk_burst(void)
{
	struct sb_ring *r = ring_new(8);
	struct msg in[16], out[16];

	for (unsigned i = 0; i < 16; i++)
		in[i] = (struct msg){ .seq = i, .check = ~(uint64_t)i };

	T_ASSERT(sb_ring_dequeue_burst(r, out, 4) == 0);
	T_ASSERT(sb_ring_dequeue_bulk(r, out, 1) == 0);
	T_ASSERT(sb_ring_enqueue_bulk(r, in, 9) == 0);   /* more than fits: none */
	T_ASSERT(sb_ring_count(r) == 0);
	T_ASSERT(sb_ring_enqueue_bulk(r, in, 6) == 6);
	T_ASSERT(sb_ring_enqueue_bulk(r, in + 6, 3) == 0); /* 2 free: none */
	T_ASSERT(sb_ring_enqueue_burst(r, in + 6, 3) == 2); /* 2 free: 2 */
	T_ASSERT(sb_ring_count(r) == 8);
	T_ASSERT(sb_ring_enqueue_burst(r, in, 1) == 0);
	T_ASSERT(sb_ring_dequeue_bulk(r, out, 9) == 0);
	T_ASSERT(sb_ring_dequeue_bulk(r, out, 3) == 3);
	T_ASSERT(sb_ring_dequeue_burst(r, out + 3, 16) == 5);
	for (unsigned i = 0; i < 8; i++) {
		T_ASSERT(out[i].seq == i);
		T_ASSERT(out[i].check == ~(uint64_t)i);
	}
	T_ASSERT(sb_ring_count(r) == 0);
	free(r);
}

/* Start the free-running indexes just below 2^32 so that they wrap. */
static void test_wrap(void)
{
	struct sb_ring *r = ring_new(4);
	struct msg m, o;
	uint64_t next_out = 0, next_in = 0;

	atomic_store(&r->head, UINT32_MAX - 5);
	atomic_store(&r->tail, UINT32_MAX - 5);
	r->prod_tail_cache = r->cons_head_cache = UINT32_MAX - 5;
	for (unsigned round = 0; round < 40; round++) {
		unsigned n = 1 + round % 4;
		for (unsigned i = 0; i < n; i++) {
			m = (struct msg){ .seq = next_in, .check = next_in * 7 };
			if (sb_ring_enqueue_bulk(r, &m, 1) == 1)
				next_in++;
		}
		while (sb_ring_dequeue_burst(r, &o, 1) == 1) {
			T_ASSERT(o.seq == next_out);
			T_ASSERT(o.check == next_out * 7);
			next_out++;
		}
	}
	T_ASSERT(next_out == next_in);
	T_ASSERT(next_in == 100);
	free(r);
}

int main(void)
{
	test_shapes();
	test_bulk_burst();
	test_wrap();
	printf("ring_t: ok\n");
	return 0;
}
