/* SPDX-License-Identifier: MIT */
/*
 * sb/ring.h — lock-free single-producer / single-consumer ring that lives in
 * memory shared between processes (POSIX shm).
 *
 * The ring stores fixed-size elements by value (copy in, copy out): pointers
 * mean nothing across processes.  Indexes are free-running uint32_t, the slot
 * count is a power of two, and producer and consumer indexes sit on separate
 * cache lines so the two sides never write the same line.  Each side keeps a
 * private cached copy of the other side's index (on its own line) so that the
 * common case touches the shared line of the other side only when the cache
 * says the ring looks full/empty (the Lamport/FastForward trick used by DPDK's
 * SP/SC rings and by liburing).
 *
 * Verbs (as in DPDK): *_bulk moves all n or none and returns n or 0;
 * *_burst moves as many as fit (0..n) and returns that number.
 *
 * Thread safety: exactly one producer and one consumer at any time.  Neither
 * side ever blocks, locks, allocates or makes a system call.
 */
#ifndef SB_RING_H
#define SB_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_CACHE_LINE 64
#define SB_RING_MAGIC 0x53425247u /* "SBRG" */

struct sb_ring {
	/* line 0: immutable after sb_ring_init() */
	uint32_t magic;
	uint32_t slots;     /* power of two */
	uint32_t mask;      /* slots - 1 */
	uint32_t elem_size; /* bytes per element, multiple of 8 */

	/* line 1: written by the producer only */
	alignas(SB_CACHE_LINE) _Atomic uint32_t head; /* next slot to write */
	uint32_t prod_tail_cache;                     /* producer's view of tail */

	/* line 2: written by the consumer only */
	alignas(SB_CACHE_LINE) _Atomic uint32_t tail; /* next slot to read */
	uint32_t cons_head_cache;                     /* consumer's view of head */

	alignas(SB_CACHE_LINE) unsigned char data[];
};

_Static_assert(offsetof(struct sb_ring, head) == SB_CACHE_LINE, "ring layout");
_Static_assert(offsetof(struct sb_ring, tail) == 2 * SB_CACHE_LINE, "ring layout");
_Static_assert(offsetof(struct sb_ring, data) == 3 * SB_CACHE_LINE, "ring layout");

/* Bytes needed for a ring of @slots elements of @elem_size bytes; 0 when the
 * arguments are invalid (slots not a power of two >= 2, elem_size not a
 * non-zero multiple of 8, or overflow). */
size_t sb_ring_memsize(uint32_t slots, uint32_t elem_size);

/* Initialise a ring in caller-owned memory of sb_ring_memsize() bytes.
 * Returns 0 or -EINVAL. */
int sb_ring_init(struct sb_ring *r, uint32_t slots, uint32_t elem_size);

/* Check that memory someone else initialised looks like a ring of this shape.
 * Returns 0 or -EPROTO. */
int sb_ring_check(const struct sb_ring *r, uint32_t slots, uint32_t elem_size);

static inline void *sb_ring_slot_(struct sb_ring *r, uint32_t idx)
{
	return r->data + (size_t)(idx & r->mask) * r->elem_size;
}

/* Copy n elements between the slots starting at idx and a flat array: at
 * most two memcpy calls (before and after the wrap), not one per element. */
static inline void sb_ring_copy_in_(struct sb_ring *r, uint32_t idx,
				    const unsigned char *src, unsigned n)
{
	uint32_t first = r->slots - (idx & r->mask);

	if (first > n)
		first = n;
	memcpy(sb_ring_slot_(r, idx), src, (size_t)first * r->elem_size);
	if (first < n)
		memcpy(r->data, src + (size_t)first * r->elem_size,
		       (size_t)(n - first) * r->elem_size);
}

static inline void sb_ring_copy_out_(struct sb_ring *r, uint32_t idx,
				     unsigned char *dst, unsigned n)
{
	uint32_t first = r->slots - (idx & r->mask);

	if (first > n)
		first = n;
	memcpy(dst, sb_ring_slot_(r, idx), (size_t)first * r->elem_size);
	if (first < n)
		memcpy(dst + (size_t)first * r->elem_size, r->data,
		       (size_t)(n - first) * r->elem_size);
}

static inline unsigned sb_ring_enqueue_(struct sb_ring *r, const void *objs,
					unsigned n, int bulk)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t free_slots = r->slots - (head - r->prod_tail_cache);

	if (free_slots < n) {
		r->prod_tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		free_slots = r->slots - (head - r->prod_tail_cache);
		if (free_slots < n) {
			if (bulk)
				return 0;
			n = free_slots;
		}
	}
	if (n == 0)
		return 0;
	sb_ring_copy_in_(r, head, objs, n);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

static inline unsigned sb_ring_dequeue_(struct sb_ring *r, void *objs,
					unsigned n, int bulk)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t avail = r->cons_head_cache - tail;

	if (avail < n) {
		r->cons_head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		avail = r->cons_head_cache - tail;
		if (avail < n) {
			if (bulk)
				return 0;
			n = avail;
		}
	}
	if (n == 0)
		return 0;
	sb_ring_copy_out_(r, tail, objs, n);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/* Producer side.  Returns n or 0. */
static inline unsigned sb_ring_enqueue_bulk(struct sb_ring *r, const void *objs, unsigned n)
{
	return sb_ring_enqueue_(r, objs, n, 1);
}

/* Producer side.  Returns how many were enqueued, 0..n. */
static inline unsigned sb_ring_enqueue_burst(struct sb_ring *r, const void *objs, unsigned n)
{
	return sb_ring_enqueue_(r, objs, n, 0);
}

/* Consumer side.  Returns n or 0. */
static inline unsigned sb_ring_dequeue_bulk(struct sb_ring *r, void *objs, unsigned n)
{
	return sb_ring_dequeue_(r, objs, n, 1);
}

/* Consumer side.  Returns how many were dequeued, 0..n. */
static inline unsigned sb_ring_dequeue_burst(struct sb_ring *r, void *objs, unsigned n)
{
	return sb_ring_dequeue_(r, objs, n, 0);
}

/* Either side, approximate: elements currently queued. */
static inline unsigned sb_ring_count(const struct sb_ring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	return head - tail;
}

#endif /* SB_RING_H */
