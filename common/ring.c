/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "sb/ring.h"

static int is_pow2(uint32_t x)
{
	return x >= 2 && (x & (x - 1)) == 0;
}

size_t sb_ring_memsize(uint32_t slots, uint32_t elem_size)
{
	if (!is_pow2(slots) || elem_size == 0 || elem_size % 8 != 0)
		return 0;
	if (slots > (1u << 30) || elem_size > (1u << 20))
		return 0;
	size_t sz = sizeof(struct sb_ring) + (size_t)slots * elem_size;
	return (sz + SB_CACHE_LINE - 1) & ~(size_t)(SB_CACHE_LINE - 1);
}

int sb_ring_init(struct sb_ring *r, uint32_t slots, uint32_t elem_size)
{
	if (sb_ring_memsize(slots, elem_size) == 0)
		return -EINVAL;
	r->slots = slots;
	r->mask = slots - 1;
	r->elem_size = elem_size;
	atomic_store_explicit(&r->head, 0, memory_order_relaxed);
	atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
	r->prod_tail_cache = 0;
	r->cons_head_cache = 0;
	/* magic last, with release, so an attacher that sees it sees the rest */
	atomic_thread_fence(memory_order_release);
	r->magic = SB_RING_MAGIC;
	return 0;
}

int sb_ring_check(const struct sb_ring *r, uint32_t slots, uint32_t elem_size)
{
	if (r->magic != SB_RING_MAGIC || r->slots != slots ||
	    r->mask != slots - 1 || r->elem_size != elem_size)
		return -EPROTO;
	return 0;
}
